//! Names and settings checked before any request: log group and stream names, retention days,
//! and the default stream name (`<hostname>-<username>`, as Python awsimple names it).

use awsimple_core::{Error, Result};

/// Longest log group or log stream name CloudWatch Logs accepts, in characters.
pub const MAX_NAME_LENGTH: usize = 512;

/// Retention of a log group this crate creates, in days (as Python awsimple sets it).
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// The retention periods CloudWatch Logs accepts, in days (`PutRetentionPolicy`).
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Checks a log group name: 1 to 512 characters, each an ASCII letter or digit or one of
/// `.` `-` `_` `/` `#`.
///
/// ```
/// use awsimple_logs::validate_log_group_name;
/// assert!(validate_log_group_name("/my-app/prod").is_ok());
/// assert!(validate_log_group_name("has space").is_err());
/// ```
pub fn validate_log_group_name(name: &str) -> Result<()> {
    let what = || format!("log group name {name:?}");
    if name.is_empty() || name.len() > MAX_NAME_LENGTH {
        return Err(Error::invalid(
            what(),
            format!("must be 1 to {MAX_NAME_LENGTH} characters long"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#')))
    {
        return Err(Error::invalid(
            what(),
            format!(
                "{bad:?} is not allowed: only ASCII letters, digits, '.', '-', '_', '/' and '#'"
            ),
        ));
    }
    Ok(())
}

/// Checks a log stream name: 1 to 512 characters, none of them `:` or `*`.
pub fn validate_log_stream_name(name: &str) -> Result<()> {
    let what = || format!("log stream name {name:?}");
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_LENGTH {
        return Err(Error::invalid(
            what(),
            format!("must be 1 to {MAX_NAME_LENGTH} characters long"),
        ));
    }
    if name.contains([':', '*']) {
        return Err(Error::invalid(what(), "':' and '*' are not allowed"));
    }
    Ok(())
}

/// Checks a retention period: one of [`RETENTION_DAYS`].
pub fn validate_retention_days(days: u32) -> Result<()> {
    if RETENTION_DAYS.contains(&days) {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("log group retention of {days} days"),
            format!("CloudWatch Logs accepts only {RETENTION_DAYS:?} days"),
        ))
    }
}

/// The default log stream name: `<hostname>-<username>`, the way Python awsimple names it
/// (and the node name of awsimple's pub/sub). A `:` or `*` in either part becomes `_`, so the
/// name is always valid.
pub fn default_stream_name() -> String {
    let mut name: String = awsimple_core::default_node_name()
        .chars()
        .map(|c| if c == ':' || c == '*' { '_' } else { c })
        .collect();
    if name.chars().count() > MAX_NAME_LENGTH {
        name = name.chars().take(MAX_NAME_LENGTH).collect();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names() {
        for good in ["a", "/aws/lambda/x", "my.app-1_#2", &"g".repeat(512)] {
            assert!(validate_log_group_name(good).is_ok(), "{good:?}");
        }
        for bad in ["", "a b", "a:b", "a*b", "é", &"g".repeat(513)] {
            let err = validate_log_group_name(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad:?}: {err}");
        }
    }

    #[test]
    fn stream_names() {
        assert!(validate_log_stream_name("host-user é").is_ok());
        for bad in ["", "a:b", "a*", &"s".repeat(513)] {
            assert!(validate_log_stream_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn retention_days() {
        assert!(validate_retention_days(365).is_ok());
        assert!(validate_retention_days(3653).is_ok());
        for bad in [0, 2, 364, 366, 10_000] {
            assert!(validate_retention_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_stream_name_is_valid() {
        let name = default_stream_name();
        assert!(validate_log_stream_name(&name).is_ok(), "{name:?}");
        assert!(name.contains('-'), "{name:?}");
    }
}
