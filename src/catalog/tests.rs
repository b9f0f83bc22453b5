use serde_json::json;

use super::*;

fn event(position: u64, event_type: &str, schema: u32, data: Value) -> RecordedEvent {
    RecordedEvent {
        event_id: uuid::Uuid::nil(),
        stream_id: format!("Thing-{}", position % 3),
        stream_type: "Thing".into(),
        event_type: event_type.into(),
        version: position,
        schema_version: schema,
        data: serde_json::value::to_raw_value(&data).unwrap(),
        metadata: serde_json::value::to_raw_value(&json!({"correlation_id": "c"})).unwrap(),
        global_position: position,
        recorded_at: timestamp::parse("2026-06-01T10:00:00Z").unwrap()
            + chrono::Duration::seconds(position as i64),
        link: None,
    }
}

fn catalog(events: &[RecordedEvent]) -> Catalog {
    let mut c = Catalog::new();
    for e in events {
        c.add(e);
    }
    c
}

#[test]
fn counts_categories_times_and_field_types() {
    let c = catalog(&[
        event(1, "Noted", 1, json!({"n": 1, "tag": "a"})),
        event(2, "Noted", 1, json!({"n": 2})),
        event(3, "Noted", 2, json!({"n": {"value": 3}})),
        event(4, "Other", 1, json!({})),
    ]);
    assert_eq!(c.events, 4);
    assert_eq!(c.position, 4);
    let noted = &c.types["Noted"];
    assert_eq!(noted.count, 3);
    assert_eq!(noted.categories["Thing"], 3);
    assert_eq!(noted.shapes.keys().copied().collect::<Vec<_>>(), [1, 2]);
    let v1 = &noted.shapes[&1];
    assert_eq!(v1.fields["data.n"].present, 2);
    assert_eq!(v1.fields["data.n"].types["number"].count, 2);
    assert_eq!(v1.fields["data.tag"].present, 1);
    assert_eq!(v1.fields["data.tag"].example, json!("a"));
    assert_eq!(v1.fields["metadata.correlation_id"].present, 2);
    let v2 = &noted.shapes[&2];
    assert_eq!(v2.fields["data.n.value"].types["number"].count, 1);
    assert_eq!(
        timestamp::format(&noted.last_recorded.unwrap()),
        "2026-06-01T10:00:03.000000Z"
    );
    // A schema_version bump is no drift; an optional field is none either.
    assert!(c.drifts().is_empty(), "{:?}", c.drifts());
}

#[test]
fn a_change_without_a_schema_version_bump_is_flagged_at_its_first_event() {
    let mut events = Vec::new();
    for p in 1..=5 {
        events.push(event(p, "Paid", 1, json!({"amount": p, "note": "x"})));
    }
    // From 6 on: amount is text, currency appears, note is gone (all for good).
    for p in 6..=9 {
        events.push(event(
            p,
            "Paid",
            1,
            json!({"amount": p.to_string(), "currency": "EUR"}),
        ));
    }
    let drifts = catalog(&events).drifts();
    let found: Vec<(String, String, u64)> = drifts
        .iter()
        .map(|(_, _, d)| (d.field.clone(), d.change.clone(), d.event.position))
        .collect();
    assert_eq!(
        found,
        [
            ("data.amount".to_owned(), "number → string".to_owned(), 6),
            ("data.currency".to_owned(), "appeared".to_owned(), 6),
            ("data.note".to_owned(), "disappeared".to_owned(), 6),
        ]
    );
}

#[test]
fn a_change_seen_fewer_than_three_times_or_not_for_good_is_not_drift() {
    let mut events = Vec::new();
    for p in 1..=5 {
        events.push(event(p, "Paid", 1, json!({"amount": p})));
    }
    events.push(event(6, "Paid", 1, json!({"amount": p_str(6), "extra": 1})));
    events.push(event(7, "Paid", 1, json!({"amount": 7})));
    events.push(event(8, "Paid", 1, json!({"amount": 8, "extra": 1})));
    events.push(event(9, "Paid", 1, json!({"amount": 9, "extra": 1})));
    assert!(catalog(&events).drifts().is_empty());
}

fn p_str(p: u64) -> String {
    p.to_string()
}

#[test]
fn the_catalog_round_trips_through_its_kept_form_and_goes_on() {
    let first = catalog(&[
        event(1, "A", 1, json!({"x": 1})),
        event(2, "A", 1, json!({"x": 2})),
    ]);
    let text = serde_json::to_string(&first).unwrap();
    let mut kept: Catalog = serde_json::from_str(&text).unwrap();
    assert_eq!(kept, first);
    kept.add(&event(3, "A", 1, json!({"x": 3})));
    let whole = catalog(&[
        event(1, "A", 1, json!({"x": 1})),
        event(2, "A", 1, json!({"x": 2})),
        event(3, "A", 1, json!({"x": 3})),
    ]);
    assert_eq!(kept, whole);
}

#[test]
fn a_field_that_becomes_an_object_is_one_change() {
    let mut events = Vec::new();
    for p in 1..=4 {
        events.push(event(p, "Paid", 1, json!({"amount": p})));
    }
    for p in 5..=8 {
        events.push(event(
            p,
            "Paid",
            1,
            json!({"amount": {"value": p, "currency": "EUR"}}),
        ));
    }
    let drifts = catalog(&events).drifts();
    assert_eq!(drifts.len(), 1, "{drifts:?}");
    assert_eq!(drifts[0].2.change, "number → object");
    assert_eq!(drifts[0].2.event.position, 5);
}
