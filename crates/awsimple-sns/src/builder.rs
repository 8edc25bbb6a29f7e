//! [`SnsAccessBuilder`]: the options of a topic handle.

use std::sync::Arc;

use aws_sdk_sns::Client;
use awsimple_core::{AwsAccess, Result};
use tokio::sync::OnceCell;

use crate::names::validate_topic_name;
use crate::topic::{Inner, SnsAccess};

/// Options of an [`SnsAccess`]; from [`SnsAccess::builder`].
#[derive(Debug)]
pub struct SnsAccessBuilder {
    access: AwsAccess,
    name: String,
    auto_create: bool,
}

impl SnsAccessBuilder {
    /// Create the topic at first use when it does not exist (default false).
    pub fn auto_create(mut self, on: bool) -> Self {
        self.auto_create = on;
        self
    }

    /// Validates the name (no request is sent).
    pub fn build(self) -> Result<SnsAccess> {
        validate_topic_name(&self.name)?;
        let conf = aws_sdk_sns::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            .build();
        Ok(SnsAccess {
            inner: Arc::new(Inner {
                client: Client::from_conf(conf),
                resource: format!("SNS topic {:?}", self.name),
                access: self.access,
                name: self.name,
                auto_create: self.auto_create,
                arn: OnceCell::new(),
            }),
        })
    }
}

impl SnsAccess {
    /// A handle without auto create.
    pub fn new(access: &AwsAccess, topic_name: impl Into<String>) -> Result<Self> {
        Self::builder(access, topic_name).build()
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, topic_name: impl Into<String>) -> SnsAccessBuilder {
        SnsAccessBuilder {
            access: access.clone(),
            name: topic_name.into(),
            auto_create: false,
        }
    }
}
