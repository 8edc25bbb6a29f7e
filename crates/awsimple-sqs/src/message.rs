//! A received message, and message attributes in and out.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::MessageAttributeValue;
use awsimple_core::{
    Error, MessageAttribute, MessageAttributes, Result, validate_message_attributes,
};

/// A received message.
#[derive(Clone, Debug)]
pub struct Message {
    /// The body.
    pub body: String,
    /// SQS's id of the message.
    pub message_id: String,
    /// The handle to delete it or change its visibility with.
    pub receipt_handle: String,
    /// The message attributes sent with it.
    pub attributes: MessageAttributes,
    /// The message group of a FIFO queue's message.
    pub(crate) group_id: Option<String>,
    /// How many times SQS has handed it out (this time included).
    pub(crate) receive_count: u32,
    pub(crate) received: Instant,
    /// When SQS may hand it out again at the earliest (receive request sent + visibility
    /// timeout).
    pub(crate) visible_again: Instant,
    /// Bucket and key of the S3 object the body came from (offloaded messages).
    pub(crate) offloaded: Option<(String, String)>,
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

    /// The message group (FIFO queues only).
    pub fn group_id(&self) -> Option<&str> {
        self.group_id.as_deref()
    }

    /// How many times SQS has delivered it, this time included (its
    /// `ApproximateReceiveCount`; 0 when SQS did not say).
    pub fn receive_count(&self) -> u32 {
        self.receive_count
    }
}

/// The attributes of a received message (types this library does not know are left out).
pub(crate) fn received_attributes(
    attributes: Option<&HashMap<String, MessageAttributeValue>>,
) -> MessageAttributes {
    attributes
        .map(|map| {
            map.iter()
                .filter_map(|(name, value)| {
                    let value = MessageAttribute::from_received(
                        value.data_type(),
                        value.string_value(),
                        value.binary_value().map(|b| b.as_ref()),
                    )?;
                    Some((name.clone(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The SDK form of attributes to send, checked first (names, count, values; SQS has no
/// `String.Array`). Returns them with the bytes they add to the message size.
pub(crate) fn attribute_values(
    attributes: &MessageAttributes,
) -> Result<(HashMap<String, MessageAttributeValue>, usize)> {
    let size = validate_message_attributes(attributes)?;
    let values = attributes
        .iter()
        .map(|(name, value)| {
            let builder = MessageAttributeValue::builder().data_type(value.data_type());
            let builder = match value {
                MessageAttribute::Binary(bytes) => builder.binary_value(Blob::new(bytes.clone())),
                MessageAttribute::StringArray(_) => {
                    return Err(Error::invalid(
                        format!("message attribute {name:?}"),
                        "SQS has no String.Array attributes (SNS has)",
                    ));
                }
                other => builder.set_string_value(other.string_value()),
            };
            builder
                .build()
                .map(|built| (name.clone(), built))
                .map_err(|e| Error::invalid(format!("message attribute {name:?}"), e.to_string()))
        })
        .collect::<Result<HashMap<_, _>>>()?;
    Ok((values, size))
}
