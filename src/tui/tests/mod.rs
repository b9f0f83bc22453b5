//! Render tests: the app fed messages by hand (no store), drawn on ratatui's TestBackend,
//! asserted on the text of the buffer.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

mod composer;
mod health;
mod navigation;
mod travel;
mod workbench;

use super::app::{App, Msg};
use super::chrome::Status;
use super::io::{Fetch, IoError, NewCount, Response};
use super::keymap::Keymap;
use super::overlays::Overlay;
use super::screens::ScreenId;
use crate::store::{RecordedEvent, StoreError, StoreStats, StreamInfo};

pub(super) fn event(position: u64, stream: &str, version: u64, event_type: &str) -> RecordedEvent {
    serde_json::from_value(json!({
        "event_id": format!("0190c3a2-0000-7000-8000-{position:012}"), "stream_id": stream,
        "stream_type": stream.split('-').next().unwrap(), "event_type": event_type,
        "version": version, "schema_version": 1, "data": {"amount": position},
        "metadata": {"correlation_id": "c-1"}, "global_position": position,
        "recorded_at": "2026-01-15T10:30:00.123456Z",
    }))
    .unwrap()
}

fn stream(id: &str, version: u64) -> StreamInfo {
    StreamInfo {
        stream_id: id.into(),
        stream_type: id.split('-').next().unwrap().into(),
        version,
        created_at: crate::store::timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        updated_at: crate::store::timestamp::parse("2026-01-15T10:30:00Z").unwrap(),
        last_event_type: "MoneyDeposited".into(),
    }
}

/// The command line's text, while it is open.
pub(super) fn command_line(app: &App) -> Option<&str> {
    app.overlays.iter().rev().find_map(|o| match o {
        Overlay::CommandLine(line) => Some(line.text.as_str()),
        _ => None,
    })
}

/// The composer, while it is open.
pub(super) fn composer(app: &App) -> Option<&crate::tui::overlays::Composer> {
    app.overlays.iter().rev().find_map(|o| match o {
        Overlay::Composer(composer) => Some(&**composer),
        _ => None,
    })
}

/// A failure as the I/O layer reports one.
pub(super) fn failure(text: &str) -> IoError {
    IoError::Store(StoreError::Database(text.into()))
}

pub(super) fn app() -> App {
    let status = Status {
        store: "sqlite://demo.db".into(),
        ..Default::default()
    };
    let mut app = App::new(Keymap::default(), status, None);
    app.start();
    app.update(Msg::Io(Response::StreamRows(
        Fetch::First,
        vec![stream("Account-1", 42), stream("Order-7", 3)],
    )));
    app.update(Msg::Io(Response::LogRows(
        Fetch::First,
        (1..=5)
            .map(|p| event(p, "Account-1", p, "MoneyDeposited"))
            .collect(),
    )));
    app.update(Msg::Io(Response::Stats(StoreStats {
        events: 1_234_567,
        streams: 2,
        head_position: 5,
    })));
    app
}

/// The app after pressing `key` (a view's digit).
fn app_on(key: char) -> App {
    let mut app = app();
    press(&mut app, KeyCode::Char(key));
    app
}

pub(super) fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Input(Event::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))));
}

pub(super) fn screen(app: &App) -> String {
    screen_sized(app, 120, 24)
}

/// The app drawn in a terminal of `columns` x `rows`.
pub(super) fn screen_sized(app: &App, columns: u16, rows: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(columns, rows)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    crate::tui::harness::buffer_text(terminal.backend().buffer())
}

#[test]
fn streams_view_lists_streams_with_chrome() {
    let app = app();
    let text = screen(&app);
    assert!(
        text.contains("1 Streams") && text.contains("2 Log"),
        "{text}"
    );
    assert!(
        text.contains("Account-1") && text.contains("42") && text.contains("Order-7"),
        "{text}"
    );
    assert!(
        text.contains("Category") && text.contains("Last event"),
        "{text}"
    );
    assert!(
        text.contains("sqlite://demo.db · 1,234,567 events · 2 streams · head 5 · read-write"),
        "{text}"
    );
    assert!(text.contains("Enter open"), "{text}");
}

