//! Putting events: one now ([`LogsAccess::put`]) or many ([`LogsAccess::put_batch`]), cut into
//! requests within the service limits, retried on throttling and transient errors, with every
//! event's outcome reported.

use aws_sdk_cloudwatchlogs::types::{InputLogEvent, RejectedLogEventsInfo};
use awsimple_core::{BackoffConfig, BatchReport, EntryFailure, Error, Result};
use tracing::{debug, warn};

use crate::access::{LOGS, LogsAccess};
use crate::event::{LogEvent, Window, check_message, millis, window};
use crate::plan::{Item, plan_requests, service_limits};

/// [`EntryFailure::code`] of an event older than 14 days: not sent (or, if the clocks
/// disagree, rejected by CloudWatch Logs as `tooOldLogEventEndIndex`).
pub const REJECTED_TOO_OLD: &str = "TooOldLogEvent";
/// [`EntryFailure::code`] of an event more than 2 hours in the future: not sent (or rejected by
/// CloudWatch Logs as `tooNewLogEventStartIndex`).
pub const REJECTED_TOO_NEW: &str = "TooNewLogEvent";
/// [`EntryFailure::code`] of an event older than the log group's retention, rejected by
/// CloudWatch Logs (`expiredLogEventEndIndex`).
pub const REJECTED_EXPIRED: &str = "ExpiredLogEvent";
/// [`EntryFailure::code`] of an event not sent because an earlier request of the same batch
/// failed (the failure's message says why); sending it again is safe.
pub const NOT_SENT: &str = "NotSent";

fn failure(code: &str, message: impl Into<String>, sender_fault: bool) -> EntryFailure {
    EntryFailure {
        code: code.to_owned(),
        message: message.into(),
        sender_fault,
    }
}

/// The events of one request CloudWatch Logs rejected: positions in the request, with why.
/// Follows the API's definition: `tooOldLogEventEndIndex` and `expiredLogEventEndIndex` are
/// exclusive ends, `tooNewLogEventStartIndex` an inclusive start.
pub(crate) fn rejected_positions(
    info: &RejectedLogEventsInfo,
    len: usize,
) -> Vec<(usize, &'static str)> {
    let index = |i: Option<i32>| i.and_then(|i| usize::try_from(i).ok()).map(|i| i.min(len));
    let mut rejected: Vec<Option<&'static str>> = vec![None; len];
    if let Some(end) = index(info.expired_log_event_end_index()) {
        rejected[..end].fill(Some(REJECTED_EXPIRED));
    }
    if let Some(end) = index(info.too_old_log_event_end_index()) {
        rejected[..end].fill(Some(REJECTED_TOO_OLD));
    }
    if let Some(start) = index(info.too_new_log_event_start_index()) {
        rejected[start..].fill(Some(REJECTED_TOO_NEW));
    }
    rejected
        .into_iter()
        .enumerate()
        .filter_map(|(i, code)| code.map(|code| (i, code)))
        .collect()
}

impl LogsAccess {
    /// Puts one event, timestamped now. Creates the group (with its retention) and the stream
    /// on first use.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_logs::AwsAccess) -> awsimple_logs::Result<()> {
    /// use awsimple_logs::LogsAccess;
    ///
    /// // Stream `<hostname>-<username>` of the group `/my-app/prod`.
    /// let logs = LogsAccess::new(access, "/my-app/prod")?;
    /// logs.put("started").await?;
    /// logs.put(format!("{} jobs waiting", 7)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An empty message, or one over [`MAX_EVENT_SIZE`](crate::MAX_EVENT_SIZE) bytes, is an
    /// [`Error::InvalidInput`] (no request is sent); an event CloudWatch Logs rejects is an
    /// [`Error::Other`] saying why. [`Error::PermissionDenied`] without `logs:PutLogEvents`
    /// (or `logs:CreateLogGroup` / `logs:CreateLogStream` on first use), and the errors every
    /// call can have (credentials, connection, timeout; throttling is retried first).
    pub async fn put(&self, message: impl Into<String>) -> Result<()> {
        let report = self.put_owned(vec![LogEvent::new(message)]).await?;
        match report.results.into_iter().next() {
            Some(Err(rejected)) => Err(Error::other(format!(
                "{} rejected the event: {rejected}",
                self.stream_resource()
            ))),
            _ => Ok(()),
        }
    }

