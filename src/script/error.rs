//! Script errors: what went wrong, where in the script, and at which event.

use std::fmt;

use rquickjs::{Ctx, Exception};

use super::ScriptLimits;
use crate::store::RecordedEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptErrorKind {
    /// The script threw (or failed to parse).
    Exception,
    /// A handler ran past the time budget.
    Timeout,
    /// The runtime ran out of its memory limit.
    OutOfMemory,
    /// Recursion too deep.
    StackOverflow,
    /// The runtime could not be set up, or the script declared nothing usable.
    Setup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub kind: ScriptErrorKind,
    pub message: String,
    /// The script's name (its path).
    pub script: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The event being folded, if any: its global position, stream and version.
    pub position: Option<u64>,
    pub event: Option<String>,
}

impl std::error::Error for ScriptError {}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "script {}", self.script)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let (Some(position), Some(event)) = (self.position, &self.event) {
            write!(f, " (at event {event}, global position {position})")?;
        }
        Ok(())
    }
}

impl ScriptError {
    pub fn setup(message: String) -> ScriptError {
        ScriptError {
            kind: ScriptErrorKind::Setup,
            message,
            script: String::new(),
            line: None,
            column: None,
            position: None,
            event: None,
        }
    }
}

/// QuickJS raises `null` when it runs out of memory while creating an error object.
const NULL_THROWN: &str = "uncaught null";

/// Builds the error for a failed call, reading the pending exception's message and stack.
pub(super) fn from_js<'js>(
    ctx: &Ctx<'js>,
    error: rquickjs::Error,
    script: &str,
    event: Option<&RecordedEvent>,
    limits: ScriptLimits,
) -> ScriptError {
    let (mut message, stack) = if error.is_exception() {
        let caught = ctx.catch();
        match caught.as_object().cloned().and_then(Exception::from_object) {
            Some(exception) => {
                let name: Option<String> = exception.as_object().get("name").ok();
                let message = exception.message().unwrap_or_default();
                let message = match name {
                    Some(name) if !name.is_empty() && name != "Error" => {
                        format!("{name}: {message}")
                    }
                    _ => message,
                };
                (message, exception.stack().unwrap_or_default())
            }
            // QuickJS throws null when it runs out of memory while raising the error.
            None if caught.is_null() => (NULL_THROWN.to_owned(), String::new()),
            None => (format!("uncaught {}", describe(ctx, caught)), String::new()),
        }
    } else {
        (error.to_string(), String::new())
    };
    let kind = if message.contains("interrupted") {
        message = format!(
            "a handler ran longer than the time budget of {} ms",
            limits.event_timeout.as_millis()
        );
        ScriptErrorKind::Timeout
    } else if message.contains("out of memory") || message == NULL_THROWN {
        let or_null = if message == NULL_THROWN {
            " (or threw null: QuickJS reports both alike)"
        } else {
            ""
        };
        message = format!(
            "the script used more than its memory limit of {} MiB ([script] memory_limit_mb){or_null}",
            limits.memory_limit_bytes >> 20
        );
        ScriptErrorKind::OutOfMemory
    } else if message.contains("stack overflow")
        || message.contains("Maximum call stack size exceeded")
    {
        message = "stack overflow (recursion too deep)".into();
        ScriptErrorKind::StackOverflow
    } else {
        ScriptErrorKind::Exception
    };
    let (line, column) = location(&stack, script);
    ScriptError {
        kind,
        message,
        script: script.to_owned(),
        line,
        column,
        position: event.map(|e| e.global_position),
        event: event.map(|e| format!("{}@{}", e.stream_id, e.version)),
    }
}

fn describe<'js>(ctx: &Ctx<'js>, value: rquickjs::Value<'js>) -> String {
    ctx.json_stringify(value)
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| "exception".into())
}

/// The first `script:LINE[:COLUMN]` in a QuickJS stack trace.
fn location(stack: &str, script: &str) -> (Option<u32>, Option<u32>) {
    for frame in stack.lines() {
        let Some(at) = frame.find(&format!("{script}:")) else {
            continue;
        };
        let rest = &frame[at + script.len() + 1..];
        let mut numbers = rest
            .split(|c: char| !c.is_ascii_digit())
            .take_while(|s| !s.is_empty())
            .map(|n| n.parse::<u32>().ok());
        let line = numbers.next().flatten();
        let column = numbers.next().flatten();
        return (line, column);
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::location;

    #[test]
    fn finds_the_script_s_frame() {
        let stack =
            "    at inner (rewind-prelude.js:80:20)\n    at MoneyDeposited (r/account.js:7:13)\n";
        assert_eq!(location(stack, "r/account.js"), (Some(7), Some(13)));
        assert_eq!(location("    at r.js:3\n", "r.js"), (Some(3), None));
        assert_eq!(location("", "r.js"), (None, None));
    }
}