#[test]
fn log_view_shows_positions_and_the_new_events_badge() {
    let mut app = app();
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.screen, ScreenId::Log);
    let text = screen(&app);
    assert!(
        text.contains("Position")
            && text.contains("Account-1@3")
            && text.contains(r#"{"amount":3}"#),
        "{text}"
    );
    // The head moves: the badge waits for the count of matching events after the last
    // one shown (issue 16, bug 5: it was head minus the last position, filter or not).
    app.update(Msg::Io(Response::Head(9)));
    assert!(!screen(&app).contains("paused,"));
    app.update(Msg::Io(Response::NewInLog(NewCount::fresh(5, 4, false))));
    let text = screen(&app);
    assert!(text.contains("paused, 4 new (f follows)"), "{text}");
    // Under a filter only the matching ones count; a count at its cap says so.
    app.update(Msg::Io(Response::NewInLog(NewCount::fresh(5, 1, false))));
    assert!(screen(&app).contains("paused, 1 new (f follows)"));
    app.update(Msg::Io(Response::NewInLog(NewCount::fresh(
        5, 10_000, true,
    ))));
    assert!(screen(&app).contains("paused, 10000+ new"));
    // A count for an older last row is not shown.
    app.update(Msg::Io(Response::NewInLog(NewCount::fresh(4, 7, false))));
    assert!(!screen(&app).contains("paused,"));
}

#[test]
fn stream_view_shows_the_selected_event() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Stream);
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        vec![
            event(1, "Account-1", 1, "AccountOpened"),
            event(9, "Account-1", 2, "MoneyDeposited"),
        ],
    )));
    press(&mut app, KeyCode::Down);
    let text = screen(&app);
    assert!(text.contains("MoneyDeposited @ 2"), "{text}");
    assert!(
        text.contains("position 9") && text.contains("correlation_id: \"c-1\""),
        "{text}"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, ScreenId::Streams);
}

#[test]
fn help_lists_exactly_the_shown_views_keys_and_commands() {
    use crate::tui::screens::{GLOBAL_COMMANDS, GLOBAL_KEYS};
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    let text = screen(&app);
    assert!(text.contains("Streams · keys and commands"), "{text}");
    assert!(text.contains("filter the list") && !text.contains("play / pause"));
    // Each view's help lists its own keys (as bound now) and commands, and the app's.
    for key in ['1', '2', '3', '4', '5', '6', '7'] {
        let mut app = app_on(key);
        press(&mut app, KeyCode::Char('?'));
        let text = screen_sized(&app, 160, 70);
        let shown = app.current();
        for action in shown.keys().iter().chain(GLOBAL_KEYS) {
            assert!(
                text.contains(action.describe()),
                "{key}: {action:?}: {text}"
            );
            assert!(
                text.contains(&app.keymap.keys_for(*action)),
                "{key}: {action:?}: {text}"
            );
        }
        for kind in shown.commands() {
            assert!(text.contains(&kind.usage()), "{key}: {kind:?}: {text}");
        }
        // Each command once, though a view's may also be the app's.
        for kind in shown.commands().iter().chain(GLOBAL_COMMANDS) {
            let usage = format!("{}  ", kind.usage());
            assert_eq!(text.matches(&usage).count(), 1, "{key}: {kind:?}: {text}");
        }
    }
    // The workbench's: its editing keys and run commands, not the Streams view's.
    let mut bench = app_on('5');
    press(&mut bench, KeyCode::Char('?'));
    let text = screen_sized(&bench, 160, 70);
    for wanted in [
        "Ctrl-z",
        "Ctrl-y",
        ":breakif EXPR",
        ":runto P",
        ":new",
        ":search REGEX",
    ] {
        assert!(text.contains(wanted), "{wanted}: {text}");
    }
    assert!(!text.contains("sort streams"), "{text}");
    press(&mut app, KeyCode::Char('x'));
    assert!(!screen(&app).contains("keys and commands"));
}

