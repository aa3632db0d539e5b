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
    date_of(utc_day())
}

/// Today in UTC as a day number (days since 1970-01-01): what a cache keyed
/// by the day compares, without formatting a date on every request.
pub fn utc_day() -> i64 {
    now().div_euclid(86_400)
}

/// Day number `day` as `YYYY-MM-DD`.
pub fn date_of(day: i64) -> String {
    let date = OffsetDateTime::from_unix_timestamp(day * 86_400)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_number_is_the_utc_date_it_names() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(20_789), "2026-12-02");
        assert_eq!(date_of(-1), "1969-12-31");
    }
}
