//! The queue itself: create, look up, delete, attributes, purge, listing.

use aws_sdk_sqs::types::QueueAttributeName;
use awsimple_core::{Error, Found, Result};
use tracing::debug;

use crate::access::{SQS, SqsAccess};

impl SqsAccess {
    /// Creates the queue (idempotent) and returns its URL. A FIFO queue (`.fifo`) gets
    /// content-based deduplication unless the builder turned it off.
    ///
    /// SQS does not let a queue be created again less than 60 s after it was deleted: that is
    /// returned at once (no waiting) as [`Error::Precondition`], whose message says so; create
    /// it again after a minute.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sqs::AwsAccess) -> awsimple_sqs::Result<()> {
    /// use awsimple_sqs::SqsAccess;
    ///
    /// let jobs = SqsAccess::new(access, "jobs")?;
    /// let url = jobs.create_queue().await?; // the same URL when it exists already
    /// println!("{url}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Precondition`] within 60 s of the queue's deletion;
    /// [`Error::AlreadyExists`] when a queue of that name exists with other attributes;
    /// [`Error::PermissionDenied`] without `sqs:CreateQueue`; and the errors every call can have (credentials, throttling, connection,
    /// timeout).
    pub async fn create_queue(&self) -> Result<String> {
        let mut request = self
            .inner
            .client
            .create_queue()
            .queue_name(&self.inner.name);
        if self.inner.fifo {
            request = request.attributes(QueueAttributeName::FifoQueue, "true");
            if self.inner.content_based_deduplication {
                request = request.attributes(QueueAttributeName::ContentBasedDeduplication, "true");
            }
        }
        let out = self
            .call("CreateQueue", request.send())
            .await
            .map_err(|e| {
                // SQS answers QueueDeletedRecently (by its query-compatible code, or the bare
                // code from some emulators) when the name was deleted less than 60 s ago.
                if e.aws_code()
                    .is_some_and(|code| code.ends_with("QueueDeletedRecently"))
                {
                    Error::Precondition {
                        resource: self.inner.resource.clone(),
                        message: "the queue was deleted less than 60 s ago; SQS lets it be \
                                  created again after a minute"
                            .to_owned(),
                        answer: Some(Box::new(awsimple_core::AwsAnswer::new(
                            e.code(),
                            e.status(),
                            e.request_id(),
                        ))),
                        source: Some(Box::new(e)),
                    }
                } else {
                    e
                }
            })?;
        let url = out.queue_url().unwrap_or_default().to_owned();
        debug!(queue = %self.inner.name, url = %url, "queue created (or it existed)");
        self.store_url(&url);
        Ok(url)
    }

    /// The queue URL: looked up once per handle (created first when `auto_create` is on), and
    /// looked up again only after the queue was deleted or found missing.
    pub async fn url(&self) -> Result<String> {
        if let Some(url) = self.cached_url() {
            return Ok(url);
        }
        debug!(queue = %self.inner.name, "queue URL not cached: looking it up");
        let lookup = self
            .inner
            .client
            .get_queue_url()
            .queue_name(&self.inner.name);
        match self.call("GetQueueUrl", lookup.send()).await {
            Ok(out) => {
                let url = out.queue_url().unwrap_or_default().to_owned();
                self.store_url(&url);
                Ok(url)
            }
            Err(Error::NotFound { .. }) if self.inner.auto_create => {
                debug!(queue = %self.inner.name, "auto-creating the queue");
                self.create_queue().await
            }
            Err(e) => Err(e),
        }
    }

    /// The URL, creating the queue when it does not exist (what `send` does, as in Python).
    pub(crate) async fn url_or_create(&self) -> Result<String> {
        match self.url().await {
            Err(Error::NotFound { .. }) => self.create_queue().await,
            other => other,
        }
    }

    /// Deletes the queue; false when it did not exist.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sqs:DeleteQueue`, and the errors every call can have (credentials, throttling, connection,
    /// timeout).
    /// A missing queue is `Ok(false)`, not an error.
    pub async fn delete_queue(&self) -> Result<bool> {
        let Some(url) = self.url().await.found()? else {
            return Ok(false);
        };
        let request = self.inner.client.delete_queue().queue_url(url);
        let result = self.call("DeleteQueue", request.send()).await;
        self.forget_url();
        result.exists()
    }

    /// True when the queue exists (asks SQS every time). On an `auto_create` handle a missing
    /// queue is created and the answer is true, as in Python.
    pub async fn queue_exists(&self) -> Result<bool> {
        let lookup = self
            .inner
            .client
            .get_queue_url()
            .queue_name(&self.inner.name);
        let exists = self.call("GetQueueUrl", lookup.send()).await.exists()?;
        if !exists && self.inner.auto_create {
            debug!(queue = %self.inner.name, "auto-creating the queue");
            self.create_queue().await?;
            return Ok(true);
        }
        Ok(exists)
    }

    pub(crate) async fn attribute(&self, name: QueueAttributeName) -> Result<Option<String>> {
        let url = self.url().await?;
        let request = self
            .inner
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(name.clone());
        let out = self.call("GetQueueAttributes", request.send()).await?;
        Ok(out.attributes().and_then(|a| a.get(&name)).cloned())
    }

    /// The queue's ARN (asked once per handle: it follows from the name).
    pub async fn arn(&self) -> Result<String> {
        self.inner
            .arn
            .get_or_try_init(|| async {
                self.attribute(QueueAttributeName::QueueArn)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("ARN of {}", self.inner.resource)))
            })
            .await
            .cloned()
    }

    /// The approximate number of visible messages.
    pub async fn approximate_message_count(&self) -> Result<u64> {
        Ok(self
            .attribute(QueueAttributeName::ApproximateNumberOfMessages)
            .await?
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Removes every message (SQS allows one purge a minute per queue).
    pub async fn purge(&self) -> Result<()> {
        let url = self.url().await?;
        let request = self.inner.client.purge_queue().queue_url(url);
        self.call("PurgeQueue", request.send()).await?;
        Ok(())
    }

    /// Names of the queues in the account and region whose names start with `prefix`, across
    /// every page, sorted.
    pub async fn queue_names(&self, prefix: &str) -> Result<Vec<String>> {
        let resource = format!("SQS queues {prefix:?}*");
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = self
                .inner
                .client
                .list_queues()
                .queue_name_prefix(prefix)
                .max_results(1000)
                .set_next_token(token.take());
            let out = SQS.call("ListQueues", &resource, request.send()).await?;
            names.extend(
                out.queue_urls()
                    .iter()
                    .filter_map(|url| url.rsplit('/').next().map(str::to_owned)),
            );
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        names.sort();
        Ok(names)
    }
}