#[test]
fn errors_show_in_the_status_line_and_never_crash() {
    let mut app = app();
    app.update(Msg::Io(Response::Failed(failure(
        "database error: disk I/O error",
    ))));
    assert!(screen(&app).contains("database error: disk I/O error"));
    press(&mut app, KeyCode::Char('f'));
    assert!(screen(&app).contains("f (follow new events live) does nothing in Streams"));
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn empty_store_says_so() {
    let status = Status {
        store: "sqlite://empty.db".into(),
        ..Default::default()
    };
    let mut app = App::new(Keymap::default(), status, None);
    app.start();
    app.update(Msg::Io(Response::StreamRows(Fetch::First, vec![])));
    assert!(screen(&app).contains("no streams yet"));
}

pub(super) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn the_command_line_filters_jumps_and_opens() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "ty");
    press(&mut app, KeyCode::Tab);
    assert_eq!(command_line(&app), Some("type "));
    type_text(&mut app, "MoneyDeposited");
    let text = screen(&app);
    assert!(
        text.contains(":type MoneyDeposited█") && text.contains("Tab completes"),
        "{text}"
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Log);
    assert_eq!(app.screens.log.filter.event_types, ["MoneyDeposited"]);
    app.update(Msg::Io(Response::LogRows(
        Fetch::First,
        vec![event(2, "Account-1", 2, "MoneyDeposited")],
    )));
    let text = screen(&app);
    assert!(
        text.contains("Log · type MoneyDeposited") && text.contains("Account-1@2"),
        "{text}"
    );

    // Digits and q type text while the command line is open.
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "position 12");
    assert_eq!(app.screen, ScreenId::Log);
    assert!(!app.quit);
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::LogRows(
        Fetch::From(11),
        vec![event(12, "Order-7", 1, "OrderCreated")],
    )));
    assert!(screen(&app).contains("Order-7@1"));

    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "stream Order-7");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        (
            app.screen,
            app.screens.stream.as_ref().map(|s| s.stream_id.as_str())
        ),
        (ScreenId::Stream, Some("Order-7"))
    );

    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "bogus");
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("unknown command :bogus"));
    press(&mut app, KeyCode::Char(':'));
    press(&mut app, KeyCode::Esc);
    assert!(command_line(&app).is_none());
}

#[test]
fn the_stream_view_shows_the_causation_chain_and_jumps_along_it() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    let placed = event(7, "Order-7", 3, "OrderPlaced");
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        vec![event(8, "Account-1", 1, "MoneyWithdrawn")],
    )));
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
        Some(placed),
        vec![event(9, "Audit-1", 1, "Noted")],
    )));
    let text = screen(&app);
    assert!(
        text.contains("caused by ([ jumps)") && text.contains("Order-7@3 OrderPlaced"),
        "{text}"
    );
    assert!(text.contains("Audit-1@1 Noted"), "{text}");
    press(&mut app, KeyCode::Char('['));
    assert_eq!(
        app.screens.stream.as_ref().map(|s| s.stream_id.as_str()),
        Some("Order-7")
    );
    assert!(
        app.screens.stream.as_ref().unwrap().window.is_loading(),
        "its events at version 3 are on their way"
    );
    press(&mut app, KeyCode::Char(']'));
    assert!(
        screen(&app).contains("no event chain here yet"),
        "the chain of the new selection is not known yet"
    );
}

#[test]
fn more_commands_version_category_messages() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "category Order");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        (app.screen, app.screens.streams.category.as_deref()),
        (ScreenId::Streams, Some("Order"))
    );
    app.update(Msg::Io(Response::StreamRows(
        Fetch::First,
        vec![stream("Order-7", 3)],
    )));
    assert!(screen(&app).contains("Streams · category Order"));

    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::StreamEvents(
        "Order-7".into(),
        Fetch::First,
        vec![event(3, "Order-7", 1, "OrderCreated")],
    )));
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "version 40");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.screens.stream.as_ref().unwrap().window.is_loading(),
        "jumping to version 40"
    );

    app.update(Msg::Io(Response::Failed(failure("first problem"))));
    app.update(Msg::Io(Response::Failed(failure("second problem"))));
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "messages");
    press(&mut app, KeyCode::Enter);
    let text = screen(&app);
    assert!(
        text.contains("Messages, newest first") && text.contains("first problem"),
        "{text}"
    );
    assert!(
        text.find("second problem") < text.rfind("first problem"),
        "newest first"
    );
    press(&mut app, KeyCode::Char('x'));
    assert!(!screen(&app).contains("Messages, newest first"));

    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "time yesterday");
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("is not a time"));
}

