//! The terminal UI: one update loop over messages (input from crossterm's event stream,
//! and the answers of background queries), rendering only when something changed. The terminal is restored on exit, on
//! error and on panic (ratatui's init installs the hook).

mod app;
mod fetch;
pub mod harness;
pub mod keymap;
pub mod theme;
pub(crate) mod views;
pub mod widgets;
mod window;
mod workbench_session;

use std::io;

use tokio::sync::mpsc;

pub use app::{App, Msg, Screen, Status};

/// A new projection's text (`all`, `category`, `partition`); empty for an unknown name.
pub fn workbench_template(name: &str) -> &'static str {
    views::workbench::template(name).unwrap_or_default()
}

use crate::store::{SourceKind, Store};

/// Runs the TUI on the terminal until the user quits.
pub async fn run(
    store: Store,
    config: crate::config::Config,
    keymap: keymap::Keymap,
    theme: theme::Theme,
    store_name: String,
    workbench: Option<(String, Option<std::path::PathBuf>)>,
) -> io::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let capabilities = store.capabilities();
    let store_name = match capabilities.kind {
        SourceKind::Rewind => store_name,
        _ => format!("{store_name} · {}", capabilities.kind_title),
    };
    let status = Status {
        store: store_name,
        read_only: !capabilities.writable,
        write_hint: store.capabilities().write_refusal.clone(),
        notices: store.notices(),
        ..Default::default()
    };
    let fetcher = fetch::Fetcher::new(store, tx.clone()).with_replay(fetch::Replay::new(config));
    let head_task = fetcher.watch_head();
    let mut app = App::new(keymap, status, Some(fetcher));
    app.theme = theme;
    let mut terminal = ratatui::try_init()?;
    mouse_capture(true)?;
    let ticks = tokio::spawn({
        let tx = tx.clone();
        async move {
            let mut beat = tokio::time::interval(std::time::Duration::from_millis(120));
            while tx.send(Msg::Tick).is_ok() {
                beat.tick().await;
            }
        }
    });
    let input = spawn_input(tx);
    app.start();
    if let Some((text, path)) = workbench {
        app.open_workbench(&text, path);
    }
    let result = async {
        terminal.draw(|frame| app.render(frame))?;
        while let Some(msg) = rx.recv().await {
            let mut dirty = app.update(msg);
            // Take whatever else is waiting before drawing once.
            while let Ok(msg) = rx.try_recv() {
                dirty |= app.update(msg);
            }
            if app.quit {
                break;
            }
            if let Some(text) = app.clipboard.take() {
                // OSC 52: the terminal puts it on the clipboard (also over ssh).
                crossterm::execute!(
                    io::stdout(),
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                )?;
            }
            if dirty {
                terminal.draw(|frame| app.render(frame))?;
            }
        }
        Ok::<(), io::Error>(())
    }
    .await;
    head_task.abort();
    ticks.abort();
    input.abort();
    mouse_capture(false)?;
    ratatui::try_restore()?;
    result
}

/// Turns mouse reporting on or off. On, a panic turns it off again before ratatui's hook
/// restores the rest of the terminal.
fn mouse_capture(on: bool) -> io::Result<()> {
    use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
    if on {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(io::stdout(), DisableMouseCapture);
            previous(info);
        }));
        crossterm::execute!(io::stdout(), EnableMouseCapture)
    } else {
        crossterm::execute!(io::stdout(), DisableMouseCapture)
    }
}

/// Terminal input from crossterm's event stream, forwarded as messages by a task.
fn spawn_input(tx: mpsc::UnboundedSender<Msg>) -> tokio::task::JoinHandle<()> {
    use futures_core::Stream;
    tokio::spawn(async move {
        let mut events = std::pin::pin!(crossterm::event::EventStream::new());
        while let Some(Ok(event)) = std::future::poll_fn(|cx| events.as_mut().poll_next(cx)).await {
            if tx.send(Msg::Input(event)).is_err() {
                break;
            }
        }
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_composer;
#[cfg(test)]
mod tests_travel;
#[cfg(test)]
mod tests_workbench;
