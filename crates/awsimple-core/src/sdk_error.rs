//! The one place where AWS answers get their meaning: an SDK error becomes an [`Error`].

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{AwsAnswer, BoxError, Error, chain_message};

impl Error {
    /// Turns an SDK error into an [`Error`], giving every AWS error code its meaning.
    ///
    /// `operation` is the AWS operation name (`GetObject`), `resource` what it was about
    /// (`s3://bucket/key`). This is the only place where codes are mapped: service crates match
    /// their modeled errors first where they need a finer meaning, then fall back to this.
    pub fn from_sdk<E>(
        err: SdkError<E, HttpResponse>,
        operation: &'static str,
        resource: impl Into<String>,
    ) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let resource = resource.into();
        if let Some(message) = credentials_problem(&err) {
            return Error::Config { message };
        }
        let full_message = chain_message(&err);
        match err {
            SdkError::ServiceError(context) => {
                let status = context.raw().status().as_u16();
                let request_id = request_id_of(context.raw());
                let service_error = context.into_err();
                let code = service_error.code().map(str::to_owned);
                let message = service_error
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| service_error.to_string());
                classify(ServiceAnswer {
                    resource,
                    operation,
                    code,
                    message,
                    status: Some(status),
                    request_id,
                    source: Box::new(service_error),
                })
            }
            SdkError::TimeoutError(_) => Error::Timeout {
                resource,
                operation,
                message: "the operation timeout elapsed".to_owned(),
                source: Some(Box::new(err)),
            },
            SdkError::DispatchFailure(ref failure) => {
                let message = full_message;
                if failure.is_timeout() {
                    Error::Timeout {
                        resource,
                        operation,
                        message,
                        source: Some(Box::new(err)),
                    }
                } else {
                    Error::Unreachable {
                        resource,
                        operation,
                        message,
                        source: Some(Box::new(err)),
                    }
                }
            }
            SdkError::ResponseError(ref failure) => {
                let status = failure.raw().status().as_u16();
                let request_id = request_id_of(failure.raw());
                classify(ServiceAnswer {
                    resource,
                    operation,
                    code: None,
                    message: format!("unreadable response: {full_message}"),
                    status: Some(status),
                    request_id,
                    source: Box::new(err),
                })
            }
            SdkError::ConstructionFailure(_) => Error::Config {
                message: format!(
                    "could not build the {operation} request for {resource}: {full_message}"
                ),
            },
            _ => Error::Other {
                context: format!("{operation} on {resource} failed: {full_message}"),
                source: Some(Box::new(err)),
            },
        }
    }
}

/// What a service answered, before it is given a meaning.
struct ServiceAnswer {
    resource: String,
    operation: &'static str,
    code: Option<String>,
    message: String,
    status: Option<u16>,
    request_id: Option<Box<str>>,
    source: BoxError,
}

/// The meaning of AWS error codes, for every service awsimple covers.
fn classify(answer: ServiceAnswer) -> Error {
    let ServiceAnswer {
        resource,
        operation,
        code,
        message,
        status,
        request_id,
        source,
    } = answer;
    let code_str = code.as_deref().unwrap_or("");
    let answer = Some(Box::new(AwsAnswer::new(
        code.as_deref(),
        status,
        request_id.as_deref(),
    )));
    match code_str {
        // Missing things.
        "NoSuchKey"
        | "NoSuchBucket"
        | "NotFound"
        | "NoSuchUpload"
        | "ResourceNotFoundException"
        | "QueueDoesNotExist"
        | "AWS.SimpleQueueService.NonExistentQueue"
        | "NotFoundException"
        | "TableNotFoundException" => Error::NotFound { resource, answer },
        // Things that exist already.
        "BucketAlreadyOwnedByYou"
        | "ResourceInUseException"
        | "ResourceAlreadyExistsException"
        | "TableAlreadyExistsException"
        | "QueueAlreadyExists"
        | "QueueNameExists"
        | "EntityAlreadyExists" => Error::AlreadyExists { resource, answer },
        "BucketAlreadyExists" => Error::OwnedByAnother { resource, answer },
        "ConditionalCheckFailedException"
        | "PreconditionFailed"
        | "TransactionCanceledException" => Error::Precondition {
            resource,
            message,
            source: Some(source),
            answer,
        },
        // Credentials AWS does not accept.
        "InvalidClientTokenId"
        | "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidToken"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "AuthFailure"
        | "InvalidSecurity" => Error::Credentials {
            resource,
            operation,
            message,
            answer,
        },
        // Valid credentials without the permission.
        "AccessDenied"
        | "AccessDeniedException"
        | "AuthorizationError"
        | "UnauthorizedOperation"
        | "AllAccessDisabled"
        | "AWS.SimpleQueueService.AccessDenied" => Error::PermissionDenied {
            resource,
            operation,
            message,
            answer,
        },
        // Throttling (the SDK has retried these already).
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "SlowDown"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "ProvisionedThroughputExceededException"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "LimitExceededException"
        | "AWS.SimpleQueueService.RequestThrottled" => Error::Throttled {
            resource,
            operation,
            message,
            answer,
        },
        // No code (HEAD requests, some S3 answers): the status tells.
        "" => match status {
            Some(404) => Error::NotFound { resource, answer },
            Some(403) => Error::PermissionDenied {
                resource,
                operation,
                message,
                answer,
            },
            Some(412) => Error::Precondition {
                resource,
                message,
                source: Some(source),
                answer,
            },
            Some(429) | Some(503) => Error::Throttled {
                resource,
                operation,
                message,
                answer,
            },
            _ => Error::Service {
                resource,
                operation,
                code: status.map_or_else(|| "Unknown".into(), |s| format!("HTTP {s}").into()),
                message,
                status,
                request_id,
                source: Some(source),
            },
        },
        _ => Error::Service {
            resource,
            operation,
            code: code_str.into(),
            message,
            status,
            request_id,
            source: Some(source),
        },
    }
}

