//! The terminal UI: one update loop over messages (input from crossterm's event stream,
//! and the answers of background queries), rendering only when something changed. The terminal is restored on exit, on
//! error and on panic (ratatui's init installs the hook).

mod app;
mod chrome;
mod command;
mod effect;
pub mod harness;
pub mod io;
pub mod keymap;
mod overlays;
mod place;
pub mod screens;
pub mod theme;
pub mod widgets;

use std::io as stdio;

use tokio::sync::mpsc;

pub use app::{App, Msg};
pub use chrome::Status;
pub use place::ScreenId;

/// A new projection's text (`all`, `category`, `partition`); empty for an unknown name.
pub fn workbench_template(name: &str) -> &'static str {
    screens::workbench::template(name).unwrap_or_default()
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
) -> stdio::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (io_tx, mut io_rx) = mpsc::unbounded_channel();
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
    let io = io::Io::new(store, config, io_tx);
    let mut app = App::new(keymap, status, Some(io));
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
        loop {
            let msg = tokio::select! {
                msg = rx.recv() => msg,
                response = io_rx.recv() => response.map(Msg::Io),
            };
            let Some(msg) = msg else { break };
            let mut dirty = app.update(msg);
            // Take whatever else is waiting before drawing once.
            while let Ok(msg) = rx.try_recv() {
                dirty |= app.update(msg);
            }
            while let Ok(response) = io_rx.try_recv() {
                dirty |= app.update(Msg::Io(response));
            }
            if app.quit {
                break;
            }
            if let Some(text) = app.clipboard.take() {
                // OSC 52: the terminal puts it on the clipboard (also over ssh).
                crossterm::execute!(
                    stdio::stdout(),
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                )?;
            }
            if dirty {
                terminal.draw(|frame| app.render(frame))?;
            }
        }
        Ok::<(), stdio::Error>(())
    }
    .await;
    drop(app);
    ticks.abort();
    input.abort();
    mouse_capture(false)?;
    ratatui::try_restore()?;
    result
}

/// Turns mouse reporting on or off. On, a panic turns it off again before ratatui's hook
/// restores the rest of the terminal.
fn mouse_capture(on: bool) -> stdio::Result<()> {
    use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
    if on {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(stdio::stdout(), DisableMouseCapture);
            previous(info);
        }));
        crossterm::execute!(stdio::stdout(), EnableMouseCapture)
    } else {
        crossterm::execute!(stdio::stdout(), DisableMouseCapture)
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
