//! Input checks against DynamoDB's limits, run before any request is sent, so that a value
//! DynamoDB would reject fails at once with [`Error::InvalidInput`] naming the attribute path
//! (`readings[2].celsius`) instead of failing late, halfway through a batch.
//!
//! The limits ("Constraints in Amazon DynamoDB", "Supported data types and naming rules"):
//! numbers have at most 38 significant digits and are zero or of magnitude 1E-130 to
//! 9.99..E+125; attribute names are 1 byte to under 64 KB; documents nest at most 32 levels;
//! sets are not empty; a partition key value is 1 to 2048 bytes, a sort key value 1 to 1024
//! (UTF-8 bytes of a string, raw bytes of a binary); an item is at most 400 KB.

use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};

use crate::exact::parse_decimal;
use crate::item::{KeyValue, RawItem};

/// DynamoDB's item size limit (400 KB).
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// DynamoDB's limit on the size of a partition key value, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;

/// DynamoDB's limit on the size of a sort key value, in bytes.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// DynamoDB's limit on nested lists and maps inside one attribute.
pub const MAX_NESTING_DEPTH: usize = 32;

/// DynamoDB's limit on significant digits of a number.
pub const MAX_NUMBER_DIGITS: usize = 38;

/// Attribute names are under 64 KB.
const MAX_NAME_BYTES: usize = 64 * 1024 - 1;

/// The place of a value inside an item, rendered only when an error names it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Attribute(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Attribute(name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Checks an item before it is sent: its size, its attribute names and every value.
pub(crate) fn check_item(item: &RawItem, what: &dyn Fn() -> String) -> Result<()> {
    let size = item_size(item);
    if size > MAX_ITEM_SIZE {
        return Err(Error::invalid(
            what(),
            format!(
                "the item is {size} bytes, over DynamoDB's limit of {MAX_ITEM_SIZE} bytes (400 KB)"
            ),
        ));
    }
    for (name, value) in item {
        check_value(value, name, what)?;
    }
    Ok(())
}

/// Checks one attribute value (of top-level attribute `name`) before it is sent.
pub(crate) fn check_value(
    value: &AttributeValue,
    name: &str,
    what: &dyn Fn() -> String,
) -> Result<()> {
    let path = Path::Attribute(name);
    check_name(name, &path)
        .and_then(|()| check_nested(value, &path, 0))
        .map_err(|problem| Error::invalid(what(), problem))
}

/// Checks a key value against the size limit of its place (`max_bytes`:
/// [`MAX_PARTITION_KEY_BYTES`] or [`MAX_SORT_KEY_BYTES`]) and, for numbers, DynamoDB's number
/// rules; `name` is the key attribute's name.
pub(crate) fn check_key_value(
    value: &KeyValue,
    name: &str,
    max_bytes: usize,
    what: &dyn Fn() -> String,
) -> Result<()> {
    let len = match value {
        KeyValue::S(s) => s.len(),
        KeyValue::B(b) => b.len(),
        KeyValue::N(n) => {
            return number_problem(n).map_or(Ok(()), |problem| {
                Err(Error::invalid(
                    what(),
                    format!("key attribute {name:?} is {n}: {problem}"),
                ))
            });
        }
    };
    if len > max_bytes {
        return Err(Error::invalid(
            what(),
            format!(
                "key attribute {name:?} is {len} bytes, over DynamoDB's limit of {max_bytes} bytes"
            ),
        ));
    }
    Ok(())
}

fn check_name(name: &str, path: &Path<'_>) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err(format!("attribute {path} has an empty name"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "an attribute name is {} bytes, over DynamoDB's limit of 64 KB",
            name.len()
        ));
    }
    Ok(())
}

/// Checks `value` at `path`, inside `depth` lists or maps.
fn check_nested(
    value: &AttributeValue,
    path: &Path<'_>,
    depth: usize,
) -> std::result::Result<(), String> {
    let number = |n: &str| {
        number_problem(n).map_or(Ok(()), |problem| {
            Err(format!("attribute {path} is {n}: {problem}"))
        })
    };
    let empty_set = |len: usize| {
        if len == 0 {
            Err(format!(
                "attribute {path} is an empty set (DynamoDB sets have at least one element)"
            ))
        } else {
            Ok(())
        }
    };
    let container = |depth: usize| {
        if depth >= MAX_NESTING_DEPTH {
            Err(format!(
                "attribute {path} nests lists and maps deeper than DynamoDB's limit of {MAX_NESTING_DEPTH} levels"
            ))
        } else {
            Ok(())
        }
    };
    match value {
        AttributeValue::N(n) => number(n),
        AttributeValue::Ns(ns) => {
            empty_set(ns.len())?;
            ns.iter().try_for_each(|n| number(n))
        }
        AttributeValue::Ss(ss) => empty_set(ss.len()),
        AttributeValue::Bs(bs) => empty_set(bs.len()),
        AttributeValue::L(list) => {
            container(depth)?;
            list.iter()
                .enumerate()
                .try_for_each(|(i, v)| check_nested(v, &Path::Index(path, i), depth + 1))
        }
        AttributeValue::M(map) => {
            container(depth)?;
            map.iter().try_for_each(|(name, v)| {
                let inner = Path::Field(path, name);
                check_name(name, &inner)?;
                check_nested(v, &inner, depth + 1)
            })
        }
        _ => Ok(()),
    }
}

