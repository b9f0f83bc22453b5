//! `--where` expressions: a small language over the event envelope and its JSON, parsed
//! once, then compiled to each backend's SQL (so a query filters in the database, where
//! an index can serve it) and evaluated in Rust (the reference the backends are tested
//! against).
//!
//! ```text
//! type = 'MoneyDeposited' and data.amount >= 1000
//! category in ('Account', 'Order') and not exists metadata.causation_id
//! stream like 'Account-1%' or recorded_at < '2026-06-01'
//! ```
//!
//! Fields: `type`, `stream`, `category`, `version`, `position`, `schema_version`,
//! `recorded_at`, `data.a.b` and `metadata.k` (a key that is not an identifier in double
//! quotes: `data."first name"`). Values: `'text'` (a quote inside doubled: `'it''s'`),
//! numbers, `true`, `false`, `null`. Operators: `= != < <= > >=`, `in (…)`, `like` (`%`
//! any run, `_` one character, `\` before either makes it literal), `exists FIELD`, `and`,
//! `or`, `not`, parentheses. Keywords are case-insensitive; values are matched literally
//! and case-sensitively.
//!
//! The same answer everywhere (SQLite, PostgreSQL, [`Where::matches`]): a JSON field
//! compares only with a value of its own JSON type (`data.n = 5` is false when `n` is the
//! string `"5"`), order operators take numbers or text (text in byte order), and a field
//! that is absent matches no comparison, not even `!=` (`not exists` finds those). Every
//! comparison is true or false, never SQL's unknown, so `not` always inverts.

pub mod aggregate;
mod eval;
mod parse;
pub(crate) mod sqlite;

pub use parse::field as parse_field;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A parsed `--where` expression, with the text it came from (shared: queries carry
/// it from page to page).
#[derive(Clone)]
pub struct Where(Arc<Parsed>);

struct Parsed {
    source: String,
    expr: Expr,
}

impl Where {
    /// Parses `source`; the error names the column (1-based, in characters) of the mistake.
    pub fn parse(source: &str) -> Result<Where, WhereError> {
        Ok(Where(Arc::new(Parsed {
            source: source.to_owned(),
            expr: parse::parse(source)?,
        })))
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.0.source
    }

    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.0.expr
    }
}

impl fmt::Debug for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Where({:?})", self.source())
    }
}

// Two expressions are the same filter when they are the same text.
impl PartialEq for Where {
    fn eq(&self, other: &Where) -> bool {
        self.source() == other.source()
    }
}

impl Eq for Where {}

/// A mistake in an expression, at a column (1-based, in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--where: column {column}: {message}")]
pub struct WhereError {
    /// Where the mistake starts.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// What an expression can name.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// The event type.
    Type,
    /// The stream id.
    Stream,
    /// The stream's category.
    Category,
    /// The event's version in its stream.
    Version,
    /// The global position.
    Position,
    /// The event's schema version.
    SchemaVersion,
    /// When the event was recorded.
    RecordedAt,
    /// A path of keys into the event's data.
    Data(Vec<String>),
    /// A path of keys into the event's metadata.
    Metadata(Vec<String>),
}

/// The kind of value an envelope field holds (JSON fields hold any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text compared in byte order.
    Text,
    /// A whole number.
    Integer,
    /// A time (compared as a time; written as RFC 3339 or a date).
    Time,
    /// Any JSON value.
    Json,
}

impl Field {
    /// The kind of value the field holds.
    pub fn kind(&self) -> FieldKind {
        match self {
            Field::Type | Field::Stream | Field::Category => FieldKind::Text,
            Field::Version | Field::Position | Field::SchemaVersion => FieldKind::Integer,
            Field::RecordedAt => FieldKind::Time,
            Field::Data(_) | Field::Metadata(_) => FieldKind::Json,
        }
    }

    /// The field as an expression writes it.
    pub fn name(&self) -> String {
        let path = |root: &str, keys: &[String]| {
            let mut name = root.to_owned();
            for key in keys {
                name.push('.');
                if parse::is_identifier(key) {
                    name.push_str(key);
                } else {
                    name.push_str(&format!("\"{}\"", key.replace('"', "\"\"")));
                }
            }
            name
        };
        match self {
            Field::Type => "type".into(),
            Field::Stream => "stream".into(),
            Field::Category => "category".into(),
            Field::Version => "version".into(),
            Field::Position => "position".into(),
            Field::SchemaVersion => "schema_version".into(),
            Field::RecordedAt => "recorded_at".into(),
            Field::Data(keys) => path("data", keys),
            Field::Metadata(keys) => path("metadata", keys),
        }
    }
}

/// A value written in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Text.
    Text(String),
    /// A number, as written (compared exactly where the database can) and as f64.
    Number {
        /// The digits as written.
        text: String,
        /// The value as f64.
        value: f64,
        /// The value when it is a whole number that fits an i64.
        integer: Option<i64>,
    },
    /// `true` or `false`.
    Bool(bool),
    /// `null` (JSON's).
    Null,
    /// A time, for `recorded_at` (parsed from text).
    Time(DateTime<Utc>),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator in SQL (`!=` as `<>`).
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether `ordering` (left against right) satisfies the operator.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ordering == Equal,
            CmpOp::Ne => ordering != Equal,
            CmpOp::Lt => ordering == Less,
            CmpOp::Le => ordering != Greater,
            CmpOp::Gt => ordering == Greater,
            CmpOp::Ge => ordering != Less,
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// The inner one does not hold.
    Not(Box<Expr>),
    /// `FIELD op VALUE`.
    Compare {
        /// The field compared.
        field: Field,
        /// How.
        op: CmpOp,
        /// With what.
        value: Literal,
    },
    /// `FIELD in (VALUE, …)`: equal to any.
    In {
        /// The field compared.
        field: Field,
        /// The values.
        values: Vec<Literal>,
    },
    /// `exists FIELD`: the JSON field is present (null counts).
    Exists(Field),
    /// `FIELD like 'pattern'`: a text value matching the pattern.
    Like {
        /// The field matched.
        field: Field,
        /// The pattern as written (`%`, `_`, `\` escapes).
        pattern: String,
    },
}

/// A `like` pattern, one piece at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LikePiece {
    /// This character itself.
    Literal(char),
    /// `_`: any one character.
    One,
    /// `%`: any run of characters, empty included.
    Any,
}

/// The pieces of a `like` pattern (`\` makes the next character literal).
pub fn like_pieces(pattern: &str) -> Vec<LikePiece> {
    let mut pieces = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        pieces.push(match c {
            '\\' => LikePiece::Literal(chars.next().unwrap_or('\\')),
            '%' => LikePiece::Any,
            '_' => LikePiece::One,
            other => LikePiece::Literal(other),
        });
    }
    pieces
}

#[cfg(test)]
mod tests;