/// When the request failed because no credentials could be loaded, what the provider said.
fn credentials_problem<E>(err: &SdkError<E, HttpResponse>) -> Option<String>
where
    E: StdError + 'static,
{
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(problem) = current.downcast_ref::<CredentialsError>() {
            return Some(format!(
                "no usable AWS credentials: {} (configure a profile, the AWS_ACCESS_KEY_ID / \
                 AWS_SECRET_ACCESS_KEY variables, or pass keys to AwsAccess::builder())",
                chain_message(problem)
            ));
        }
        source = current.source();
    }
    None
}

fn request_id_of(response: &HttpResponse) -> Option<Box<str>> {
    let headers = response.headers();
    headers
        .get("x-amzn-requestid")
        .or_else(|| headers.get("x-amz-request-id"))
        .map(Box::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(code: Option<&str>, status: u16) -> Error {
        classify(ServiceAnswer {
            resource: "s3://bucket/key".into(),
            operation: "GetObject",
            code: code.map(str::to_owned),
            message: "message".into(),
            status: Some(status),
            request_id: Some("req-1".into()),
            source: "the SDK error".into(),
        })
    }

    #[test]
    fn codes_get_their_meaning() {
        assert!(answer(Some("NoSuchKey"), 404).is_not_found());
        assert!(answer(None, 404).is_not_found());
        assert!(answer(Some("ResourceInUseException"), 400).is_already_exists());
        assert!(matches!(
            answer(Some("BucketAlreadyExists"), 409),
            Error::OwnedByAnother { .. }
        ));
        assert!(matches!(
            answer(Some("InvalidClientTokenId"), 403),
            Error::Credentials { .. }
        ));
        assert!(matches!(
            answer(Some("AccessDenied"), 403),
            Error::PermissionDenied { .. }
        ));
        assert!(matches!(
            answer(Some("SlowDown"), 503),
            Error::Throttled { .. }
        ));
        assert!(answer(Some("SlowDown"), 503).is_transient());
        assert!(matches!(
            answer(Some("ConditionalCheckFailedException"), 400),
            Error::Precondition { .. }
        ));
    }

    #[test]
    fn every_answered_variant_keeps_code_status_and_request_id() {
        for (code, status) in [
            (Some("NoSuchKey"), 404),
            (None, 404),
            (Some("ResourceInUseException"), 400),
            (Some("BucketAlreadyExists"), 409),
            (Some("PreconditionFailed"), 412),
            (Some("InvalidClientTokenId"), 403),
            (Some("AccessDenied"), 403),
            (Some("SlowDown"), 503),
        ] {
            let err = answer(code, status);
            assert_eq!(err.request_id(), Some("req-1"), "{err:?}");
            assert_eq!(err.code(), code, "{err:?}");
            assert_eq!(err.status(), Some(status), "{err:?}");
        }
        // Errors of the library itself answer none of it.
        let mine = Error::invalid("key", "empty");
        assert_eq!(
            (mine.code(), mine.request_id(), mine.status()),
            (None, None, None)
        );
    }

    #[test]
    fn unknown_codes_keep_code_status_and_request_id() {
        let err = answer(Some("InvalidParameterValue"), 400);
        assert_eq!(err.aws_code(), Some("InvalidParameterValue"));
        assert!(!err.is_transient());
        let text = err.to_string();
        assert!(text.contains("GetObject"), "{text}");
        assert!(text.contains("s3://bucket/key"), "{text}");
        assert!(text.contains("InvalidParameterValue"), "{text}");
        assert!(text.contains("req-1"), "{text}");
        assert!(answer(None, 500).is_transient());
    }

    #[test]
    fn sdk_errors_stay_reachable_as_the_source() {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

        let modeled = GetCallerIdentityError::generic(
            ErrorMetadata::builder()
                .code("InvalidParameterValue")
                .message("bad value")
                .build(),
        );
        let mut raw = HttpResponse::new(
            StatusCode::try_from(400).expect("a valid status"),
            SdkBody::empty(),
        );
        raw.headers_mut().insert("x-amzn-requestid", "req-42");
        let err = Error::from_sdk(
            SdkError::service_error(modeled, raw),
            "GetCallerIdentity",
            "the caller",
        );
        assert_eq!(err.aws_code(), Some("InvalidParameterValue"));
        assert_eq!(err.request_id(), Some("req-42"));
        let source = std::error::Error::source(&err).expect("the SDK error is the source");
        assert!(
            source.downcast_ref::<GetCallerIdentityError>().is_some(),
            "{source:?}"
        );
    }
}