/// Why DynamoDB would reject the number `text`, or `None` when it is fine: a decimal
/// (`-12.5`, `1E+30`, `.5`) of at most 38 significant digits (leading and trailing zeros do not
/// count), zero or of magnitude 1E-130 to 9.99..E+125.
pub(crate) fn number_problem(text: &str) -> Option<String> {
    let Some(parts) = parse_decimal(text) else {
        return Some("DynamoDB numbers are finite decimals (digits, '.', an exponent)".into());
    };
    let digits: Vec<u8> = parts
        .integer
        .bytes()
        .chain(parts.fraction.bytes())
        .collect();
    let Some(first) = digits.iter().position(|&d| d != b'0') else {
        return None; // zero, whatever its exponent
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
    let significant = last - first + 1;
    if significant > MAX_NUMBER_DIGITS {
        return Some(format!(
            "{significant} significant digits, over DynamoDB's limit of {MAX_NUMBER_DIGITS}"
        ));
    }
    // The decimal exponent of the first significant digit (1.5E+3 -> 3).
    let lead = parts.integer.len() as i128 - 1 - first as i128 + parts.exponent;
    if lead > 125 {
        return Some(
            "over DynamoDB's largest magnitude, 9.9999999999999999999999999999999999999E+125"
                .into(),
        );
    }
    if lead < -130 {
        return Some("under DynamoDB's smallest magnitude, 1E-130".into());
    }
    None
}

/// DynamoDB's item size rule: attribute names plus values (numbers about 1 byte per 2 digits + 1,
/// 3 bytes of overhead per list or map plus 1 per element).
pub(crate) fn item_size(item: &RawItem) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(ss) => ss.iter().map(String::len).sum(),
        AttributeValue::Ns(ns) => ns.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(bs) => bs.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

fn number_size(text: &str) -> usize {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what() -> String {
        "item".into()
    }

    fn message(result: Result<()>) -> String {
        match result {
            Err(Error::InvalidInput { .. }) => {
                result.err().map(|e| e.to_string()).unwrap_or_default()
            }
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn numbers_follow_dynamodbs_range_and_precision() {
        for ok in [
            "0",
            "-0",
            "0E+999",
            "1E-130",
            "-1E-130",
            "9.9999999999999999999999999999999999999E+125",
            "-9.9999999999999999999999999999999999999E+125",
            "12345678901234567890123456789012345678",
            "10000000000000000000000000000000000001", // 10**37 + 1: 38 digits
            "1180591620717411303424",                 // 2**70
            "1000000000000000000000000000000000000000000000000", // trailing zeros do not count
            "0.000123",
            ".5",
            "5.",
            "1e5",
            "+3",
        ] {
            assert_eq!(number_problem(ok), None, "{ok}");
        }
        for bad in [
            "123456789012345678901234567890123456789", // 39 digits
            "1.00000000000000000000000000000000000001",
            "1E+126",
            "10E+125",
            "1E-131",
            "0.1E-130",
            "-1E+126",
            "1E+99999999999999999999999999999999999999999",
            "NaN",
            "Infinity",
            "inf",
            "",
            "-",
            ".",
            "1e",
            "1e+",
            "0x10",
            " 1",
            "1_000",
        ] {
            assert!(number_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_attribute_path() {
        let mut inner = RawItem::new();
        inner.insert("celsius".into(), AttributeValue::N("1E+200".into()));
        let mut item = RawItem::new();
        item.insert(
            "readings".into(),
            AttributeValue::L(vec![AttributeValue::Null(true), AttributeValue::M(inner)]),
        );
        let text = message(check_item(&item, &what));
        assert!(text.contains("readings[1].celsius"), "{text}");
    }

    #[test]
    fn names_sets_and_depth_are_checked() {
        let mut item = RawItem::new();
        item.insert(String::new(), AttributeValue::S("x".into()));
        message(check_item(&item, &what));

        let mut inner = RawItem::new();
        inner.insert(String::new(), AttributeValue::S("x".into()));
        let mut item = RawItem::new();
        item.insert("m".into(), AttributeValue::M(inner));
        assert!(message(check_item(&item, &what)).contains("m."));

        let mut item = RawItem::new();
        item.insert("s".into(), AttributeValue::Ss(Vec::new()));
        message(check_item(&item, &what));

        let nest = |levels: usize| {
            let mut v = AttributeValue::N("1".into());
            for _ in 0..levels {
                v = AttributeValue::L(vec![v]);
            }
            v
        };
        assert!(check_value(&nest(MAX_NESTING_DEPTH), "a", &what).is_ok());
        message(check_value(&nest(MAX_NESTING_DEPTH + 1), "a", &what));
    }

    #[test]
    fn key_sizes_are_bytes() {
        let ok = KeyValue::S("é".repeat(MAX_SORT_KEY_BYTES / 2));
        assert!(check_key_value(&ok, "k", MAX_SORT_KEY_BYTES, &what).is_ok());
        let over = KeyValue::S("é".repeat(MAX_SORT_KEY_BYTES / 2 + 1));
        assert!(check_key_value(&over, "k", MAX_PARTITION_KEY_BYTES, &what).is_ok());
        message(check_key_value(&over, "k", MAX_SORT_KEY_BYTES, &what));
        let bytes = KeyValue::B(vec![0; MAX_PARTITION_KEY_BYTES + 1]);
        message(check_key_value(&bytes, "k", MAX_PARTITION_KEY_BYTES, &what));
        message(check_key_value(
            &KeyValue::number("1E+126"),
            "k",
            MAX_PARTITION_KEY_BYTES,
            &what,
        ));
    }

    #[test]
    fn oversized_items_are_rejected() {
        let mut item = RawItem::new();
        item.insert("id".into(), AttributeValue::S("x".into()));
        item.insert("big".into(), AttributeValue::S("x".repeat(MAX_ITEM_SIZE)));
        message(check_item(&item, &what));
    }
}
