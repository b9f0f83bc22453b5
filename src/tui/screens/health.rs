//! Health (`7`): the doctor's findings, errors first, each with the events it names; Tab
//! moves to those events, Enter opens the one selected in its stream. The doctor runs in
//! the background when the view is first shown; `R` runs it again.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Wrap};

use super::{BACK, DrawContext, HELP, Hint, MOVE, Place, Screen, ScreenId, moved, step_of};
use crate::doctor::{Finding, Level, Report};
use crate::tui::chrome::{ListTable, group};
use crate::tui::effect::Effects;
use crate::tui::io::{Request, Response};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;

#[derive(Default)]
pub struct HealthScreen {
    pub report: Option<Arc<Report>>,
    pub running: bool,
    pub selected: usize,
    /// The event selected among the finding's (Tab moves the keys there).
    pub event: usize,
    pub events_focused: bool,
}

impl HealthScreen {
    /// Runs the doctor when the view is first shown.
    pub fn shown(&mut self, fx: &mut Effects) {
        if self.report.is_none() && !self.running {
            self.run(fx);
        }
    }

    fn run(&mut self, fx: &mut Effects) {
        self.running = true;
        fx.request(Request::Doctor);
    }

    fn finding(&self) -> Option<&Finding> {
        self.report.as_ref()?.findings.get(self.selected)
    }

    fn level_style(level: Level, theme: &Theme) -> ratatui::style::Style {
        match level {
            Level::Error => theme.removed,
            Level::Warning => theme.changed,
            Level::Info => theme.muted,
        }
    }

    fn detail(&self, theme: &Theme) -> Vec<Line<'static>> {
        let Some(finding) = self.finding() else {
            return vec![Line::styled(
                if self.running {
                    "the doctor is reading the history…"
                } else {
                    "no findings: the history keeps every rule (rewind doctor --rules lists them)"
                },
                theme.muted,
            )];
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled(
                    format!("{:?}", finding.level).to_lowercase(),
                    Self::level_style(finding.level, theme),
                ),
                Span::raw(format!(" · {} · {}", finding.rule, group(finding.count))),
            ]),
            Line::raw(finding.summary.clone()),
            Line::raw(""),
        ];
        for (i, named) in finding.events.iter().enumerate() {
            let marker = if self.events_focused && i == self.event {
                "▶ "
            } else {
                "  "
            };
            let style = if self.events_focused && i == self.event {
                theme.accent
            } else {
                ratatui::style::Style::new()
            };
            lines.push(Line::styled(
                format!(
                    "{marker}{}@{} (position {}): {}",
                    named.event.stream_id, named.event.version, named.event.position, named.note
                ),
                style,
            ));
        }
        if finding.count > finding.events.len() as u64 {
            lines.push(Line::styled(
                format!(
                    "  … {} more (rewind doctor names the first 20)",
                    finding.count - finding.events.len() as u64
                ),
                theme.muted,
            ));
        }
        lines
    }
}

impl Screen for HealthScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Health
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        if let Some(step) = step_of(action) {
            let (cursor, len) = if self.events_focused {
                (self.event, self.finding().map_or(0, |f| f.events.len()))
            } else {
                (
                    self.selected,
                    self.report.as_ref().map_or(0, |r| r.findings.len()),
                )
            };
            let to = moved(cursor, len, step);
            if self.events_focused {
                self.event = to;
            } else {
                self.selected = to;
                self.event = 0;
            }
            return true;
        }
        match action {
            Action::Open => match self.finding().and_then(|f| f.events.get(self.event)) {
                Some(named) => fx.open(Place::Stream {
                    stream: named.event.stream_id.clone(),
                    version: Some(named.event.version),
                }),
                None => fx.say("no finding selected"),
            },
            Action::NextPane | Action::PrevPane => self.events_focused = !self.events_focused,
            Action::Refresh => self.run(fx),
            _ => return false,
        }
        true
    }

    fn response(&mut self, response: Response, _fx: &mut Effects) -> Option<Response> {
        match response {
            Response::Findings(report) => {
                self.running = false;
                self.selected = self.selected.min(report.findings.len().saturating_sub(1));
                self.event = 0;
                self.report = Some(report);
                None
            }
            other => Some(other),
        }
    }

    fn busy(&self) -> bool {
        self.running
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawContext) {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(area);
        let rows = self
            .report
            .iter()
            .flat_map(|r| r.findings.iter())
            .map(|f| {
                Row::new(vec![
                    Line::styled(
                        format!("{:?}", f.level).to_lowercase(),
                        Self::level_style(f.level, cx.theme),
                    ),
                    Line::raw(f.rule),
                    Line::raw(group(f.count)),
                    Line::raw(f.summary.clone()),
                ])
            })
            .collect();
        let title = match (&self.report, self.running) {
            (_, true) => " Health · the doctor is reading… ".to_owned(),
            (Some(r), false) => {
                let errors = r
                    .findings
                    .iter()
                    .filter(|f| f.level == Level::Error)
                    .count();
                format!(
                    " Health · {} findings ({errors} errors) · {} events, {} rules ",
                    r.findings.len(),
                    group(r.events),
                    r.rules.len()
                )
            }
            (None, false) => " Health ".to_owned(),
        };
        ListTable {
            title,
            header: vec!["Level", "Rule", "Count", "Summary"],
            widths: vec![
                Constraint::Length(8),
                Constraint::Length(19),
                Constraint::Length(7),
                Constraint::Fill(1),
            ],
            rows,
            selected: self.selected,
            empty: if self.running {
                "the doctor is reading the history…"
            } else {
                "no findings"
            },
        }
        .render(frame, list);
        let title = if self.events_focused {
            " Events · ↑↓ pick · Enter opens · Tab back "
        } else {
            " Finding · Tab to its events "
        };
        frame.render_widget(
            Paragraph::new(self.detail(cx.theme))
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(title)),
            detail,
        );
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            MOVE,
            Hint::Keys(&[(Action::NextPane, "Tab")], "", "events"),
            Hint::Keys(&[(Action::Open, "Enter")], "", "open event"),
            Hint::Keys(&[(Action::Refresh, "R")], "", "run again"),
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
