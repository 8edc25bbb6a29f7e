//! The one error type of awsimple (AWS answers get their meaning in `sdk_error.rs`).

use std::error::Error as StdError;
use std::path::PathBuf;

/// A boxed error, kept as the `source` of an [`Error`] where one exists.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with awsimple's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in awsimple.
///
/// Branch on the meaning ([`Error::is_not_found`], [`Error::is_transient`], or a `match`), never on
/// the message text. Every message names the resource it is about (`s3://bucket/key`, `DynamoDB
/// table "users"`, ...). No variant ever holds a secret: credentials are never part of an error.
///
/// Every variant that came from an AWS answer keeps what AWS answered: [`Error::code`],
/// [`Error::request_id`], [`Error::status`]. `?` works on `std::io` errors (an [`Error::Io`]
/// without a path):
///
/// ```
/// fn settings(path: &std::path::Path) -> awsimple_core::Result<String> {
///     let text = std::fs::read_to_string(path)?;
///     Ok(text)
/// }
/// let err = settings(std::path::Path::new("/no/such/settings.toml")).unwrap_err();
/// assert!(matches!(err, awsimple_core::Error::Io { .. }));
/// assert_eq!(err.request_id(), None);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The resource does not exist (bucket, object, table, item, queue, topic, profile entry, ...).
    #[error("{resource} was not found")]
    NotFound {
        /// What was looked for.
        resource: String,
        /// What AWS answered (code, status, request id), when the error came from an answer.
        answer: Option<Box<AwsAnswer>>,
    },

    /// The resource exists already and the operation required that it did not.
    #[error("{resource} already exists")]
    AlreadyExists {
        /// What exists already.
        resource: String,
        /// What AWS answered (code, status, request id), when the error came from an answer.
        answer: Option<Box<AwsAnswer>>,
    },

    /// The name is taken by another AWS account (for example a bucket name, which is global).
    #[error("{resource} is owned by another AWS account: choose another name")]
    OwnedByAnother {
        /// The resource whose name is taken.
        resource: String,
        /// What AWS answered (code, status, request id), when the error came from an answer.
        answer: Option<Box<AwsAnswer>>,
    },

    /// A condition of the request did not hold (a conditional put or update, an S3 precondition).
    #[error("a condition on {resource} did not hold: {message}")]
    Precondition {
        /// The resource the condition was about.
        resource: String,
        /// What AWS said.
        message: String,
        /// The underlying error: the SDK's, or a typed account of what failed (for example a
        /// DynamoDB transaction's cancellation reasons).
        #[source]
        source: Option<BoxError>,
        /// What AWS answered (code, status, request id), when the error came from an answer.
        answer: Option<Box<AwsAnswer>>,
    },

    /// The input was rejected before any request was sent.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was invalid (for example `bucket name "Foo"`).
        what: String,
        /// Why it is invalid.
        reason: String,
    },

    /// AWS rejected the credentials (unknown key id, wrong secret, expired session token).
    #[error("AWS rejected the credentials while calling {operation} on {resource}: {message}")]
    Credentials {
        /// The resource the request was for.
        resource: String,
        /// The AWS operation.
        operation: &'static str,
        /// What AWS said.
        message: String,
        /// What AWS answered (code, status, request id), when the error came from an answer.
        answer: Option<Box<AwsAnswer>>,
    },

    /// The credentials are valid but lack the permission for this operation.
    #[error("permission denied for {operation} on {resource}: {message}")]
    PermissionDenied {
        /// The resource the request was for.
        resource: String,
        /// The AWS operation.
        operation: &'static str,
        /// What AWS said.
        message: String,
        /// What AWS answered (code, status, request id), when the error came from an answer.
        answer: Option<Box<AwsAnswer>>,
    },

    /// AWS throttled the request and the SDK's retries did not get through.
    #[error("throttled by AWS during {operation} on {resource} (retries exhausted): {message}")]
    Throttled {
        /// The resource the request was for.
        resource: String,
        /// The AWS operation.
        operation: &'static str,
        /// What AWS said.
        message: String,
        /// What AWS answered (code, status, request id), when the error came from an answer.
        answer: Option<Box<AwsAnswer>>,
    },

    /// Any other error answered by the service, with its AWS error code.
    #[error("{operation} on {resource} failed: {code}: {message}{}", fmt_request_id(.request_id))]
    Service {
        /// The resource the request was for.
        resource: String,
        /// The AWS operation.
        operation: &'static str,
        /// The AWS error code (for example `InvalidParameterValue`), or the HTTP status when the
        /// answer had no code.
        code: Box<str>,
        /// What AWS said.
        message: String,
        /// The HTTP status of the answer, when there was one.
        status: Option<u16>,
        /// The AWS request id, for support cases.
        request_id: Option<Box<str>>,
        /// The SDK's error, when the answer came through the SDK.
        #[source]
        source: Option<BoxError>,
    },

    /// The endpoint could not be reached (connection refused, DNS failure, TLS failure), or the
    /// connection broke while an answer was coming in.
    #[error("could not reach AWS for {operation} on {resource}: {message}")]
    Unreachable {
        /// The resource the request was for.
        resource: String,
        /// The AWS operation.
        operation: &'static str,
        /// What failed.
        message: String,
        /// The underlying error (the SDK's, or the I/O error that cut a body off).
        #[source]
        source: Option<BoxError>,
    },

    /// The request timed out (connect, attempt or operation timeout).
    #[error("{operation} on {resource} timed out: {message}")]
    Timeout {
        /// The resource the request was for.
        resource: String,
        /// The AWS operation.
        operation: &'static str,
        /// Which timeout.
        message: String,
        /// The underlying error, when the SDK reported the timeout.
        #[source]
        source: Option<BoxError>,
    },

    /// Anything that has no meaning of its own above (a background task that stopped, an
    /// answer the library cannot use). Branch on the other variants; this one is for people.
    #[error("{context}")]
    Other {
        /// What was being done and what went wrong.
        context: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// The configuration is unusable: unknown profile, no region, no credentials to be found,
    /// malformed config file, invalid endpoint.
    #[error("AWS configuration problem: {message}")]
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },

    /// Downloaded or stored content does not match its recorded checksum.
    #[error("integrity check failed for {resource}: expected {algorithm} {expected}, got {actual}")]
    Integrity {
        /// The resource whose content did not match.
        resource: String,
        /// The checksum algorithm (`SHA-512`, `CRC64NVME`, ...).
        algorithm: String,
        /// The checksum that was recorded.
        expected: String,
        /// The checksum of what was received.
        actual: String,
    },

    /// Content could not be (de)serialized (JSON, DynamoDB items, UTF-8 text).
    #[error("could not convert {resource}: {source}")]
    Serialization {
        /// The resource whose content could not be converted.
        resource: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },

    /// A local file system operation failed (`?` on a [`std::io::Error`] gives one without a
    /// path).
    #[error("I/O error{}: {source}", fmt_path(.path))]
    Io {
        /// The local path, when it is known.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn fmt_path(path: &Option<PathBuf>) -> String {
    match path {
        Some(path) => format!(" on {}", path.display()),
        None => String::new(),
    }
}

