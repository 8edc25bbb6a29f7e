//! Queue access policies: statements are merged into what the queue has, never replacing it.

use aws_sdk_sqs::types::QueueAttributeName;
use std::time::Duration;

use awsimple_core::{BackoffConfig, Error, Result};
use serde_json::{Value, json};

use crate::access::SqsAccess;

/// The statement that lets `source_arn` (an SNS topic, an S3 bucket, ...) send to the queue
/// `queue_arn`. For an SNS topic it is the statement the pub/sub format shares with Python:
/// Sid `AllowSNSSendMessage<topic name>`, principal service `sns.amazonaws.com`, action
/// `sqs:SendMessage`, condition `ArnEquals aws:SourceArn`.
pub fn send_message_statement(queue_arn: &str, source_arn: &str) -> Result<Value> {
    let parts: Vec<&str> = source_arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[2].is_empty() || parts[5].is_empty() {
        return Err(Error::invalid(
            format!("source ARN {source_arn:?}"),
            "expected arn:<partition>:<service>:<region>:<account>:<resource>",
        ));
    }
    let service = parts[2];
    let name = parts[5].rsplit([':', '/']).next().unwrap_or(parts[5]);
    let prefix = match service {
        "sns" => "AllowSNSSendMessage".to_owned(),
        other => format!("Allow{}SendMessage", other.to_ascii_uppercase()),
    };
    let sid: String = format!("{prefix}{name}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Ok(json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": format!("{service}.amazonaws.com")},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
    }))
}

/// `existing` (a policy document, or none) with `statement` added: a statement with the same
/// `Sid` is replaced, every other statement is kept.
pub fn merge_statement(existing: Option<&str>, statement: Value) -> Result<String> {
    let mut policy = match existing.map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| Error::serialization("the queue's current access policy", e))?,
        None => json!({"Version": "2012-10-17", "Statement": []}),
    };
    let Some(object) = policy.as_object_mut() else {
        return Err(Error::invalid(
            "the queue's current access policy",
            "it is not a JSON object",
        ));
    };
    object
        .entry("Version")
        .or_insert_with(|| Value::from("2012-10-17"));
    let statements = object
        .entry("Statement")
        .or_insert_with(|| Value::Array(Vec::new()));
    if statements.is_object() {
        // A single statement may be written without the array.
        *statements = Value::Array(vec![statements.take()]);
    }
    let Some(list) = statements.as_array_mut() else {
        return Err(Error::invalid(
            "the queue's current access policy",
            "`Statement` is neither a list nor an object",
        ));
    };
    let mut statement = statement;
    let source = source_of(&statement).map(str::to_owned);
    // The statement for the same source is replaced (adding is idempotent); a statement for
    // another source that holds the same Sid (the same topic name in another region or
    // account, or `orders.fifo` beside `ordersfifo`) is kept, and ours takes a Sid of its own.
    if source.is_some() {
        list.retain(|s| source_of(s) != source.as_deref());
    }
    let sid = statement
        .get("Sid")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let (Some(sid), Some(source)) = (sid, source.as_deref()) {
        let taken = |candidate: &str| {
            list.iter()
                .any(|s| s.get("Sid").and_then(Value::as_str) == Some(candidate))
        };
        if taken(&sid) {
            let digest = short_digest(source);
            statement["Sid"] = Value::from(format!("{sid}{digest}"));
        }
    } else if let Some(sid) = statement.get("Sid").cloned() {
        list.retain(|s| s.get("Sid") != Some(&sid));
    }
    list.push(statement);
    serde_json::to_string(&policy).map_err(|e| Error::serialization("the queue access policy", e))
}

/// The `aws:SourceArn` a statement's `ArnEquals` condition names.
fn source_of(statement: &Value) -> Option<&str> {
    statement
        .get("Condition")?
        .get("ArnEquals")?
        .get("aws:SourceArn")?
        .as_str()
}

/// 12 hex digits of the SHA-512 of `text`: a Sid suffix that tells sources apart.
fn short_digest(text: &str) -> String {
    awsimple_core::sha512(text.as_bytes()).to_hex()[..12].to_owned()
}

/// True when the policy document holds a statement for `source_arn`.
fn grants(policy: Option<&str>, source_arn: &str) -> bool {
    policy
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|policy| match policy.get("Statement")? {
            Value::Array(list) => Some(list.iter().any(|s| source_of(s) == Some(source_arn))),
            single => Some(source_of(single) == Some(source_arn)),
        })
        .unwrap_or(false)
}

