//! One span per whole operation of the library (an upload, a download, a listing, a sync),
//! above the per-request spans of [`Service::call`]: what the caller asked for, and how it
//! ended.

use std::fmt;
use std::future::Future;

use tracing::field::Empty;
use tracing::{Instrument, Span, debug, info_span};

use crate::{Result, Service};

impl Service {
    /// Runs `work`, the whole of one library operation (`upload`, `download`, `keys`, ...),
    /// in an `awsimple` span carrying the service, the operation and the resource, and records
    /// its outcome on the span: `outcome` (`ok` or `error`) and, on an error, `error`, `code`
    /// and `request_id`. The requests `work` sends get their own `aws` spans inside it.
    ///
    /// ```no_run
    /// # async fn demo() -> awsimple_core::Result<()> {
    /// use awsimple_core::Service;
    /// const S3: Service = Service::new("s3");
    /// let listed = S3
    ///     .operation("keys", "s3://bucket/prefix*", async { Ok(vec!["a".to_owned()]) })
    ///     .await?;
    /// # let _ = listed; Ok(()) }
    /// ```
    pub async fn operation<T, F>(
        self,
        operation: &'static str,
        resource: impl fmt::Display,
        work: F,
    ) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        let span = info_span!(
            "awsimple",
            service = self.name(),
            operation,
            resource = %resource,
            outcome = Empty,
            error = Empty,
            code = Empty,
            request_id = Empty,
        );
        let result = work.instrument(span.clone()).await;
        record(&span, &result);
        result
    }
}

/// Records how an operation ended on its span.
fn record<T>(span: &Span, result: &Result<T>) {
    match result {
        Ok(_) => {
            span.record("outcome", "ok");
        }
        Err(error) => {
            span.record("outcome", "error");
            span.record("error", tracing::field::display(error));
            if let Some(code) = error.code() {
                span.record("code", code);
            }
            if let Some(request_id) = error.request_id() {
                span.record("request_id", request_id);
            }
            span.in_scope(|| debug!(error = %error, "operation failed"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::Subscriber;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::{Context, SubscriberExt};

    use super::*;
    use crate::Error;

    /// The fields recorded on `awsimple` spans, as text.
    #[derive(Clone, Default)]
    struct Fields(Arc<Mutex<Vec<(String, String)>>>);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            if let Ok(mut fields) = self.0.lock() {
                fields.push((field.name().to_owned(), format!("{value:?}")));
            }
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            if let Ok(mut fields) = self.0.lock() {
                fields.push((field.name().to_owned(), value.to_owned()));
            }
        }
    }

    impl<S: Subscriber> Layer<S> for Fields {
        fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
            if attrs.metadata().name() == "awsimple" {
                attrs.record(&mut self.clone());
            }
        }
        fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
            values.record(&mut self.clone());
        }
    }

    impl Fields {
        fn get(&self, name: &str) -> Option<String> {
            let fields = self.0.lock().unwrap();
            fields
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[tokio::test]
    async fn the_operation_span_records_the_outcome_error_and_request_id() {
        let fields = Fields::default();
        let subscriber = tracing_subscriber::registry().with(fields.clone());
        let _guard = tracing::subscriber::set_default(subscriber);
        const S3: Service = Service::new("s3");

        let ok = S3.operation("keys", "s3://b/p*", async { Ok(1) }).await;
        assert_eq!(ok.unwrap(), 1);
        assert_eq!(fields.get("operation").as_deref(), Some("keys"));
        assert_eq!(fields.get("outcome").as_deref(), Some("ok"));

        let failed: Result<()> = S3
            .operation("download", "s3://b/k", async {
                Err(Error::NotFound {
                    resource: "s3://b/k".into(),
                    answer: Some(Box::new(crate::AwsAnswer::new(
                        Some("NoSuchKey"),
                        Some(404),
                        Some("req-7"),
                    ))),
                })
            })
            .await;
        assert!(failed.unwrap_err().is_not_found());
        assert_eq!(fields.get("outcome").as_deref(), Some("error"));
        assert_eq!(fields.get("request_id").as_deref(), Some("req-7"));
        assert_eq!(fields.get("code").as_deref(), Some("NoSuchKey"));
        assert_eq!(
            fields.get("error").as_deref(),
            Some("s3://b/k was not found")
        );
    }
}
