//! A temporal query across streams (`:asof CATEGORY TIME` or `:asof CATEGORY @POSITION`):
//! each stream of a category with its version and state at one moment; `←`/`→` move the
//! moment (a day, or 1,000 positions) and every row with it. A page of streams at a time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

use super::{BACK, DrawContext, HELP, Hint, Place, Screen, ScreenId};
use crate::replay::Target;
use crate::tui::chrome::{ListTable, one_line};
use crate::tui::command::CommandKind;
use crate::tui::effect::Effects;
use crate::tui::io::{AS_OF_PAGE, AsOfRow, Moment, Request, Response};
use crate::tui::keymap::Action;
use crate::tui::widgets::paged::PagedRows;

pub struct AsOfScreen {
    pub category: String,
    pub moment: Moment,
    /// A page of the category's streams at the moment.
    pub list: PagedRows<AsOfRow, String>,
}

impl AsOfScreen {
    /// The query, its first page asked for in `fx`.
    pub fn open(category: String, moment: Moment, fx: &mut Effects) -> AsOfScreen {
        let mut screen = AsOfScreen {
            category,
            moment,
            list: PagedRows::new(AS_OF_PAGE, |r: &AsOfRow| r.stream_id.clone()),
        };
        screen.fetch(fx);
        screen
    }

    fn fetch(&mut self, fx: &mut Effects) {
        let generation = self.list.ask();
        fx.request(Request::AsOf {
            category: self.category.clone(),
            moment: self.moment,
            after: self.list.page_after.clone(),
            generation,
        });
    }
}

impl Screen for AsOfScreen {
    fn id(&self) -> ScreenId {
        ScreenId::AsOf
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        match action {
            Action::Previous | Action::Next => {
                self.moment = self.moment.step(action == Action::Next);
                self.fetch(fx);
            }
            Action::Up => self.list.move_selection(-1),
            Action::Down => self.list.move_selection(1),
            Action::First => self.list.move_selection(isize::MIN / 2),
            Action::Last => self.list.move_selection(isize::MAX / 2),
            Action::PageDown => {
                if self.list.next_page() {
                    self.fetch(fx);
                }
            }
            Action::PageUp => {
                if self.list.previous_page() {
                    self.fetch(fx);
                }
            }
            Action::Open => match self.list.selected_row() {
                Some(row) => fx.open(Place::Travel {
                    stream: row.stream_id.clone(),
                    target: Target::Version(row.version),
                }),
                None => fx.say("no stream selected"),
            },
            _ => return false,
        }
        true
    }

    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::AsOf(generation, Ok(rows)) => self.list.arrived(generation, rows),
            Response::AsOf(generation, Err(e)) => {
                self.list.arrived(generation, Vec::new());
                fx.say(format!(":asof {}: {e}", self.category));
            }
            other => return Some(other),
        }
        None
    }

    fn busy(&self) -> bool {
        self.list.loading
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _cx: &DrawContext) {
        self.render(frame, area);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            Hint::Keys(
                &[(Action::Previous, "←"), (Action::Next, "→")],
                "",
                "moment",
            ),
            Hint::Keys(&[(Action::Up, "↑"), (Action::Down, "↓")], "", "move"),
            Hint::Keys(
                &[(Action::PageUp, "PgUp"), (Action::PageDown, "PgDn")],
                "/",
                "pages",
            ),
            Hint::Keys(&[(Action::Open, "Enter")], "", "time travel"),
            BACK,
            HELP,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[
            Previous, Next, Up, Down, First, Last, PageUp, PageDown, Open,
        ]
    }

    fn commands(&self) -> &'static [CommandKind] {
        &[CommandKind::AsOf]
    }

    fn stream_in_context(&self) -> Option<String> {
        self.list.selected_row().map(|r| r.stream_id.clone())
    }

    fn travel_target(&self) -> Option<(String, Target)> {
        self.list
            .selected_row()
            .map(|r| (r.stream_id.clone(), Target::Version(r.version)))
    }
}

impl AsOfScreen {
    fn render(&self, frame: &mut Frame, area: Rect) {
        let width = area.width.saturating_sub(40).max(12) as usize;
        let rows = self
            .list
            .rows
            .iter()
            .map(|r| {
                Row::new(vec![
                    r.stream_id.clone(),
                    r.version.to_string(),
                    one_line(&r.state, width),
                ])
            })
            .collect();
        ListTable {
            title: format!(
                " {} streams {} · streams that did not exist yet are left out ",
                self.category,
                self.moment.describe()
            ),
            header: vec!["Stream", "Version", "State"],
            widths: vec![
                Constraint::Length(24),
                Constraint::Length(8),
                Constraint::Fill(1),
            ],
            rows,
            selected: self.list.selected,
            empty: if self.list.loading {
                "loading…"
            } else {
                "no streams in this category"
            },
        }
        .render(frame, area);
    }
}
