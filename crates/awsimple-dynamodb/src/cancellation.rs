//! A cancelled transaction, entry by entry: the error a caller sees and the typed reasons behind
//! it.

use std::fmt;

use aws_sdk_dynamodb::types::CancellationReason;
use awsimple_core::Error;

/// One entry of a transaction a label names (its position and what it was about).
#[derive(Debug, Clone)]
pub(crate) struct EntryLabel {
    pub(crate) index: usize,
    pub(crate) text: String,
}

/// Why DynamoDB cancelled a transaction: the entries that caused it, in entry order. It is the
/// `source()` of the [`Error::Precondition`] (or [`Error::Throttled`]) a cancelled transaction
/// returns:
///
/// ```
/// # fn show(err: &awsimple_core::Error) {
/// use awsimple_dynamodb::TransactionCanceled;
/// if let Some(why) = std::error::Error::source(err)
///     .and_then(|s| s.downcast_ref::<TransactionCanceled>())
/// {
///     for entry in &why.entries {
///         println!("entry {} ({}): {} {}", entry.index, entry.item, entry.code, entry.message);
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionCanceled {
    /// The entries DynamoDB gave a reason for (not `None`), in entry order.
    pub entries: Vec<CanceledEntry>,
}

/// One entry of a cancelled transaction and DynamoDB's reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanceledEntry {
    /// The entry's position in the transaction (0-based).
    pub index: usize,
    /// What the entry was (`update of item "bob" in DynamoDB table "accounts"`).
    pub item: String,
    /// DynamoDB's code: `ConditionalCheckFailed`, `TransactionConflict`, `ItemCollectionSizeLimitExceeded`, ...
    pub code: String,
    /// What DynamoDB said (or, for a failed version check, the versions involved).
    pub message: String,
}

impl fmt::Display for TransactionCanceled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transaction cancelled:")?;
        for entry in &self.entries {
            write!(
                f,
                " entry {} ({}): {}: {};",
                entry.index, entry.item, entry.code, entry.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for TransactionCanceled {}

/// Cancellation codes that say "try again later", not "this cannot happen".
const TRANSIENT_CODES: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];

/// The error of a cancelled transaction, naming its entries from DynamoDB's cancellation
/// reasons (one per entry, in entry order; `None` for entries that were not the cause);
/// `versioned(i)` explains a failed version check of entry `i`. Other errors pass unchanged.
pub(crate) fn cancelled(
    err: Error,
    reasons: Option<Vec<CancellationReason>>,
    labels: &[EntryLabel],
    operation: &'static str,
    versioned: impl Fn(usize) -> Option<String>,
) -> Error {
    let Some(reasons) = reasons else {
        return err;
    };
    let failed: Vec<(&EntryLabel, &str, String)> = labels
        .iter()
        .zip(&reasons)
        .filter_map(|(label, reason)| {
            let code = reason.code().unwrap_or("None");
            (code != "None").then(|| {
                let said = reason.message().unwrap_or("no message");
                let message = match (code, versioned(label.index)) {
                    ("ConditionalCheckFailed", Some(version)) => format!("{code}: {version}"),
                    _ => format!("{code}: {said}"),
                };
                (label, code, message)
            })
        })
        .collect();
    let Some(first) = failed
        .iter()
        .find(|(_, code, _)| *code == "ConditionalCheckFailed")
        .or(failed.first())
    else {
        return err;
    };
    let others: Vec<String> = failed
        .iter()
        .filter(|(label, _, _)| label.index != first.0.index)
        .map(|(label, _, message)| format!("entry {} ({}): {message}", label.index, label.text))
        .collect();
    let mut message = first.2.clone();
    if !others.is_empty() {
        message = format!("{message}; also cancelled: {}", others.join("; "));
    }
    let resource = format!(
        "entry {} of the transaction ({})",
        first.0.index, first.0.text
    );
    if failed
        .iter()
        .all(|(_, code, _)| TRANSIENT_CODES.contains(code))
    {
        return Error::Throttled {
            resource,
            operation,
            message,
            answer: None,
        };
    }
    let canceled = TransactionCanceled {
        entries: failed
            .iter()
            .map(|(label, code, message)| CanceledEntry {
                index: label.index,
                item: label.text.clone(),
                code: (*code).to_owned(),
                message: message.clone(),
            })
            .collect(),
    };
    Error::Precondition {
        resource,
        message,
        source: Some(Box::new(canceled)),
        answer: None,
    }
}
