//! EventStoreDB's idempotency rule, shared by the backends: checked before the expected
//! version, on the caller-given ids of one segment and where each is stored already.

use uuid::Uuid;

use super::error::{Result, StoreError};
use super::model::{AppendSegment, Version};

/// `found[i]` is where `ids[i]` (the segment's given ids, in order) is stored, if it is.
/// None stored: a new append (Ok(None)). Every event given an id and all of them the
/// stream's, in order at consecutive versions: a retry, answered with the originals
/// (Ok(Some(first version))). Otherwise a duplicate error naming the first stored id, or,
/// when all are stored, the first out of sequence.
pub fn retry_of(
    segment: &AppendSegment,
    ids: &[Uuid],
    found: &[Option<(String, Version)>],
) -> Result<Option<Version>> {
    let Some(first_found) = found.iter().position(Option::is_some) else {
        return Ok(None);
    };
    let duplicate = |index: usize| {
        let (stream_id, version) = found[index].clone().expect("located");
        StoreError::DuplicateEventId {
            event_id: ids[index],
            stream_id,
            version,
        }
    };
    if ids.len() != segment.events.len() || found.iter().any(Option::is_none) {
        return Err(duplicate(first_found));
    }
    let first_version = found[0].as_ref().expect("all located").1;
    for (offset, location) in found.iter().enumerate() {
        let (stream, version) = location.as_ref().expect("all located");
        if *stream != segment.stream_id || *version != first_version + offset as Version {
            return Err(duplicate(offset));
        }
    }
    Ok(Some(first_version))
}
