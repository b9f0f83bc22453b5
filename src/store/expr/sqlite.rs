//! Expressions as SQLite SQL over rewind's `events` (or a foreign file's view of that
//! name): `json_type` tells a JSON field's type and presence, `json_extract` its value,
//! and `like` becomes `GLOB` (SQLite's LIKE ignores ASCII case; GLOB does not). Every
//! piece is wrapped to be 0 or 1, never NULL, so `not` inverts exactly.

use rusqlite::types::Value as SqlValue;

use super::aggregate::{Aggregate, AggregateQuery};
use super::{CmpOp, Expr, Field, LikePiece, Literal, Where, like_pieces};
use crate::store::timestamp;

/// SQL text (with numbered `?N` parameters) and the parameters, in order.
pub struct Compiled {
    /// A boolean SQL expression.
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<SqlValue>,
    /// How many parameters the query has before these.
    offset: usize,
    /// Under a `not`: each test must be 0 or 1, never NULL (NOT NULL is NULL). Elsewhere
    /// NULL already counts as false, and a bare test lets SQLite stop early (measured:
    /// 40 ms instead of 55 ms over 100,000 events).
    negated: bool,
}

impl Compiled {
    /// `test` as 0 or 1 where a NULL would not count as false.
    fn total(&self, test: String) -> String {
        if self.negated {
            format!("coalesce({test}, 0)")
        } else {
            format!("({test})")
        }
    }

    /// Adds a parameter; returns its placeholder.
    fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.offset + self.params.len())
    }
}

/// `filter` as a SQL condition on `events`, its parameters numbered from `offset + 1`
/// (the query's own come first; a plain `?` after these takes the next number).
pub fn compile(filter: &Where, offset: usize) -> Compiled {
    let mut out = Compiled {
        sql: String::new(),
        params: Vec::new(),
        offset,
        negated: false,
    };
    let sql = condition(&mut out, filter.expr());
    out.sql = sql;
    out
}

fn condition(out: &mut Compiled, expr: &Expr) -> String {
    match expr {
        Expr::And(a, b) => format!("({} AND {})", condition(out, a), condition(out, b)),
        Expr::Or(a, b) => format!("({} OR {})", condition(out, a), condition(out, b)),
        Expr::Not(inner) => {
            let outer = std::mem::replace(&mut out.negated, true);
            let inner = condition(out, inner);
            out.negated = outer;
            format!("(NOT {inner})")
        }
        Expr::Compare { field, op, value } => compare(out, field, *op, value),
        Expr::In { field, values } => {
            let any: Vec<String> = values
                .iter()
                .map(|value| compare(out, field, CmpOp::Eq, value))
                .collect();
            format!("({})", any.join(" OR "))
        }
        Expr::Exists(field) => {
            let (column, path) = json_field(field);
            let path = out.bind(SqlValue::Text(path));
            format!("(json_type({column}, {path}) IS NOT NULL)")
        }
        Expr::Like { field, pattern } => {
            let glob = SqlValue::Text(glob(pattern));
            match column(field) {
                Some(column) => format!("({column} GLOB {})", out.bind(glob)),
                None => {
                    let (column, path) = json_field(field);
                    let path = out.bind(SqlValue::Text(path));
                    let glob = out.bind(glob);
                    out.total(format!(
                        "json_type({column}, {path}) = 'text' \
                         AND json_extract({column}, {path}) GLOB {glob}"
                    ))
                }
            }
        }
    }
}

/// The envelope column a field is, or None for data/metadata paths.
fn column(field: &Field) -> Option<&'static str> {
    Some(match field {
        Field::Type => "event_type",
        Field::Stream => "stream_id",
        Field::Category => "stream_type",
        Field::Version => "version",
        Field::Position => "global_position",
        Field::SchemaVersion => "schema_version",
        Field::RecordedAt => "recorded_at",
        Field::Data(_) | Field::Metadata(_) => return None,
    })
}

/// The JSON column and SQLite path (`$."a"."b"`) of a data/metadata field.
fn json_field(field: &Field) -> (&'static str, String) {
    let (column, keys) = match field {
        Field::Metadata(keys) => ("metadata", keys.as_slice()),
        Field::Data(keys) => ("data", keys.as_slice()),
        _ => ("data", &[][..]),
    };
    let mut path = String::from("$");
    for key in keys {
        path.push_str(&format!(".\"{key}\""));
    }
    (column, path)
}

