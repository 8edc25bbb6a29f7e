//! Items: key values, conversion between Rust values and DynamoDB attribute values (the input
//! checks are in `validate.rs`).

use std::any::{Any, TypeId};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::exact::{self, ExactItem};

/// A raw DynamoDB item, as the SDK sees it.
pub type RawItem = HashMap<String, AttributeValue>;

/// A dynamic item, for Python-style code: a JSON object.
///
/// Reading gives integral numbers back as integers (`i64`, or `u64` above `i64::MAX`) and other
/// numbers as `f64` (so an integer beyond 64 bits, or a decimal of more digits than `f64` keeps,
/// comes back rounded: read an [`ExactItem`](crate::ExactItem) to keep every number exactly); binary attributes come back as arrays of byte values (JSON has no bytes: use
/// a typed struct with `serde_bytes` to read and write binary), sets as arrays, `NULL` as `null`.
pub type Item = serde_json::Map<String, serde_json::Value>;

/// The type of a key attribute: DynamoDB's scalar attribute types `S`, `N`, `B` (there are no
/// boolean keys). Whether an attribute is the partition or the sort key (Python's `KeyType`) is
/// where it sits: [`CreateTable::partition`](crate::CreateTable::partition) /
/// [`sort`](crate::CreateTable::sort), [`TableSchema`](crate::TableSchema)'s `partition` / `sort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttributeType {
    /// String (`S`).
    String,
    /// Number (`N`).
    Number,
    /// Binary (`B`).
    Binary,
}

impl AttributeType {
    pub(crate) fn code(self) -> &'static str {
        match self {
            AttributeType::String => "S",
            AttributeType::Number => "N",
            AttributeType::Binary => "B",
        }
    }
}

/// The value of one key attribute: a string, a number or bytes.
///
/// Built with `From`: `"abc"`, `String`, any integer type, `Vec<u8>` / `&[u8]` (binary), or
/// [`KeyValue::number`] for a decimal written as text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyValue {
    /// A string.
    S(String),
    /// A number, in DynamoDB's decimal text form.
    N(String),
    /// Bytes.
    B(Vec<u8>),
}

impl KeyValue {
    /// A number key value from its decimal text (`"12.5"`); checked when used.
    pub fn number(text: impl Into<String>) -> Self {
        KeyValue::N(text.into())
    }

    /// The attribute type of this value.
    pub fn attribute_type(&self) -> AttributeType {
        match self {
            KeyValue::S(_) => AttributeType::String,
            KeyValue::N(_) => AttributeType::Number,
            KeyValue::B(_) => AttributeType::Binary,
        }
    }

    /// The string, for a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            KeyValue::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number as an `i64`, for an integral number value that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            KeyValue::N(n) => n.parse().ok(),
            _ => None,
        }
    }

    pub(crate) fn to_attribute(&self) -> AttributeValue {
        match self {
            KeyValue::S(s) => AttributeValue::S(s.clone()),
            KeyValue::N(n) => AttributeValue::N(n.clone()),
            KeyValue::B(b) => AttributeValue::B(b.clone().into()),
        }
    }

    pub(crate) fn from_attribute(value: &AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::S(s) => Some(KeyValue::S(s.clone())),
            AttributeValue::N(n) => Some(KeyValue::N(n.clone())),
            AttributeValue::B(b) => Some(KeyValue::B(b.as_ref().to_vec())),
            _ => None,
        }
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyValue::S(s) => write!(f, "{s:?}"),
            KeyValue::N(n) => f.write_str(n),
            KeyValue::B(b) => write!(f, "<{} bytes>", b.len()),
        }
    }
}

impl PartialOrd for KeyValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Strings and bytes compare bytewise (as DynamoDB sorts them), numbers by value; values of
/// different types order S < N < B.
impl Ord for KeyValue {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyValue::S(a), KeyValue::S(b)) => a.cmp(b),
            (KeyValue::B(a), KeyValue::B(b)) => a.cmp(b),
            (KeyValue::N(a), KeyValue::N(b)) => compare_numbers(a, b),
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

fn rank(value: &KeyValue) -> u8 {
    match value {
        KeyValue::S(_) => 0,
        KeyValue::N(_) => 1,
        KeyValue::B(_) => 2,
    }
}

/// Compares two decimal texts by value: exactly for integers that fit an `i128`, else as `f64`
/// (ties broken by the text so that the order stays total).
fn compare_numbers(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.parse::<i128>(), b.parse::<i128>()) {
        return x.cmp(&y);
    }
    let x = a.parse::<f64>().unwrap_or(f64::NAN);
    let y = b.parse::<f64>().unwrap_or(f64::NAN);
    x.total_cmp(&y).then_with(|| a.cmp(b))
}

macro_rules! key_value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for KeyValue {
            fn from(value: $t) -> Self {
                KeyValue::N(value.to_string())
            }
        }
    )*};
}
key_value_from_int!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl From<&str> for KeyValue {
    fn from(value: &str) -> Self {
        KeyValue::S(value.to_owned())
    }
}

impl From<String> for KeyValue {
    fn from(value: String) -> Self {
        KeyValue::S(value)
    }
}

impl From<&String> for KeyValue {
    fn from(value: &String) -> Self {
        KeyValue::S(value.clone())
    }
}

impl From<Vec<u8>> for KeyValue {
    fn from(value: Vec<u8>) -> Self {
        KeyValue::B(value)
    }
}

impl From<&[u8]> for KeyValue {
    fn from(value: &[u8]) -> Self {
        KeyValue::B(value.to_vec())
    }
}

