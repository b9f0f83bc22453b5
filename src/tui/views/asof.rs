//! A temporal query across streams (`:asof CATEGORY TIME` or `:asof CATEGORY @POSITION`):
//! each stream of a category with its version and state at one moment; `←`/`→` move the
//! moment (a day, or 1,000 positions) and every row with it. A page of streams at a time.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

use super::paged::PagedRows;
use super::{ListTable, one_line};
use crate::store::{Position, Version};
use crate::tui::theme::Theme;

/// The moment asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Time(DateTime<Utc>),
    Position(Position),
}

impl Moment {
    /// One step later (`forward`) or earlier.
    pub fn step(self, forward: bool) -> Moment {
        match self {
            Moment::Time(t) => Moment::Time(if forward {
                t + chrono::Duration::days(1)
            } else {
                t - chrono::Duration::days(1)
            }),
            Moment::Position(p) => Moment::Position(if forward {
                p.saturating_add(1000)
            } else {
                p.saturating_sub(1000)
            }),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Moment::Time(t) => format!("as of {}", t.format("%Y-%m-%d %H:%M:%S UTC")),
            Moment::Position(p) => format!("as of position {p}"),
        }
    }
}

/// One stream at the moment.
#[derive(Debug, Clone, PartialEq)]
pub struct AsOfRow {
    pub stream_id: String,
    pub version: Version,
    /// The state, compact JSON.
    pub state: String,
}

pub struct AsOfView {
    pub category: String,
    pub moment: Moment,
    /// A page of the category's streams at the moment.
    pub list: PagedRows<AsOfRow, String>,
}

/// Streams a page.
pub const AS_OF_PAGE: usize = 25;

impl AsOfView {
    pub fn new(category: String, moment: Moment) -> AsOfView {
        AsOfView {
            category,
            moment,
            list: PagedRows::new(AS_OF_PAGE, |r: &AsOfRow| r.stream_id.clone()),
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, _theme: &Theme) {
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
                " {} streams {} · ←/→ move the moment · PgDn/PgUp pages ",
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