#[test]
fn the_mouse_scrolls_and_clicks_select() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app();
    let mouse = |kind, row| {
        Msg::Input(Event::Mouse(MouseEvent {
            kind,
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    };
    press(&mut app, KeyCode::Char('2'));
    screen(&app); // draws, placing the rows
    // Tabs (row 0), the table's border (1) and header (2): the first row is on screen row 3.
    app.update(mouse(MouseEventKind::Down(MouseButton::Left), 5));
    assert_eq!(app.screens.log.window.selected_index(), 2);
    assert!(screen(&app).contains("Account-1@3"));
    app.update(mouse(MouseEventKind::ScrollDown, 0));
    assert_eq!(
        app.screens.log.window.selected_index(),
        4,
        "clamped to the last row"
    );
    app.update(mouse(MouseEventKind::ScrollUp, 0));
    assert_eq!(app.screens.log.window.selected_index(), 1);
    // A click below the rows selects nothing.
    app.update(mouse(MouseEventKind::Down(MouseButton::Left), 20));
    assert_eq!(app.screens.log.window.selected_index(), 1);
}

#[test]
fn the_copy_menu_puts_the_choice_on_the_clipboard() {
    let mut app = app();
    press(&mut app, KeyCode::Char('y'));
    assert!(
        screen(&app).contains("select an event to copy"),
        "nothing to copy on the Streams view"
    );
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('y'));
    let text = screen(&app);
    assert!(
        text.contains("Copy (other keys close)") && text.contains("stream@version"),
        "{text}"
    );
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.clipboard.as_deref(), Some("Account-1@2"));
    assert!(screen(&app).contains("copied stream@version"));
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Char('1'));
    let copied: serde_json::Value =
        serde_json::from_str(app.clipboard.as_deref().unwrap()).unwrap();
    assert_eq!(
        (copied["global_position"].as_u64(), copied["data"].clone()),
        (Some(2), json!({"amount": 2}))
    );
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Esc);
    assert!(!matches!(app.overlays.last(), Some(Overlay::Copy(_))));
}

#[test]
fn streams_sort_by_name_or_last_activity() {
    let mut app = app();
    let text = screen(&app);
    assert!(text.contains("Streams · by name"), "{text}");
    press(&mut app, KeyCode::Char('s'));
    assert!(app.screens.streams.window.is_loading());
    app.update(Msg::Io(Response::StreamRows(
        Fetch::First,
        vec![stream("Order-7", 3), stream("Account-1", 42)],
    )));
    let text = screen(&app);
    assert!(text.contains("Streams · by last activity"), "{text}");
    assert!(text.find("Order-7") < text.find("Account-1"), "{text}");
}

#[test]
fn the_status_line_spins_while_work_is_under_way() {
    let mut app = app();
    assert!(!app.update(Msg::Tick), "no redraw when idle");
    assert!(!screen(&app).contains("working"));
    press(&mut app, KeyCode::Char('s'));
    assert!(app.update(Msg::Tick));
    let text = screen(&app);
    assert!(text.contains("◓ working"), "{text}");
}

#[test]
fn json_is_coloured_by_the_theme_and_mono_has_no_colour() {
    use ratatui::style::Color;
    let style_of = |app: &App, needle: &str| {
        let mut terminal = Terminal::new(TestBackend::new(120, 24)).unwrap();
        terminal.draw(|frame| app.render(frame)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        for y in 0..buffer.area.height {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect();
            if let Some(x) = line.find(needle) {
                let column = line[..x].chars().count() as u16;
                return buffer[(column, y)].fg;
            }
        }
        panic!("{needle} not on screen");
    };
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        vec![event(1, "Account-1", 1, "AccountOpened")],
    )));
    assert_eq!(style_of(&app, "correlation_id:"), Color::Cyan);
    app.theme = super::theme::Theme::named(crate::config::ThemeName::Mono);
    assert_eq!(style_of(&app, "correlation_id:"), Color::Reset);
}

