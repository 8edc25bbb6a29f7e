//! The log group and stream: created on first use (with the group's retention), checked,
//! deleted.

use std::sync::atomic::Ordering;

use awsimple_core::{Error, Found, Result};
use tracing::debug;

use crate::access::{LOGS, LogsAccess};

/// CloudWatch Logs says "exists already" with its own code, which the kit does not map.
fn already_exists(error: &Error) -> bool {
    error.is_already_exists() || error.aws_code() == Some("ResourceAlreadyExistsException")
}

impl LogsAccess {
    /// Creates the log group: `true` when this call created it (then its retention is set to
    /// [`LogsAccess::retention_days`]), `false` when it existed already (its retention is left
    /// as it is).
    pub async fn create_log_group(&self) -> Result<bool> {
        let request = self
            .inner
            .client
            .create_log_group()
            .log_group_name(&self.inner.group);
        let created = match LOGS
            .call("CreateLogGroup", self.group_resource(), request.send())
            .await
        {
            Ok(_) => true,
            Err(e) if already_exists(&e) => false,
            Err(e) => return Err(e),
        };
        if created {
            debug!(group = %self.inner.group, "log group created");
            self.inner.retention_pending.store(true, Ordering::Release);
        }
        if self.inner.retention_pending.load(Ordering::Acquire) {
            self.put_retention_policy().await?;
            self.inner.retention_pending.store(false, Ordering::Release);
        }
        Ok(created)
    }

    async fn put_retention_policy(&self) -> Result<()> {
        let days = i32::try_from(self.inner.retention_days)
            .map_err(|_| Error::invalid("log group retention", "too many days"))?;
        let request = self
            .inner
            .client
            .put_retention_policy()
            .log_group_name(&self.inner.group)
            .retention_in_days(days);
        LOGS.call("PutRetentionPolicy", self.group_resource(), request.send())
            .await?;
        Ok(())
    }

    /// Creates the log stream (the group must exist): `true` when this call created it.
    pub async fn create_log_stream(&self) -> Result<bool> {
        let request = self
            .inner
            .client
            .create_log_stream()
            .log_group_name(&self.inner.group)
            .log_stream_name(&self.inner.stream);
        match LOGS
            .call("CreateLogStream", self.stream_resource(), request.send())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if already_exists(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the log group with all its streams and events: `false` when it did not exist.
    pub async fn delete_log_group(&self) -> Result<bool> {
        let request = self
            .inner
            .client
            .delete_log_group()
            .log_group_name(&self.inner.group);
        let deleted = LOGS
            .call("DeleteLogGroup", self.group_resource(), request.send())
            .await
            .exists()?;
        self.inner.ready.store(false, Ordering::Release);
        Ok(deleted)
    }

    /// True when the log group exists (DescribeLogGroups by name prefix, every page followed
    /// until the name is found).
    pub async fn log_group_exists(&self) -> Result<bool> {
        let mut next_token: Option<String> = None;
        loop {
            let request = self
                .inner
                .client
                .describe_log_groups()
                .log_group_name_prefix(&self.inner.group)
                .set_next_token(next_token.take());
            let out = LOGS
                .call("DescribeLogGroups", self.group_resource(), request.send())
                .await?;
            if out
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(self.inner.group.as_str()))
            {
                return Ok(true);
            }
            match out.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(false),
            }
        }
    }

    /// Makes sure the group and the stream exist, once per handle (and again after
    /// [`LogsAccess::forget_stream`]).
    pub(crate) async fn ensure_stream(&self) -> Result<()> {
        if self.inner.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let _setup = self.inner.setup.lock().await;
        if self.inner.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        self.create_log_group().await?;
        self.create_log_stream().await?;
        self.inner.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Forgets that the group and stream exist (a put found one of them missing).
    pub(crate) fn forget_stream(&self) {
        self.inner.ready.store(false, Ordering::Release);
    }
}
