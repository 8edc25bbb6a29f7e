//! One span per public operation. An operation may send several requests (the schema lookup,
//! pages, the metadata record, retries of unprocessed items), each in its own `aws` span from
//! `Service::call`; the `dynamodb.op` span around them says how the whole operation ended:
//! `outcome` (`ok` / `error`) and, for errors, the error, its AWS code and request id.

use std::future::Future;

use awsimple_core::Result;
use tracing::field::{Empty, display};
use tracing::{Instrument, debug, info_span};

/// Runs `operation` (named `name`, on table `table`) in its `dynamodb.op` span.
pub(crate) async fn traced<T>(
    name: &'static str,
    table: &str,
    operation: impl Future<Output = Result<T>>,
) -> Result<T> {
    let span = info_span!(
        "dynamodb.op",
        operation = name,
        table = table,
        outcome = Empty,
        error = Empty,
        code = Empty,
        request_id = Empty,
    );
    // On the heap: operations nest (a delete of all items scans, then batch-deletes) and SDK
    // futures are large, so a caller's future holds a pointer, not the whole state machine.
    let result = Box::pin(operation.instrument(span.clone())).await;
    match &result {
        Ok(_) => {
            span.record("outcome", "ok");
        }
        Err(err) => {
            span.record("outcome", "error");
            span.record("error", display(err));
            if let Some(code) = err.aws_code() {
                span.record("code", code);
            }
            if let Some(id) = err.request_id() {
                span.record("request_id", id);
            }
            debug!(parent: &span, "operation failed");
        }
    }
    result
}
