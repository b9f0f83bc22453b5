use serde_json::json;

use super::*;
use crate::store::RecordedEvent;

fn event(event_type: &str, stream: &str, data: serde_json::Value) -> RecordedEvent {
    RecordedEvent {
        event_id: uuid::Uuid::nil(),
        stream_id: stream.into(),
        stream_type: stream.split('-').next().unwrap().into(),
        event_type: event_type.into(),
        version: 3,
        schema_version: 1,
        data: serde_json::value::to_raw_value(&data).unwrap(),
        metadata: serde_json::value::to_raw_value(&json!({"correlation_id": "c-1"})).unwrap(),
        global_position: 40,
        recorded_at: crate::store::timestamp::parse("2026-06-01T10:00:00Z").unwrap(),
        link: None,
    }
}

fn holds(source: &str, e: &RecordedEvent) -> bool {
    Where::parse(source)
        .unwrap_or_else(|e| panic!("{source}: {e}"))
        .matches(e)
}

fn error_at(source: &str) -> (usize, String) {
    let e = Where::parse(source).expect_err(source);
    (e.column, e.message)
}

#[test]
fn envelope_fields_compare_as_their_kinds() {
    let e = event("MoneyDeposited", "Account-7", json!({"amount": 150}));
    assert!(holds("type = 'MoneyDeposited'", &e));
    assert!(holds(
        "type = \"MoneyDeposited\" AND category = 'Account'",
        &e
    ));
    assert!(holds("category = 'Account' and stream != 'Account-8'", &e));
    assert!(holds("version >= 3 AND position < 41", &e));
    assert!(holds(
        "recorded_at >= '2026-06-01' and recorded_at < '2026-06-01T10:00:01Z'",
        &e
    ));
    assert!(holds("type in ('A', 'MoneyDeposited')", &e));
    assert!(holds("type not in ('A', 'B')", &e));
    assert!(holds("stream like 'Account-_'", &e));
    assert!(
        !holds("stream like 'account-%'", &e),
        "like is case-sensitive"
    );
    assert!(holds("type < 'N' and type > 'M'", &e), "text in byte order");
}

#[test]
fn json_fields_compare_only_with_their_own_type() {
    let e = event(
        "X",
        "S-1",
        json!({"n": 5, "s": "5", "f": 2.5, "b": true, "z": null, "o": {"k": "v"}, "first name": "Ada"}),
    );
    assert!(holds("data.n = 5 and data.n = 5.0 and data.n > 4.5", &e));
    assert!(!holds("data.s = 5", &e));
    assert!(holds("data.s = '5'", &e));
    assert!(holds("data.s != 5", &e), "another type is not equal");
    assert!(
        !holds("data.s > 4", &e),
        "text does not order against numbers"
    );
    assert!(holds("data.f < 3 and data.f >= 2.5", &e));
    assert!(holds("data.b = true and data.b != false", &e));
    assert!(holds("data.z = null and exists data.z", &e));
    assert!(holds(
        "data.o.k = 'v' and data.\"first name\" like 'A%'",
        &e
    ));
    assert!(holds("metadata.correlation_id = 'c-1'", &e));
}

#[test]
fn an_absent_field_matches_no_comparison_and_not_inverts() {
    let e = event("X", "S-1", json!({"a": 1}));
    assert!(!holds("data.missing = 1", &e));
    assert!(!holds("data.missing != 1", &e));
    assert!(holds("not data.missing = 1", &e));
    assert!(holds("not exists data.missing", &e));
    assert!(
        !holds("data.a.deeper = 1", &e),
        "a path through a number is absent"
    );
}

#[test]
fn like_escapes_make_wildcards_literal() {
    let e = event("X", "S-1", json!({"p": "50%_off", "q": "50 and off"}));
    assert!(holds("data.p like '50\\%\\_off'", &e));
    assert!(!holds("data.q like '50\\%%'", &e));
    assert!(holds("data.q like '50%'", &e));
    assert!(holds("data.p like '%off' and data.p like '5_%'", &e));
    assert!(eval::like("a*b[c", "a*b[c"));
    assert!(!eval::like("ab", "a"));
    assert!(eval::like("", "%"));
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let e = event("A", "S-1", json!({}));
    assert!(holds("type = 'B' and type = 'C' or type = 'A'", &e));
    assert!(!holds("type = 'B' and (type = 'C' or type = 'A')", &e));
    assert!(holds("not type = 'B' and type = 'A'", &e));
}

#[test]
fn mistakes_name_their_column() {
    assert_eq!(error_at("type = ").0, 8);
    assert_eq!(error_at("type = 'A' and").0, 15);
    assert_eq!(error_at("tpye = 'A'").0, 1);
    assert!(error_at("tpye = 'A'").1.contains("no field \"tpye\""));
    assert_eq!(error_at("version = 'three'").0, 11);
    assert!(error_at("version = 'three'").1.contains("whole number"));
    assert_eq!(error_at("type = OrderPlaced").0, 8);
    assert!(error_at("type = OrderPlaced").1.contains("'OrderPlaced'"));
    assert_eq!(error_at("data.x = 'unclosed").0, 10);
    assert_eq!(error_at("(type = 'A'").0, 12);
    assert!(error_at("exists type").1.contains("always there"));
    assert!(
        error_at("data.b < true")
            .1
            .contains("orders numbers and text")
    );
    assert!(
        error_at("recorded_at > 'yesterday'")
            .1
            .contains("not a time")
    );
    assert!(error_at("data like 'x'").1.contains("needs a key"));
    assert!(error_at("version like '1%'").1.contains("not text"));
    assert!(error_at("data.x like 'ends\\'").1.contains("lone"));
    assert_eq!(error_at("type = 'A' 'B'").0, 12);
    assert_eq!(error_at("").0, 1);
    let shown = Where::parse("type = ").unwrap_err().to_string();
    assert!(
        shown.starts_with("--where: column 8: expected a value"),
        "{shown}"
    );
}

/// The compiled SQL is what SQLite runs: a test on an indexed envelope field uses the
/// index, and a data field is read in the query, not by a scan in Rust.
#[test]
fn sqlite_plans_use_the_index_an_expression_allows() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE events (global_position INTEGER PRIMARY KEY, stream_id TEXT, \
         stream_type TEXT, event_type TEXT, version INTEGER, schema_version INTEGER, \
         data TEXT, metadata TEXT, recorded_at TEXT);
         CREATE INDEX events_event_type ON events (event_type);
         INSERT INTO events VALUES (1, 'A-1', 'A', 'Paid', 1, 1, '{\"n\": 5}', '{}', '2026');
         INSERT INTO events VALUES (2, 'A-1', 'A', 'Paid', 2, 1, '{\"n\": \"5\"}', '{}', '2026');",
    )
    .unwrap();
    let filter = Where::parse("type = 'Paid' and data.n > 1").unwrap();
    let compiled = sqlite::compile(&filter, 0);
    let plan: Vec<String> = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN SELECT global_position FROM events WHERE {}",
            compiled.sql
        ))
        .unwrap()
        .query_map(rusqlite::params_from_iter(compiled.params.iter()), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter()
            .any(|p| p.contains("USING INDEX events_event_type")),
        "{plan:?}"
    );
    let found: Vec<i64> = conn
        .prepare(&format!(
            "SELECT global_position FROM events WHERE {}",
            compiled.sql
        ))
        .unwrap()
        .query_map(rusqlite::params_from_iter(compiled.params.iter()), |r| {
            r.get(0)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(found, [1], "the number 5, not the text \"5\"");
}
