//! `rewind query`: counts, sums, minimums and maximums over the events an expression
//! matches, optionally per group (the value of a field) and the top N groups, computed
//! by the database (GROUP BY), never by reading the events out.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::{Field, FieldKind, Where, WhereError};

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    /// How many events.
    Count,
    /// The sum of a numeric field (values that are not numbers are passed over).
    Sum(Field),
    /// The smallest value of a field (numbers only for data/metadata fields).
    Min(Field),
    /// The largest value of a field (numbers only for data/metadata fields).
    Max(Field),
}

impl Aggregate {
    /// `count`, or `sum`/`min`/`max` of the field named `field`.
    pub fn parse(function: &str, field: Option<&str>) -> Result<Aggregate, WhereError> {
        let need = |field: Option<&str>| -> Result<Field, WhereError> {
            let name = field.ok_or_else(|| WhereError {
                column: 1,
                message: format!("{function} needs a field: {function} data.amount"),
            })?;
            super::parse::field(name)
        };
        let aggregate = match function.to_ascii_lowercase().as_str() {
            "count" => Aggregate::Count,
            "sum" => Aggregate::Sum(need(field)?),
            "min" => Aggregate::Min(need(field)?),
            "max" => Aggregate::Max(need(field)?),
            other => {
                return Err(WhereError {
                    column: 1,
                    message: format!("no aggregate {other:?}: count, sum, min or max"),
                });
            }
        };
        if let Aggregate::Sum(field) = &aggregate
            && !matches!(field.kind(), FieldKind::Integer | FieldKind::Json)
        {
            return Err(WhereError {
                column: 1,
                message: format!("sum adds numbers; {} is not a number", field.name()),
            });
        }
        Ok(aggregate)
    }

    /// The output key: `count`, `sum`, `min` or `max`.
    pub fn key(&self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum(_) => "sum",
            Aggregate::Min(_) => "min",
            Aggregate::Max(_) => "max",
        }
    }

    /// The field aggregated, if any.
    pub fn field(&self) -> Option<&Field> {
        match self {
            Aggregate::Count => None,
            Aggregate::Sum(f) | Aggregate::Min(f) | Aggregate::Max(f) => Some(f),
        }
    }
}

/// One aggregate query.
#[derive(Debug, Clone)]
pub struct AggregateQuery {
    /// What to compute.
    pub aggregate: Aggregate,
    /// Over the events this matches (None: all).
    pub matching: Option<Where>,
    /// Per value of this field (None: one answer).
    pub group_by: Option<Field>,
    /// Only the N groups with the largest answer, largest first.
    pub top: Option<usize>,
}

/// One answer: a group's value (when grouped), its event count, and the aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    /// The group's value (null for events without the field); None when not grouped.
    pub group: Option<Value>,
    /// Events in the group.
    pub count: u64,
    /// The sum, minimum or maximum (null when no event had a value); None for `count`.
    pub value: Option<Value>,
}

impl AggregateRow {
    /// The row as `rewind query` prints it: `{"group": …, "count": N, "sum": …}`.
    pub fn to_json(&self, aggregate: &Aggregate) -> Value {
        let mut object = Map::new();
        if let Some(group) = &self.group {
            object.insert("group".into(), group.clone());
        }
        object.insert("count".into(), Value::from(self.count));
        if let Some(value) = &self.value {
            object.insert(aggregate.key().into(), value.clone());
        }
        Value::Object(object)
    }
}

/// Orders rows as `rewind query` prints them: by group value without `top`; with it, by
/// the answer (largest first), then group. The same order from every backend.
pub fn order_rows(rows: &mut [AggregateRow], query: &AggregateQuery) {
    let answer = |row: &AggregateRow| match &query.aggregate {
        Aggregate::Count => Value::from(row.count),
        _ => row.value.clone().unwrap_or(Value::Null),
    };
    rows.sort_by(|a, b| {
        let by_group = json_order(
            a.group.as_ref().unwrap_or(&Value::Null),
            b.group.as_ref().unwrap_or(&Value::Null),
        );
        if query.top.is_some() {
            json_order(&answer(b), &answer(a)).then(by_group)
        } else {
            by_group
        }
    });
}

/// A total order over JSON values: null, false, true, numbers, text (bytes), then the rest
/// by their text.
pub fn json_order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x
                .as_f64()
                .unwrap_or(0.0)
                .partial_cmp(&y.as_f64().unwrap_or(0.0))
                .unwrap_or(Ordering::Equal),
        },
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => rank(a)
            .cmp(&rank(b))
            .then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

/// A number from a database's text for it (`150`, `2.5`, `1e3`), as JSON.
pub fn number_from_text(text: &str) -> Value {
    serde_json::from_str::<Value>(text.trim())
        .ok()
        .filter(Value::is_number)
        .or_else(|| {
            text.trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
        })
        .unwrap_or(Value::Null)
}
