//! Timestamps as the store keeps and prints them: RFC 3339, UTC, microseconds, `Z`.
//! The fixed width makes the stored text sort in time order.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, SubsecRound, Utc};

/// Now, truncated to the microseconds the store keeps.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `2026-01-15T10:30:00.123456Z`.
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Any RFC 3339 time (any offset), converted to UTC and truncated to microseconds.
pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    Ok(DateTime::parse_from_rfc3339(text)?
        .with_timezone(&Utc)
        .trunc_subsecs(6))
}

/// RFC 3339 with any offset; without one (`2026-01-15T10:30`, `2026-01-15`) it is UTC.
pub fn parse_user_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = parse(text) {
        return Ok(t);
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(format!(
        "{text:?} is not a time: use RFC 3339, e.g. 2026-01-15T10:30:00Z (no offset: UTC)"
    ))
}

/// Serde adapter for the contract's format.
pub mod serde_micros {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes a time as RFC 3339 with microseconds and `Z`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(t))
    }

    /// Parses a time written by `serialize` (or any RFC 3339 time).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse(&text).map_err(|e| serde::de::Error::custom(format!("bad time {text:?}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_microseconds_and_z() {
        let t = parse("2026-01-15T11:30:00.1234567+01:00").unwrap();
        assert_eq!(format(&t), "2026-01-15T10:30:00.123456Z");
        assert_eq!(
            format(&parse("2026-01-15T10:30:00Z").unwrap()),
            "2026-01-15T10:30:00.000000Z"
        );
    }
}
