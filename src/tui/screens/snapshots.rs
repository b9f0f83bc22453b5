//! Snapshots (`4`): every stored snapshot with its version, reducer id, age and size, a
//! page at a time; build or verify one stream or all (in the background, with progress,
//! Esc cancels); drift shown as the patch from the stored snapshot to the replayed state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Gauge, Paragraph, Row, Wrap};

use super::travel::patch_lines;
use super::{BACK, DrawContext, HELP, Hint, MOVE, Place, Screen, ScreenId};
use crate::replay::{Drift, Target};
use crate::store::SnapshotInfo;
use crate::tui::chrome::{ListTable, group};
use crate::tui::effect::Effects;
use crate::tui::io::{
    JobKind, JobProgress, JobReport, Request, Response, SNAPSHOT_PAGE, SnapshotKey,
};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::paged::PagedRows;

/// A build or verify under way.
pub struct Job {
    pub label: String,
    pub progress: JobProgress,
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
    pub fn new(report: JobReport) -> Report {
        let summary = report.summary();
        let drifts = report
            .drifts
            .into_iter()
            .map(|d| {
                let patch = json_patch::diff(&d.snapshot, &d.replayed);
                (d, patch)
            })
            .collect();
        Report { summary, drifts }
    }
}

pub struct SnapshotsScreen {
    /// A page of the snapshot listing.
    pub list: PagedRows<SnapshotInfo, SnapshotKey>,
    pub job: Option<Job>,
    pub report: Option<Report>,
    /// Whether the store takes writes (a build is one).
    pub writable: bool,
    /// The stream open in time travel, for `b` before anything is listed.
    pub travel_stream: Option<String>,
}

impl SnapshotsScreen {
    pub fn new(writable: bool) -> SnapshotsScreen {
        SnapshotsScreen {
            list: PagedRows::new(SNAPSHOT_PAGE, |s: &SnapshotInfo| {
                (s.stream_id.clone(), s.reducer.clone(), s.version)
            }),
            job: None,
            report: None,
            writable,
            travel_stream: None,
        }
    }

    /// Lists the first page when nothing is listed yet (the screen is being shown).
    pub fn shown(&mut self, fx: &mut Effects) {
        if self.list.rows.is_empty() && !self.list.loading {
            self.fetch(fx);
        }
    }

    fn fetch(&mut self, fx: &mut Effects) {
        let generation = self.list.ask();
        fx.request(Request::Snapshots {
            after: self.list.page_after.clone(),
            generation,
        });
    }

    fn start_job(&mut self, action: Action, fx: &mut Effects) {
        if self.job.is_some() {
            fx.say("a snapshot job is running (Esc cancels it)");
            return;
        }
        let kind = match action {
            Action::Build | Action::BuildAll => JobKind::Build,
            _ => JobKind::Verify,
        };
        let one = matches!(action, Action::Build | Action::Verify);
        let stream = match (one, self.list.selected_row()) {
            (false, _) => None,
            (true, Some(s)) => Some(s.stream_id.clone()),
            // Nothing listed yet: the stream open in time travel, if any.
            (true, None) => match &self.travel_stream {
                Some(stream) => Some(stream.clone()),
                None => {
                    fx.say("select a snapshot's stream, or open one in Time travel (3) first");
                    return;
                }
            },
        };
        if kind == JobKind::Build && !self.writable {
            fx.say("the store is open read-only: building snapshots is a write");
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let label = match (kind, &stream) {
            (JobKind::Build, Some(s)) => format!("building snapshots of {s}"),
            (JobKind::Build, None) => "building snapshots of every stream".to_owned(),
            (JobKind::Verify, Some(s)) => format!("verifying the snapshots of {s}"),
            (JobKind::Verify, None) => "verifying every snapshot".to_owned(),
        };
        fx.request(Request::SnapshotJob {
            kind,
            stream,
            cancel: cancel.clone(),
        });
        self.report = None;
        self.job = Some(Job {
            label,
            progress: JobProgress {
                done: 0,
                total: 0,
                streams_per_second: 0.0,
            },
            cancel,
        });
    }
}

impl Screen for SnapshotsScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Snapshots
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        match action {
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
            // Esc cancels a job under way; without one, it goes back.
            Action::Back => match &self.job {
                Some(job) => {
                    job.cancel.store(true, Ordering::Relaxed);
                    fx.say("cancelling…");
                }
                None => return false,
            },
            Action::Build | Action::BuildAll | Action::Verify | Action::VerifyAll => {
                self.start_job(action, fx)
            }
            Action::Open => match self.list.selected_row() {
                Some(s) => fx.open(Place::Travel {
                    stream: s.stream_id.clone(),
                    target: Target::Version(s.version),
                }),
                None => fx.say("no snapshot selected"),
            },
            _ => return false,
        }
        true
    }

    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::SnapshotRows(generation, rows) => self.list.arrived(generation, rows),
            Response::JobProgress(progress) => {
                if let Some(job) = self.job.as_mut() {
                    job.progress = progress;
                }
            }
            Response::JobDone(result) => {
                self.job = None;
                match result {
                    Ok(report) => {
                        let report = Report::new(report);
                        fx.say(report.summary.clone());
                        self.report = Some(report);
                    }
                    Err(e) => fx.say(format!("the snapshot job failed: {e}")),
                }
                self.list.rewind();
                self.fetch(fx);
            }
            other => return Some(other),
        }
        None
    }

    fn tick(&mut self, _fx: &mut Effects) -> bool {
        self.job.is_some()
    }

    fn busy(&self) -> bool {
        self.list.loading || self.job.is_some()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawContext) {
        self.render(frame, area, cx.theme);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            MOVE,
            Hint::Keys(&[(Action::Build, "b")], "", "build"),
            Hint::Keys(&[(Action::BuildAll, "B")], "", "build all"),
            Hint::Keys(&[(Action::Verify, "v")], "", "verify"),
            Hint::Keys(&[(Action::VerifyAll, "V")], "", "verify all"),
            Hint::Keys(&[(Action::Open, "Enter")], "", "time travel"),
            BACK,
            HELP,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[
            Up, Down, First, Last, PageUp, PageDown, Build, BuildAll, Verify, VerifyAll, Open,
        ]
    }

    fn stream_in_context(&self) -> Option<String> {
        self.list.selected_row().map(|s| s.stream_id.clone())
    }

    fn travel_target(&self) -> Option<(String, Target)> {
        self.list
            .selected_row()
            .map(|s| (s.stream_id.clone(), Target::Version(s.version)))
    }
}

impl SnapshotsScreen {
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
                let p = job.progress;
                let ratio = if p.total == 0 {
                    0.0
                } else {
                    (p.done as f64 / p.total as f64).min(1.0)
                };
                let eta = match p.eta_seconds() {
                    Some(s) if s >= 1.0 => format!(" · ETA {s:.0} s"),
                    Some(_) => " · ETA < 1 s".to_owned(),
                    None => String::new(),
                };
                frame.render_widget(
                    Gauge::default()
                        .block(Block::bordered().title(format!(" {} · Esc cancels ", job.label)))
                        .gauge_style(theme.accent)
                        .ratio(ratio)
                        .label(format!(
                            "{} / {} streams · {} streams/s{eta}",
                            group(p.done),
                            group(p.total),
                            group(p.streams_per_second as u64)
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
