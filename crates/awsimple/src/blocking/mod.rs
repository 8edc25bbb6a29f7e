//! A blocking API for scripts and other synchronous programs (feature `blocking`), in the manner
//! of `reqwest::blocking`: the same handles and methods as the async API, without `async`.
//!
//! The module owns one tokio runtime per process, made on first use; every blocking method runs
//! the async method of the same name on it through [`block_on`], so both APIs behave alike (the
//! same errors, retries, timeouts and caches). A plain `fn main` is all a program needs.
//!
//! Each handle wraps the async one: `as_async()` gives it for what the blocking API does not
//! wrap (run it with [`block_on`]), and `From` turns an async handle (for example one made with
//! its builder) into a blocking one.
//!
//! Called from inside an async runtime (an `async fn`, a `#[tokio::main]` program, a task), every
//! blocking method returns an [`Error::Other`] saying so instead of blocking a runtime thread:
//! use the async API there.
//!
//! ```no_run
//! use awsimple::blocking::{AwsAccess, S3Access};
//!
//! fn main() -> awsimple::Result<()> {
//!     let access = AwsAccess::new()?;
//!     let s3 = S3Access::new(&access, "my-unique-bucket-name")?;
//!     s3.create_bucket()?;
//!     s3.write_string("hello world", "hello.txt")?;
//!     assert_eq!(s3.read_string("hello.txt")?, "hello world");
//!     Ok(())
//! }
//! ```
//!
//! Options go through the async builders:
//!
//! ```no_run
//! # fn main() -> awsimple::Result<()> {
//! use awsimple::blocking::{self, AwsAccess, SqsAccess};
//!
//! let access = AwsAccess::build(awsimple::AwsAccess::builder().region("us-west-2"))?;
//! let queue = SqsAccess::from(
//!     awsimple::SqsAccess::builder(access.as_async(), "jobs")
//!         .long_poll(true)
//!         .build()?,
//! );
//! // Anything else of the async API, run to completion:
//! let url = blocking::block_on(queue.as_async().url())??;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::{Error, Result};

#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "logs")]
mod logs;
#[cfg(feature = "pubsub")]
#[cfg_attr(docsrs, doc(cfg(feature = "pubsub")))]
pub mod pubsub;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "sns")]
mod sns;
#[cfg(feature = "sqs")]
mod sqs;

#[cfg(feature = "dynamodb")]
#[cfg_attr(docsrs, doc(cfg(feature = "dynamodb")))]
pub use dynamodb::DynamoDbAccess;
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
pub use logs::LogsAccess;
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub use s3::S3Access;
#[cfg(feature = "sns")]
#[cfg_attr(docsrs, doc(cfg(feature = "sns")))]
pub use sns::SnsAccess;
#[cfg(feature = "sqs")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
pub use sqs::SqsAccess;

/// What the error of a blocking call made inside an async runtime says.
pub const IN_ASYNC_RUNTIME: &str =
    "the blocking API was called from inside an async runtime: use the async API there";

/// The runtime of the blocking API (an error message when it could not be made).
static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                // A few workers serve a script's requests and background tasks.
                .worker_threads(
                    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4)),
                )
                .thread_name("awsimple-blocking")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::other(format!("could not start the blocking API's runtime: {e}")))
}

/// Runs a future to completion on the blocking API's runtime (made on first use) and returns
/// its output: the one way every blocking method calls the async API, and the way to call
/// the parts of it this module does not wrap.
///
/// Background tasks the future spawns (a pub/sub publisher's sender, connection tasks) go on
/// running on the runtime's worker threads after it returns.
///
/// # Errors
/// [`Error::Other`] ([`IN_ASYNC_RUNTIME`]) when called from inside an async runtime, where
/// blocking would stall it; an error when the runtime could not be started.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::other(IN_ASYNC_RUNTIME));
    }
    Ok(runtime()?.block_on(future))
}

/// [`block_on`] for a future whose output is already a `Result`.
fn run<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    block_on(future)?
}

/// A blocking iterator over an async stream of the async API (messages of a queue or a pub/sub
/// channel, pages of a query or scan read as they are needed). Each `next` blocks until the
/// stream has its next item.
pub struct Iter<'a, T> {
    stream: Pin<Box<dyn Stream<Item = Result<T>> + 'a>>,
    done: bool,
}

