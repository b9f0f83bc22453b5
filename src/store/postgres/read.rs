//! Read queries on a PostgreSQL store. Each returns one bounded page; the log is read in
//! commit-safe order (see `sql::VISIBLE`), or by position with gap waits on a table
//! without rewind's `tx_id` column.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool, Row};
use uuid::Uuid;

use super::sql::{self, Bind, Built, Statements, VISIBLE};
use super::where_sql;
use crate::store::error::{Result, StoreError};
use crate::store::expr::aggregate::{AggregateQuery, AggregateRow};
use crate::store::model::{
    Direction, LogFilter, LogQuery, Position, RecordedEvent, StreamInfo, StreamQuery, StreamsQuery,
    Version,
};

pub async fn read_stream<'e>(
    ex: impl PgExecutor<'e>,
    st: &Statements,
    stream_id: &str,
    q: &StreamQuery,
) -> Result<Vec<RecordedEvent>> {
    let order = match q.direction {
        Direction::Forward => "ASC",
        Direction::Backward => "DESC",
    };
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE ",
        st.event_columns, st.events
    ));
    let stream = b.bind(Bind::Text(stream_id.to_owned()));
    let from = b.bind(Bind::I64(q.from.unwrap_or(1).min(i64::MAX as u64) as i64));
    let to = b.bind(Bind::I64(
        q.to.unwrap_or(u64::MAX).min(i64::MAX as u64) as i64
    ));
    let limit = b.bind(Bind::I64(q.limit as i64));
    let matching = q.matching.as_ref().map_or(String::new(), |m| {
        format!(" AND {}", where_sql::condition(&mut b, st, m))
    });
    b.push(&format!(
        "{} AND version >= {} AND version <= {}{matching} ORDER BY version {order} LIMIT ${limit}",
        st.stream_eq(stream),
        st.version_param(from),
        st.version_param(to),
    ));
    events(ex, b).await
}

async fn events<'e>(ex: impl PgExecutor<'e>, b: Built) -> Result<Vec<RecordedEvent>> {
    let rows = b.query().fetch_all(ex).await?;
    rows.iter().map(sql::event_from_row).collect()
}

/// One page of the log in log order, between the query's bounds and `horizon` (the last
/// position a table without `tx_id` may be read to; None with commit order). `before`
/// (exclusive; Some(None): the end) reads backward, newest first.
pub async fn read_log(
    pool: &PgPool,
    st: &Statements,
    q: &LogQuery,
    before: Option<Option<Position>>,
    horizon: Option<Position>,
) -> Result<Vec<RecordedEvent>> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE true",
        st.event_columns, st.events
    ));
    if st.commit_order {
        b.push(&format!(" AND {VISIBLE}"));
    }
    if let Some(horizon) = horizon {
        let p = b.bind(Bind::I64(clamp(horizon)));
        b.push(&format!(" AND global_position <= ${p}"));
    }
    if q.after > 0 {
        let p = b.bind(Bind::I64(clamp(q.after)));
        b.push(&format!(" AND {}", st.log_bound(">", p, true)));
    }
    if let Some(min) = q.min_position.filter(|m| *m > 0) {
        let p = b.bind(Bind::I64(clamp(min)));
        b.push(&format!(" AND {}", st.log_bound(">=", p, false)));
    }
    if let Some(Some(before)) = before {
        let p = b.bind(Bind::I64(clamp(before)));
        b.push(&format!(" AND {}", st.log_bound("<", p, true)));
    }
    push_filter(&mut b, st, &q.filter);
    let limit = b.bind(Bind::I64(q.limit as i64));
    b.push(&format!(
        " ORDER BY {} LIMIT ${limit}",
        st.log_order(before.is_some())
    ));
    let page = events(pool, b).await?;
    if page.is_empty() && q.after > 0 && !position_exists(pool, st, q.after).await? {
        return Err(StoreError::InvalidInput(format!(
            "no event at position {}: on PostgreSQL --after names a stored event (0: from the start)",
            q.after
        )));
    }
    Ok(page)
}

