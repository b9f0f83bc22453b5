//! `rewind doctor`: the rules of event sourcing checked on the store's history.

use clap::Args;

use super::Context;
use super::error::{CliError, CliResult, stdout_error};
use super::output::Format;
use crate::doctor::{self, RULES};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind doctor --format table                 findings for people, errors first
  rewind doctor | jq -r '.events[0].stream_id' the first event each finding names
  rewind doctor --rules                        every rule, its level and what it checks

One JSON line per finding: {\"rule\", \"level\", \"summary\", \"count\", \"events\": [{\"position\",
\"stream_id\", \"version\", \"note\"}]}. config.toml's [doctor] disables rules (disable = [...]),
sets levels (levels = { missing-ids = \"error\" }), the size limit (max_event_bytes), terminal
types (terminal_types = [\"AccountClosed\"]) and names the past-tense rule lets pass
(past_tense_ok). Exit 0 without error-level findings, 1 with one.")]
pub struct DoctorArgs {
    /// List the rules instead of checking them
    #[arg(long)]
    pub rules: bool,
}

pub async fn run(context: &Context, args: DoctorArgs) -> CliResult {
    let mut out = context.output();
    if args.rules {
        for (name, level, what) in RULES {
            let line = serde_json::json!({"rule": name, "level": level, "checks": what});
            match out.format() {
                Format::Json => out.json(&line).map_err(stdout_error)?,
                Format::Table => out
                    .text(&format!(
                        "{name:<20} {:<8} {what}",
                        format!("{level:?}").to_lowercase()
                    ))
                    .map_err(stdout_error)?,
            }
        }
        return out.flush().map_err(stdout_error);
    }
    let store = context.open_for_reading().await?;
    let report = doctor::examine(&store, &context.config).await?;
    match out.format() {
        Format::Json => {
            for finding in &report.findings {
                out.json(finding).map_err(stdout_error)?;
            }
        }
        Format::Table => {
            if report.findings.is_empty() {
                out.text(&format!(
                    "no findings: {} events, {} rules",
                    report.events,
                    report.rules.len()
                ))
                .map_err(stdout_error)?;
            }
            for finding in &report.findings {
                let level = format!("{:?}", finding.level).to_lowercase();
                out.text(&format!(
                    "{level:<8} {:<19} {}",
                    finding.rule, finding.summary
                ))
                .map_err(stdout_error)?;
                for named in finding.events.iter().take(3) {
                    out.text(&format!(
                        "         → {}@{} (position {}): {}",
                        named.event.stream_id,
                        named.event.version,
                        named.event.position,
                        named.note
                    ))
                    .map_err(stdout_error)?;
                }
                if finding.events.len() > 3 {
                    out.text(&format!("           … {} more", finding.count - 3))
                        .map_err(stdout_error)?;
                }
            }
        }
    }
    out.flush().map_err(stdout_error)?;
    if report.has_errors() {
        let rules: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.level == doctor::Level::Error)
            .map(|f| f.rule)
            .collect();
        return Err(CliError::Findings(format!(
            "doctor: error-level findings: {}",
            rules.join(", ")
        )));
    }
    Ok(())
}