/// What AWS answered, kept on every error that came from an answer: the error code, the HTTP
/// status and the request id (for support cases). Boxed in the variants: most errors are not
/// AWS answers, and [`Error`] stays small.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwsAnswer {
    /// The AWS error code (`NoSuchKey`), when the answer had one (HEAD answers have none).
    pub code: Option<Box<str>>,
    /// The HTTP status of the answer.
    pub status: Option<u16>,
    /// The AWS request id (`x-amz-request-id` / `x-amzn-RequestId`).
    pub request_id: Option<Box<str>>,
}

impl AwsAnswer {
    /// An answer with these parts (for errors a service crate builds from an answer it read).
    pub fn new(code: Option<&str>, status: Option<u16>, request_id: Option<&str>) -> Self {
        AwsAnswer {
            code: code.map(Box::from),
            status,
            request_id: request_id.map(Box::from),
        }
    }
}

impl From<std::io::Error> for Error {
    /// An [`Error::Io`] without a path, so that `?` works on `std::io` and `tokio::fs` results;
    /// [`Error::io`] keeps the path.
    fn from(source: std::io::Error) -> Self {
        Error::Io { path: None, source }
    }
}

fn fmt_request_id(request_id: &Option<Box<str>>) -> String {
    match request_id {
        Some(id) => format!(" (request id {id})"),
        None => String::new(),
    }
}

