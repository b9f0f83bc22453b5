//! Render tests of getting around: the back stack, Enter on a Log row, the command line's
//! completions, what an empty list says, the stream's title, text as characters.

use crossterm::event::KeyCode;

use super::{app, command_line, event, press, screen, type_text};
use crate::tui::app::{App, Msg};
use crate::tui::io::{Fetch, Response};
use crate::tui::screens::ScreenId;

/// The stream open, as shown.
fn open_stream(app: &App) -> Option<(&str, Option<u64>)> {
    let view = app.screens.stream.as_ref()?;
    Some((
        view.stream_id.as_str(),
        view.window.selected().map(|e| e.version),
    ))
}

fn rows(app: &mut App, stream: &str, events: Vec<crate::store::RecordedEvent>) {
    app.update(Msg::Io(Response::StreamEvents(
        stream.into(),
        Fetch::First,
        events,
    )));
}

/// Esc goes back where one came from, across jumps, not always to Streams.
#[test]
fn esc_goes_back_where_you_came_from() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    rows(
        &mut app,
        "Account-1",
        vec![event(8, "Account-1", 1, "MoneyWithdrawn")],
    );
    let selected = app
        .screens
        .stream
        .as_ref()
        .unwrap()
        .window
        .selected()
        .unwrap()
        .event_id;
    app.update(Msg::Io(Response::Chain(
        selected,
        None,
        vec![event(9, "Audit-1", 1, "Noted")],
    )));
    // `]` to the effect, in another stream.
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(open_stream(&app).map(|s| s.0), Some("Audit-1"));
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.screen, ScreenId::Log);
    // Back: to Audit-1, then to Account-1 at the event it was on, then to Streams.
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        (app.screen, open_stream(&app).map(|s| s.0)),
        (ScreenId::Stream, Some("Audit-1"))
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, ScreenId::Stream);
    assert_eq!(open_stream(&app).map(|s| s.0), Some("Account-1"));
    rows(
        &mut app,
        "Account-1",
        vec![event(8, "Account-1", 1, "MoneyWithdrawn")],
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, ScreenId::Streams);
    // With nothing behind, Esc stays on Streams.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, ScreenId::Streams);
}

/// Enter on a Log row opens the event in its stream (envelope, tree, chain); Esc comes
/// back to the Log.
#[test]
fn enter_on_a_log_row_opens_the_event() {
    let mut app = app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Stream);
    let view = app.screens.stream.as_ref().unwrap();
    assert_eq!(view.stream_id, "Account-1");
    assert!(
        view.window.is_loading(),
        "reading from the event's version on"
    );
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::From(2),
        vec![event(3, "Account-1", 3, "MoneyDeposited")],
    )));
    let text = screen(&app);
    assert!(
        text.contains("MoneyDeposited @ 3") && text.contains("position 3"),
        "{text}"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, ScreenId::Log);
}

/// `:asof` is a screen of its own under the Time travel tab: Enter opens a stream's time
/// travel, Esc comes back to the query.
#[test]
fn as_of_then_time_travel_then_back() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "asof Account @3");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::AsOf);
    let generation = app.screens.as_of.as_ref().unwrap().list.generation;
    app.update(Msg::Io(Response::AsOf(
        generation,
        Ok(vec![crate::tui::io::AsOfRow {
            stream_id: "Account-1".into(),
            version: 3,
            state: "{}".into(),
        }]),
    )));
    let text = screen(&app);
    assert!(
        text.contains("3 Time travel") && text.contains("←→ moment"),
        "{text}"
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::TimeTravel);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, ScreenId::AsOf);
}

/// Tab on a command name shows the candidates and completes what they share; on a path
/// argument it completes from the folder, in the background.
#[test]
fn tab_shows_candidates_and_completes_paths() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "b");
    press(&mut app, KeyCode::Tab);
    assert_eq!(command_line(&app), Some("break"));
    let text = screen(&app);
    assert!(text.contains(":break  :breakif"), "{text}");
    press(&mut app, KeyCode::Esc);

    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "export out/da");
    press(&mut app, KeyCode::Tab);
    app.update(Msg::Io(Response::PathCompletion(
        "out/da".into(),
        vec!["out/data-1.jsonl".into(), "out/data-2.jsonl".into()],
    )));
    assert_eq!(command_line(&app), Some("export out/data-"));
    assert!(screen(&app).contains("out/data-1.jsonl  out/data-2.jsonl"));
    type_text(&mut app, "1");
    app.update(Msg::Io(Response::PathCompletion(
        "out/data-1".into(),
        vec![],
    )));
    assert!(screen(&app).contains("no file starts with \"out/data-1\""));
}

/// An empty list under a filter says so, not "no events yet".
#[test]
fn an_empty_filtered_list_says_no_matches() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "type Nothing");
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::LogRows(Fetch::First, vec![])));
    assert!(screen(&app).contains("no matches (:clear removes the filter)"));
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zz");
    let generation = 2;
    app.update(Msg::Io(Response::FuzzyStreams {
        generation,
        rows: vec![],
        matched: 0,
    }));
    assert!(
        screen(&app).contains("no matches (Esc clears the filter)"),
        "{}",
        screen(&app)
    );
}

/// The stream's title and tab show how many events it holds.
#[test]
fn the_stream_title_shows_its_event_count() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::StreamVersion("Account-1".into(), 1234)));
    let text = screen(&app);
    assert!(text.contains("Account-1 · 1,234 events"), "{text}");
}

/// Text in an event shows as characters: a joined emoji is not `\u{200d}`.
#[test]
fn text_shows_as_characters_not_escapes() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    let mut e = event(1, "Account-1", 1, "Noted");
    e.data = serde_json::value::RawValue::from_string(
        serde_json::json!({"who": "👩\u{200d}💻", "café": "crème"}).to_string(),
    )
    .unwrap();
    rows(&mut app, "Account-1", vec![e]);
    let text = screen(&app);
    assert!(
        !text.contains("\\u{200d}") && !text.contains("\\u{"),
        "{text}"
    );
    assert!(text.contains("\"crème\""), "{text}");
}
