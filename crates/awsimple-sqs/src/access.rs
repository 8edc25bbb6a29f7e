//! [`SqsAccess`]: the handle of one queue, its cached URL, and the one way it calls SQS.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use awsimple_core::{AwsAccess, Result, Service};
use tokio::sync::OnceCell;
use tracing::debug;

use crate::visibility::{History, Visibility};

/// The service, for spans and error mapping.
pub(crate) const SQS: Service = Service::new("sqs");

/// One SQS queue. Cheap to clone; the queue URL is looked up once per handle.
///
/// ```no_run
/// # async fn demo() -> awsimple_core::Result<()> {
/// use awsimple_sqs::SqsAccess;
///
/// let access = awsimple_core::AwsAccess::new().await?;
/// let queue = SqsAccess::new(&access, "jobs")?;
/// queue.send("render frame 7").await?;          // creates the queue when missing
/// for message in queue.receive_messages(None).await? {
///     println!("{}", message.body);              // already deleted (immediate delete)
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqsAccess {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) access: AwsAccess,
    pub(crate) name: String,
    pub(crate) resource: String,
    pub(crate) immediate_delete: bool,
    pub(crate) visibility: Visibility,
    pub(crate) auto_create: bool,
    pub(crate) long_poll: bool,
    pub(crate) fifo: bool,
    pub(crate) group_id: String,
    pub(crate) max_message_size: usize,
    pub(crate) content_based_deduplication: bool,
    #[cfg(feature = "s3-offload")]
    pub(crate) offload: Option<crate::offload::OffloadConfig>,
    /// The queue URL once looked up; forgotten when the queue is deleted or found missing.
    pub(crate) url: Mutex<Option<String>>,
    pub(crate) arn: OnceCell<String>,
    pub(crate) history_path: PathBuf,
    pub(crate) state: Mutex<State>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) history: History,
    /// Receipt handle -> when it was received (without immediate delete).
    pub(crate) in_flight: HashMap<String, Instant>,
}

impl SqsAccess {
    /// The queue name.
    pub fn queue_name(&self) -> &str {
        &self.inner.name
    }

    /// The SDK client, for what awsimple does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The visibility timeout the next receive will use.
    pub fn visibility_timeout(&self) -> Duration {
        let state = self.state();
        self.inner.visibility.timeout(&state.history)
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// One request about this queue, through the service kit; a "queue does not exist" answer
    /// also forgets the cached URL, so the next call looks the queue up again (it may have been
    /// deleted and created anew).
    pub(crate) async fn call<T, E, F>(&self, operation: &'static str, request: F) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let result = SQS.call(operation, &self.inner.resource, request).await;
        if result.as_ref().is_err_and(|e| e.is_not_found()) {
            self.forget_url();
        }
        result
    }

    pub(crate) fn cached_url(&self) -> Option<String> {
        self.inner
            .url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn store_url(&self, url: &str) {
        *self
            .inner
            .url
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(url.to_owned());
    }

    pub(crate) fn forget_url(&self) {
        if self
            .inner
            .url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some()
        {
            debug!(queue = %self.inner.name, "queue URL forgotten");
        }
    }

    /// The access this handle was made from.
    pub fn access(&self) -> &AwsAccess {
        &self.inner.access
    }
}
