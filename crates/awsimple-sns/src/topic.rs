//! [`SnsAccess`]: the handle of one topic; create, look up, delete.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_sns::Client;
use awsimple_core::{AwsAccess, Found, Result, Service};
use tokio::sync::OnceCell;

use crate::names::partition;

/// The service, for spans and error mapping.
pub(crate) const SNS: Service = Service::new("sns");

/// One SNS topic. Cheap to clone; the ARN is looked up once per handle.
#[derive(Clone, Debug)]
pub struct SnsAccess {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) access: AwsAccess,
    pub(crate) name: String,
    pub(crate) resource: String,
    pub(crate) auto_create: bool,
    pub(crate) arn: OnceCell<String>,
}

impl SnsAccess {
    /// The topic name.
    pub fn topic_name(&self) -> &str {
        &self.inner.name
    }

    /// The SDK client, for what awsimple does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Creates the topic (idempotent; DisplayName = name) and returns its ARN.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sns::AwsAccess) -> awsimple_sns::Result<()> {
    /// use awsimple_sns::SnsAccess;
    ///
    /// let alerts = SnsAccess::new(access, "alerts")?;
    /// let arn = alerts.create_topic().await?; // the same ARN when it exists already
    /// println!("{arn}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::AlreadyExists`](awsimple_core::Error::AlreadyExists) when a topic of that name
    /// exists with other attributes, [`Error::PermissionDenied`](awsimple_core::Error::PermissionDenied)
    /// without `sns:CreateTopic`, and the errors every call can have (credentials, throttling,
    /// connection, timeout).
    pub async fn create_topic(&self) -> Result<String> {
        let mut request = self
            .inner
            .client
            .create_topic()
            .name(&self.inner.name)
            .attributes(
                "DisplayName",
                self.inner.name.chars().take(100).collect::<String>(),
            );
        if self.inner.name.ends_with(".fifo") {
            request = request
                .attributes("FifoTopic", "true")
                .attributes("ContentBasedDeduplication", "true");
        }
        let out = SNS
            .call("CreateTopic", &self.inner.resource, request.send())
            .await?;
        let arn = out.topic_arn().unwrap_or_default().to_owned();
        let _ = self.inner.arn.set(arn.clone());
        Ok(arn)
    }

    /// The topic's ARN, looked up once: with auto create, CreateTopic (idempotent) gives it;
    /// otherwise it is built from the account and region and confirmed with one
    /// GetTopicAttributes, without listing every topic.
    pub async fn arn(&self) -> Result<String> {
        self.inner
            .arn
            .get_or_try_init(|| async {
                if self.inner.auto_create {
                    return self.create_topic().await;
                }
                let arn = self.expected_arn().await?;
                self.attributes_of(&arn).await?;
                Ok(arn)
            })
            .await
            .cloned()
    }

    async fn expected_arn(&self) -> Result<String> {
        let region = self.inner.access.region();
        let account = self.inner.access.account_id().await?;
        Ok(format!(
            "arn:{}:sns:{region}:{account}:{}",
            partition(region),
            self.inner.name
        ))
    }

    async fn attributes_of(&self, arn: &str) -> Result<HashMap<String, String>> {
        let request = self.inner.client.get_topic_attributes().topic_arn(arn);
        let out = SNS
            .call("GetTopicAttributes", &self.inner.resource, request.send())
            .await?;
        Ok(out.attributes().cloned().unwrap_or_default())
    }

    /// The topic's attributes (DisplayName, Policy, SubscriptionsConfirmed, ...).
    pub async fn attributes(&self) -> Result<HashMap<String, String>> {
        let arn = self.arn().await?;
        self.attributes_of(&arn).await
    }

    /// True when the topic exists.
    pub async fn topic_exists(&self) -> Result<bool> {
        let arn = match self.inner.arn.get() {
            Some(arn) => arn.clone(),
            None => self.expected_arn().await?,
        };
        self.attributes_of(&arn).await.exists()
    }

    /// Deletes the topic; false when it did not exist. (SNS answers success either way, so
    /// this asks first: one GetTopicAttributes more.)
    ///
    /// # Errors
    /// [`Error::PermissionDenied`](awsimple_core::Error::PermissionDenied) without
    /// `sns:DeleteTopic`, and the errors every call can have (credentials, throttling,
    /// connection, timeout). A missing topic is `Ok(false)`, not an error.
    pub async fn delete_topic(&self) -> Result<bool> {
        if !self.topic_exists().await? {
            return Ok(false);
        }
        let arn = match self.inner.arn.get() {
            Some(arn) => arn.clone(),
            None => self.expected_arn().await?,
        };
        let request = self.inner.client.delete_topic().topic_arn(arn);
        SNS.call("DeleteTopic", &self.inner.resource, request.send())
            .await
            .exists()
    }

    /// The access this handle was made from.
    pub fn access(&self) -> &AwsAccess {
        &self.inner.access
    }
}
