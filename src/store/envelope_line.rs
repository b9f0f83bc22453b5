//! One line of an import file: an envelope in the export format. Both backends' imports
//! read it; `global_position` is ignored (positions are given anew).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::model::Version;
use super::timestamp;

#[derive(Deserialize)]
pub(crate) struct EnvelopeLine<'a> {
    pub event_id: Uuid,
    pub stream_id: String,
    #[serde(default)]
    pub stream_type: Option<String>,
    pub event_type: String,
    pub version: Version,
    #[serde(default = "first_schema")]
    pub schema_version: u32,
    #[serde(borrow)]
    pub data: &'a RawValue,
    #[serde(borrow, default)]
    pub metadata: Option<&'a RawValue>,
    #[serde(with = "timestamp::serde_micros")]
    pub recorded_at: DateTime<Utc>,
}

fn first_schema() -> u32 {
    1
}