/// The primary key of one item: the partition key value and, for tables with a sort key, the
/// sort key value. The attribute names come from the table's schema.
///
/// `Key::from("user-1")`, `Key::from(42)`, `Key::from(("user-1", 1700000000))` or
/// [`Key::new`]`(p).with_sort(s)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The partition key value.
    pub partition: KeyValue,
    /// The sort key value, for tables with a sort key.
    pub sort: Option<KeyValue>,
}

impl Key {
    /// A key with a partition value only.
    pub fn new(partition: impl Into<KeyValue>) -> Self {
        Key {
            partition: partition.into(),
            sort: None,
        }
    }

    /// This key with a sort value.
    pub fn with_sort(mut self, sort: impl Into<KeyValue>) -> Self {
        self.sort = Some(sort.into());
        self
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sort {
            Some(sort) => write!(f, "({}, {sort})", self.partition),
            None => write!(f, "{}", self.partition),
        }
    }
}

impl<T: Into<KeyValue>> From<T> for Key {
    fn from(value: T) -> Self {
        Key::new(value)
    }
}

impl<P: Into<KeyValue>, S: Into<KeyValue>> From<(P, S)> for Key {
    fn from((partition, sort): (P, S)) -> Self {
        Key::new(partition).with_sort(sort)
    }
}

/// Serializes a value into a DynamoDB item (it must serialize as a map or struct).
pub(crate) fn to_raw_item<T: Serialize + ?Sized>(item: &T, resource: &str) -> Result<RawItem> {
    let mut raw: RawItem =
        serde_dynamo::to_item(item).map_err(|e| Error::serialization(resource, e))?;
    raw.values_mut().for_each(exact::restore);
    Ok(raw)
}

/// Deserializes a DynamoDB item into `T`; `serde_json` values and [`Item`] get Python-like
/// numbers and readable binary (see [`Item`]), an [`ExactItem`] every value exactly.
pub(crate) fn from_raw_item<T: DeserializeOwned + 'static>(
    item: RawItem,
    resource: &str,
) -> Result<T> {
    let id = TypeId::of::<T>();
    if id == TypeId::of::<ExactItem>() {
        let exact: Box<dyn Any> = Box::new(exact::exact_item(&item));
        return exact
            .downcast::<T>()
            .map(|t| *t)
            .map_err(|_| Error::serialization(resource, "an exact item of another type"));
    }
    if id == TypeId::of::<serde_json::Value>() || id == TypeId::of::<Item>() {
        let value = serde_json::Value::Object(raw_item_to_json(&item));
        return serde_json::from_value(value).map_err(|e| Error::serialization(resource, e));
    }
    serde_dynamo::from_item(item).map_err(|e| Error::serialization(resource, e))
}

/// A raw item as a JSON object (the dynamic form, see [`Item`]).
pub fn raw_item_to_json(item: &RawItem) -> Item {
    item.iter()
        .map(|(name, value)| (name.clone(), attribute_to_json(value)))
        .collect()
}

fn attribute_to_json(value: &AttributeValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number_to_json(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::B(b) => bytes_to_json(b.as_ref()),
        AttributeValue::M(m) => Value::Object(raw_item_to_json(m)),
        AttributeValue::L(l) => Value::Array(l.iter().map(attribute_to_json).collect()),
        AttributeValue::Ss(ss) => Value::Array(ss.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(ns) => Value::Array(ns.iter().map(|n| number_to_json(n)).collect()),
        AttributeValue::Bs(bs) => {
            Value::Array(bs.iter().map(|b| bytes_to_json(b.as_ref())).collect())
        }
        _ => Value::Null,
    }
}

fn bytes_to_json(bytes: &[u8]) -> serde_json::Value {
    serde_json::Value::Array(bytes.iter().map(|b| serde_json::Value::from(*b)).collect())
}

/// Integral numbers as integers (`1`, `1.0` and `1E+2` alike), others as `f64`.
fn number_to_json(text: &str) -> serde_json::Value {
    if let Ok(i) = text.parse::<i64>() {
        return i.into();
    }
    if let Ok(u) = text.parse::<u64>() {
        return u.into();
    }
    match text.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).into(),
        Ok(f) => serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into),
        Err(_) => serde_json::Value::String(text.to_owned()),
    }
}

/// True when `item` has expired at `now`: its TTL attribute `ttl_attribute` is a number of
/// seconds since the epoch not after `now`. An item without it, or with a value that is not a
/// number, never expires (as DynamoDB's TTL sees it).
pub(crate) fn expired(item: &RawItem, ttl_attribute: &str, now: SystemTime) -> bool {
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    match item.get(ttl_attribute) {
        Some(AttributeValue::N(n)) => n.parse::<f64>().is_ok_and(|at| at <= now),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        assert!(KeyValue::from(9) < KeyValue::from(10));
        assert!(KeyValue::number("2.5") < KeyValue::from(3));
        assert!(KeyValue::from(u64::MAX) > KeyValue::from(i64::MAX));
        assert!(KeyValue::from("a") < KeyValue::from(1));
    }

    #[test]
    fn dynamic_numbers_are_integers_when_integral() {
        assert_eq!(number_to_json("1"), serde_json::json!(1));
        assert_eq!(number_to_json("1.0"), serde_json::json!(1));
        assert_eq!(
            number_to_json("18446744073709551615"),
            serde_json::json!(u64::MAX)
        );
        assert_eq!(number_to_json("0.5"), serde_json::json!(0.5));
    }
}