fn compare(out: &mut Compiled, field: &Field, op: CmpOp, value: &Literal) -> String {
    if let Some(column) = column(field) {
        return format!(
            "({column} {} {})",
            op.sql(),
            out.bind(envelope_value(value))
        );
    }
    let (column, path) = json_field(field);
    // The type test on `json_type`, and the value to compare `json_extract` with.
    let (types, bound) = match value {
        Literal::Text(t) => ("= 'text'", Some(SqlValue::Text(t.clone()))),
        Literal::Number {
            integer: Some(i), ..
        } => ("IN ('integer', 'real')", Some(SqlValue::Integer(*i))),
        Literal::Number { value, .. } => ("IN ('integer', 'real')", Some(SqlValue::Real(*value))),
        Literal::Bool(true) => ("= 'true'", None),
        Literal::Bool(false) => ("= 'false'", None),
        Literal::Null => ("= 'null'", None),
        Literal::Time(t) => ("= 'text'", Some(SqlValue::Text(timestamp::format(t)))),
    };
    let path = out.bind(SqlValue::Text(path));
    let same_type = format!("json_type({column}, {path}) {types}");
    let test = |op: CmpOp, out: &mut Compiled| match &bound {
        Some(v) => format!(
            "{same_type} AND json_extract({column}, {path}) {} {}",
            op.sql(),
            out.bind(v.clone())
        ),
        None => same_type.clone(),
    };
    if op == CmpOp::Ne {
        // Present, and not equal (a value of another type is not equal).
        let equal = test(CmpOp::Eq, out);
        // Never NULL: IS NOT NULL and the inner coalesce are 0 or 1.
        format!("(json_type({column}, {path}) IS NOT NULL AND NOT coalesce({equal}, 0))")
    } else {
        let test = test(op, out);
        out.total(test)
    }
}

fn envelope_value(value: &Literal) -> SqlValue {
    match value {
        Literal::Text(t) => SqlValue::Text(t.clone()),
        Literal::Number {
            integer: Some(i), ..
        } => SqlValue::Integer(*i),
        Literal::Number { value, .. } => SqlValue::Real(*value),
        Literal::Time(t) => SqlValue::Text(timestamp::format(t)),
        Literal::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Literal::Null => SqlValue::Null,
    }
}

/// A `like` pattern as a GLOB pattern: `%` → `*`, `_` → `?`, and GLOB's own `*?[`
/// written as one-character classes so that they match themselves.
fn glob(pattern: &str) -> String {
    let mut out = String::new();
    for piece in like_pieces(pattern) {
        match piece {
            LikePiece::Any => out.push('*'),
            LikePiece::One => out.push('?'),
            LikePiece::Literal(c @ ('*' | '?' | '[')) => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            LikePiece::Literal(c) => out.push(c),
        }
    }
    out
}

/// A `rewind query` as one SQLite statement: `(group, count, value)` rows.
pub fn aggregate(query: &AggregateQuery) -> Compiled {
    let mut out = Compiled {
        sql: String::new(),
        params: Vec::new(),
        offset: 0,
        negated: false,
    };
    let group = match &query.group_by {
        Some(field) => match column(field) {
            Some(column) => column.to_owned(),
            None => {
                // The value's JSON text (strings quoted), NULL where absent.
                let (column, path) = json_field(field);
                let path = out.bind(SqlValue::Text(path));
                format!("({column} -> {path})")
            }
        },
        None => "NULL".to_owned(),
    };
    let value = match query.aggregate.field() {
        None => "NULL".to_owned(),
        Some(field) => {
            let function = query.aggregate.key();
            match column(field) {
                Some(column) => format!("{function}({column})"),
                None => {
                    let (column, path) = json_field(field);
                    let path = out.bind(SqlValue::Text(path));
                    format!(
                        "{function}(CASE WHEN json_type({column}, {path}) IN ('integer', 'real') \
                         THEN json_extract({column}, {path}) END)"
                    )
                }
            }
        }
    };
    let condition = match &query.matching {
        Some(matching) => condition(&mut out, matching.expr()),
        None => "1".to_owned(),
    };
    let mut sql =
        format!("SELECT {group} AS grp, count(*), {value} AS answer FROM events WHERE {condition}");
    if query.group_by.is_some() {
        sql.push_str(" GROUP BY grp");
    }
    if let Some(top) = query.top {
        let by = if query.aggregate == Aggregate::Count {
            "count(*)"
        } else {
            "answer"
        };
        sql.push_str(&format!(" ORDER BY {by} DESC, grp LIMIT {top}"));
    }
    out.sql = sql;
    out
}