fn clamp(position: Position) -> i64 {
    position.min(i64::MAX as u64) as i64
}

fn push_filter(b: &mut Built, st: &Statements, filter: &LogFilter) {
    if !filter.event_types.is_empty() {
        let p = b.bind(Bind::Texts(filter.event_types.clone()));
        b.push(&format!(" AND event_type = ANY(${p}::text[])"));
    }
    if let Some(category) = &filter.category {
        let p = b.bind(Bind::Text(category.clone()));
        b.push(&format!(" AND {} = ${p}", st.category_column));
    }
    if let Some(correlation) = &filter.correlation_id {
        let p = b.bind(Bind::Text(correlation.clone()));
        b.push(&format!(
            " AND metadata ? 'correlation_id' AND metadata ->> 'correlation_id' = ${p}"
        ));
    }
    if !filter.streams.is_empty() {
        let p = b.bind(Bind::Texts(filter.streams.clone()));
        b.push(&format!(" AND stream_id = ANY(${p}::text[])"));
    }
    if let Some(matching) = &filter.matching {
        let condition = where_sql::condition(b, st, matching);
        b.push(&format!(" AND {condition}"));
    }
}

pub async fn position_exists(pool: &PgPool, st: &Statements, position: Position) -> Result<bool> {
    let sql = format!("SELECT 1 FROM {} WHERE global_position = $1", st.events);
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(clamp(position))
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

/// The positions after `after`, in position order, with how long ago (ms) each row's
/// transaction began: what a reader of a table without `tx_id` judges gaps by.
pub async fn positions_after(
    pool: &PgPool,
    st: &Statements,
    after: Position,
    limit: usize,
) -> Result<Vec<(Position, f64)>> {
    let sql = format!(
        "SELECT global_position::int8, \
         (extract(epoch FROM (clock_timestamp() - created_at)) * 1000)::float8 \
         FROM {} WHERE global_position > $1 ORDER BY global_position LIMIT $2",
        st.events
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(clamp(after))
        .bind(limit as i64)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<i64, _>(0)? as Position, r.try_get::<f64, _>(1)?)))
        .collect()
}

pub async fn head(pool: &PgPool, st: &Statements) -> Result<Position> {
    let head: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(st.head()))
        .fetch_optional(pool)
        .await?
        .map(|r| r.try_get::<Option<i64>, _>(0))
        .transpose()?
        .flatten();
    Ok(head.unwrap_or(0) as Position)
}

pub async fn stream_version(pool: &PgPool, st: &Statements, stream_id: &str) -> Result<Version> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {}",
        st.max_version(),
        st.events,
        st.stream_eq(1)
    );
    let v: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(stream_id)
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    Ok(v.unwrap_or(0) as Version)
}

pub async fn stream_info(
    pool: &PgPool,
    st: &Statements,
    stream_id: &str,
) -> Result<Option<StreamInfo>> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE ",
        st.stream_columns, st.streams_source
    ));
    let p = b.bind(Bind::Text(stream_id.to_owned()));
    b.push(&st.stream_eq(p));
    let row = b.query().fetch_optional(pool).await?;
    row.as_ref().map(sql::stream_from_row).transpose()
}

