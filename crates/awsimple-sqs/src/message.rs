//! A received message, and message attributes in and out.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use aws_sdk_sqs::types::MessageAttributeValue;
use awsimple_core::{Error, Result};

/// A received message.
#[derive(Clone, Debug)]
pub struct Message {
    /// The body.
    pub body: String,
    /// SQS's id of the message.
    pub message_id: String,
    /// The handle to delete it or change its visibility with.
    pub receipt_handle: String,
    /// String message attributes sent with it.
    pub attributes: BTreeMap<String, String>,
    pub(crate) received: Instant,
    /// When SQS may hand it out again at the earliest (receive request sent + visibility
    /// timeout).
    pub(crate) visible_again: Instant,
}

impl Message {
    /// When this process received it.
    pub fn received_at(&self) -> Instant {
        self.received
    }

    /// The earliest moment SQS may deliver it again if it is not deleted (or its visibility
    /// changed) by then.
    pub fn visible_again_at(&self) -> Instant {
        self.visible_again
    }
}

pub(crate) fn string_attributes(
    attributes: Option<&HashMap<String, MessageAttributeValue>>,
) -> BTreeMap<String, String> {
    attributes
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn attribute_values(
    attributes: &BTreeMap<String, String>,
) -> Result<HashMap<String, MessageAttributeValue>> {
    attributes
        .iter()
        .map(|(k, v)| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map(|value| (k.clone(), value))
                .map_err(|e| Error::invalid(format!("message attribute {k:?}"), e.to_string()))
        })
        .collect()
}
