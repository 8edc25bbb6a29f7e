//! The blocking [`LogsAccess`].

use super::{AwsAccess, run};
use crate::Result;
use crate::logs::{BatchReport, LogEvent};

/// One CloudWatch Logs stream of a log group: the blocking form of [`crate::LogsAccess`], whose
/// methods it runs. Cheap to clone. Options (stream name, retention) go through the async
/// builder and `From`.
#[derive(Clone, Debug)]
pub struct LogsAccess {
    inner: crate::LogsAccess,
}

impl From<crate::LogsAccess> for LogsAccess {
    fn from(inner: crate::LogsAccess) -> Self {
        Self { inner }
    }
}

impl LogsAccess {
    /// A handle of `log_group` with the default options, as [`crate::LogsAccess::new`].
    pub fn new(access: &AwsAccess, log_group: impl Into<String>) -> Result<Self> {
        crate::LogsAccess::new(access.as_async(), log_group).map(Self::from)
    }

    /// The async handle, for the async API.
    pub fn as_async(&self) -> &crate::LogsAccess {
        &self.inner
    }

    /// The async handle, for the async API.
    pub fn into_async(self) -> crate::LogsAccess {
        self.inner
    }

    /// The log group's name.
    pub fn log_group_name(&self) -> &str {
        self.inner.log_group_name()
    }

    /// The log stream's name.
    pub fn log_stream_name(&self) -> &str {
        self.inner.log_stream_name()
    }

    /// See [`crate::LogsAccess::create_log_group`].
    pub fn create_log_group(&self) -> Result<bool> {
        run(self.inner.create_log_group())
    }

    /// See [`crate::LogsAccess::create_log_stream`].
    pub fn create_log_stream(&self) -> Result<bool> {
        run(self.inner.create_log_stream())
    }

    /// See [`crate::LogsAccess::delete_log_group`].
    pub fn delete_log_group(&self) -> Result<bool> {
        run(self.inner.delete_log_group())
    }

    /// See [`crate::LogsAccess::log_group_exists`].
    pub fn log_group_exists(&self) -> Result<bool> {
        run(self.inner.log_group_exists())
    }

    /// See [`crate::LogsAccess::put`].
    ///
    /// ```no_run
    /// # fn demo(access: &awsimple::blocking::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::blocking::LogsAccess;
    ///
    /// let logs = LogsAccess::new(access, "/my-app/prod")?;
    /// logs.put("started")?; // creates the group and the stream on first use
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The errors of [`crate::LogsAccess::put`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn put(&self, message: impl Into<String>) -> Result<()> {
        run(self.inner.put(message))
    }

    /// See [`crate::LogsAccess::put_batch`].
    pub fn put_batch(&self, events: &[LogEvent]) -> Result<BatchReport<()>> {
        run(self.inner.put_batch(events))
    }
}
