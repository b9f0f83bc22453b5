//! The expression evaluated on an event in Rust: the semantics the SQL compilers must
//! match (the conformance suite checks both against this on the same events).

use std::cmp::Ordering;

use serde_json::Value;

use super::{CmpOp, Expr, Field, LikePiece, Literal, Where, like_pieces};
use crate::store::RecordedEvent;

/// A field's value on one event.
enum Got<'a> {
    Text(&'a str),
    Integer(i64),
    Time(chrono::DateTime<chrono::Utc>),
    Json(Option<Value>),
}

impl Where {
    /// Whether `event` matches the expression.
    pub fn matches(&self, event: &RecordedEvent) -> bool {
        // Parsed once per event, only when the expression looks at data or metadata.
        let mut data = None;
        let mut metadata = None;
        matches(self.expr(), event, &mut data, &mut metadata)
    }
}

fn matches(
    expr: &Expr,
    event: &RecordedEvent,
    data: &mut Option<Value>,
    metadata: &mut Option<Value>,
) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, event, data, metadata) && matches(b, event, data, metadata),
        Expr::Or(a, b) => matches(a, event, data, metadata) || matches(b, event, data, metadata),
        Expr::Not(inner) => !matches(inner, event, data, metadata),
        Expr::Compare { field, op, value } => {
            let got = get(field, event, data, metadata);
            compare(&got, *op, value)
        }
        Expr::In { field, values } => {
            let got = get(field, event, data, metadata);
            values.iter().any(|v| compare(&got, CmpOp::Eq, v))
        }
        Expr::Exists(field) => match get(field, event, data, metadata) {
            Got::Json(v) => v.is_some(),
            _ => true,
        },
        Expr::Like { field, pattern } => match get(field, event, data, metadata) {
            Got::Text(t) => like(t, pattern),
            Got::Json(Some(Value::String(t))) => like(&t, pattern),
            _ => false,
        },
    }
}

fn get<'a>(
    field: &Field,
    event: &'a RecordedEvent,
    data: &mut Option<Value>,
    metadata: &mut Option<Value>,
) -> Got<'a> {
    let walk = |root: &Value, keys: &[String]| {
        let mut at = root;
        for key in keys {
            at = at.as_object()?.get(key)?;
        }
        Some(at.clone())
    };
    match field {
        Field::Type => Got::Text(&event.event_type),
        Field::Stream => Got::Text(&event.stream_id),
        Field::Category => Got::Text(&event.stream_type),
        Field::Version => Got::Integer(event.version as i64),
        Field::Position => Got::Integer(event.global_position as i64),
        Field::SchemaVersion => Got::Integer(i64::from(event.schema_version)),
        Field::RecordedAt => Got::Time(event.recorded_at),
        Field::Data(keys) => {
            let root = data.get_or_insert_with(|| {
                serde_json::from_str(event.data.get()).unwrap_or(Value::Null)
            });
            Got::Json(walk(root, keys))
        }
        Field::Metadata(keys) => {
            let root = metadata.get_or_insert_with(|| {
                serde_json::from_str(event.metadata.get()).unwrap_or(Value::Null)
            });
            Got::Json(walk(root, keys))
        }
    }
}

fn compare(got: &Got<'_>, op: CmpOp, value: &Literal) -> bool {
    let ordering = match (got, value) {
        (Got::Text(t), Literal::Text(v)) => Some(t.as_bytes().cmp(v.as_bytes())),
        (
            Got::Integer(i),
            Literal::Number {
                integer: Some(v), ..
            },
        ) => Some(i.cmp(v)),
        (Got::Time(t), Literal::Time(v)) => Some(t.cmp(v)),
        // An absent JSON field matches no comparison.
        (Got::Json(None), _) => return false,
        (Got::Json(Some(json)), literal) => json_ordering(json, literal),
        _ => None,
    };
    match ordering {
        Some(ordering) => op.holds(ordering),
        // Values of different JSON types: unequal, and unordered.
        None => op == CmpOp::Ne,
    }
}

/// How a JSON value compares with a literal of the same type (None: different types).
fn json_ordering(json: &Value, literal: &Literal) -> Option<Ordering> {
    match (json, literal) {
        (Value::String(s), Literal::Text(t)) => Some(s.as_bytes().cmp(t.as_bytes())),
        (Value::Number(n), Literal::Number { value, integer, .. }) => match (n.as_i64(), integer) {
            (Some(a), Some(b)) => Some(a.cmp(b)),
            _ => n.as_f64()?.partial_cmp(value),
        },
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Value::Null, Literal::Null) => Some(Ordering::Equal),
        _ => None,
    }
}

/// `like`: the whole text matches the pattern (case-sensitive).
pub fn like(text: &str, pattern: &str) -> bool {
    let pieces = like_pieces(pattern);
    let chars: Vec<char> = text.chars().collect();
    // Classic wildcard matching with one backtrack point (the last `%`).
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < chars.len() {
        match pieces.get(p) {
            Some(LikePiece::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikePiece::One) => {
                t += 1;
                p += 1;
            }
            Some(LikePiece::Literal(c)) if *c == chars[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pieces[p..].iter().all(|piece| *piece == LikePiece::Any)
}
