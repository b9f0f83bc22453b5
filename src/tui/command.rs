//! The `:` commands: one table gives each its names, argument and help (for `?`, Tab
//! completion and errors); a typed line is parsed once into a `Command`, which the
//! screens and the app match on.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::io::Moment;
use crate::store::Position;
use crate::store::expr::Where;

/// Declares `CommandKind` from one table: its names (the first is the one shown), its
/// argument and what it does.
macro_rules! commands {
    ($($kind:ident => [$($name:literal),+], $args:literal, $help:literal;)*) => {
        /// Which command, without its argument.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum CommandKind {
            $($kind,)*
        }

        impl CommandKind {
            pub const ALL: &[CommandKind] = &[$(CommandKind::$kind,)*];

            /// Every name it is typed as.
            pub fn names(self) -> &'static [&'static str] {
                match self {
                    $(CommandKind::$kind => &[$($name),+],)*
                }
            }

            /// What it takes, as the help shows it ("" for nothing).
            pub fn args(self) -> &'static str {
                match self {
                    $(CommandKind::$kind => $args,)*
                }
            }

            pub fn help(self) -> &'static str {
                match self {
                    $(CommandKind::$kind => $help,)*
                }
            }
        }
    };
}

commands! {
    Stream => ["stream"], "ID", "open a stream (Tab completes its id)";
    Position => ["position"], "P", "the Log at a global position";
    Version => ["version"], "N", "the open stream (or time travel) at a version";
    Time => ["time"], "TIME", "the first event at or after a time";
    Type => ["type"], "TYPE", "filter the Log by event type";
    Category => ["category"], "CATEGORY", "filter the Log (or Streams) by category";
    Correlation => ["correlation"], "ID", "filter the Log by correlation id";
    Where => ["where"], "EXPR", "filter the Log or the open stream: data.amount > 100 and type = 'X'";
    Clear => ["clear"], "", "clear the filters";
    Export => ["export"], "PATH", "write the Log (filtered) or the stream as JSONL";
    AsOf => ["asof"], "CATEGORY TIME|@P", "each stream of a category at a moment";
    Open => ["open", "open!"], "PATH", "open a script in the workbench (! drops edits)";
    New => ["new", "new!"], "all|category|partition", "a new projection from a template";
    Save => ["w", "save"], "[PATH]", "save the script";
    RunTo => ["runto"], "P", "run up to a global position";
    From => ["from"], "P", "run again from a global position (moves the checkpoint)";
    Break => ["break"], "TYPE", "break before events of a type";
    BreakIf => ["breakif"], "EXPR", "break where a JS expression over e is true";
    NoBreak => ["nobreak"], "", "remove every breakpoint";
    Search => ["search"], "REGEX", "find in the script";
    Messages => ["messages"], "", "every message of this session";
    Quit => ["q", "quit", "q!", "quit!"], "", "quit (! drops unsaved edits)";
}

impl CommandKind {
    /// The kind typed as `name`.
    pub fn named(name: &str) -> Option<CommandKind> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.names().contains(&name))
    }

    /// Whether its argument is a file path (Tab completes paths).
    pub fn takes_path(self) -> bool {
        matches!(
            self,
            CommandKind::Open | CommandKind::Save | CommandKind::Export
        )
    }

    /// `:name ARGS`, as the help lists it.
    pub fn usage(self) -> String {
        match self.args() {
            "" => format!(":{}", self.names()[0]),
            args => format!(":{} {args}", self.names()[0]),
        }
    }

    /// Every name that starts with `prefix`, each once.
    pub fn completions(prefix: &str) -> Vec<&'static str> {
        Self::ALL
            .iter()
            .flat_map(|kind| kind.names().iter().copied())
            .filter(|name| name.starts_with(prefix) && !name.ends_with('!'))
            .collect()
    }
}

/// A parsed command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Stream(String),
    Position(Position),
    Version(u64),
    Time(DateTime<Utc>),
    Type(String),
    Category(String),
    Correlation(String),
    Where(Where),
    Clear,
    Export(PathBuf),
    AsOf { category: String, moment: Moment },
    Open { path: PathBuf, force: bool },
    New { template: String, force: bool },
    Save(Option<PathBuf>),
    RunTo(Position),
    From(Position),
    Break(String),
    BreakIf(String),
    NoBreak,
    Search(String),
    Messages,
    Quit { force: bool },
}

