//! Exact dynamic items: [`Number`] keeps a DynamoDB number as its decimal text (an integer
//! beyond 64 bits written by Python, `2**70`, or 38 significant digits), and [`ExactItem`] /
//! [`ExactValue`] hold every attribute with its DynamoDB type, numbers included.
//!
//! Writing goes through `serde_dynamo`, which knows no exact numbers nor sets of our types: a
//! [`Number`] (and an [`ExactValue`] set) serializes as a one-entry map under a private marker
//! name, and [`restore`] turns each such map back into its attribute value (`N`, `NS`, `SS`,
//! `BS`) before anything is checked or sent.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

const N_MARKER: &str = "\u{37e}awsimple:N\u{37e}";
const NS_MARKER: &str = "\u{37e}awsimple:NS\u{37e}";
const SS_MARKER: &str = "\u{37e}awsimple:SS\u{37e}";
const BS_MARKER: &str = "\u{37e}awsimple:BS\u{37e}";

/// A DynamoDB number, exactly: its decimal text as stored (`"1180591620717411303424"`,
/// `"0.1000000000000000000000000000000000001"`), which `f64` and `u64` cannot all hold.
///
/// Read from an [`ExactItem`]; written as a field of any serialized item (a struct field of
/// type `Number`, a value of an [`ExactItem`], an [`Update`](crate::Update) value), it is
/// stored as exactly this text. Compares by text (`"1.0"` and `"1"` differ; DynamoDB returns
/// its numbers normalized).
///
/// ```
/// use awsimple_dynamodb::Number;
/// let big = Number::parse("1180591620717411303424")?; // 2**70
/// assert_eq!(big.as_u128(), Some(1 << 70));
/// assert_eq!(big.as_u64(), None);
/// assert_eq!(big.to_json(), None, "no serde_json number holds it exactly");
/// assert_eq!(Number::from(7u8).to_json(), Some(7.into()));
/// # Ok::<(), awsimple_dynamodb::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number(String);

impl Number {
    /// A number from its decimal text (`"12.5"`, `"-3"`, `"1E+30"`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the text is not a finite decimal. DynamoDB's range and
    /// precision (38 digits) are checked when the number is written, naming its attribute.
    pub fn parse(text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        if parse_decimal(&text).is_some() {
            Ok(Number(text))
        } else {
            Err(Error::invalid(
                format!("number {text:?}"),
                "a DynamoDB number is a finite decimal (digits, '.', an exponent)",
            ))
        }
    }

    /// The decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as an `i64`, when it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The number as a `u64`, when it is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    /// The number as an `i128`, when it is an integer that fits.
    pub fn as_i128(&self) -> Option<i128> {
        self.0.parse().ok()
    }

    /// The number as a `u128`, when it is a non-negative integer that fits.
    pub fn as_u128(&self) -> Option<u128> {
        self.0.parse().ok()
    }

    /// The nearest `f64` (lossy beyond 15 to 17 significant digits).
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse::<f64>().ok().filter(|f| f.is_finite())
    }

    /// The number as a `serde_json::Number` when one holds it without loss: an integer that
    /// fits `i64` or `u64`, or a decimal whose nearest `f64` is exactly it; else `None`.
    pub fn to_json(&self) -> Option<serde_json::Number> {
        if let Some(i) = self.as_i64() {
            return Some(i.into());
        }
        if let Some(u) = self.as_u64() {
            return Some(u.into());
        }
        let f = self.as_f64()?;
        let same = canonical(&self.0).is_some() && canonical(&self.0) == canonical(&f.to_string());
        same.then(|| serde_json::Number::from_f64(f)).flatten()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Number {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Number::parse(text)
    }
}

