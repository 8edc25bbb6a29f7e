//! [`LogsAccess`], the handle of one log stream in one log group, and its builder. The
//! operations are in the files of their concern (`group`, `put`, `batcher`).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use aws_sdk_cloudwatchlogs::Client;
use awsimple_core::{AwsAccess, Result, Service};

use crate::names::{
    DEFAULT_RETENTION_DAYS, default_stream_name, validate_log_group_name, validate_log_stream_name,
    validate_retention_days,
};

/// CloudWatch Logs as the kit sees it: every request of this crate goes through
/// [`Service::call`] on it.
pub(crate) const LOGS: Service = Service::new("logs");

/// One log stream of one CloudWatch Logs group: Python awsimple's `LogsAccess`. Cheap to clone.
///
/// The group and the stream are created on first use (a group or stream that exists already is
/// fine); a group this handle creates gets the retention of
/// [`LogsAccessBuilder::retention_days`] (365 days unless set).
///
/// ```no_run
/// # async fn demo() -> awsimple_core::Result<()> {
/// use awsimple_logs::LogsAccess;
///
/// let access = awsimple_core::AwsAccess::new().await?;
/// let logs = LogsAccess::new(&access, "/my-app/prod")?;
/// logs.put("started").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct LogsAccess {
    pub(crate) inner: Arc<Inner>,
}

/// What every clone of a handle shares.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) access: AwsAccess,
    pub(crate) group: String,
    pub(crate) stream: String,
    pub(crate) retention_days: u32,
    /// The group and stream are known to exist (set by the first successful setup, cleared when
    /// a put finds either missing).
    pub(crate) ready: AtomicBool,
    /// Serializes the setup, so that concurrent first puts create the group once.
    pub(crate) setup: tokio::sync::Mutex<()>,
    /// This handle created the group and has not yet set its retention (the retention request
    /// failed): the next setup sets it.
    pub(crate) retention_pending: AtomicBool,
}

/// Options of a [`LogsAccess`]; from [`LogsAccess::builder`].
#[derive(Debug)]
pub struct LogsAccessBuilder {
    access: AwsAccess,
    group: String,
    stream: Option<String>,
    retention_days: u32,
}

impl LogsAccessBuilder {
    /// The log stream to write to (default [`default_stream_name`]: `<hostname>-<username>`).
    pub fn stream_name(mut self, name: impl Into<String>) -> Self {
        self.stream = Some(name.into());
        self
    }

    /// The retention, in days, given to the log group when this handle creates it (default
    /// [`DEFAULT_RETENTION_DAYS`], 365). Must be one of
    /// [`RETENTION_DAYS`](crate::RETENTION_DAYS); an existing group's retention is left alone.
    pub fn retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }

    /// Checks the names and the retention; sends no request.
    pub fn build(self) -> Result<LogsAccess> {
        validate_log_group_name(&self.group)?;
        let stream = self.stream.unwrap_or_else(default_stream_name);
        validate_log_stream_name(&stream)?;
        validate_retention_days(self.retention_days)?;
        let conf = aws_sdk_cloudwatchlogs::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            .build();
        Ok(LogsAccess {
            inner: Arc::new(Inner {
                client: Client::from_conf(conf),
                access: self.access,
                group: self.group,
                stream,
                retention_days: self.retention_days,
                ready: AtomicBool::new(false),
                setup: tokio::sync::Mutex::new(()),
                retention_pending: AtomicBool::new(false),
            }),
        })
    }
}

impl LogsAccess {
    /// A handle on `log_group` with the default stream name and retention. Checks the group
    /// name (1 to 512 of `[.-_/#A-Za-z0-9]`); sends no request.
    pub fn new(access: &AwsAccess, log_group: impl Into<String>) -> Result<Self> {
        Self::builder(access, log_group).build()
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, log_group: impl Into<String>) -> LogsAccessBuilder {
        LogsAccessBuilder {
            access: access.clone(),
            group: log_group.into(),
            stream: None,
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }

    /// The log group's name.
    pub fn log_group_name(&self) -> &str {
        &self.inner.group
    }

    /// The log stream's name.
    pub fn log_stream_name(&self) -> &str {
        &self.inner.stream
    }

    /// The retention, in days, a group created by this handle gets.
    pub fn retention_days(&self) -> u32 {
        self.inner.retention_days
    }

    /// The SDK client, for what awsimple does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The access this handle was made from.
    pub fn access(&self) -> &AwsAccess {
        &self.inner.access
    }

    /// The group, as errors and spans name it.
    pub(crate) fn group_resource(&self) -> String {
        format!("CloudWatch log group {:?}", self.inner.group)
    }

    /// The stream, as errors and spans name it.
    pub(crate) fn stream_resource(&self) -> String {
        format!(
            "CloudWatch log stream {:?} of group {:?}",
            self.inner.stream, self.inner.group
        )
    }
}