impl Error {
    /// An [`Error::InvalidInput`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::NotFound`].
    pub fn not_found(resource: impl Into<String>) -> Self {
        Error::NotFound {
            resource: resource.into(),
            answer: None,
        }
    }

    /// An [`Error::Io`] on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: Some(path.into()),
            source,
        }
    }

    /// An [`Error::Serialization`] of `resource`.
    pub fn serialization(resource: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Serialization {
            resource: resource.into(),
            source: source.into(),
        }
    }

    /// An [`Error::Other`] with no underlying error.
    pub fn other(context: impl Into<String>) -> Self {
        Error::Other {
            context: context.into(),
            source: None,
        }
    }

    /// An [`Error::Timeout`] the library itself decided (a deadline of its own ran out).
    pub fn timeout(
        operation: &'static str,
        resource: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Timeout {
            resource: resource.into(),
            operation,
            message: message.into(),
            source: None,
        }
    }

    /// An [`Error::Unreachable`] for a connection that broke mid-answer (for example a body cut
    /// off): transient, so retry loops try again.
    pub fn unreachable(
        operation: &'static str,
        resource: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        let source = source.into();
        Error::Unreachable {
            resource: resource.into(),
            operation,
            message: chain_message(source.as_ref()),
            source: Some(source),
        }
    }

    /// An [`Error::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    /// True when the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// True when the resource exists already.
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Error::AlreadyExists { .. })
    }

    /// True for errors that may go away when the same call is made again later: throttling,
    /// timeouts, unreachable endpoints and 5xx answers. (The SDK has retried these already.)
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Throttled { .. } | Error::Timeout { .. } | Error::Unreachable { .. } => true,
            Error::Service { status, .. } => status.is_some_and(|s| s >= 500),
            _ => false,
        }
    }

    /// What AWS answered, for the variants that came from an answer other than
    /// [`Error::Service`] (which holds its parts itself).
    fn answer(&self) -> Option<&AwsAnswer> {
        match self {
            Error::NotFound { answer, .. }
            | Error::AlreadyExists { answer, .. }
            | Error::OwnedByAnother { answer, .. }
            | Error::Precondition { answer, .. }
            | Error::Credentials { answer, .. }
            | Error::PermissionDenied { answer, .. }
            | Error::Throttled { answer, .. } => answer.as_deref(),
            _ => None,
        }
    }

    /// The AWS error code (`NoSuchKey`, `AccessDenied`, ...), on every variant that came from
    /// an AWS answer that had one; `None` for errors of the library or of the local side.
    /// ([`Error::Service`] without a code has `HTTP <status>`.)
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service { code, .. } => Some(code),
            other => other.answer().and_then(|a| a.code.as_deref()),
        }
    }

    /// The same as [`Error::code`] (its first name, kept for existing callers).
    pub fn aws_code(&self) -> Option<&str> {
        self.code()
    }

    /// The AWS request id of the answer, for support cases: on every variant that came from
    /// an AWS answer carrying one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service { request_id, .. } => request_id.as_deref(),
            other => other.answer().and_then(|a| a.request_id.as_deref()),
        }
    }

    /// The HTTP status of the AWS answer the error came from, when it came from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service { status, .. } => *status,
            other => other.answer().and_then(|a| a.status),
        }
    }
}

/// An error and all its sources, as one line.
pub(crate) fn chain_message(err: &(dyn StdError + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(current) = source {
        let text = current.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = current.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_mark_works_on_io_errors() {
        fn read(path: &std::path::Path) -> Result<Vec<u8>> {
            Ok(std::fs::read(path)?)
        }
        let err = read(std::path::Path::new("/no/such/file/here")).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path: None, source } if source.kind() == std::io::ErrorKind::NotFound),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("I/O error: "), "{err}");
        let with_path = Error::io("/tmp/x", std::io::Error::other("boom"));
        assert_eq!(with_path.to_string(), "I/O error on /tmp/x: boom");
    }

    #[test]
    fn the_error_stays_small() {
        // Result<T, Error> is returned everywhere: keep it under clippy's large-error threshold
        // (`result_large_err` fires at 128 bytes).
        assert!(
            std::mem::size_of::<Error>() < 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