impl Command {
    /// Parses a typed line (without its `:`). `Ok(None)` for an empty line; the error
    /// says what is wrong in words for the status line.
    pub fn parse(line: &str) -> Result<Option<Command>, String> {
        let line = line.trim();
        if line.is_empty() {
            return Ok(None);
        }
        let (name, argument) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(n, a)| (n, a.trim()));
        let kind = CommandKind::named(name)
            .ok_or_else(|| format!("unknown command :{name} (Tab completes; ? lists them)"))?;
        let force = name.ends_with('!');
        let needs = |what: &str| format!(":{name} needs {what}");
        let text = |what: &str| {
            (!argument.is_empty())
                .then(|| argument.to_owned())
                .ok_or_else(|| needs(what))
        };
        let number = |what: &str| argument.parse::<u64>().map_err(|_| needs(what));
        Ok(Some(match kind {
            CommandKind::Stream => Command::Stream(text("a stream id")?),
            CommandKind::Position => Command::Position(number("a position (a number)")?),
            CommandKind::Version => Command::Version(number("a version (a number)")?),
            CommandKind::Time => Command::Time(crate::store::timestamp::parse_user_time(argument)?),
            CommandKind::Type => Command::Type(text("an event type")?),
            CommandKind::Category => Command::Category(text("a category")?),
            CommandKind::Correlation => Command::Correlation(text("a correlation id")?),
            CommandKind::Where => Command::Where(
                Where::parse(&text("an expression, e.g. type = 'OrderPlaced'")?)
                    .map_err(|e| format!(":where: column {}: {}", e.column, e.message))?,
            ),
            CommandKind::Clear => Command::Clear,
            CommandKind::Export => Command::Export(PathBuf::from(text("a file path")?)),
            CommandKind::AsOf => parse_as_of(argument)?,
            CommandKind::Open => Command::Open {
                path: PathBuf::from(text("a path")?),
                force,
            },
            CommandKind::New => Command::New {
                template: if argument.is_empty() { "all" } else { argument }.to_owned(),
                force,
            },
            CommandKind::Save => Command::Save((!argument.is_empty()).then(|| argument.into())),
            CommandKind::RunTo => Command::RunTo(number("a position")?),
            CommandKind::From => Command::From(number("a position")?),
            CommandKind::Break => Command::Break(text("an event type")?),
            CommandKind::BreakIf => Command::BreakIf(text("an expression")?),
            CommandKind::NoBreak => Command::NoBreak,
            CommandKind::Search => Command::Search(text("a pattern")?),
            CommandKind::Messages => Command::Messages,
            CommandKind::Quit => Command::Quit { force },
        }))
    }

    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Stream(_) => CommandKind::Stream,
            Command::Position(_) => CommandKind::Position,
            Command::Version(_) => CommandKind::Version,
            Command::Time(_) => CommandKind::Time,
            Command::Type(_) => CommandKind::Type,
            Command::Category(_) => CommandKind::Category,
            Command::Correlation(_) => CommandKind::Correlation,
            Command::Where(_) => CommandKind::Where,
            Command::Clear => CommandKind::Clear,
            Command::Export(_) => CommandKind::Export,
            Command::AsOf { .. } => CommandKind::AsOf,
            Command::Open { .. } => CommandKind::Open,
            Command::New { .. } => CommandKind::New,
            Command::Save(_) => CommandKind::Save,
            Command::RunTo(_) => CommandKind::RunTo,
            Command::From(_) => CommandKind::From,
            Command::Break(_) => CommandKind::Break,
            Command::BreakIf(_) => CommandKind::BreakIf,
            Command::NoBreak => CommandKind::NoBreak,
            Command::Search(_) => CommandKind::Search,
            Command::Messages => CommandKind::Messages,
            Command::Quit { .. } => CommandKind::Quit,
        }
    }
}

/// `CATEGORY TIME` or `CATEGORY @POSITION`.
fn parse_as_of(argument: &str) -> Result<Command, String> {
    let Some((category, moment)) = argument.split_once(char::is_whitespace) else {
        return Err(":asof needs a category and a time or @position".into());
    };
    let moment = moment.trim();
    let moment = match moment.strip_prefix('@') {
        Some(p) => Moment::Position(p.parse().map_err(|_| format!("not a position: {p}"))?),
        None => Moment::Time(crate::store::timestamp::parse_user_time(moment)?),
    };
    Ok(Command::AsOf {
        category: category.trim().to_owned(),
        moment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form_once() {
        assert_eq!(Command::parse("  "), Ok(None));
        assert_eq!(Command::parse("version 7"), Ok(Some(Command::Version(7))));
        assert_eq!(
            Command::parse("q!"),
            Ok(Some(Command::Quit { force: true }))
        );
        assert_eq!(
            Command::parse("open! a b.js"),
            Ok(Some(Command::Open {
                path: "a b.js".into(),
                force: true
            }))
        );
        assert_eq!(Command::parse("w"), Ok(Some(Command::Save(None))));
        assert_eq!(
            Command::parse("asof Account @12"),
            Ok(Some(Command::AsOf {
                category: "Account".into(),
                moment: Moment::Position(12)
            }))
        );
        assert_eq!(
            Command::parse("version x"),
            Err(":version needs a version (a number)".into())
        );
        assert!(
            Command::parse("fly")
                .unwrap_err()
                .contains("unknown command :fly")
        );
        // Every name parses to its own kind.
        for kind in CommandKind::ALL {
            for name in kind.names() {
                assert_eq!(CommandKind::named(name), Some(*kind));
            }
        }
        assert_eq!(CommandKind::completions("ver"), vec!["version"]);
    }
}
