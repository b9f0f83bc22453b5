//! Types (`6`): every event type with its count, schema versions and whether its shape
//! held; beside it the selected type's categories, times and, per schema version, each
//! field's JSON types, presence and an example, with shape changes that came without a
//! bump flagged. Enter opens the first changed event (or the type's first event).
//! The catalog is read in the background, incrementally; `R` brings it up to date.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Wrap};

use super::{BACK, DrawContext, HELP, Hint, MOVE, Place, Screen, ScreenId, moved, step_of};
use crate::catalog::{Catalog, Drift, EventRef, TypeEntry, presence as share};
use crate::store::timestamp;
use crate::tui::chrome::{ListTable, group};
use crate::tui::effect::Effects;
use crate::tui::io::{Request, Response};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;

#[derive(Default)]
pub struct TypesScreen {
    pub catalog: Option<Arc<Catalog>>,
    pub loading: bool,
    pub selected: usize,
    /// Lines the detail pane is scrolled by.
    pub detail_scroll: u16,
    /// The catalog's shape changes (type, schema version, change), oldest first: worked
    /// out once when the catalog arrives, not on every frame.
    drifts: Vec<(String, u32, Drift)>,
}

impl TypesScreen {
    /// Reads the catalog when the view is first shown.
    pub fn shown(&mut self, fx: &mut Effects) {
        if self.catalog.is_none() && !self.loading {
            self.refresh(fx);
        }
    }

    fn refresh(&mut self, fx: &mut Effects) {
        self.loading = true;
        fx.request(Request::Types);
    }

    fn entry(&self) -> Option<(&String, &TypeEntry)> {
        self.catalog.as_ref()?.types.iter().nth(self.selected)
    }

    /// The shape changes of type `name` (at `version`, or at any).
    fn drifts_of<'a>(
        &'a self,
        name: &'a str,
        version: Option<u32>,
    ) -> impl Iterator<Item = &'a Drift> + 'a {
        self.drifts
            .iter()
            .filter(move |(t, v, _)| t == name && version.is_none_or(|want| want == *v))
            .map(|(_, _, d)| d)
    }

    fn len(&self) -> usize {
        self.catalog.as_ref().map_or(0, |c| c.types.len())
    }

    /// The event Enter opens: the first shape change, else the type's first event.
    fn target(&self) -> Option<EventRef> {
        let (name, entry) = self.entry()?;
        self.drifts_of(name, None)
            .next()
            .map(|d| d.event.clone())
            .or_else(|| entry.first_event.clone())
    }

    fn detail(&self, theme: &Theme) -> Vec<Line<'static>> {
        let Some((name, entry)) = self.entry() else {
            return vec![Line::styled("no event types", theme.muted)];
        };
        let time = |t: &Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or_else(String::new, |t| timestamp::format(&t))
        };
        let categories: Vec<String> = entry
            .categories
            .iter()
            .map(|(c, n)| format!("{c} {}", group(*n)))
            .collect();
        let mut lines = vec![
            Line::from(vec![
                Span::styled(name.clone(), theme.accent),
                Span::raw(format!(" · {} events", group(entry.count))),
            ]),
            Line::raw(format!("categories  {}", categories.join(", "))),
            Line::raw(format!(
                "recorded    {} … {}",
                time(&entry.first_recorded),
                time(&entry.last_recorded)
            )),
        ];
        if let Some(first) = &entry.first_event {
            lines.push(Line::raw(format!(
                "first       {}@{} (position {})",
                first.stream_id, first.version, first.position
            )));
        }
        for (version, shape) in &entry.shapes {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("schema_version {version} · {} events", group(shape.count)),
                theme.key,
            ));
            for drift in self.drifts_of(name, Some(*version)) {
                lines.push(Line::styled(
                    format!(
                        "⚠ {} {} at {}@{} (position {}) without a bump · Enter opens it",
                        drift.field,
                        drift.change,
                        drift.event.stream_id,
                        drift.event.version,
                        drift.event.position
                    ),
                    theme.removed,
                ));
            }
            for (path, field) in &shape.fields {
                let types: Vec<String> = field.types.keys().cloned().collect();
                let mut spans = vec![
                    Span::raw(format!(
                        "  {path:<26} {:>6}  {:<10} ",
                        share(field.present, shape.count),
                        types.join("|")
                    )),
                    Span::styled(format!("e.g. {}", field.example), theme.muted),
                ];
                if field.blobs > 0 {
                    spans.push(Span::styled(
                        format!("  ⚠ {} blob-like", field.blobs),
                        theme.removed,
                    ));
                }
                lines.push(Line::from(spans));
            }
            if shape.more_fields > 0 {
                lines.push(Line::styled(
                    format!("  … {} more fields not described", shape.more_fields),
                    theme.muted,
                ));
            }
        }
        lines
    }
}

