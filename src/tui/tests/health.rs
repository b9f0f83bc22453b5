//! The Types (`6`) and Health (`7`) views, fed a catalog and a doctor's report.

use std::sync::Arc;

use crossterm::event::KeyCode;
use serde_json::json;

use super::{app, event, press, screen_sized};
use crate::catalog::{Catalog, EventRef};
use crate::doctor::{Finding, Level, Named, Report};
use crate::tui::app::Msg;
use crate::tui::io::Response;
use crate::tui::screens::ScreenId;

fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    for p in 1..=4 {
        let mut e = event(p, "Account-1", p, "MoneyDeposited");
        e.data = serde_json::value::to_raw_value(&json!({"amount": p})).unwrap();
        catalog.add(&e);
    }
    for p in 5..=8 {
        let mut e = event(p, "Account-1", p, "MoneyDeposited");
        e.data = serde_json::value::to_raw_value(&json!({"amount": p.to_string()})).unwrap();
        catalog.add(&e);
    }
    catalog.add(&event(9, "Order-1", 1, "OrderPlaced"));
    catalog
}

#[test]
fn the_types_view_lists_types_and_flags_a_shape_change() {
    let mut app = app();
    press(&mut app, KeyCode::Char('6'));
    assert_eq!(app.screen, ScreenId::Types);
    let text = screen_sized(&app, 150, 30);
    assert!(
        text.contains("6 Types") && text.contains("reading the log"),
        "{text}"
    );
    app.update(Msg::Io(Response::Types(Arc::new(catalog()))));
    let text = screen_sized(&app, 150, 30);
    assert!(
        text.contains("Types · 2 types · 9 events read")
            && text.contains("⚠ 1 changed")
            && text.contains("steady"),
        "{text}"
    );
    assert!(
        text.contains("⚠ data.amount number → string at Account-1@5 (position 5)"),
        "{text}"
    );
    assert!(
        text.contains("data.amount") && text.contains("number|string"),
        "{text}"
    );
    // Enter opens the first changed event in its stream.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Stream);
    let stream = app.screens.stream.as_ref().unwrap();
    assert_eq!(stream.stream_id, "Account-1");
}

#[test]
fn the_health_view_lists_findings_and_opens_the_events_they_name() {
    let mut app = app();
    press(&mut app, KeyCode::Char('7'));
    assert_eq!(app.screen, ScreenId::Health);
    let named = |stream: &str, version: u64, note: &str| Named {
        event: EventRef {
            position: version * 10,
            stream_id: stream.into(),
            version,
        },
        note: note.into(),
    };
    let report = Report {
        findings: vec![
            Finding {
                rule: "dangling-causation",
                level: Level::Error,
                summary: "1 causation ids that name no stored event".into(),
                count: 1,
                events: vec![named("Account-7", 3, "caused by nothing stored")],
            },
            Finding {
                rule: "past-tense",
                level: Level::Warning,
                summary: "event types not in the past tense: ShipOrder, PlaceOrder".into(),
                count: 2,
                events: vec![
                    named("Order-1", 4, "ShipOrder"),
                    named("Order-2", 2, "PlaceOrder"),
                ],
            },
        ],
        events: 100,
        rules: vec!["dangling-causation", "past-tense"],
    };
    app.update(Msg::Io(Response::Findings(Arc::new(report))));
    let text = screen_sized(&app, 150, 30);
    assert!(
        text.contains("Health · 2 findings (1 errors) · 100 events, 2 rules")
            && text.contains("dangling-causation")
            && text.contains("Account-7@3 (position 30): caused by nothing stored"),
        "{text}"
    );
    // The second finding, Tab to its events, the second event, Enter.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Down);
    let text = screen_sized(&app, 150, 30);
    assert!(
        text.contains("▶ Order-2@2 (position 20): PlaceOrder"),
        "{text}"
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Stream);
    assert_eq!(app.screens.stream.as_ref().unwrap().stream_id, "Order-2");
}
