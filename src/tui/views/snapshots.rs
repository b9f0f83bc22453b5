//! Snapshots (`4`): every stored snapshot with its version, reducer id, age and size, a
//! page at a time; build or verify one stream or all (in the background, with progress,
//! Esc cancels); drift shown as the patch from the stored snapshot to the replayed state.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Gauge, Paragraph, Row, Wrap};

use super::paged::PagedRows;
use super::travel::patch_lines;
use super::{ListTable, group};
use crate::replay::Drift;
use crate::store::{SnapshotInfo, Version};
use crate::tui::theme::Theme;

/// Where a page of the listing starts: after this (stream, reducer, version).
pub type SnapshotKey = (String, String, Version);

/// Snapshots a page.
pub const SNAPSHOT_PAGE: usize = 200;

/// A build or verify under way.
pub struct Job {
    pub label: String,
    pub done: u64,
    pub total: u64,
    pub cancel: Arc<AtomicBool>,
}

/// What the last build or verify found.
pub struct Report {
    pub summary: String,
    /// Each drift with the patch from the stored snapshot to the replayed state (made
    /// once, not on every draw).
    pub drifts: Vec<(Drift, json_patch::Patch)>,
}

impl Report {
    pub fn new(summary: String, drifts: Vec<Drift>) -> Report {
        let drifts = drifts
            .into_iter()
            .map(|d| {
                let patch = json_patch::diff(&d.snapshot, &d.replayed);
                (d, patch)
            })
            .collect();
        Report { summary, drifts }
    }
}

pub struct SnapshotsView {
    /// A page of the snapshot listing.
    pub list: PagedRows<SnapshotInfo, SnapshotKey>,
    pub job: Option<Job>,
    pub report: Option<Report>,
}

impl Default for SnapshotsView {
    fn default() -> Self {
        SnapshotsView {
            list: PagedRows::new(SNAPSHOT_PAGE, |s: &SnapshotInfo| {
                (s.stream_id.clone(), s.reducer.clone(), s.version)
            }),
            job: None,
            report: None,
        }
    }
}

impl SnapshotsView {
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let bottom = if self.job.is_some() {
            4
        } else if self.report.is_some() {
            area.height / 2
        } else {
            3
        };
        let [list, panel] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(bottom)]).areas(area);
        let now = chrono::Utc::now();
        let rows = self
            .list
            .rows
            .iter()
            .map(|s| {
                Row::new(vec![
                    s.stream_id.clone(),
                    s.version.to_string(),
                    s.reducer.clone(),
                    age(now - s.created_at),
                    format!("{} B", group(s.bytes)),
                ])
            })
            .collect();
        ListTable {
            title: " Snapshots · b build · B build all · v verify · V verify all ".into(),
            header: vec!["Stream", "Version", "Reducer", "Age", "Size"],
            widths: vec![
                Constraint::Length(24),
                Constraint::Length(8),
                Constraint::Fill(1),
                Constraint::Length(8),
                Constraint::Length(12),
            ],
            rows,
            selected: self.list.selected,
            empty: if self.list.loading {
                "loading…"
            } else {
                "no snapshots (b builds the selected stream's, B every stream's)"
            },
        }
        .render(frame, list);
        match (&self.job, &self.report) {
            (Some(job), _) => {
                let ratio = if job.total == 0 {
                    0.0
                } else {
                    (job.done as f64 / job.total as f64).min(1.0)
                };
                frame.render_widget(
                    Gauge::default()
                        .block(Block::bordered().title(format!(" {} · Esc cancels ", job.label)))
                        .gauge_style(theme.accent)
                        .ratio(ratio)
                        .label(format!(
                            "{} / {} streams",
                            group(job.done),
                            group(job.total)
                        )),
                    panel,
                );
            }
            (None, Some(report)) => {
                let mut lines = vec![Line::raw(report.summary.clone())];
                for (drift, patch) in report.drifts.iter().take(5) {
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(
                        format!(
                            "DRIFT {}@{} ({}) first differs at {}; snapshot → replayed:",
                            drift.stream_id,
                            drift.version,
                            drift.reducer,
                            if drift.path.is_empty() {
                                "/"
                            } else {
                                &drift.path
                            }
                        ),
                        theme.removed,
                    ));
                    lines.extend(patch_lines(patch, theme));
                }
                if report.drifts.len() > 5 {
                    lines.push(Line::raw(format!("… and {} more", report.drifts.len() - 5)));
                }
                frame.render_widget(
                    Paragraph::new(lines)
                        .wrap(Wrap { trim: false })
                        .block(Block::bordered().title(" last build / verify ")),
                    panel,
                );
            }
            (None, None) => frame.render_widget(
                Paragraph::new(Line::styled(
                    " Time travel (3) starts from the newest snapshot at or below a version",
                    theme.muted,
                ))
                .block(Block::bordered()),
                panel,
            ),
        }
    }
}

fn age(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}
