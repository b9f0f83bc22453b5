//! A temporal query across streams (`:asof CATEGORY TIME` or `:asof CATEGORY @POSITION`):
//! each stream of a category with its version and state at one moment; `←`/`→` move the
//! moment (a day, or 1,000 positions) and every row with it. A page of streams at a time.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

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
    /// The page's first stream follows this one (None: the first page).
    pub page_after: Option<String>,
    /// Where earlier pages started, for paging back.
    pub earlier_pages: Vec<Option<String>>,
    pub rows: Vec<AsOfRow>,
    pub selected: usize,
    pub generation: u64,
    pub loading: bool,
}

/// Streams a page.
pub const AS_OF_PAGE: usize = 25;

impl AsOfView {
    pub fn new(category: String, moment: Moment) -> AsOfView {
        AsOfView {
            category,
            moment,
            page_after: None,
            earlier_pages: Vec::new(),
            rows: Vec::new(),
            selected: 0,
            generation: 0,
            loading: false,
        }
    }

    /// A new question (moment or page) is about to be asked: its generation.
    pub fn ask(&mut self) -> u64 {
        self.generation += 1;
        self.loading = true;
        self.generation
    }

    pub fn arrived(&mut self, generation: u64, rows: Vec<AsOfRow>) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        self.rows = rows;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Moves to the next page; false when this one is the last.
    pub fn next_page(&mut self) -> bool {
        if self.rows.len() < AS_OF_PAGE {
            return false;
        }
        let Some(last) = self.rows.last() else {
            return false;
        };
        self.earlier_pages.push(self.page_after.take());
        self.page_after = Some(last.stream_id.clone());
        self.selected = 0;
        true
    }

    pub fn previous_page(&mut self) -> bool {
        match self.earlier_pages.pop() {
            Some(start) => {
                self.page_after = start;
                self.selected = 0;
                true
            }
            None => false,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, _theme: &Theme) {
        let width = area.width.saturating_sub(40).max(12) as usize;
        let rows = self
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
            selected: self.selected,
            empty: if self.loading {
                "loading…"
            } else {
                "no streams in this category"
            },
        }
        .render(frame, area);
    }
}
