//! Names and limits checked before any request is sent.

use std::time::Duration;

use awsimple_core::{Error, Result};

/// Largest message body, in bytes, awsimple sends by default (SQS's classic 256 KiB limit;
/// raise it with [`SqsAccessBuilder::max_message_size`](crate::SqsAccessBuilder::max_message_size) for queues configured larger).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 256 * 1024;
/// Messages per SQS batch request.
pub const BATCH_SIZE: usize = 10;
/// Longest long-poll wait SQS allows.
pub const LONG_POLL_WAIT: Duration = Duration::from_secs(20);
/// Checks an SQS queue name: 1 to 80 ASCII letters, digits, `-` or `_`, plus `.fifo` at the end
/// of a FIFO queue's name (counted in the 80).
pub fn validate_queue_name(name: &str) -> Result<()> {
    let what = || format!("SQS queue name {name:?}");
    if name.is_empty() || name.len() > 80 {
        return Err(Error::invalid(what(), "must be 1 to 80 characters long"));
    }
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if base.is_empty() {
        return Err(Error::invalid(what(), "needs a name before `.fifo`"));
    }
    if !base
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

/// Checks a message body: not empty, at most `max` bytes, and only characters SQS accepts
/// (tab, newline, carriage return, and U+0020 and up except U+FFFE and U+FFFF).
pub fn validate_body(body: &str, max: usize) -> Result<()> {
    if body.is_empty() {
        return Err(Error::invalid("SQS message body", "it is empty"));
    }
    if body.len() > max {
        return Err(Error::invalid(
            "SQS message body",
            format!("{} bytes is over the {max}-byte limit", body.len()),
        ));
    }
    if let Some(bad) = body.chars().find(|&c| {
        !(matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}'))
    }) {
        return Err(Error::invalid(
            "SQS message body",
            format!("character U+{:04X} is not allowed by SQS", u32::from(bad)),
        ));
    }
    Ok(())
}
