//! [`SqsAccessBuilder`]: the options of a queue handle, checked when it is built.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::Client;
use awsimple_core::{AwsAccess, Error, Result};
use tokio::sync::OnceCell;

use crate::access::{Inner, SqsAccess, State};
use crate::names::{DEFAULT_MAX_MESSAGE_SIZE, validate_queue_name};
use crate::visibility::{self, History, Visibility};

/// Options of an [`SqsAccess`]; from [`SqsAccess::builder`].
#[derive(Debug)]
pub struct SqsAccessBuilder {
    access: AwsAccess,
    name: String,
    immediate_delete: bool,
    visibility_timeout: Option<Duration>,
    minimum_visibility_timeout: Option<Duration>,
    auto_create: bool,
    long_poll: bool,
    message_group_id: Option<String>,
    history_dir: Option<PathBuf>,
    max_message_size: usize,
    content_based_deduplication: bool,
    #[cfg(feature = "s3-offload")]
    offload: Option<crate::offload::OffloadConfig>,
}

impl SqsAccessBuilder {
    /// Delete messages as they are received (default true). With false the caller deletes
    /// them ([`SqsAccess::delete_message`]), and the receive -> delete time feeds the automatic
    /// visibility timeout.
    pub fn immediate_delete(mut self, on: bool) -> Self {
        self.immediate_delete = on;
        self
    }

    /// A fixed visibility timeout (only without immediate delete and without a minimum).
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = Some(timeout);
        self
    }

    /// The least the automatic visibility timeout may be.
    pub fn minimum_visibility_timeout(mut self, minimum: Duration) -> Self {
        self.minimum_visibility_timeout = Some(minimum);
        self
    }

    /// Create the queue when it does not exist, at the first use (default false; `send`
    /// creates it anyway, as in Python).
    pub fn auto_create(mut self, on: bool) -> Self {
        self.auto_create = on;
        self
    }

    /// Long poll (default false): every `receive_*` call waits up to 20 s for its first
    /// message, as Python's long-poll handle does; a worker loop on an idle queue then sends
    /// three requests a minute instead of short polls back to back.
    pub fn long_poll(mut self, on: bool) -> Self {
        self.long_poll = on;
        self
    }

    /// Message group of a FIFO queue (default `"default"`).
    pub fn message_group_id(mut self, group: impl Into<String>) -> Self {
        self.message_group_id = Some(group.into());
        self
    }

    /// Folder of the work-time history (default: the per-user data folder of awsimple).
    pub fn history_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.history_dir = Some(dir.into());
        self
    }

    /// Whether [`SqsAccess::create_queue`] turns on content-based deduplication for a FIFO
    /// queue (default true). Without it, every message sent to the queue needs a
    /// deduplication id ([`SqsAccess::send_with_deduplication_id`]).
    pub fn content_based_deduplication(mut self, on: bool) -> Self {
        self.content_based_deduplication = on;
        self
    }

    /// Largest body accepted before sending (default [`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Bodies over the configuration's threshold go to S3, in the format of the AWS SQS
    /// Extended Client libraries (feature `s3-offload`); received pointers are fetched, and
    /// deleting a message deletes its object when configured.
    #[cfg(feature = "s3-offload")]
    #[cfg_attr(docsrs, doc(cfg(feature = "s3-offload")))]
    pub fn offload_to(mut self, config: crate::offload::OffloadConfig) -> Self {
        self.offload = Some(config);
        self
    }

    /// Validates the name and the options (no request is sent).
    pub fn build(self) -> Result<SqsAccess> {
        validate_queue_name(&self.name)?;
        let what = || format!("visibility options of SQS queue {:?}", self.name);
        let visibility = match (
            self.immediate_delete,
            self.visibility_timeout,
            self.minimum_visibility_timeout,
        ) {
            (true, Some(_), _) => {
                return Err(Error::invalid(
                    what(),
                    "a visibility timeout cannot be given together with immediate delete",
                ));
            }
            (_, Some(_), Some(_)) => {
                return Err(Error::invalid(
                    what(),
                    "give either a visibility timeout or a minimum visibility timeout, not both",
                ));
            }
            (true, None, Some(_)) => {
                return Err(Error::invalid(
                    what(),
                    "a minimum visibility timeout has no effect with immediate delete",
                ));
            }
            (true, None, None) => Visibility::ImmediateDelete,
            (false, Some(timeout), None) => {
                if timeout > visibility::MAX_VISIBILITY {
                    return Err(Error::invalid(what(), "SQS allows at most 12 hours"));
                }
                Visibility::Fixed(timeout)
            }
            (false, None, minimum) => Visibility::Automatic {
                minimum: minimum.unwrap_or(Duration::ZERO),
            },
        };
        #[cfg(feature = "s3-offload")]
        if let Some(offload) = &self.offload
            && offload.threshold > self.max_message_size
        {
            return Err(Error::invalid(
                what(),
                format!(
                    "the offload threshold ({} bytes) is over the largest message ({} bytes)",
                    offload.threshold, self.max_message_size
                ),
            ));
        }
        let fifo = self.name.ends_with(".fifo");
        if self.message_group_id.is_some() && !fifo {
            return Err(Error::invalid(
                what(),
                "a message group id is for FIFO queues (names ending in `.fifo`)",
            ));
        }
        let history_path = match &self.history_dir {
            Some(dir) => visibility::history_path(dir, &self.name),
            None => visibility::history_path(&awsimple_core::paths::data_dir()?, &self.name),
        };
        let history = match visibility {
            Visibility::Automatic { .. } => visibility::load(&history_path),
            _ => History::default(),
        };
        let conf = aws_sdk_sqs::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            .build();
        Ok(SqsAccess {
            inner: Arc::new(Inner {
                client: Client::from_conf(conf),
                resource: format!("SQS queue {:?}", self.name),
                access: self.access,
                fifo,
                group_id: self
                    .message_group_id
                    .unwrap_or_else(|| "default".to_owned()),
                name: self.name,
                immediate_delete: self.immediate_delete,
                visibility,
                auto_create: self.auto_create,
                long_poll: self.long_poll,
                max_message_size: self.max_message_size,
                content_based_deduplication: self.content_based_deduplication,
                #[cfg(feature = "s3-offload")]
                offload: self.offload,
                url: Mutex::new(None),
                arn: OnceCell::new(),
                history_path,
                state: Mutex::new(State {
                    history,
                    in_flight: HashMap::new(),
                }),
            }),
        })
    }
}

impl SqsAccess {
    /// A handle with the default options (immediate delete, no long poll).
    pub fn new(access: &AwsAccess, queue_name: impl Into<String>) -> Result<Self> {
        Self::builder(access, queue_name).build()
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, queue_name: impl Into<String>) -> SqsAccessBuilder {
        SqsAccessBuilder {
            access: access.clone(),
            name: queue_name.into(),
            immediate_delete: true,
            visibility_timeout: None,
            minimum_visibility_timeout: None,
            auto_create: false,
            long_poll: false,
            message_group_id: None,
            history_dir: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            content_based_deduplication: true,
            #[cfg(feature = "s3-offload")]
            offload: None,
        }
    }
}