#[test]
fn the_fuzzy_filter_shows_the_best_matches() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "ord");
    assert!(app.is_loading(), "searching");
    assert!(screen(&app).contains("/ord█"));
    app.update(Msg::Io(Response::FuzzyStreams {
        generation: 2,
        rows: vec![stream("Account-1", 1)],
        matched: 1,
    })); // outdated: ignored
    app.update(Msg::Io(Response::FuzzyStreams {
        generation: 3,
        rows: vec![stream("Order-7", 3)],
        matched: 1,
    }));
    let text = screen(&app);
    assert!(
        text.contains("Streams · matching \"ord\" (1)") && text.contains("Order-7"),
        "{text}"
    );
    assert!(!text.contains("Account-1 "), "{text}");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.overlays.is_empty() && app.screens.streams.fuzzy.is_some(),
        "Enter keeps the results"
    );
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Esc);
    assert!(app.screens.streams.fuzzy.is_none());
    assert!(
        app.screens.streams.window.is_loading(),
        "back to the full listing"
    );
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    assert!(screen(&app).contains("does nothing in Log"));
}

#[test]
fn a_stream_can_be_followed_live() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        vec![event(1, "Account-1", 1, "AccountOpened")],
    )));
    press(&mut app, KeyCode::Char('f'));
    assert!(app.current().following());
    app.update(Msg::Io(Response::Live(
        Some("Account-1".into()),
        vec![event(20, "Account-1", 2, "MoneyDeposited")],
    )));
    app.update(Msg::Io(Response::Live(
        Some("Other-1".into()),
        vec![event(21, "Other-1", 1, "Ignored")],
    )));
    let text = screen(&app);
    assert!(
        text.contains("MoneyDeposited @ 2"),
        "the selection follows the new event: {text}"
    );
    assert!(!text.contains("Ignored"));
    press(&mut app, KeyCode::Char('f'));
    assert!(!app.status.follow, "f again stops");
}

#[test]
fn the_streams_view_sparkline_shows_the_selected_stream_s_activity() {
    let mut app = app();
    assert!(screen(&app).contains(" Activity "));
    let days = vec![("2026-01-14".to_owned(), 3), ("2026-01-15".to_owned(), 9)];
    app.update(Msg::Io(Response::Activity("Account-1".into(), days)));
    let text = screen(&app);
    assert!(
        text.contains("Activity · events per active day, 2026-01-14 … 2026-01-15 · peak 9"),
        "{text}"
    );
    // Another stream's answer does not show for this one.
    press(&mut app, KeyCode::Down);
    app.update(Msg::Io(Response::Activity(
        "Account-1".into(),
        vec![("2026-01-01".to_owned(), 1)],
    )));
    assert!(!screen(&app).contains("peak"), "the selection moved on");
}

#[test]
fn tab_moves_between_a_stream_s_panes() {
    let mut app = app();
    press(&mut app, KeyCode::Tab);
    assert!(screen(&app).contains("does nothing in Streams"));
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        vec![event(1, "Account-1", 1, "A"), event(2, "Account-1", 2, "B")],
    )));
    assert!(
        screen(&app).contains("│position 1 "),
        "the detail starts at its top"
    );
    press(&mut app, KeyCode::Tab);
    assert!(screen(&app).contains("focused (Tab)"));
    // In the event pane, ↓ walks the tree: data, data/amount, metadata.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    let view = app.screens.stream.as_mut().unwrap();
    assert_eq!(view.window.selected_index(), 0, "the selection stays");
    assert_eq!(
        view.tree_mut().unwrap().cursor_pointer().as_deref(),
        Some("/metadata")
    );
    // Enter folds the node; r shows the raw JSON, which ↓ scrolls.
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("▸ metadata: {1}"), "{}", screen(&app));
    press(&mut app, KeyCode::Char('r'));
    assert!(screen(&app).contains("\"amount\": 1"));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.screens.stream.as_ref().unwrap().detail_scroll, 1);
    press(&mut app, KeyCode::Char('r'));
    // The copy menu's JSON path is the tree cursor's.
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Char('4'));
    assert_eq!(app.clipboard.as_deref(), Some("/metadata"));
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::Down);
    let view = app.screens.stream.as_ref().unwrap();
    assert_eq!((view.window.selected_index(), view.detail_scroll), (1, 0));
}

