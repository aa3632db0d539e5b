//! Wall-clock time as the database stores it: unix seconds (milliseconds
//! where a second is too coarse: revocation cut-offs).

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 in UTC, as the API shows times.
pub fn rfc3339(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Today's date in UTC as `YYYY-MM-DD`, the format of a setlist's
/// `show_date`: shows before it are past.
pub fn today() -> String {
    let date = OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
