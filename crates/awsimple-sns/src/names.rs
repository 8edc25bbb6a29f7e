//! Names, messages and subjects checked before any request is sent.

use awsimple_core::{Error, Result};

/// Largest message SNS accepts, in bytes.
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024;
/// Messages per PublishBatch request.
pub const BATCH_SIZE: usize = 10;
/// Checks a topic name: 1 to 256 ASCII letters, digits, `-` or `_`, plus `.fifo` at the end of
/// a FIFO topic's name.
pub fn validate_topic_name(name: &str) -> Result<()> {
    let what = || format!("SNS topic name {name:?}");
    if name.is_empty() || name.len() > 256 {
        return Err(Error::invalid(what(), "must be 1 to 256 characters long"));
    }
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if base.is_empty()
        || !base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            what(),
            "only ASCII letters, digits, '-' and '_' are allowed (and a final `.fifo`)",
        ));
    }
    Ok(())
}

pub(crate) fn validate_message(message: &str) -> Result<()> {
    if message.is_empty() {
        return Err(Error::invalid("SNS message", "it is empty"));
    }
    if message.len() > MAX_MESSAGE_SIZE {
        return Err(Error::invalid(
            "SNS message",
            format!(
                "{} bytes is over the {MAX_MESSAGE_SIZE}-byte limit",
                message.len()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn validate_subject(subject: &str) -> Result<()> {
    if subject.is_empty() || subject.len() > 100 {
        return Err(Error::invalid(
            format!("SNS subject {subject:?}"),
            "must be 1 to 100 characters long",
        ));
    }
    if !subject
        .chars()
        .all(|c| c.is_ascii() && !c.is_ascii_control())
    {
        return Err(Error::invalid(
            format!("SNS subject {subject:?}"),
            "only printable ASCII without line breaks is allowed",
        ));
    }
    Ok(())
}

/// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_subjects_and_partitions() {
        assert!(validate_topic_name("alerts-1_x").is_ok());
        assert!(validate_topic_name("orders.fifo").is_ok());
        for bad in ["", "a b", "a.b", ".fifo", &"x".repeat(257)] {
            assert!(validate_topic_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_subject("disk").is_ok());
        assert!(validate_subject("two\nlines").is_err());
        assert!(validate_subject(&"s".repeat(101)).is_err());
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
