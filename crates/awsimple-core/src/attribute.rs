//! Message attributes of SNS and SQS messages: typed values, checked before any request.

use std::collections::BTreeMap;
use std::fmt;

use crate::{Error, Result};

/// The value of one message attribute, of one of the types SNS and SQS know.
///
/// ```
/// use awsimple_core::{MessageAttribute, MessageAttributes};
/// let attributes = MessageAttributes::from([
///     ("kind".to_owned(), MessageAttribute::from("report")),
///     ("size".to_owned(), MessageAttribute::from(42_i64)),
///     ("digest".to_owned(), MessageAttribute::from(vec![0xde_u8, 0xad])),
///     ("tags".to_owned(), MessageAttribute::from(vec!["a".to_owned(), "b".to_owned()])),
/// ]);
/// assert_eq!(attributes["size"].data_type(), "Number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageAttribute {
    /// A UTF-8 string (`String`).
    String(String),
    /// A number, kept as its decimal text so nothing is rounded (`Number`).
    Number(String),
    /// Bytes (`Binary`).
    Binary(Vec<u8>),
    /// A list of strings (`String.Array`; SNS only, sent as a JSON array).
    StringArray(Vec<String>),
}

/// Message attributes by name.
pub type MessageAttributes = BTreeMap<String, MessageAttribute>;

/// Most attributes a message may carry (SNS and SQS).
pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;

impl MessageAttribute {
    /// A `Number` attribute from anything that prints as a decimal number.
    pub fn number(value: impl fmt::Display) -> Self {
        MessageAttribute::Number(value.to_string())
    }

    /// The AWS data type: `String`, `Number`, `Binary` or `String.Array`.
    pub fn data_type(&self) -> &'static str {
        match self {
            MessageAttribute::String(_) => "String",
            MessageAttribute::Number(_) => "Number",
            MessageAttribute::Binary(_) => "Binary",
            MessageAttribute::StringArray(_) => "String.Array",
        }
    }

    /// The value as a string, for the string and number types (a string array as its JSON
    /// text, the way SNS carries it).
    pub fn string_value(&self) -> Option<String> {
        match self {
            MessageAttribute::String(s) | MessageAttribute::Number(s) => Some(s.clone()),
            MessageAttribute::StringArray(items) => Some(json_string_array(items)),
            MessageAttribute::Binary(_) => None,
        }
    }

    /// The string of a `String` attribute.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MessageAttribute::String(s) => Some(s),
            _ => None,
        }
    }

    /// A value received with an AWS data type (custom types such as `Number.int` keep their
    /// base type). `None` for a type this library does not know.
    pub fn from_received(
        data_type: &str,
        string_value: Option<&str>,
        binary_value: Option<&[u8]>,
    ) -> Option<Self> {
        let base = data_type.split('.').next().unwrap_or(data_type);
        match (base, data_type) {
            (_, "String.Array") => {
                let items: Vec<String> = string_value
                    .and_then(parse_json_string_array)
                    .unwrap_or_default();
                Some(MessageAttribute::StringArray(items))
            }
            ("String", _) => Some(MessageAttribute::String(string_value?.to_owned())),
            ("Number", _) => Some(MessageAttribute::Number(string_value?.to_owned())),
            ("Binary", _) => Some(MessageAttribute::Binary(binary_value?.to_vec())),
            _ => None,
        }
    }

    /// The size AWS counts for the attribute's value and type.
    fn size(&self) -> usize {
        self.data_type().len()
            + match self {
                MessageAttribute::String(s) | MessageAttribute::Number(s) => s.len(),
                MessageAttribute::Binary(b) => b.len(),
                MessageAttribute::StringArray(items) => json_string_array(items).len(),
            }
    }
}

impl From<&str> for MessageAttribute {
    fn from(value: &str) -> Self {
        MessageAttribute::String(value.to_owned())
    }
}

impl From<String> for MessageAttribute {
    fn from(value: String) -> Self {
        MessageAttribute::String(value)
    }
}

impl From<i64> for MessageAttribute {
    fn from(value: i64) -> Self {
        MessageAttribute::number(value)
    }
}

impl From<u64> for MessageAttribute {
    fn from(value: u64) -> Self {
        MessageAttribute::number(value)
    }
}