impl Screen for TypesScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Types
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        if let Some(step) = step_of(action) {
            self.selected = moved(self.selected, self.len(), step);
            self.detail_scroll = 0;
            return true;
        }
        match action {
            Action::Open => match self.target() {
                Some(event) => fx.open(Place::Stream {
                    stream: event.stream_id,
                    version: Some(event.version),
                }),
                None => fx.say("no event type selected"),
            },
            Action::Refresh => self.refresh(fx),
            Action::NextPane => self.detail_scroll = self.detail_scroll.saturating_add(10),
            Action::PrevPane => self.detail_scroll = self.detail_scroll.saturating_sub(10),
            _ => return false,
        }
        true
    }

    fn response(&mut self, response: Response, _fx: &mut Effects) -> Option<Response> {
        match response {
            Response::Types(catalog) => {
                self.loading = false;
                self.selected = self.selected.min(catalog.types.len().saturating_sub(1));
                self.drifts = catalog.drifts();
                self.catalog = Some(catalog);
                None
            }
            other => Some(other),
        }
    }

    fn busy(&self) -> bool {
        self.loading
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawContext) {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(area);
        let rows = self
            .catalog
            .iter()
            .flat_map(|c| c.types.iter())
            .map(|(name, entry)| {
                let drifts = self.drifts_of(name, None).count();
                let versions: Vec<String> = entry.shapes.keys().map(u32::to_string).collect();
                let shape = if drifts == 0 {
                    Span::styled("steady", cx.theme.muted)
                } else {
                    Span::styled(format!("⚠ {drifts} changed"), cx.theme.removed)
                };
                Row::new(vec![
                    Line::raw(name.clone()),
                    Line::raw(group(entry.count)),
                    Line::raw(versions.join(",")),
                    Line::from(shape),
                ])
            })
            .collect();
        let title = match (&self.catalog, self.loading) {
            (_, true) => " Types · reading the log… ".to_owned(),
            (Some(c), false) => format!(
                " Types · {} types · {} events read ",
                c.types.len(),
                group(c.events)
            ),
            (None, false) => " Types ".to_owned(),
        };
        ListTable {
            title,
            header: vec!["Type", "Events", "Versions", "Shape"],
            widths: vec![
                Constraint::Fill(1),
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(12),
            ],
            rows,
            selected: self.selected,
            empty: if self.loading {
                "reading the log…"
            } else {
                "no events yet"
            },
        }
        .render(frame, list);
        let title = self.entry().map_or(" Type ".to_owned(), |(name, _)| {
            format!(" {name} · Tab scrolls ")
        });
        frame.render_widget(
            Paragraph::new(self.detail(cx.theme))
                .wrap(Wrap { trim: false })
                .scroll((self.detail_scroll, 0))
                .block(Block::bordered().title(title)),
            detail,
        );
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            MOVE,
            Hint::Keys(&[(Action::Open, "Enter")], "", "first changed event"),
            Hint::Keys(&[(Action::NextPane, "Tab")], "", "scroll"),
            Hint::Keys(&[(Action::Refresh, "R")], "", "read new events"),
            BACK,
            HELP,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[
            Up, Down, PageUp, PageDown, First, Last, Open, NextPane, PrevPane, Refresh,
        ]
    }
}
