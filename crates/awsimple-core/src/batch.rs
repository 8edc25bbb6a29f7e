//! The outcome of a batch call whose entries succeed or fail one by one (SQS SendMessageBatch,
//! SNS PublishBatch, ...).

use std::fmt;

/// Why one entry of a batch failed, as the service said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    /// The service's error code for the entry (`InternalError`, `InvalidParameterValue`, ...).
    pub code: String,
    /// What the service said.
    pub message: String,
    /// True when the service blames the request (retrying it unchanged will not help).
    pub sender_fault: bool,
}

impl fmt::Display for EntryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for EntryFailure {}

/// One result per input entry, in input order: `Ok(value)` (for example the message id) or the
/// entry's failure after the library's retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport<T = String> {
    /// One result per input entry, in input order.
    pub results: Vec<Result<T, EntryFailure>>,
}

impl<T> BatchReport<T> {
    /// True when every entry succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.results.iter().all(Result::is_ok)
    }

    /// Indices (into the input) and failures of the entries that did not succeed.
    pub fn failures(&self) -> Vec<(usize, &EntryFailure)> {
        self.results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
            .collect()
    }

    /// The values of the entries that succeeded, in input order.
    pub fn succeeded(&self) -> impl Iterator<Item = &T> {
        self.results.iter().filter_map(|r| r.as_ref().ok())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// True for a report of no entries.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_keep_their_input_index() {
        let report: BatchReport = BatchReport {
            results: vec![
                Ok("a".into()),
                Err(EntryFailure {
                    code: "InternalError".into(),
                    message: "try again".into(),
                    sender_fault: false,
                }),
                Ok("c".into()),
            ],
        };
        assert!(!report.all_succeeded());
        let failures = report.failures();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, 1);
        assert_eq!(failures[0].1.to_string(), "InternalError: try again");
        assert_eq!(report.succeeded().cloned().collect::<Vec<_>>(), ["a", "c"]);
    }
}