impl From<Vec<u8>> for MessageAttribute {
    fn from(value: Vec<u8>) -> Self {
        MessageAttribute::Binary(value)
    }
}

impl From<Vec<String>> for MessageAttribute {
    fn from(value: Vec<String>) -> Self {
        MessageAttribute::StringArray(value)
    }
}

/// Checks message attributes as SNS and SQS do, before any request: at most
/// [`MAX_MESSAGE_ATTRIBUTES`]; names of 1 to 256 ASCII letters, digits, `_`, `-` and `.`, not
/// starting with `AWS.` or `Amazon.` (any case), not starting or ending with `.`, no `..`;
/// values not empty, numbers that parse as decimal numbers. Returns the bytes the attributes
/// add to the message's size (names, types and values), which counts against the message size
/// limit.
pub fn validate_message_attributes(attributes: &MessageAttributes) -> Result<usize> {
    if attributes.len() > MAX_MESSAGE_ATTRIBUTES {
        return Err(Error::invalid(
            "message attributes",
            format!(
                "{} attributes; at most {MAX_MESSAGE_ATTRIBUTES} are allowed",
                attributes.len()
            ),
        ));
    }
    let mut size = 0;
    for (name, value) in attributes {
        let what = || format!("message attribute name {name:?}");
        let lower = name.to_ascii_lowercase();
        let reason = if name.is_empty() || name.len() > 256 {
            Some("must be 1 to 256 characters long")
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            Some("only ASCII letters, digits, '_', '-' and '.' are allowed")
        } else if lower.starts_with("aws.") || lower.starts_with("amazon.") {
            Some("the prefixes `AWS.` and `Amazon.` are reserved")
        } else if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
            Some("must not start or end with '.', nor contain '..'")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(Error::invalid(what(), reason));
        }
        let empty = match value {
            MessageAttribute::String(s) | MessageAttribute::Number(s) => s.is_empty(),
            MessageAttribute::Binary(b) => b.is_empty(),
            MessageAttribute::StringArray(_) => false,
        };
        if empty {
            return Err(Error::invalid(
                format!("value of message attribute {name:?}"),
                "it is empty",
            ));
        }
        if let MessageAttribute::Number(n) = value
            && !n.trim().parse::<f64>().is_ok_and(f64::is_finite)
        {
            return Err(Error::invalid(
                format!("value of message attribute {name:?}"),
                format!("{n:?} is not a finite decimal number"),
            ));
        }
        size += name.len() + value.size();
    }
    Ok(size)
}

fn json_string_array(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// A JSON array of strings (what SNS carries for `String.Array`); `None` when it is not one.
fn parse_json_string_array(text: &str) -> Option<Vec<String>> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_are_checked() {
        let ok = MessageAttributes::from([("kind".to_owned(), "x".into())]);
        assert!(validate_message_attributes(&ok).is_ok());
        for bad in [
            "",
            "AWS.thing",
            "amazon.x",
            ".a",
            "a.",
            "a..b",
            "a b",
            &"n".repeat(257),
        ] {
            let attributes = MessageAttributes::from([(bad.to_owned(), "x".into())]);
            assert!(validate_message_attributes(&attributes).is_err(), "{bad:?}");
        }
        let empty = MessageAttributes::from([("k".to_owned(), "".into())]);
        assert!(validate_message_attributes(&empty).is_err());
        let nan = MessageAttributes::from([("k".to_owned(), MessageAttribute::number("NaN"))]);
        assert!(validate_message_attributes(&nan).is_err());
        let eleven: MessageAttributes = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(validate_message_attributes(&eleven).is_err());
    }

    #[test]
    fn string_arrays_round_trip_through_their_json_text() {
        let items = vec!["a".to_owned(), "b \"quoted\"\n".to_owned(), String::new()];
        let text = json_string_array(&items);
        assert_eq!(parse_json_string_array(&text), Some(items.clone()));
        assert_eq!(
            MessageAttribute::from_received("String.Array", Some(&text), None),
            Some(MessageAttribute::StringArray(items))
        );
        assert_eq!(
            MessageAttribute::from_received("Number.int", Some("7"), None),
            Some(MessageAttribute::Number("7".into()))
        );
        assert_eq!(
            MessageAttribute::from_received("Binary", None, Some(&[1, 2])),
            Some(MessageAttribute::Binary(vec![1, 2]))
        );
    }
}
