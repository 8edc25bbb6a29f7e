//! Request accounting: how many HTTP requests each service and operation sent.
//!
//! AWS bills per request, and the number of requests an operation needs is the one performance
//! figure that is the same on every machine. Every service handle built from an
//! [`AwsAccess`](crate::AwsAccess) registers the access's [`RequestCounter`] as an SDK
//! interceptor, so every attempt that goes on the wire (retries included) is counted.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Counts the HTTP requests sent, per `(service, operation)`, e.g. `("S3", "PutObject")`.
///
/// Service names are the SDK's: `S3`, `DynamoDB`, `SQS`, `SNS`, `STS`. Clones share the counts.
///
/// ```
/// let counter = awsimple_core::RequestCounter::new();
/// assert_eq!(counter.total(), 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl RequestCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<(String, String), u64>) -> T) -> T {
        // A panic while holding the lock cannot leave the map half-updated: keep counting.
        let mut guard = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// Records one request (the interceptor calls this; tests of other HTTP paths may too).
    pub fn record(&self, service: &str, operation: &str) {
        self.with(|counts| {
            *counts
                .entry((service.to_owned(), operation.to_owned()))
                .or_default() += 1;
        });
    }

    /// All requests sent so far.
    pub fn total(&self) -> u64 {
        self.with(|counts| counts.values().sum())
    }

    /// Requests sent to one service (`"S3"`, `"DynamoDB"`, `"SQS"`, `"SNS"`, `"STS"`).
    pub fn service(&self, service: &str) -> u64 {
        self.with(|counts| {
            counts
                .iter()
                .filter(|((s, _), _)| s == service)
                .map(|(_, n)| n)
                .sum()
        })
    }

    /// Requests sent for one operation of one service (`("S3", "HeadObject")`).
    pub fn operation(&self, service: &str, operation: &str) -> u64 {
        self.with(|counts| {
            counts
                .get(&(service.to_owned(), operation.to_owned()))
                .copied()
                .unwrap_or(0)
        })
    }

    /// A copy of every count, keyed by `(service, operation)`.
    pub fn snapshot(&self) -> BTreeMap<(String, String), u64> {
        self.with(|counts| counts.clone())
    }

    /// Sets every count back to zero.
    pub fn reset(&self) {
        self.with(BTreeMap::clear);
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "awsimple::RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map_or(("unknown", "unknown"), |m| (m.service(), m.name()));
        self.record(service, operation);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_service_and_operation() {
        let counter = RequestCounter::new();
        let clone = counter.clone();
        counter.record("S3", "PutObject");
        clone.record("S3", "PutObject");
        counter.record("S3", "HeadObject");
        counter.record("SQS", "SendMessage");
        assert_eq!(counter.total(), 4);
        assert_eq!(counter.service("S3"), 3);
        assert_eq!(counter.operation("S3", "PutObject"), 2);
        assert_eq!(counter.operation("S3", "GetObject"), 0);
        counter.reset();
        assert_eq!(clone.total(), 0);
    }
}