impl SqsAccess {
    /// Lets `source_arn` (an SNS topic, say) send messages to this queue: a statement is
    /// MERGED into the queue's policy (others are kept; the one for the same source is
    /// replaced). The statement for an SNS topic has Python's Sid,
    /// `AllowSNSSendMessage<topic name>`, unless another source holds that Sid already; then
    /// it gets a Sid of its own.
    ///
    /// SQS has no conditional write, so concurrent calls on one queue could overwrite each
    /// other's statements: after writing, the policy is read again (after a short, jittered
    /// pause) until the statement has been seen in two reads in a row, merging and writing
    /// again when it is missing, up to 10 attempts.
    pub async fn add_permission(&self, source_arn: &str) -> Result<()> {
        let queue_arn = self.arn().await?;
        let statement = send_message_statement(&queue_arn, source_arn)?;
        let mut backoff = BackoffConfig::default()
            .with_delays(Duration::from_millis(50), Duration::from_secs(2))
            .with_max_attempts(10)
            .start();
        let mut seen = 0;
        loop {
            let current = self.attribute(QueueAttributeName::Policy).await?;
            if grants(current.as_deref(), source_arn) {
                seen += 1;
                if seen >= 2 {
                    return Ok(());
                }
            } else {
                seen = 0;
                let merged = merge_statement(current.as_deref(), statement.clone())?;
                let url = self.url().await?;
                let request = self
                    .inner
                    .client
                    .set_queue_attributes()
                    .queue_url(url)
                    .attributes(QueueAttributeName::Policy, merged);
                self.call("SetQueueAttributes", request.send()).await?;
            }
            if !backoff.wait().await {
                return Err(Error::other(format!(
                    "the access policy of {} kept losing the statement for {source_arn} \
                     (other writers at the same time): {} attempts",
                    self.inner.resource,
                    backoff.attempt()
                )));
            }
        }
    }

    /// The queue's access policy document, if it has one.
    pub async fn policy(&self) -> Result<Option<String>> {
        self.attribute(QueueAttributeName::Policy).await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:q";
    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:psabc";

    #[test]
    fn sns_statement_has_the_shared_format() {
        let s = send_message_statement(QUEUE, TOPIC).unwrap();
        assert_eq!(s["Sid"], "AllowSNSSendMessagepsabc");
        assert_eq!(s["Principal"]["Service"], "sns.amazonaws.com");
        assert_eq!(s["Action"], "sqs:SendMessage");
        assert_eq!(s["Resource"], QUEUE);
        assert_eq!(s["Condition"]["ArnEquals"]["aws:SourceArn"], TOPIC);
        assert!(send_message_statement(QUEUE, "not-an-arn").is_err());
    }

    #[test]
    fn sources_that_share_a_sid_keep_their_own_statements() {
        let here = "arn:aws:sns:us-east-1:123456789012:orders";
        let there = "arn:aws:sns:eu-west-1:123456789012:orders";
        let fifo = "arn:aws:sns:us-east-1:123456789012:orders.fifo";
        let mut policy = None;
        for source in [here, there, fifo, here] {
            let statement = send_message_statement(QUEUE, source).unwrap();
            policy = Some(merge_statement(policy.as_deref(), statement).unwrap());
        }
        let policy = policy.unwrap();
        for source in [here, there, fifo] {
            assert!(grants(Some(&policy), source), "{source}: {policy}");
        }
        let parsed: Value = serde_json::from_str(&policy).unwrap();
        let statements = parsed["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3, "{policy}");
        let sids: BTreeSet<&str> = statements
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(sids.len(), 3, "distinct Sids: {sids:?}");
        assert!(
            sids.contains("AllowSNSSendMessageorders"),
            "Python's Sid kept: {sids:?}"
        );
    }

    #[test]
    fn merging_keeps_other_statements_and_replaces_the_same_sid() {
        let first = merge_statement(None, send_message_statement(QUEUE, TOPIC).unwrap()).unwrap();
        let other = "arn:aws:sns:us-east-1:123456789012:other";
        let second =
            merge_statement(Some(&first), send_message_statement(QUEUE, other).unwrap()).unwrap();
        let again =
            merge_statement(Some(&second), send_message_statement(QUEUE, TOPIC).unwrap()).unwrap();
        let policy: Value = serde_json::from_str(&again).unwrap();
        let sids: Vec<&str> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(
            sids,
            ["AllowSNSSendMessageother", "AllowSNSSendMessagepsabc"]
        );
        assert!(merge_statement(Some("{not json"), json!({})).is_err());
        let single = r#"{"Version":"2012-10-17","Statement":{"Sid":"Keep","Effect":"Deny"}}"#;
        let merged: Value = serde_json::from_str(
            &merge_statement(Some(single), send_message_statement(QUEUE, TOPIC).unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(merged["Statement"].as_array().unwrap().len(), 2);
    }
}
