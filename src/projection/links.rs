//! Links (`$>` events, what `linkTo` writes) as a projection reads them, as EventStoreDB
//! reads them: a stream or category that holds links is read through them — the handler
//! sees the event linked to, with the link's metadata — and `fromAll` leaves link events
//! out (`$includeLinks` is false by default there).

use crate::script::Source;
use crate::store::{Link, RecordedEvent, Store, StoreError, StreamQuery};

/// The event type of a link to an event.
pub const LINK_TO: &str = "$>";
/// The event type of a link to a stream (`linkStreamTo`).
pub const LINK_STREAM: &str = "$@";

/// The events to fold for a page read from the log: links resolved to their events (each
/// at the link's place in the log), or left out where the source reads no links.
pub async fn resolve(
    store: &Store,
    source: &Source,
    events: Vec<RecordedEvent>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if !events
        .iter()
        .any(|e| e.event_type == LINK_TO || e.event_type == LINK_STREAM)
    {
        return Ok(events);
    }
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        if event.event_type == LINK_STREAM {
            continue; // a link to a stream names no event to fold
        }
        if event.event_type != LINK_TO {
            out.push(event);
            continue;
        }
        if !reads_links(source, &event.stream_id) {
            continue;
        }
        if let Some(resolved) = follow(store, event).await? {
            out.push(resolved);
        }
    }
    Ok(out)
}

/// Whether the source reads the links held by `stream`: a stream it names, or a stream
/// of its categories (split at the first `-`); `fromAll` does not.
fn reads_links(source: &Source, stream: &str) -> bool {
    let category = stream.split_once('-').map(|(c, _)| c);
    match source {
        Source::All => false,
        Source::Streams { streams } => streams.iter().any(|s| s == stream),
        Source::Category { category: wanted } => category == Some(wanted.as_str()),
        Source::Categories { categories } => {
            category.is_some_and(|c| categories.iter().any(|w| w == c))
        }
    }
}

/// `N@stream` from a link's data (`{"link": "N@stream"}`, as rewind's linkTo writes it,
/// or the bare text EventStoreDB writes), N counting from 0.
fn target(link: &RecordedEvent) -> Option<(String, u64)> {
    let data: serde_json::Value = serde_json::from_str(link.data.get()).ok()?;
    let text = match &data {
        serde_json::Value::Object(map) => map.get("link")?.as_str()?,
        serde_json::Value::String(text) => text.as_str(),
        _ => return None,
    };
    let (number, stream) = text.split_once('@')?;
    Some((stream.to_owned(), number.trim().parse().ok()?))
}

/// The event a link points to, at the link's place in the log and carrying the link;
/// None when it names no stored event (EventStoreDB skips such a link too).
async fn follow(store: &Store, link: RecordedEvent) -> Result<Option<RecordedEvent>, StoreError> {
    let Some((stream, number)) = target(&link) else {
        return Ok(None);
    };
    let version = number + 1;
    let query = StreamQuery {
        from: Some(version),
        to: Some(version),
        limit: 1,
        ..Default::default()
    };
    let Some(mut event) = store.read_stream(&stream, query).await?.into_iter().next() else {
        return Ok(None);
    };
    event.global_position = link.global_position;
    event.link = Some(Box::new(Link {
        stream_id: link.stream_id,
        version: link.version,
        metadata: link.metadata,
    }));
    Ok(Some(event))
}