#[test]
fn stream_ids_complete_on_the_command_line() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "stream Acc");
    app.update(Msg::Io(Response::Completion(
        "Acc".into(),
        Some("Account-1".into()),
    )));
    assert_eq!(command_line(&app), Some("stream Account-1"));
    // An answer for an older prefix does not overwrite what was typed since.
    app.update(Msg::Io(Response::Completion(
        "Ac".into(),
        Some("Account-9".into()),
    )));
    assert_eq!(command_line(&app), Some("stream Account-1"));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "stream Zz");
    press(&mut app, KeyCode::Tab);
    app.update(Msg::Io(Response::Completion("Zz".into(), None)));
    assert!(screen(&app).contains("no stream starts with \"Zz\""));
}

#[test]
fn several_effects_open_a_picker_each_one_a_jump() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        vec![event(8, "Account-1", 1, "Placed")],
    )));
    let selected = app
        .screens
        .stream
        .as_ref()
        .unwrap()
        .window
        .selected()
        .unwrap()
        .event_id;
    let effects = vec![
        event(9, "Audit-1", 1, "Noted"),
        event(10, "Mail-1", 4, "Sent"),
    ];
    app.update(Msg::Io(Response::Chain(selected, None, effects)));
    press(&mut app, KeyCode::Char(']'));
    let text = screen(&app);
    assert!(
        text.contains("Jump to an effect") && text.contains("2 Mail-1@4 Sent"),
        "{text}"
    );
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(
        app.screens.stream.as_ref().map(|s| s.stream_id.as_str()),
        Some("Mail-1")
    );
    press(&mut app, KeyCode::Char('['));
    assert!(
        screen(&app).contains("no event chain here yet"),
        "the new event's chain is not known yet"
    );
}

/// A failed export (issue 16, bug 4) ends the export: the status line says why, it is kept
/// in `:messages`, "exporting" goes away, and the next export may start.
#[test]
fn a_failed_export_frees_the_next() {
    let mut app = app();
    app.exporting = Some(0);
    assert!(screen(&app).contains("exporting: 0 events"));
    app.update(Msg::Io(Response::ExportFailed(
        crate::tui::io::IoError::file(
            "create",
            std::path::Path::new("/nope/x.jsonl.partial"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ),
    )));
    assert_eq!(app.exporting, None);
    let text = screen(&app);
    assert!(!text.contains("exporting:"), "{text}");
    assert!(text.contains("export failed"), "{text}");
    assert!(
        app.messages
            .iter()
            .any(|m| m.contains("cannot create /nope"))
    );
}

/// The fuzzy filter keeps the best 200 matches and says how many there were in all
/// (issue 16, bug 12: it said "(200)").
#[test]
fn the_fuzzy_filter_says_how_many_matched_in_all() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "a");
    // One key typed: the first search.
    let generation = 1;
    let best: Vec<StreamInfo> = (0..crate::tui::io::FUZZY_RESULTS)
        .map(|n| stream(&format!("Account-{n}"), 1))
        .collect();
    app.update(Msg::Io(Response::FuzzyStreams {
        generation,
        rows: best,
        matched: 424,
    }));
    let text = screen(&app);
    assert!(text.contains("matching \"a\" (200 of 424)"), "{text}");
}

