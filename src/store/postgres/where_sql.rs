//! `--where` expressions as PostgreSQL SQL over the events relation (rewind's table, or a
//! foreign kind's tables as one). Equality with a JSON scalar is containment
//! (`event_data @> '{"a":{"b":5}}'`), which a GIN index on the column serves; the other
//! tests read the field with `#>` and check its `jsonb_typeof` first, inside CASE so that
//! a cast never meets a value of another type. Text orders in byte order (`COLLATE "C"`),
//! as SQLite and Rust order it. Every piece is true or false, never NULL.

use serde_json::{Map, Value};

use super::sql::{Bind, Built, Statements};
use crate::store::expr::aggregate::AggregateQuery;
use crate::store::expr::{CmpOp, Expr, Field, FieldKind, Literal, Where};
use crate::store::timestamp;

/// `filter` as a SQL condition on the events relation, its parameters bound into `b`.
pub fn condition(b: &mut Built, st: &Statements, filter: &Where) -> String {
    expr(b, st, filter.expr())
}

fn expr(b: &mut Built, st: &Statements, e: &Expr) -> String {
    match e {
        Expr::And(x, y) => format!("({} AND {})", expr(b, st, x), expr(b, st, y)),
        Expr::Or(x, y) => format!("({} OR {})", expr(b, st, x), expr(b, st, y)),
        Expr::Not(x) => format!("(NOT {})", expr(b, st, x)),
        Expr::Compare { field, op, value } => compare(b, st, field, *op, value),
        Expr::In { field, values } => {
            if let Some(column) = text_column(field, st) {
                // Text envelope fields: one array parameter (an index serves `= ANY`).
                let texts = values
                    .iter()
                    .filter_map(|v| match v {
                        Literal::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect();
                let p = b.bind(Bind::Texts(texts));
                return format!("({column} = ANY(${p}::text[]))");
            }
            let any: Vec<String> = values
                .iter()
                .map(|v| compare(b, st, field, CmpOp::Eq, v))
                .collect();
            format!("({})", any.join(" OR "))
        }
        Expr::Exists(field) => {
            let (column, keys) = json_field(field);
            let guard = guard(b, column, keys);
            let p = path(b, keys);
            format!("({guard}{column} #> ${p} IS NOT NULL)")
        }
        Expr::Like { field, pattern } => {
            let pat = b.bind(Bind::Text(pattern.clone()));
            if let Some(column) = text_column(field, st) {
                return format!("({column} LIKE ${pat} ESCAPE '\\')");
            }
            let (column, keys) = json_field(field);
            let guard = guard(b, column, keys);
            let p = path(b, keys);
            format!(
                "(CASE WHEN {guard}jsonb_typeof({column} #> ${p}) = 'string' \
                 THEN ({column} #>> ${p}) LIKE ${pat} ESCAPE '\\' ELSE false END)"
            )
        }
    }
}

/// The text envelope column a field is, if it is one.
fn text_column(field: &Field, st: &Statements) -> Option<String> {
    (field.kind() == FieldKind::Text)
        .then(|| envelope(field, st))
        .flatten()
}

fn json_field(field: &Field) -> (&'static str, &[String]) {
    match field {
        Field::Metadata(keys) => ("metadata", keys),
        Field::Data(keys) => ("event_data", keys),
        _ => ("event_data", &[]),
    }
}

fn path(b: &mut Built, keys: &[String]) -> usize {
    b.bind(Bind::Texts(keys.to_vec()))
}

/// `#>` takes a key that is a number as an array index too; SQLite and Rust do not, so
/// where a key is all digits the value it is looked up in must be an object.
fn guard(b: &mut Built, column: &str, keys: &[String]) -> String {
    let mut out = String::new();
    for (i, key) in keys.iter().enumerate() {
        if !key.is_empty() && key.bytes().all(|c| c.is_ascii_digit()) {
            let p = path(b, &keys[..i]);
            out.push_str(&format!("jsonb_typeof({column} #> ${p}) = 'object' AND "));
        }
    }
    out
}

fn compare(b: &mut Built, st: &Statements, field: &Field, op: CmpOp, value: &Literal) -> String {
    let sql = op.sql();
    if let Some(column) = text_column(field, st) {
        let Literal::Text(t) = value else {
            return "false".into();
        };
        let p = b.bind(Bind::Text(t.clone()));
        // Equality needs no collation (and keeps the column's index usable).
        return match op {
            CmpOp::Eq | CmpOp::Ne => format!("({column} {sql} ${p})"),
            _ => format!("({column} COLLATE \"C\" {sql} ${p} COLLATE \"C\")"),
        };
    }
    match (field, value) {
        (
            Field::Version | Field::Position | Field::SchemaVersion,
            Literal::Number {
                integer: Some(i), ..
            },
        ) => {
            let column = envelope(field, st).unwrap_or_default();
            let p = b.bind(Bind::I64(*i));
            format!("({column} {sql} ${p})")
        }
        (Field::RecordedAt, Literal::Time(t)) => {
            let p = b.bind(Bind::Text(timestamp::format(t)));
            format!("(created_at {sql} ${p}::timestamptz)")
        }
        (Field::Data(_) | Field::Metadata(_), _) => json_compare(b, field, op, value),
        _ => "false".into(),
    }
}

fn json_compare(b: &mut Built, field: &Field, op: CmpOp, value: &Literal) -> String {
    let (column, keys) = json_field(field);
    let scalar = match value {
        Literal::Text(t) => Value::String(t.clone()),
        Literal::Number { text, .. } => serde_json::from_str(text).unwrap_or(Value::Null),
        Literal::Bool(v) => Value::Bool(*v),
        Literal::Null => Value::Null,
        Literal::Time(t) => Value::String(timestamp::format(t)),
    };
    match op {
        CmpOp::Eq | CmpOp::Ne => {
            // {"a":{"b":value}}: containment is exact equality of a scalar at the path.
            let mut pattern = scalar;
            for key in keys.iter().rev() {
                let mut object = Map::new();
                object.insert(key.clone(), pattern);
                pattern = Value::Object(object);
            }
            let contained = b.bind(Bind::Text(pattern.to_string()));
            // Not coalesce(…): the planner matches a GIN index only to a bare `@>`. The
            // second test makes a NULL column false, not unknown.
            let equal = format!("{column} @> ${contained}::jsonb AND {column} IS NOT NULL");
            if op == CmpOp::Eq {
                format!("({equal})")
            } else {
                let guard = guard(b, column, keys);
                let p = path(b, keys);
                format!("({guard}{column} #> ${p} IS NOT NULL AND NOT ({equal}))")
            }
        }
        _ => {
            let guard = guard(b, column, keys);
            let p = path(b, keys);
            let sql = op.sql();
            match value {
                Literal::Number { text, .. } => {
                    let n = b.bind(Bind::Text(text.clone()));
                    format!(
                        "(CASE WHEN {guard}jsonb_typeof({column} #> ${p}) = 'number' \
                         THEN ({column} #>> ${p})::numeric {sql} ${n}::numeric ELSE false END)"
                    )
                }
                Literal::Text(t) => {
                    let v = b.bind(Bind::Text(t.clone()));
                    format!(
                        "(CASE WHEN {guard}jsonb_typeof({column} #> ${p}) = 'string' \
                         THEN ({column} #>> ${p}) COLLATE \"C\" {sql} ${v} COLLATE \"C\" ELSE false END)"
                    )
                }
                // The parser refuses ordering booleans and null.
                _ => "false".into(),
            }
        }
    }
}

/// The RFC 3339 text with microseconds that SQLite stores and Rust prints.
fn time_text(expr: &str) -> String {
    format!("to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
}

/// An envelope field as a column expression (None for data/metadata).
fn envelope(field: &Field, st: &Statements) -> Option<String> {
    Some(match field {
        Field::Type => "event_type".into(),
        Field::Stream => "stream_id".into(),
        Field::Category => st.category_column.into(),
        Field::Version if st.version_offset != 0 => format!("(version + {})", st.version_offset),
        Field::Version => "version".into(),
        Field::Position => "global_position".into(),
        Field::SchemaVersion => st.schema_version_sql.clone(),
        Field::RecordedAt => "created_at".into(),
        Field::Data(_) | Field::Metadata(_) => return None,
    })
}

/// A `rewind query` as one statement: `(group text, count, answer text)` rows. Over the
/// statement's snapshot, not the commit-safe horizon: that orders a reader that tails the
/// log; an aggregate counts what is committed, and another session's open transaction
/// would otherwise hold back rows committed before it.
pub fn aggregate(st: &Statements, q: &AggregateQuery) -> Built {
    let mut b = Built::new(String::new());
    let group = match &q.group_by {
        Some(Field::RecordedAt) => time_text("created_at"),
        Some(field) => match envelope(field, st) {
            Some(column) => format!("({column})::text"),
            None => {
                let (column, keys) = json_field(field);
                let guard = guard(&mut b, column, keys);
                let p = path(&mut b, keys);
                // The value's JSON text, NULL where absent.
                format!("(CASE WHEN {guard}true THEN ({column} #> ${p})::text END)")
            }
        },
        None => "NULL::text".into(),
    };
    // The aggregate as the database computes it (ordered by for `top`), and as text.
    let (raw, answer) = match q.aggregate.field() {
        None => ("count(*)".to_owned(), "NULL::text".to_owned()),
        Some(field) => {
            let function = q.aggregate.key();
            let raw = match (field, envelope(field, st)) {
                (Field::Type | Field::Stream | Field::Category, Some(column)) => {
                    format!("{function}({column} COLLATE \"C\")")
                }
                (_, Some(column)) => format!("{function}({column})"),
                (_, None) => {
                    let (column, keys) = json_field(field);
                    let guard = guard(&mut b, column, keys);
                    let p = path(&mut b, keys);
                    format!(
                        "{function}(CASE WHEN {guard}jsonb_typeof({column} #> ${p}) = 'number' \
                         THEN ({column} #>> ${p})::numeric END)"
                    )
                }
            };
            let answer = match field {
                Field::RecordedAt => time_text(&raw),
                _ => format!("({raw})::text"),
            };
            (raw, answer)
        }
    };
    let condition = match &q.matching {
        Some(matching) => condition(&mut b, st, matching),
        None => "true".into(),
    };
    let mut sql = format!(
        "SELECT {group} AS grp, count(*)::int8, {answer} AS answer FROM {} WHERE {condition}",
        st.events
    );
    if q.group_by.is_some() {
        sql.push_str(" GROUP BY grp");
    }
    if let Some(top) = q.top {
        sql.push_str(&format!(" ORDER BY {raw} DESC NULLS LAST, grp LIMIT {top}"));
    }
    b.sql = sql;
    b
}
