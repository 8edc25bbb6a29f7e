//! [`LogsLayer`]: a `tracing_subscriber::Layer` that ships an application's events to a log
//! stream through a [`LogBatcher`].

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::batcher::LogBatcher;
use crate::event::{LogEvent, MAX_EVENT_SIZE, truncate};
use crate::guard::is_shipping;

/// Targets never shipped: the AWS SDK (`aws_*`), this crate, and the HTTP and TLS stack the
/// SDK uses. Shipping them would log the shipping of logs, without end.
pub const EXCLUDED_TARGETS: &[&str] = &[
    "aws_",
    "awsimple_logs",
    "hyper",
    "hyper_util",
    "hyper_rustls",
    "h2",
    "http",
    "rustls",
    "tower",
    "tokio",
    "runtime",
    "mio",
];

/// True when events of `target` are never shipped (see [`EXCLUDED_TARGETS`]): `aws_` matches
/// any target that starts with it, the others a crate name and its modules.
pub fn is_excluded_target(target: &str) -> bool {
    EXCLUDED_TARGETS.iter().any(|excluded| {
        if excluded.ends_with('_') {
            target.starts_with(excluded)
        } else {
            target == *excluded
                || target
                    .strip_prefix(excluded)
                    .is_some_and(|rest| rest.starts_with("::"))
        }
    })
}

/// A `tracing` layer that ships each event to CloudWatch Logs as one line,
/// `LEVEL target: span:span: message key=value ...`, through a [`LogBatcher`] (so logging never
/// waits for AWS; flush or shut the batcher down before the program exits).
///
/// Events of the AWS SDK, of this crate and of the HTTP/TLS stack ([`EXCLUDED_TARGETS`]) are
/// never shipped, nor anything emitted while the batcher's task runs: the layer cannot feed
/// itself. Events more verbose than [`LogsLayer::level`] (default `INFO`) are not shipped. A
/// line longer than [`MAX_EVENT_SIZE`] is truncated (with a note of how much was cut), since
/// the layer has nobody to return an error to; events the batcher drops are counted in its
/// [`stats`](LogBatcher::stats).
///
/// ```no_run
/// # async fn demo() -> awsimple_core::Result<()> {
/// use awsimple_logs::{LogsAccess, LogsLayer};
/// use tracing_subscriber::prelude::*;
///
/// let access = awsimple_core::AwsAccess::new().await?;
/// let batcher = LogsAccess::new(&access, "/my-app/prod")?.batcher()?;
/// tracing_subscriber::registry()
///     .with(LogsLayer::new(&batcher))
///     .init();
/// tracing::info!(user = "ann", "logged in");
/// batcher.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct LogsLayer {
    batcher: LogBatcher,
    level: Level,
}

impl LogsLayer {
    /// A layer shipping through `batcher` (a clone of it: keep yours to flush and shut down).
    pub fn new(batcher: &LogBatcher) -> Self {
        LogsLayer {
            batcher: batcher.clone(),
            level: Level::INFO,
        }
    }

    /// The most verbose level shipped (default `INFO`): with `Level::DEBUG`, debug events are
    /// shipped too.
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

impl<S> Layer<S> for LogsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() > self.level || is_shipping() || is_excluded_target(metadata.target())
        {
            return;
        }
        let mut line = format!("{} {}:", metadata.level(), metadata.target());
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                let _ = write!(line, " {}:", span.name());
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if !fields.message.is_empty() {
            line.push(' ');
            line.push_str(&fields.message);
        }
        line.push_str(&fields.rest);
        // Failures are counted in the batcher's stats and reported by its flush.
        let _ = self
            .batcher
            .log_event(LogEvent::new(truncate(line, MAX_EVENT_SIZE)));
    }
}

/// An event's fields: the message, and the others as ` key=value`.
#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluded_targets() {
        for excluded in [
            "aws_smithy_runtime::client::orchestrator",
            "aws_sdk_cloudwatchlogs",
            "aws_config::profile",
            "awsimple_logs",
            "awsimple_logs::batcher",
            "hyper::proto::h1",
            "hyper_util::client",
            "h2::codec",
            "rustls::client",
            "tokio::task",
        ] {
            assert!(is_excluded_target(excluded), "{excluded}");
        }
        for shipped in [
            "my_app",
            "awsimple_s3::upload",
            "awsimple_core::call",
            "h2o",
            "hyperion",
            "http_server",
            "aws",
        ] {
            assert!(!is_excluded_target(shipped), "{shipped}");
        }
    }
}
