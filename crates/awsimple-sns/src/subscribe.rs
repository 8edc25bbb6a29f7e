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
    /// ARN.
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
