//! Subscriptions: e-mail addresses and (feature `sqs`) SQS queues.

use awsimple_core::{Error, Result};

use crate::topic::{SNS, SnsAccess};

impl SnsAccess {
    async fn subscribe(
        &self,
        protocol: &str,
        endpoint: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String> {
        let arn = self.arn().await?;
        let mut request = self
            .inner
            .client
            .subscribe()
            .topic_arn(arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .return_subscription_arn(true);
        for (key, value) in attributes {
            request = request.attributes(*key, *value);
        }
        let out = SNS
            .call("Subscribe", &self.inner.resource, request.send())
            .await?;
        Ok(out.subscription_arn().unwrap_or_default().to_owned())
    }

    /// Subscribes an e-mail address (AWS mails a confirmation link); returns the subscription
    /// ARN (`pending confirmation` until the link is followed).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an address that is not `user@domain`, before any request;
    /// [`Error::NotFound`] when the topic does not exist (without auto create); and the errors
    /// every call can have.
    pub async fn subscribe_email(&self, address: &str) -> Result<String> {
        let valid = address
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
            && !address.chars().any(char::is_whitespace);
        if !valid {
            return Err(Error::invalid(
                format!("e-mail address {address:?}"),
                "expected user@domain",
            ));
        }
        self.subscribe("email", address, &[]).await
    }

    /// Subscribes an SQS queue: the queue's policy gains a statement allowing this topic to
    /// send (merged into what the queue has), then the subscription is made; returns its ARN.
    /// With `raw_delivery` the queue receives the bare message instead of SNS's JSON envelope.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sns::AwsAccess) -> awsimple_sns::Result<()> {
    /// use awsimple_sns::SnsAccess;
    /// use awsimple_sqs::SqsAccess;
    ///
    /// let alerts = SnsAccess::builder(access, "alerts").auto_create(true).build()?;
    /// let inbox = SqsAccess::new(access, "alerts-inbox")?;
    /// inbox.create_queue().await?;
    /// alerts.subscribe_sqs(&inbox, true).await?; // raw: the queue gets the bare message
    /// alerts.publish("disk almost full", None, None).await?;
    /// if let Some(message) = inbox.receive_message().await? {
    ///     assert_eq!(message.body, "disk almost full");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotFound`] when the topic (without auto create) or the queue does not exist;
    /// [`Error::PermissionDenied`] without `sqs:SetQueueAttributes` on the queue or
    /// `sns:Subscribe` on the topic; and the errors every call can have.
    #[cfg(feature = "sqs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
    pub async fn subscribe_sqs(
        &self,
        queue: &awsimple_sqs::SqsAccess,
        raw_delivery: bool,
    ) -> Result<String> {
        let topic_arn = self.arn().await?;
        queue.add_permission(&topic_arn).await?;
        let queue_arn = queue.arn().await?;
        let raw = if raw_delivery { "true" } else { "false" };
        self.subscribe("sqs", &queue_arn, &[("RawMessageDelivery", raw)])
            .await
    }
}