macro_rules! number_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Self {
                Number(value.to_string())
            }
        }
    )*};
}
number_from_int!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl TryFrom<f64> for Number {
    type Error = Error;

    /// The shortest decimal that reads back as `value`.
    fn try_from(value: f64) -> Result<Self> {
        if value.is_finite() {
            Ok(Number(value.to_string()))
        } else {
            Err(Error::invalid(
                format!("number {value}"),
                "DynamoDB numbers are finite",
            ))
        }
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(N_MARKER, &self.0)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Number, E> {
        Ok(v.into())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Number, E> {
        Ok(v.into())
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<Number, E> {
        Ok(v.into())
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<Number, E> {
        Ok(v.into())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Number, E> {
        Number::try_from(v).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Number, E> {
        Number::parse(v).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Number, A::Error> {
        match map.next_entry::<String, String>()? {
            Some((key, text)) if key == N_MARKER => Number::parse(text).map_err(de::Error::custom),
            _ => Err(de::Error::custom("a map is not a number")),
        }
    }
}

/// An attribute value with its DynamoDB type, numbers exact: the values of an [`ExactItem`].
#[derive(Clone, Debug, PartialEq)]
pub enum ExactValue {
    /// `NULL`.
    Null,
    /// `BOOL`.
    Bool(bool),
    /// `N`, exactly.
    Number(Number),
    /// `S`.
    String(String),
    /// `B`.
    Binary(Vec<u8>),
    /// `L`.
    List(Vec<ExactValue>),
    /// `M`.
    Map(ExactItem),
    /// `SS`.
    StringSet(Vec<String>),
    /// `NS`, exactly.
    NumberSet(Vec<Number>),
    /// `BS`.
    BinarySet(Vec<Vec<u8>>),
}

/// A dynamic item that keeps every number exactly and every attribute's DynamoDB type (where
/// [`Item`](crate::Item), a JSON object, reads numbers beyond 64-bit integers as `f64`).
/// Read it like any item (`get_item::<ExactItem>`, `query::<ExactItem>`, scans); written back
/// with `put_item`, every value is stored exactly as read.
pub type ExactItem = BTreeMap<String, ExactValue>;

impl ExactValue {
    /// The value of an attribute, exactly.
    pub(crate) fn from_attribute(value: &AttributeValue) -> Self {
        match value {
            AttributeValue::S(s) => ExactValue::String(s.clone()),
            AttributeValue::N(n) => ExactValue::Number(Number(n.clone())),
            AttributeValue::Bool(b) => ExactValue::Bool(*b),
            AttributeValue::B(b) => ExactValue::Binary(b.as_ref().to_vec()),
            AttributeValue::L(l) => ExactValue::List(l.iter().map(Self::from_attribute).collect()),
            AttributeValue::M(m) => ExactValue::Map(exact_item(m)),
            AttributeValue::Ss(ss) => ExactValue::StringSet(ss.clone()),
            AttributeValue::Ns(ns) => {
                ExactValue::NumberSet(ns.iter().map(|n| Number(n.clone())).collect())
            }
            AttributeValue::Bs(bs) => {
                ExactValue::BinarySet(bs.iter().map(|b| b.as_ref().to_vec()).collect())
            }
            _ => ExactValue::Null,
        }
    }

    /// The number, for a number value.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            ExactValue::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The string, for a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ExactValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A raw item as an [`ExactItem`].
pub(crate) fn exact_item(raw: &HashMap<String, AttributeValue>) -> ExactItem {
    raw.iter()
        .map(|(k, v)| (k.clone(), ExactValue::from_attribute(v)))
        .collect()
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl Serialize for ExactValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let marked = |marker: &str, serializer: S| {
            let mut map = serializer.serialize_map(Some(1))?;
            match self {
                ExactValue::NumberSet(ns) => {
                    let texts: Vec<&str> = ns.iter().map(Number::as_str).collect();
                    map.serialize_entry(marker, &texts)?;
                }
                ExactValue::StringSet(ss) => map.serialize_entry(marker, ss)?,
                ExactValue::BinarySet(bs) => {
                    let bytes: Vec<Bytes<'_>> = bs.iter().map(|b| Bytes(b)).collect();
                    map.serialize_entry(marker, &bytes)?;
                }
                _ => {}
            }
            map.end()
        };
        match self {
            ExactValue::Null => serializer.serialize_unit(),
            ExactValue::Bool(b) => serializer.serialize_bool(*b),
            ExactValue::Number(n) => n.serialize(serializer),
            ExactValue::String(s) => serializer.serialize_str(s),
            ExactValue::Binary(b) => serializer.serialize_bytes(b),
            ExactValue::List(l) => l.serialize(serializer),
            ExactValue::Map(m) => m.serialize(serializer),
            ExactValue::StringSet(_) => marked(SS_MARKER, serializer),
            ExactValue::NumberSet(_) => marked(NS_MARKER, serializer),
            ExactValue::BinarySet(_) => marked(BS_MARKER, serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ExactValue {
    /// For other formats (JSON): items of this crate are read exactly without going through
    /// here. Integers and floats become numbers, sequences lists, maps maps.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = ExactValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a DynamoDB attribute value")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<ExactValue, E> {
        Ok(ExactValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<ExactValue, E> {
        Ok(ExactValue::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<ExactValue, E> {
        Ok(ExactValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<ExactValue, E> {
        Ok(ExactValue::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<ExactValue, E> {
        Ok(ExactValue::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<ExactValue, E> {
        Number::try_from(v)
            .map(ExactValue::Number)
            .map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<ExactValue, E> {
        Ok(ExactValue::String(v.to_owned()))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<ExactValue, E> {
        Ok(ExactValue::Binary(v.to_vec()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<ExactValue, A::Error> {
        let mut list = Vec::new();
        while let Some(v) = seq.next_element()? {
            list.push(v);
        }
        Ok(ExactValue::List(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<ExactValue, A::Error> {
        let mut out = ExactItem::new();
        while let Some((k, v)) = map.next_entry::<String, ExactValue>()? {
            out.insert(k, v);
        }
        Ok(ExactValue::Map(out))
    }
}

/// Turns the marker maps that [`Number`] and [`ExactValue`] sets serialize as back into their
/// attribute values, everywhere in `value`.
pub(crate) fn restore(value: &mut AttributeValue) {
    match value {
        AttributeValue::M(map) => {
            if let Some(restored) = marked(map) {
                *value = restored;
            } else {
                map.values_mut().for_each(restore);
            }
        }
        AttributeValue::L(list) => list.iter_mut().for_each(restore),
        _ => {}
    }
}

fn marked(map: &HashMap<String, AttributeValue>) -> Option<AttributeValue> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    let strings = |value: &AttributeValue| match value {
        AttributeValue::L(l) => l
            .iter()
            .map(|v| match v {
                AttributeValue::S(s) => Some(s.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>(),
        _ => None,
    };
    match key.as_str() {
        N_MARKER => match value {
            AttributeValue::S(text) => Some(AttributeValue::N(text.clone())),
            _ => None,
        },
        NS_MARKER => strings(value).map(AttributeValue::Ns),
        SS_MARKER => strings(value).map(AttributeValue::Ss),
        BS_MARKER => match value {
            AttributeValue::L(l) => l
                .iter()
                .map(|v| match v {
                    AttributeValue::B(b) => Some(Blob::new(b.as_ref())),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(AttributeValue::Bs),
            _ => None,
        },
        _ => None,
    }
}

/// A decimal's parts: `[+-]integer[.fraction][(e|E)[+-]exponent]`.
pub(crate) struct Decimal<'a> {
    pub(crate) negative: bool,
    pub(crate) integer: &'a str,
    pub(crate) fraction: &'a str,
    pub(crate) exponent: i128,
}

/// Parses decimal text (at least one mantissa digit); `None` for anything else (`NaN`, `inf`,
/// hex, spaces). Exponents of more than 30 digits saturate (they are out of any range).
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal<'_>> {
    let negative = text.starts_with('-');
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if integer.len() + fraction.len() == 0 || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    let exponent = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            let trimmed = digits.trim_start_matches('0');
            let magnitude = match trimmed.len() {
                0 => 0,
                1..=30 => trimmed.parse::<i128>().ok()?,
                _ => i128::MAX / 4,
            };
            if e.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    Some(Decimal {
        negative,
        integer,
        fraction,
        exponent,
    })
}

/// The value of decimal text in a canonical form: sign, significant digits (no leading or
/// trailing zeros) and the exponent of the first of them; zero is `(false, "", 0)`.
fn canonical(text: &str) -> Option<(bool, String, i128)> {
    let d = parse_decimal(text)?;
    let digits: String = d.integer.chars().chain(d.fraction.chars()).collect();
    let Some(first) = digits.find(|c| c != '0') else {
        return Some((false, String::new(), 0));
    };
    let significant = digits[first..].trim_end_matches('0').to_owned();
    let lead = d.integer.len() as i128 - 1 - first as i128 + d.exponent;
    Some((d.negative, significant, lead))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_only_without_loss() {
        assert_eq!(Number::from(-5).to_json(), Some((-5).into()));
        assert_eq!(Number::from(u64::MAX).to_json(), Some(u64::MAX.into()));
        let half = Number::parse("0.5").unwrap().to_json().unwrap();
        assert_eq!(half.as_f64(), Some(0.5));
        assert!(Number::parse("1E+2").unwrap().to_json().is_some());
        assert_eq!(Number::from(1u128 << 70).to_json(), None);
        assert_eq!(
            Number::parse("0.1000000000000000000001").unwrap().to_json(),
            None
        );
        assert!(Number::parse("NaN").is_err());
        assert!(Number::try_from(f64::INFINITY).is_err());
    }

    #[test]
    fn markers_become_attribute_values() {
        let item = ExactItem::from([
            (
                "n".to_owned(),
                ExactValue::Number(Number::from(1u128 << 70)),
            ),
            (
                "ns".to_owned(),
                ExactValue::NumberSet(vec![Number::parse("1.5").unwrap()]),
            ),
            ("ss".to_owned(), ExactValue::StringSet(vec!["a".into()])),
            ("bs".to_owned(), ExactValue::BinarySet(vec![vec![0, 1]])),
            (
                "l".to_owned(),
                ExactValue::List(vec![ExactValue::Number(Number::from(3))]),
            ),
            ("b".to_owned(), ExactValue::Binary(vec![7])),
            ("z".to_owned(), ExactValue::Null),
        ]);
        let mut raw: HashMap<String, AttributeValue> = serde_dynamo::to_item(&item).unwrap();
        raw.values_mut().for_each(restore);
        assert_eq!(exact_item(&raw), item, "{raw:?}");
        assert_eq!(raw["n"], AttributeValue::N("1180591620717411303424".into()));
    }
}
