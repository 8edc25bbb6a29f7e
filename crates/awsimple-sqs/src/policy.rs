//! Queue access policies: statements are merged into what the queue has, never replacing it.

use aws_sdk_sqs::types::QueueAttributeName;
use awsimple_core::{Error, Result};
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
    let sid = statement.get("Sid").cloned();
    list.retain(|s| sid.is_none() || s.get("Sid") != sid.as_ref());
    list.push(statement);
    serde_json::to_string(&policy).map_err(|e| Error::serialization("the queue access policy", e))
}

impl SqsAccess {
    /// Lets `source_arn` (an SNS topic, say) send messages to this queue: a statement is
    /// MERGED into the queue's policy (others are kept; one with the same Sid is replaced).
    pub async fn add_permission(&self, source_arn: &str) -> Result<()> {
        let queue_arn = self.arn().await?;
        let statement = send_message_statement(&queue_arn, source_arn)?;
        let current = self.attribute(QueueAttributeName::Policy).await?;
        let merged = merge_statement(current.as_deref(), statement)?;
        let url = self.url().await?;
        let request = self
            .inner
            .client
            .set_queue_attributes()
            .queue_url(url)
            .attributes(QueueAttributeName::Policy, merged);
        self.call("SetQueueAttributes", request.send()).await?;
        Ok(())
    }

    /// The queue's access policy document, if it has one.
    pub async fn policy(&self) -> Result<Option<String>> {
        self.attribute(QueueAttributeName::Policy).await
    }
}

#[cfg(test)]
mod tests {
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
