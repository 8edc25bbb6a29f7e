//! Wall-clock helpers: epoch seconds and ISO 8601 text without a date-time dependency.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time since the epoch (zero for clocks before 1970).
pub(crate) fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Microseconds since the epoch.
pub(crate) fn epoch_micros(t: SystemTime) -> u64 {
    u64::try_from(since_epoch(t).as_micros()).unwrap_or(u64::MAX)
}

/// Fractional seconds since the epoch as decimal text with microseconds (`1714567890.123456`),
/// exact (no binary rounding), as `mtime_f` is written.
pub(crate) fn epoch_seconds_text(t: SystemTime) -> String {
    let d = since_epoch(t);
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

/// ISO 8601 in UTC with an explicit offset and microseconds: `2024-05-01T12:34:56.123456+00:00`
/// (the form Python's `datetime.isoformat()` gives for an aware time).
pub(crate) fn iso8601_utc(t: SystemTime) -> String {
    let d = since_epoch(t);
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if m <= 2 { y + 1 } else { y };
    (
        year,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let t = UNIX_EPOCH + Duration::from_micros(1_714_567_890_123_456);
        assert_eq!(iso8601_utc(t), "2024-05-01T12:51:30.123456+00:00");
        assert_eq!(epoch_seconds_text(t), "1714567890.123456");
        assert_eq!(iso8601_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000000+00:00");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert!(iso8601_utc(leap).starts_with("2000-02-29T00:00:00"));
    }
}