/// Streams by id: forward after `q.after`, or backward before `before` (Some(None): from
/// the last).
pub async fn list_streams(
    pool: &PgPool,
    st: &Statements,
    q: &StreamsQuery,
    before: Option<Option<String>>,
) -> Result<Vec<StreamInfo>> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE true",
        st.stream_columns, st.streams_source
    ));
    if let Some(Some(before)) = &before {
        let p = b.bind(Bind::Text(before.clone()));
        b.push(&format!(" AND stream_id COLLATE \"C\" < ${p}"));
    }
    if let Some(category) = &q.category {
        let p = b.bind(Bind::Text(category.clone()));
        b.push(&format!(" AND stream_type = ${p}"));
    }
    if let Some(after) = &q.after {
        let p = b.bind(Bind::Text(after.clone()));
        b.push(&format!(" AND stream_id COLLATE \"C\" > ${p}"));
    }
    if let Some(matching) = &q.matching {
        // Streams with a matching event.
        let condition = where_sql::condition(&mut b, st, matching);
        b.push(&format!(
            " AND stream_id IN (SELECT stream_id FROM {} WHERE {condition})",
            st.events
        ));
    }
    let limit = b.bind(Bind::I64(q.limit as i64));
    // Byte order, as SQLite sorts: the database's collation could differ by locale.
    b.push(&format!(
        " ORDER BY stream_id COLLATE \"C\" {} LIMIT ${limit}",
        if before.is_some() { "DESC" } else { "ASC" }
    ));
    streams(pool, b).await
}

async fn streams(pool: &PgPool, b: Built) -> Result<Vec<StreamInfo>> {
    let rows = b.query().fetch_all(pool).await?;
    rows.iter().map(sql::stream_from_row).collect()
}

pub async fn streams_by_activity(
    pool: &PgPool,
    st: &Statements,
    category: Option<String>,
    cursor: Option<(DateTime<Utc>, String)>,
    direction: Direction,
    limit: usize,
) -> Result<Vec<StreamInfo>> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE true",
        st.stream_columns, st.streams_source
    ));
    if let Some(category) = category {
        let p = b.bind(Bind::Text(category));
        b.push(&format!(" AND stream_type = ${p}"));
    }
    let (compare, order) = match direction {
        Direction::Backward => ("<", "DESC"),
        Direction::Forward => (">", "ASC"),
    };
    if let Some((updated, id)) = cursor {
        let t = b.bind(Bind::I64(sql::to_micros(&updated)));
        let s = b.bind(Bind::Text(id));
        b.push(&format!(
            " AND (updated_at, stream_id COLLATE \"C\") {compare} ({}, ${s})",
            sql::from_micros(t)
        ));
    }
    let limit = b.bind(Bind::I64(limit as i64));
    b.push(&format!(
        " ORDER BY updated_at {order}, stream_id COLLATE \"C\" {order} LIMIT ${limit}"
    ));
    streams(pool, b).await
}

pub async fn activity_per_day(
    pool: &PgPool,
    st: &Statements,
    stream_id: &str,
) -> Result<Vec<(String, u64)>> {
    let sql = format!(
        "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int8 \
         FROM {} WHERE {} GROUP BY day ORDER BY day",
        st.events,
        st.stream_eq(1)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(stream_id)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? as u64)))
        .collect()
}

pub async fn event_by_id(
    pool: &PgPool,
    st: &Statements,
    event_id: Uuid,
) -> Result<Option<RecordedEvent>> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE ",
        st.event_columns, st.events
    ));
    let p = b.bind(Bind::Text(event_id.to_string()));
    b.push(&st.id_eq(p));
    let row = b.query().fetch_optional(pool).await?;
    row.as_ref().map(sql::event_from_row).transpose()
}

pub async fn caused_by(
    pool: &PgPool,
    st: &Statements,
    event_id: Uuid,
    limit: usize,
) -> Result<Vec<RecordedEvent>> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE metadata ? 'causation_id' AND metadata ->> 'causation_id' = ",
        st.event_columns, st.events
    ));
    let p = b.bind(Bind::Text(event_id.to_string()));
    let l = b.bind(Bind::I64(limit as i64));
    b.push(&format!("${p} ORDER BY {} LIMIT ${l}", st.log_order(false)));
    events(pool, b).await
}