    /// Puts many events, in as few `PutLogEvents` requests as the limits allow:
    ///
    /// - events are sent in chronological order (a stable sort: events with the same timestamp
    ///   keep their order in `events`);
    /// - a request holds at most [`MAX_BATCH_EVENTS`](crate::MAX_BATCH_EVENTS) events and
    ///   [`MAX_BATCH_SIZE`](crate::MAX_BATCH_SIZE) bytes (UTF-8 bytes + 26 per event), and its
    ///   events span less than [`MAX_BATCH_SPAN`](crate::MAX_BATCH_SPAN);
    /// - requests go one after the other; throttling and transient errors are retried with
    ///   [`awsimple_core::Backoff`], so an event may (rarely) arrive twice, never out of order.
    ///
    /// Every event is checked first: an empty message or one over
    /// [`MAX_EVENT_SIZE`](crate::MAX_EVENT_SIZE) bytes makes the whole call an
    /// [`Error::InvalidInput`], with no request sent. Events outside the window CloudWatch Logs
    /// accepts (older than 14 days, more than 2 hours ahead) are not sent and reported as
    /// [`REJECTED_TOO_OLD`] / [`REJECTED_TOO_NEW`]; events CloudWatch Logs rejects
    /// (`rejectedLogEventsInfo`) are reported with the same codes or [`REJECTED_EXPIRED`].
    ///
    /// `Err` means nothing was stored (invalid input, or the first request failed). Once a
    /// request has succeeded, a later one that fails for good stops the batch: its events and
    /// the ones after it are reported as [`NOT_SENT`].
    ///
    /// ```no_run
    /// # async fn demo(logs: &awsimple_logs::LogsAccess) -> awsimple_logs::Result<()> {
    /// use awsimple_logs::LogEvent;
    ///
    /// let events: Vec<LogEvent> = (0..1000).map(|i| LogEvent::new(format!("line {i}"))).collect();
    /// let report = logs.put_batch(&events).await?;
    /// for (index, failure) in report.failures() {
    ///     eprintln!("event {index} not stored: {failure:?}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request when an event is invalid; otherwise the error
    /// of the first request, when nothing was stored.
    pub async fn put_batch(&self, events: &[LogEvent]) -> Result<BatchReport<()>> {
        self.put_owned(events.to_vec()).await
    }

