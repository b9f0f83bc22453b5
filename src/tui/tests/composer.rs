//! Render tests of the event composer: fed keys and answers by hand (no store).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

use super::{app, composer, event, press, screen, type_text};
use crate::store::ExpectedVersion;
use crate::tui::app::{App, Msg};
use crate::tui::io::Response;
use crate::tui::overlays::composer::Outcome;

fn ctrl(app: &mut App, c: char) {
    app.update(Msg::Input(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    ))));
}

#[test]
fn the_composer_opens_on_the_selected_stream_with_its_version() {
    let mut app = app();
    press(&mut app, KeyCode::Char('a'));
    let text = screen(&app);
    for expected in [
        "Append an event",
        "stream",
        "Account-1",
        "event type",
        "expected",
        "data",
        "metadata",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    app.update(Msg::Io(Response::StreamVersion("Account-1".into(), 42)));
    assert!(screen(&app).contains("42"));
    // Keys type into the fields; q does not quit while typing.
    type_text(&mut app, "MoneyDeposited");
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    let open = composer(&app).unwrap();
    assert_eq!(open.text(1), "MoneyDepositedq");
    press(&mut app, KeyCode::Esc);
    assert!(composer(&app).is_none());
}

#[test]
fn the_composer_builds_the_append_and_reports_bad_json_and_conflicts() {
    let mut app = app();
    press(&mut app, KeyCode::Char('a'));
    app.update(Msg::Io(Response::StreamVersion("Account-1".into(), 42)));
    type_text(&mut app, "Deposited");
    press(&mut app, KeyCode::Tab); // expected version
    press(&mut app, KeyCode::Tab); // data
    type_text(&mut app, "\"amount\": 5");
    let (stream, expected, event) = composer(&app).unwrap().request().unwrap();
    assert_eq!(stream, "Account-1");
    assert_eq!(expected, ExpectedVersion::Exact(42));
    assert_eq!(event.event_type, "Deposited");
    let data: serde_json::Value = serde_json::from_str(event.data.get()).unwrap();
    assert_eq!(data, serde_json::json!({"amount": 5}));

    // Bad JSON: said in the composer, nothing sent.
    type_text(&mut app, ",");
    ctrl(&mut app, 's');
    let open = composer(&app).unwrap();
    assert!(!open.sending);
    assert!(
        matches!(&open.outcome, Some(Outcome::Error(e)) if e.contains("data is not valid JSON"))
    );

    // A conflict: shown clearly, the composer stays open.
    app.update(Msg::Io(Response::Appended(Err(
        crate::store::StoreError::Concurrency {
            stream_id: "Account-1".into(),
            expected: ExpectedVersion::Exact(42),
            actual: 43,
        }
        .into(),
    ))));
    let text = screen(&app);
    assert!(text.contains("CONCURRENCY CONFLICT"), "{text}");
    assert!(text.contains("expected version 42"), "{text}");
    assert!(matches!(
        &composer(&app).unwrap().outcome,
        Some(Outcome::Conflict(e)) if e.contains("actual version 43") && e.ends_with("nothing written")
    ));

    // Success closes it and says where the event went.
    app.update(Msg::Io(Response::Appended(Ok(event_at(43)))));
    assert!(composer(&app).is_none());
    assert_eq!(
        app.status.message.as_deref(),
        Some("appended MoneyDeposited to Account-1@43 at position 1043")
    );
    assert!(screen(&app).contains("appended MoneyDeposited to Account-1@43"));
}

fn event_at(version: u64) -> crate::store::RecordedEvent {
    event(1000 + version, "Account-1", version, "MoneyDeposited")
}

#[test]
fn a_read_only_store_keeps_the_composer_off() {
    let mut app = app();
    app.status.read_only = true;
    app.status.write_hint = Some("PostgreSQL: --allow-writes to write".into());
    press(&mut app, KeyCode::Char('a'));
    assert!(composer(&app).is_none());
    assert_eq!(
        app.status.message.as_deref(),
        Some("the composer is off: the store is read-only")
    );
    assert!(screen(&app).contains("read-only (PostgreSQL: --allow-writes to write)"));
}