pub async fn position_at_time(
    pool: &PgPool,
    st: &Statements,
    at: DateTime<Utc>,
) -> Result<Option<Position>> {
    let mut b = Built::new(format!(
        "SELECT global_position::int8 FROM {} WHERE ",
        st.events
    ));
    let p = b.bind(Bind::I64(sql::to_micros(&at)));
    b.push(&format!("created_at >= {}", sql::from_micros(p)));
    if st.commit_order {
        b.push(&format!(" AND {VISIBLE}"));
    }
    b.push(&format!(" ORDER BY {} LIMIT 1", st.log_order(false)));
    let row = b.query().fetch_optional(pool).await?;
    Ok(row
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()?
        .map(|p| p as Position))
}

pub async fn version_at_time(
    pool: &PgPool,
    st: &Statements,
    stream_id: &str,
    at: DateTime<Utc>,
) -> Result<Version> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE ",
        st.max_version(),
        st.events
    ));
    let s = b.bind(Bind::Text(stream_id.to_owned()));
    let t = b.bind(Bind::I64(sql::to_micros(&at)));
    b.push(&format!(
        "{} AND created_at <= {}",
        st.stream_eq(s),
        sql::from_micros(t)
    ));
    let v: Option<i64> = b.query().fetch_one(pool).await?.try_get(0)?;
    Ok(v.unwrap_or(0) as Version)
}

/// The stream's highest version at or before the event at `position` in log order (the
/// nearest event below when no event has that position).
pub async fn version_at_position(
    pool: &PgPool,
    st: &Statements,
    stream_id: &str,
    position: Position,
) -> Result<Version> {
    let mut b = Built::new(format!(
        "SELECT {} FROM {} WHERE ",
        st.max_version(),
        st.events
    ));
    let s = b.bind(Bind::Text(stream_id.to_owned()));
    let p = b.bind(Bind::I64(clamp(position)));
    b.push(&format!(
        "{} AND {}",
        st.stream_eq(s),
        st.log_bound("<=", p, false)
    ));
    let v: Option<i64> = b.query().fetch_one(pool).await?.try_get(0)?;
    Ok(v.unwrap_or(0) as Version)
}

/// `rewind query`: grouped and aggregated by the server; values cross as text and are
/// typed here by the field they came from.
pub async fn aggregate(
    pool: &PgPool,
    st: &Statements,
    q: &AggregateQuery,
) -> Result<Vec<AggregateRow>> {
    use crate::store::expr::FieldKind;
    use crate::store::expr::aggregate::number_from_text;
    let typed = |kind: FieldKind, text: Option<String>| match (kind, text) {
        (_, None) => serde_json::Value::Null,
        (FieldKind::Text | FieldKind::Time, Some(t)) => serde_json::Value::String(t),
        (FieldKind::Integer, Some(t)) => number_from_text(&t),
        (FieldKind::Json, Some(t)) => {
            serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t))
        }
    };
    let rows = where_sql::aggregate(st, q).query().fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            let group: Option<String> = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            let answer: Option<String> = row.try_get(2)?;
            Ok(AggregateRow {
                group: q.group_by.as_ref().map(|f| typed(f.kind(), group)),
                count: count as u64,
                value: q.aggregate.field().map(|f| {
                    // Sums and extremes of JSON fields are numbers.
                    let kind = match f.kind() {
                        FieldKind::Json => FieldKind::Integer,
                        other => other,
                    };
                    typed(kind, answer)
                }),
            })
        })
        .collect()
}

/// Which of `ids` name a stored event.
pub async fn existing_event_ids(
    pool: &PgPool,
    st: &Statements,
    ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>> {
    let mut b = Built::new(format!("SELECT id::text FROM {} WHERE ", st.events));
    let p = b.bind(Bind::Texts(ids.iter().map(Uuid::to_string).collect()));
    b.push(&st.id_in(p));
    let rows = b.query().fetch_all(pool).await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>(0).ok())
        .filter_map(|t| Uuid::parse_str(&t).ok())
        .collect())
}