    pub(crate) async fn put_owned(&self, events: Vec<LogEvent>) -> Result<BatchReport<()>> {
        for (i, event) in events.iter().enumerate() {
            check_message(&event.message, || {
                format!("log event {i} for {}", self.stream_resource())
            })?;
        }
        let now = millis(std::time::SystemTime::now());
        let mut results: Vec<std::result::Result<(), EntryFailure>> = Vec::new();
        let mut items = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let millis = event.millis();
            results.push(match window(millis, now) {
                Window::Inside => {
                    items.push(Item {
                        index,
                        millis,
                        size: event.size(),
                    });
                    Ok(())
                }
                Window::TooOld => Err(failure(
                    REJECTED_TOO_OLD,
                    "older than 14 days: CloudWatch Logs would reject it (not sent)",
                    true,
                )),
                Window::TooNew => Err(failure(
                    REJECTED_TOO_NEW,
                    "more than 2 hours in the future: CloudWatch Logs would reject it (not sent)",
                    true,
                )),
            });
        }
        if !results.iter().all(std::result::Result::is_ok) {
            warn!(
                stream = %self.inner.stream,
                group = %self.inner.group,
                events = results.iter().filter(|r| r.is_err()).count(),
                "log events outside the accepted time window are not sent"
            );
        }
        let requests = plan_requests(items, service_limits());
        if requests.is_empty() {
            return Ok(BatchReport { results });
        }
        self.ensure_stream().await?;
        let mut events: Vec<Option<LogEvent>> = events.into_iter().map(Some).collect();
        for (r, request) in requests.iter().enumerate() {
            let mut batch = Vec::with_capacity(request.len());
            for &i in request {
                let event = events[i]
                    .take()
                    .ok_or_else(|| Error::other("log event planned twice (a bug in awsimple)"))?;
                let input = InputLogEvent::builder()
                    .timestamp(event.millis())
                    .message(event.message)
                    .build()
                    .map_err(|e| Error::invalid(format!("log event {i}"), e.to_string()))?;
                batch.push(input);
            }
            match self.send(batch).await {
                Ok(None) => {}
                Ok(Some(info)) => {
                    let rejected = rejected_positions(&info, request.len());
                    warn!(
                        stream = %self.inner.stream,
                        group = %self.inner.group,
                        rejected = rejected.len(),
                        ?info,
                        "CloudWatch Logs rejected log events"
                    );
                    for (position, code) in rejected {
                        results[request[position]] = Err(failure(
                            code,
                            format!("rejected by CloudWatch Logs ({info:?})"),
                            true,
                        ));
                    }
                }
                Err(e) if r == 0 => return Err(e),
                Err(e) => {
                    warn!(
                        stream = %self.inner.stream,
                        group = %self.inner.group,
                        error = %e,
                        "a PutLogEvents request failed: reporting the rest of the batch as not sent"
                    );
                    let message = e.to_string();
                    let sender_fault = !e.is_transient();
                    for &i in requests[r..].iter().flatten() {
                        results[i] = Err(failure(NOT_SENT, message.clone(), sender_fault));
                    }
                    break;
                }
            }
        }
        Ok(BatchReport { results })
    }

    /// Sends one request: throttling and transient errors are retried with a backoff; a missing
    /// group or stream (deleted since the handle created them) is created again, once.
    async fn send(&self, events: Vec<InputLogEvent>) -> Result<Option<RejectedLogEventsInfo>> {
        let mut backoff = BackoffConfig::default().start();
        let mut recreated = false;
        loop {
            let request = self
                .inner
                .client
                .put_log_events()
                .log_group_name(&self.inner.group)
                .log_stream_name(&self.inner.stream)
                .set_log_events(Some(events.clone()));
            match LOGS
                .call("PutLogEvents", self.stream_resource(), request.send())
                .await
            {
                Ok(out) => {
                    debug!(
                        stream = %self.inner.stream,
                        group = %self.inner.group,
                        events = events.len(),
                        "log events put"
                    );
                    return Ok(out.rejected_log_events_info().cloned());
                }
                Err(e) if e.is_not_found() && !recreated => {
                    debug!(error = %e, "the log group or stream is gone: creating it again");
                    recreated = true;
                    self.forget_stream();
                    self.ensure_stream().await?;
                }
                Err(e) if e.is_transient() => {
                    debug!(attempt = backoff.attempt(), error = %e, "PutLogEvents failed: retrying");
                    if !backoff.wait().await {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_indices_follow_the_api_definition() {
        let info = RejectedLogEventsInfo::builder()
            .too_old_log_event_end_index(2)
            .too_new_log_event_start_index(4)
            .build();
        let rejected = rejected_positions(&info, 6);
        assert_eq!(
            rejected,
            [
                (0, REJECTED_TOO_OLD),
                (1, REJECTED_TOO_OLD),
                (4, REJECTED_TOO_NEW),
                (5, REJECTED_TOO_NEW)
            ]
        );
        let info = RejectedLogEventsInfo::builder()
            .expired_log_event_end_index(3)
            .too_old_log_event_end_index(1)
            .build();
        assert_eq!(
            rejected_positions(&info, 5),
            [
                (0, REJECTED_TOO_OLD),
                (1, REJECTED_EXPIRED),
                (2, REJECTED_EXPIRED)
            ]
        );
        // Out-of-range or negative indices are clamped, never a panic.
        let info = RejectedLogEventsInfo::builder()
            .too_old_log_event_end_index(99)
            .too_new_log_event_start_index(-1)
            .build();
        assert_eq!(rejected_positions(&info, 2).len(), 2);
        assert!(rejected_positions(&RejectedLogEventsInfo::builder().build(), 3).is_empty());
    }
}