impl<T> std::fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter").field("done", &self.done).finish()
    }
}

impl<'a, T> Iter<'a, T> {
    /// Wraps any stream of the async API.
    pub fn new(stream: impl Stream<Item = Result<T>> + 'a) -> Self {
        Self {
            stream: Box::pin(stream),
            done: false,
        }
    }

    /// The next item if one comes within `timeout`: `Ok(None)` when none did (or the stream
    /// ended). Nothing is lost when the time runs out: a request under way goes on at the
    /// next call.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<T>> {
        if self.done {
            return Ok(None);
        }
        // The timer is made inside the runtime (`timeout` needs one to start).
        let next = self.stream.next();
        match block_on(async { tokio::time::timeout(timeout, next).await })? {
            Ok(Some(item)) => item.map(Some),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(_elapsed) => Ok(None),
        }
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        match block_on(self.stream.next()) {
            Ok(Some(item)) => Some(item),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                // Called inside a runtime: say so once, then stop.
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<T> std::iter::FusedIterator for Iter<'_, T> {}

/// Access to AWS (credentials, region, endpoint): the blocking form of [`crate::AwsAccess`].
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct AwsAccess {
    inner: crate::AwsAccess,
}

impl AwsAccess {
    /// From the environment and the default profile, as [`crate::AwsAccess::new`].
    ///
    /// ```no_run
    /// fn main() -> awsimple::Result<()> {
    ///     let access = awsimple::blocking::AwsAccess::new()?;
    ///     println!("credentials valid: {}", access.test()?);
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Errors
    /// The errors of [`crate::AwsAccess::new`], and [`Error::Other`]
    /// ([`IN_ASYNC_RUNTIME`]) when called inside an async runtime.
    pub fn new() -> Result<Self> {
        run(crate::AwsAccess::new()).map(Self::from)
    }

    /// Builds the access an async builder describes (profile, region, keys, endpoint, timeouts).
    ///
    /// # Errors
    /// The errors of [`crate::AwsAccessBuilder::build`], and [`Error::Other`]
    /// ([`IN_ASYNC_RUNTIME`]) when called inside an async runtime.
    pub fn build(builder: crate::AwsAccessBuilder) -> Result<Self> {
        run(builder.build()).map(Self::from)
    }

    /// The async access, for the async API.
    pub fn as_async(&self) -> &crate::AwsAccess {
        &self.inner
    }

    /// The async access, for the async API.
    pub fn into_async(self) -> crate::AwsAccess {
        self.inner
    }

    /// The region.
    pub fn region(&self) -> &str {
        self.inner.region()
    }

    /// The profile, when one was named.
    pub fn profile(&self) -> Option<&str> {
        self.inner.profile()
    }

    /// The global endpoint override, when there is one (a service may have its own: see
    /// [`AwsAccess::service_endpoint_url`]).
    pub fn endpoint_url(&self) -> Option<&str> {
        self.inner.endpoint_url()
    }

    /// The endpoint override the client of a service uses (`"S3"`, `"DynamoDB"`, `"SQS"`,
    /// `"SNS"`), as [`crate::AwsAccess::service_endpoint_url`]: in code, else the service's own
    /// (`AWS_ENDPOINT_URL_<SERVICE>`, profile `services`), else the global one.
    pub fn service_endpoint_url(&self, service_id: &str) -> Option<String> {
        self.inner.service_endpoint_url(service_id)
    }

    /// Every request sent through this access, per service and operation.
    pub fn request_counter(&self) -> &crate::RequestCounter {
        self.inner.request_counter()
    }

    /// The access key id of the credentials.
    pub fn access_key_id(&self) -> Result<String> {
        run(self.inner.access_key_id())
    }

    /// Whether the credentials work, as [`crate::AwsAccess::test`].
    pub fn test(&self) -> Result<bool> {
        run(self.inner.test())
    }

    /// The account id of the credentials.
    pub fn account_id(&self) -> Result<String> {
        run(self.inner.account_id())
    }
}

impl From<crate::AwsAccess> for AwsAccess {
    fn from(inner: crate::AwsAccess) -> Self {
        Self { inner }
    }
}
