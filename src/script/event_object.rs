//! The event object scripts receive, built property by property through rquickjs, with
//! the property names interned once per page. Measured by instruction counts (callgrind,
//! `cargo bench --bench time_travel -- --fold-only`): handing QuickJS the envelope as JSON
//! text cost ~31,000 instructions per event in its JSON tokenizer, 70% of a small
//! reducer's fold; building the envelope natively and parsing only `data` and `metadata`
//! (stored as JSON text) cut the whole fold from ~44,000 to ~25,000 instructions per
//! event. Passing the fields as arguments to a JS function that builds an object literal
//! measured slightly worse than setting them here.

use rquickjs::{Atom, Ctx, Object, Value};

use super::event_json::recorded_at;
use crate::store::RecordedEvent;

/// The property names of an event object, interned in one context.
pub struct EventAtoms<'js> {
    event_type: Atom<'js>,
    stream_id: Atom<'js>,
    stream_type: Atom<'js>,
    sequence_number: Atom<'js>,
    schema_version: Atom<'js>,
    data: Atom<'js>,
    body: Atom<'js>,
    metadata: Atom<'js>,
    event_id: Atom<'js>,
    position: Atom<'js>,
    recorded_at: Atom<'js>,
    is_json: Atom<'js>,
    body_raw: Atom<'js>,
    metadata_raw: Atom<'js>,
    link_metadata: Atom<'js>,
    link_metadata_raw: Atom<'js>,
}

impl<'js> EventAtoms<'js> {
    pub fn new(ctx: &Ctx<'js>) -> rquickjs::Result<Self> {
        let atom = |name: &str| Atom::from_str(ctx.clone(), name);
        Ok(EventAtoms {
            event_type: atom("eventType")?,
            stream_id: atom("streamId")?,
            stream_type: atom("streamType")?,
            sequence_number: atom("sequenceNumber")?,
            schema_version: atom("schemaVersion")?,
            data: atom("data")?,
            body: atom("body")?,
            metadata: atom("metadata")?,
            event_id: atom("eventId")?,
            position: atom("position")?,
            recorded_at: atom("recordedAt")?,
            is_json: atom("isJson")?,
            body_raw: atom("bodyRaw")?,
            metadata_raw: atom("metadataRaw")?,
            link_metadata: atom("linkMetadata")?,
            link_metadata_raw: atom("linkMetadataRaw")?,
        })
    }

    /// `{eventType, streamId, streamType, sequenceNumber, schemaVersion, data, body,
    /// metadata, eventId, position, recordedAt, isJson, bodyRaw, metadataRaw}`; `body` is
    /// `data`. As in EventStoreDB's projections, `sequenceNumber` counts from 0 (the
    /// event's number in its stream; rewind's `version` counts from 1), and the raw
    /// properties are the stored JSON text.
    pub fn event(&self, ctx: &Ctx<'js>, e: &RecordedEvent) -> rquickjs::Result<Object<'js>> {
        let object = Object::new(ctx.clone())?;
        object.set(self.event_type.clone(), e.event_type.as_str())?;
        object.set(self.stream_id.clone(), e.stream_id.as_str())?;
        object.set(self.stream_type.clone(), e.stream_type.as_str())?;
        object.set(
            self.sequence_number.clone(),
            Value::new_number(ctx.clone(), e.version.saturating_sub(1) as f64),
        )?;
        object.set(self.schema_version.clone(), e.schema_version as i32)?;
        let data = ctx.json_parse(e.data.get())?;
        object.set(self.data.clone(), data.clone())?;
        object.set(self.body.clone(), data)?;
        let metadata: Value = match e.metadata.get() {
            "{}" => Object::new(ctx.clone())?.into_value(),
            text => ctx.json_parse(text)?,
        };
        object.set(self.metadata.clone(), metadata)?;
        object.set(self.event_id.clone(), e.event_id.hyphenated().to_string())?;
        object.set(
            self.position.clone(),
            Value::new_number(ctx.clone(), e.global_position as f64),
        )?;
        let mut time = String::with_capacity(27);
        recorded_at(&e.recorded_at, &mut time);
        object.set(self.recorded_at.clone(), time)?;
        object.set(self.is_json.clone(), true)?;
        object.set(self.body_raw.clone(), e.data.get())?;
        object.set(self.metadata_raw.clone(), e.metadata.get())?;
        // Read through a link: the link's metadata, as EventStoreDB hands it over.
        if let Some(link) = &e.link {
            object.set(self.link_metadata_raw.clone(), link.metadata.get())?;
            object.set(
                self.link_metadata.clone(),
                ctx.json_parse(link.metadata.get())?,
            )?;
        }
        Ok(object)
    }
}