/// The footer names the keys of the key map (issue 16, bug 15): after `quit = "x"` it
/// says `x quit`, `q` does nothing, `x` quits.
#[test]
fn the_footer_follows_the_key_map() {
    let keys = std::collections::BTreeMap::from([
        ("quit".to_owned(), "x".to_owned()),
        ("log".to_owned(), "L".to_owned()),
    ]);
    let mut app = App::new(
        Keymap::with_overrides(&keys).unwrap(),
        Status::default(),
        None,
    );
    app.start();
    let text = screen(&app);
    assert!(
        text.contains("x quit") && !text.contains("q quit"),
        "{text}"
    );
    assert!(text.contains("L log") && !text.contains("2 log"), "{text}");
    assert!(
        text.contains("↑↓ move · Enter open · / filter · s sort · g/G first/last"),
        "{text}"
    );
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('x'));
    assert!(app.quit);
}

/// `G` in a paused Log fetches the newest events (issue 16, bug 13: it stopped at the end
/// of what was loaded before they arrived).
#[test]
fn last_in_a_paused_log_reaches_the_newest_events() {
    let mut app = app_on('2');
    app.update(Msg::Io(Response::Head(9)));
    press(&mut app, KeyCode::Char('G'));
    // The last page is asked for again; its answer (newest first) is shown, G's row last.
    app.update(Msg::Io(Response::LogRows(
        Fetch::Last,
        (1..=9)
            .rev()
            .map(|p| event(p, "Account-1", p, "MoneyDeposited"))
            .collect(),
    )));
    let selected = app.screens.log.window.selected().map(|e| e.global_position);
    assert_eq!(selected, Some(9), "the newest event is selected");
    assert!(screen(&app).contains("Account-1@9"));
}

/// An append by the composer shows in the open stream at once (issue 16, bug 10: only
/// after `f`).
#[test]
fn a_composed_event_shows_in_the_open_stream() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        vec![
            event(1, "Account-1", 1, "AccountOpened"),
            event(9, "Account-1", 2, "MoneyDeposited"),
        ],
    )));
    app.update(Msg::Io(Response::Appended(Ok(event(
        12,
        "Account-1",
        3,
        "MoneyWithdrawn",
    )))));
    let view = app.screens.stream.as_ref().unwrap();
    assert!(
        view.window.is_loading(),
        "the stream's last page is read again"
    );
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::Last,
        vec![
            event(12, "Account-1", 3, "MoneyWithdrawn"),
            event(9, "Account-1", 2, "MoneyDeposited"),
            event(1, "Account-1", 1, "AccountOpened"),
        ],
    )));
    assert!(screen(&app).contains("MoneyWithdrawn"));
}

/// The Streams list, read from its top, reads its first page again when the head moves
/// (issue 16, bug 11: by last activity it stayed as first loaded).
#[test]
fn the_streams_list_refreshes_on_appends() {
    let mut app = app();
    press(&mut app, KeyCode::Char('s'));
    app.update(Msg::Io(Response::StreamRows(
        Fetch::First,
        vec![stream("Order-7", 3), stream("Account-1", 42)],
    )));
    assert!(!app.screens.streams.window.is_loading());
    app.update(Msg::Io(Response::Head(6)));
    assert!(app.screens.streams.window.is_loading(), "asked again");
    app.update(Msg::Io(Response::StreamRows(
        Fetch::First,
        vec![
            stream("Fresh-1", 1),
            stream("Order-7", 3),
            stream("Account-1", 42),
        ],
    )));
    assert!(screen(&app).contains("Fresh-1"));
    // Moved down the list: left as it is.
    press(&mut app, KeyCode::Down);
    app.update(Msg::Io(Response::Head(7)));
    assert!(!app.screens.streams.window.is_loading());
}

