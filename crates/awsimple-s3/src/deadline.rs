//! One deadline per operation: the access's operation timeout, taken once when a transfer
//! starts, bounds the whole of it (every request, every retry, every body), not each request
//! on its own.

use std::future::Future;
use std::time::{Duration, Instant};

use awsimple_core::{AwsAccess, Backoff, BackoffConfig, Error, Result};

/// When an operation must be over (`None`: the operation timeout is disabled).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Option<Instant>,
    timeout: Option<Duration>,
}

impl Deadline {
    /// Now plus the operation timeout of `access` (`AwsAccessBuilder::operation_timeout`).
    pub(crate) fn start(access: &AwsAccess) -> Self {
        let timeout = access
            .sdk_config()
            .timeout_config()
            .and_then(|config| config.operation_timeout());
        Self {
            at: timeout.and_then(|t| Instant::now().checked_add(t)),
            timeout,
        }
    }

    /// The instant, when there is one.
    pub(crate) fn at(self) -> Option<Instant> {
        self.at
    }

    /// A backoff of `config` that gives up at the deadline.
    pub(crate) fn backoff(self, config: BackoffConfig) -> Backoff {
        match self.at {
            Some(at) => config.start().with_deadline(at),
            None => config.start(),
        }
    }

    /// `work`, or [`Error::Timeout`] when the deadline comes first (`work` is dropped then).
    pub(crate) async fn bound<T>(
        self,
        operation: &'static str,
        resource: &str,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(at) = self.at else {
            return work.await;
        };
        match tokio::time::timeout_at(tokio::time::Instant::from_std(at), work).await {
            Ok(result) => result,
            Err(_) => Err(self.elapsed(operation, resource)),
        }
    }

    /// The error of an operation whose deadline passed.
    pub(crate) fn elapsed(self, operation: &'static str, resource: &str) -> Error {
        let timeout = self.timeout.unwrap_or_default();
        Error::timeout(
            operation,
            resource,
            format!(
                "the operation timeout ({:.1} s) elapsed: it bounds the whole transfer, retries \
                 included",
                timeout.as_secs_f64()
            ),
        )
    }
}
