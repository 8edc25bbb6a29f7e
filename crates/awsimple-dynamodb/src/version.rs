//! Optimistic locking, the rules (pure): which version a write is based on, the condition that
//! checks it, the version written, and the error when the check fails.
//!
//! A handle with a version attribute (`DynamoDbAccessBuilder::version_attribute`) writes
//! versions 1, 2, 3, ... A write based on version `v` (the version the item had when it was
//! read) holds the condition `#version = v` and writes `v + 1`; a write based on no version
//! (a new item: the attribute absent, `NULL` or 0) holds `attribute_not_exists(#version)` and
//! writes 1. Either fails with [`Error::Precondition`] when another writer came first.

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};

use crate::expr::Condition;
use crate::item::RawItem;

/// The version `item` was read at: `None` for an item never written with a version (the
/// attribute absent, `NULL` or 0).
///
/// # Errors
/// [`Error::InvalidInput`] when the attribute is there but not a whole number.
pub(crate) fn version_of(
    item: &RawItem,
    attribute: &str,
    what: &dyn Fn() -> String,
) -> Result<Option<u64>> {
    match item.get(attribute) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(n)) => match n.parse::<u64>() {
            Ok(0) => Ok(None),
            Ok(v) => Ok(Some(v)),
            Err(_) => Err(Error::invalid(
                what(),
                format!("the version attribute {attribute:?} is {n}, not a whole number"),
            )),
        },
        Some(_) => Err(Error::invalid(
            what(),
            format!("the version attribute {attribute:?} must be a number"),
        )),
    }
}

/// The condition of a write based on version `read`.
pub(crate) fn expect(attribute: &str, read: Option<u64>) -> Condition {
    match read {
        Some(v) => Condition::equals(attribute, v),
        None => Condition::not_exists(attribute),
    }
}

/// The version a write based on `read` stores.
pub(crate) fn next(read: Option<u64>) -> AttributeValue {
    AttributeValue::N(read.map_or(1, |v| v.saturating_add(1)).to_string())
}

/// What a failed versioned write says: which version it expected.
pub(crate) fn conflict_message(attribute: &str, read: Option<u64>, own_condition: bool) -> String {
    let expected = match read {
        Some(v) => format!("the stored item is not at version {v} of {attribute:?} any more"),
        None => format!(
            "the item was expected to be new (no {attribute:?}), but the stored item has a version"
        ),
    };
    let also = if own_condition {
        ", or the condition given did not hold"
    } else {
        ""
    };
    format!("{expected}{also}: another writer came first; read the item again and retry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_and_advanced() {
        let what = || "item".to_owned();
        let mut item = RawItem::new();
        assert_eq!(version_of(&item, "v", &what).ok(), Some(None));
        item.insert("v".into(), AttributeValue::N("0".into()));
        assert_eq!(version_of(&item, "v", &what).ok(), Some(None));
        item.insert("v".into(), AttributeValue::N("7".into()));
        assert_eq!(version_of(&item, "v", &what).ok(), Some(Some(7)));
        assert_eq!(next(Some(7)), AttributeValue::N("8".into()));
        assert_eq!(next(None), AttributeValue::N("1".into()));
        item.insert("v".into(), AttributeValue::S("7".into()));
        assert!(version_of(&item, "v", &what).is_err());
        item.insert("v".into(), AttributeValue::N("1.5".into()));
        assert!(version_of(&item, "v", &what).is_err());
        assert_eq!(expect("v", None), Condition::not_exists("v"));
    }
}