/// Messages are readable at 80x24 and kept in `:messages` (issue 16, bug 8: the status
/// line was cut before them, and paths that set only the status line left `:messages`
/// empty).
#[test]
fn messages_are_readable_at_80_columns_and_kept() {
    let status = Status {
        store: "postgres://someone@db.example.com:5432/orders · Message DB".into(),
        read_only: true,
        write_hint: Some("Message DB: rewind never writes here".into()),
        notices: vec!["Message DB keeps no transaction id: log read by position".into()],
        ..Default::default()
    };
    let mut app = App::new(Keymap::default(), status, None);
    app.start();
    press(&mut app, KeyCode::Char('a'));
    let narrow = |app: &App| screen_sized(app, 80, 24);
    let text = narrow(&app);
    assert!(
        text.contains("the composer is off: the store is read-only"),
        "{text}"
    );
    // A message set by a path that did not push it itself is kept too.
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "version x");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "messages");
    press(&mut app, KeyCode::Enter);
    let text = narrow(&app);
    assert!(text.contains("the composer is off"), "{text}");
    assert!(!text.contains("no messages"), "{text}");
}

/// The paused Log's count goes on from where the last one ended: a count that follows on
/// adds to it; one that does not is dropped.
#[test]
fn new_event_counts_add_up() {
    let first = NewCount {
        shown: 5,
        from: 5,
        count: 3,
        last: 9,
        capped: false,
    };
    let next = NewCount {
        from: 9,
        count: 2,
        last: 12,
        ..first
    };
    let total = first.then(next, 10_000).unwrap();
    assert_eq!((total.count, total.last, total.capped), (5, 12, false));
    assert_eq!(first.then(NewCount { from: 7, ..next }, 10_000), None);
    let capped = first.then(next, 4).unwrap();
    assert_eq!((capped.count, capped.capped), (4, true));
}

#[test]
fn where_filters_the_log_and_the_open_stream_and_clear_lifts_it() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(
        &mut app,
        "where data.amount > 5 and type = 'MoneyDeposited'",
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Log);
    let matching = app.screens.log.filter.matching.as_ref().expect("a filter");
    assert_eq!(
        matching.source(),
        "data.amount > 5 and type = 'MoneyDeposited'"
    );
    app.update(Msg::Io(Response::LogRows(
        Fetch::First,
        vec![event(9, "Account-1", 2, "MoneyDeposited")],
    )));
    let text = screen_sized(&app, 140, 30);
    assert!(
        text.contains("Log · where data.amount > 5 and type = 'MoneyDeposited'"),
        "{text}"
    );
    // A mistake names its column (in the expression) and changes nothing.
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "where data.amount >");
    press(&mut app, KeyCode::Enter);
    let text = screen_sized(&app, 140, 30);
    assert!(
        text.contains(":where: column 14: expected a value"),
        "{text}"
    );
    assert!(app.screens.log.filter.matching.is_some());

    // In a stream, :where filters its events; :clear lifts it and stays there.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Stream);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "where data.amount >= 100");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Stream);
    let stream = app.screens.stream.as_ref().unwrap();
    assert_eq!(
        stream.matching.as_ref().map(|m| m.source()),
        Some("data.amount >= 100")
    );
    app.update(Msg::Io(Response::StreamEvents(
        "Account-1".into(),
        Fetch::First,
        Vec::new(),
    )));
    let text = screen_sized(&app, 140, 30);
    assert!(
        text.contains("Account-1 · where data.amount >= 100")
            && text.contains("no events match (:clear removes the filter)"),
        "{text}"
    );
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "clear");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::Stream);
    assert!(app.screens.stream.as_ref().unwrap().matching.is_none());
}

#[test]
fn the_help_in_two_columns_keeps_each_column_in_its_half() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    let text = screen_sized(&app, 120, 30);
    let lines: Vec<&str> = text.lines().collect();
    // The right column's keys end at one column, whatever their length.
    let end_of = |needle: &str| {
        let line = lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {text}"));
        line.chars().count() - line[line.find(needle).unwrap()..].chars().count()
            + needle.chars().count()
    };
    assert_eq!(end_of("q Ctrl-c"), end_of(":messages"), "{text}");
    assert_eq!(end_of(":clear"), end_of(":asof CATEGORY TIME|@P"), "{text}");
    // A description too long for its half is cut with an ellipsis, not by the border.
    assert!(text.contains("…│"), "{text}");
    assert!(text.contains("every message of this session"), "{text}");
}
