//! [`LogEvent`] and the limits CloudWatch Logs puts on events and on one `PutLogEvents`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsimple_core::{Error, Result};

/// Bytes CloudWatch Logs adds to each event's UTF-8 size when it sizes a batch.
pub const EVENT_OVERHEAD: usize = 26;
/// Largest message of one event, in UTF-8 bytes: 256 KiB less the per-event overhead. Longer
/// messages are refused with [`Error::InvalidInput`] before any request (the tracing layer
/// truncates instead, since it has nobody to return an error to).
pub const MAX_EVENT_SIZE: usize = 256 * 1024 - EVENT_OVERHEAD;
/// Most events in one `PutLogEvents` request.
pub const MAX_BATCH_EVENTS: usize = 10_000;
/// Most bytes in one `PutLogEvents` request: the events' UTF-8 sizes plus 26 bytes each.
pub const MAX_BATCH_SIZE: usize = 1_048_576;
/// Longest time span between the first and the last event of one `PutLogEvents` request.
pub const MAX_BATCH_SPAN: Duration = Duration::from_secs(24 * 60 * 60);
/// Oldest event CloudWatch Logs accepts, relative to now.
pub const MAX_EVENT_AGE: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// Furthest into the future an event's timestamp may be, relative to now.
pub const MAX_EVENT_FUTURE: Duration = Duration::from_secs(2 * 60 * 60);

/// One log event: when it happened and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    /// When the event happened (sent with millisecond precision).
    pub timestamp: SystemTime,
    /// The message (UTF-8, 1 to [`MAX_EVENT_SIZE`] bytes).
    pub message: String,
}

impl LogEvent {
    /// An event that happens now.
    pub fn new(message: impl Into<String>) -> Self {
        Self::at(SystemTime::now(), message)
    }

    /// An event that happened at `timestamp`.
    pub fn at(timestamp: SystemTime, message: impl Into<String>) -> Self {
        LogEvent {
            timestamp,
            message: message.into(),
        }
    }

    /// Its size as CloudWatch Logs counts it against [`MAX_BATCH_SIZE`]: UTF-8 bytes + 26.
    pub fn size(&self) -> usize {
        self.message.len() + EVENT_OVERHEAD
    }

    /// Milliseconds since the Unix epoch (negative before it).
    pub(crate) fn millis(&self) -> i64 {
        millis(self.timestamp)
    }
}

/// Milliseconds since the Unix epoch, saturating (negative before it).
pub(crate) fn millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

pub(crate) fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Checks a message: not empty, at most [`MAX_EVENT_SIZE`] bytes.
pub(crate) fn check_message(message: &str, what: impl FnOnce() -> String) -> Result<()> {
    if message.is_empty() {
        return Err(Error::invalid(
            what(),
            "the message is empty (CloudWatch Logs needs at least one character)",
        ));
    }
    if message.len() > MAX_EVENT_SIZE {
        return Err(Error::invalid(
            what(),
            format!(
                "{} bytes is over the {MAX_EVENT_SIZE}-byte limit of one event",
                message.len()
            ),
        ));
    }
    Ok(())
}

/// Where a timestamp falls relative to the window CloudWatch Logs accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Window {
    Inside,
    TooOld,
    TooNew,
}

pub(crate) fn window(timestamp_ms: i64, now_ms: i64) -> Window {
    if timestamp_ms < now_ms.saturating_sub(duration_millis(MAX_EVENT_AGE)) {
        Window::TooOld
    } else if timestamp_ms > now_ms.saturating_add(duration_millis(MAX_EVENT_FUTURE)) {
        Window::TooNew
    } else {
        Window::Inside
    }
}

/// `message` cut to at most `max` bytes on a character boundary, with a note of what was cut.
#[cfg_attr(not(feature = "tracing-layer"), allow(dead_code))] // used by the layer
pub(crate) fn truncate(mut message: String, max: usize) -> String {
    if message.len() <= max {
        return message;
    }
    let original = message.len();
    let note_room = 40;
    let mut end = max.saturating_sub(note_room);
    while end > 0 && !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push_str(&format!(" [truncated {} bytes]", original - end));
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_limits() {
        assert_eq!(LogEvent::new("abc").size(), 29);
        assert_eq!(LogEvent::new("é").size(), 28);
        assert_eq!(MAX_EVENT_SIZE + EVENT_OVERHEAD, 262_144);
        assert!(check_message("x", String::new).is_ok());
        assert!(check_message(&"x".repeat(MAX_EVENT_SIZE), String::new).is_ok());
        assert!(check_message(&"x".repeat(MAX_EVENT_SIZE + 1), String::new).is_err());
        assert!(check_message("", String::new).is_err());
    }

    #[test]
    fn millis_before_and_after_the_epoch() {
        assert_eq!(millis(UNIX_EPOCH + Duration::from_millis(1500)), 1500);
        assert_eq!(millis(UNIX_EPOCH - Duration::from_millis(20)), -20);
    }

    #[test]
    fn the_accepted_window() {
        let now = 1_000_000_000_000;
        let day = 24 * 3_600_000;
        assert_eq!(window(now, now), Window::Inside);
        assert_eq!(window(now - 14 * day, now), Window::Inside);
        assert_eq!(window(now - 14 * day - 1, now), Window::TooOld);
        assert_eq!(window(now + 2 * 3_600_000, now), Window::Inside);
        assert_eq!(window(now + 2 * 3_600_000 + 1, now), Window::TooNew);
    }

    #[test]
    fn truncation_keeps_utf8_and_says_so() {
        let long = "é".repeat(1000);
        let cut = truncate(long.clone(), 301);
        assert!(cut.len() <= 301, "{}", cut.len());
        assert!(cut.ends_with("bytes]"), "{cut}");
        assert!(cut.starts_with("éé"));
        assert_eq!(truncate("short".into(), 301), "short");
    }
}
