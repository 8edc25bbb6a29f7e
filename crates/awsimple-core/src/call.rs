//! The one way a service crate calls AWS: a span per call, the SDK error mapped once, the
//! request id kept; and [`Found`], for calls where "absent" is an answer rather than an error.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tracing::{Instrument, debug, info_span};

use crate::{Error, Result};

/// One AWS service as the service crates see it: its name for spans (`s3`, `dynamodb`, ...).
///
/// Every request a service crate sends goes through [`Service::call`]:
///
/// ```no_run
/// # async fn demo(client: aws_sdk_sts::Client) -> awsimple_core::Result<()> {
/// use awsimple_core::Service;
/// const STS: Service = Service::new("sts");
/// let who = STS
///     .call("GetCallerIdentity", "the caller", client.get_caller_identity().send())
///     .await?;
/// # let _ = who; Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    name: &'static str,
}

impl Service {
    /// A service named `name` (lower case, as in the span names: `s3`, `sqs`).
    pub const fn new(name: &'static str) -> Self {
        Service { name }
    }

    /// The service's name.
    pub const fn name(self) -> &'static str {
        self.name
    }

    /// Sends one request: `request` is the SDK's `send()` future, `operation` the AWS operation
    /// name (`GetObject`), `resource` what it is about (`s3://bucket/key`).
    ///
    /// The call runs in an `aws` span carrying the service, operation and resource; its outcome
    /// is logged at debug level with the error code and request id when it failed; the SDK error
    /// becomes an [`Error`] through [`Error::from_sdk`], the one place codes get their meaning,
    /// and stays reachable as the error's `source()`.
    pub async fn call<T, E, F>(
        self,
        operation: &'static str,
        resource: impl fmt::Display,
        request: F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let span = info_span!("aws", service = self.name, operation, resource = %resource);
        async move {
            match request.await {
                Ok(output) => Ok(output),
                Err(err) => {
                    let error = Error::from_sdk(err, operation, resource.to_string());
                    debug!(
                        code = error.aws_code(),
                        request_id = error.request_id(),
                        error = %error,
                        "request failed"
                    );
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// "Absent" as an answer: `Ok(None)` for [`Error::NotFound`], the value otherwise.
///
/// ```
/// use awsimple_core::{Error, Found};
/// let missing: awsimple_core::Result<u8> = Err(Error::not_found("s3://b/k"));
/// assert_eq!(missing.found().unwrap(), None);
/// let there: awsimple_core::Result<u8> = Ok(1);
/// assert!(there.exists().unwrap());
/// ```
pub trait Found<T> {
    /// `Some(value)`, `None` when the resource does not exist, other errors unchanged.
    fn found(self) -> Result<Option<T>>;

    /// `true` when the call succeeded, `false` when the resource does not exist.
    fn exists(self) -> Result<bool>;
}

impl<T> Found<T> for Result<T> {
    fn found(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn exists(self) -> Result<bool> {
        self.found().map(|found| found.is_some())
    }
}
