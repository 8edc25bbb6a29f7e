//! Table descriptions: what to create, the schema of an existing table, and the checks of keys
//! and items against that schema (pure: no request is sent here).

use awsimple_core::{Error, Result};

use crate::item::{AttributeType, Key, KeyValue, RawItem};
use crate::validate::{self, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};

/// The suffix of a secondary index's name: the index on attribute `email` is `email-index`.
pub const SECONDARY_INDEX_SUFFIX: &str = "-index";

/// A table to create: partition key, optional sort key, optional global secondary index.
///
/// Tables are on-demand (`PAY_PER_REQUEST`). The secondary index is named
/// `<attribute>-index`, has the attribute as its only (hash) key, and projects all attributes.
///
/// ```
/// use awsimple_dynamodb::{CreateTable, AttributeType};
/// let spec = CreateTable::partition("id", AttributeType::String)
///     .sort("ts", AttributeType::Number)
///     .secondary_index("email", AttributeType::String);
/// # let _ = spec;
/// ```
#[derive(Clone, Debug)]
pub struct CreateTable {
    pub(crate) partition: KeyAttribute,
    pub(crate) sort: Option<KeyAttribute>,
    pub(crate) index: Option<KeyAttribute>,
}

impl CreateTable {
    /// A table whose partition key is `name` of type `attribute_type`.
    pub fn partition(name: impl Into<String>, attribute_type: AttributeType) -> Self {
        CreateTable {
            partition: KeyAttribute::new(name, attribute_type),
            sort: None,
            index: None,
        }
    }

    /// Adds a sort key.
    pub fn sort(mut self, name: impl Into<String>, attribute_type: AttributeType) -> Self {
        self.sort = Some(KeyAttribute::new(name, attribute_type));
        self
    }

    /// Adds the global secondary index `<name>-index` on attribute `name`.
    pub fn secondary_index(
        mut self,
        name: impl Into<String>,
        attribute_type: AttributeType,
    ) -> Self {
        self.index = Some(KeyAttribute::new(name, attribute_type));
        self
    }
}

/// A key attribute: its name and type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyAttribute {
    /// The attribute name.
    pub name: String,
    /// The attribute type.
    pub attribute_type: AttributeType,
}

impl KeyAttribute {
    /// A key attribute.
    pub fn new(name: impl Into<String>, attribute_type: AttributeType) -> Self {
        KeyAttribute {
            name: name.into(),
            attribute_type,
        }
    }
}

/// A global secondary index of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondaryIndex {
    /// The index name (`email-index`).
    pub name: String,
    /// The index's partition (hash) key.
    pub partition: KeyAttribute,
    /// The index's sort key, if it has one (indexes awsimple creates have none).
    pub sort: Option<KeyAttribute>,
}

/// The key schema of an existing table and its global secondary indexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSchema {
    /// The partition (hash) key.
    pub partition: KeyAttribute,
    /// The sort (range) key, if the table has one.
    pub sort: Option<KeyAttribute>,
    /// The global secondary indexes.
    pub secondary_indexes: Vec<SecondaryIndex>,
}

impl TableSchema {
    /// True when `name` is the partition or the sort key.
    pub fn is_key(&self, name: &str) -> bool {
        self.partition.name == name || self.sort.as_ref().is_some_and(|s| s.name == name)
    }

    /// The secondary index whose partition key is `attribute`.
    pub fn index_for(&self, attribute: &str) -> Option<&SecondaryIndex> {
        self.secondary_indexes
            .iter()
            .find(|i| i.partition.name == attribute)
    }

    /// The key attributes of `key` as a raw key, checked against the schema (`what` names the
    /// key in errors).
    pub(crate) fn key_map(&self, key: &Key, what: &dyn Fn() -> String) -> Result<RawItem> {
        let mut map = RawItem::new();
        check_key_value(
            &self.partition,
            &key.partition,
            MAX_PARTITION_KEY_BYTES,
            what,
        )?;
        map.insert(self.partition.name.clone(), key.partition.to_attribute());
        match (&self.sort, &key.sort) {
            (Some(attr), Some(value)) => {
                check_key_value(attr, value, MAX_SORT_KEY_BYTES, what)?;
                map.insert(attr.name.clone(), value.to_attribute());
            }
            (Some(attr), None) => {
                return Err(Error::invalid(
                    what(),
                    format!("the table has sort key {:?}: give its value too", attr.name),
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid(what(), "the table has no sort key"));
            }
            (None, None) => {}
        }
        Ok(map)
    }

    /// Checks an item (size, numbers, key attributes present, typed and non-empty) and returns
    /// its primary key.
    pub(crate) fn check_item(&self, item: &RawItem, what: &dyn Fn() -> String) -> Result<Key> {
        validate::check_item(item, what)?;
        let partition = item_key_value(&self.partition, item, MAX_PARTITION_KEY_BYTES, what)?;
        let mut key = Key::new(partition);
        if let Some(sort) = &self.sort {
            key.sort = Some(item_key_value(sort, item, MAX_SORT_KEY_BYTES, what)?);
        }
        Ok(key)
    }

    /// The primary key of a raw item; `None` when it lacks a key attribute.
    pub(crate) fn primary_key_of(&self, raw: &RawItem) -> Option<Key> {
        let partition = KeyValue::from_attribute(raw.get(&self.partition.name)?)?;
        let sort = match &self.sort {
            Some(s) => Some(KeyValue::from_attribute(raw.get(&s.name)?)?),
            None => None,
        };
        Some(Key { partition, sort })
    }
}

/// Checks that `value` has the type of the key attribute `attr`, is not empty and fits
/// `max_bytes` ([`MAX_PARTITION_KEY_BYTES`] or [`MAX_SORT_KEY_BYTES`]).
pub(crate) fn check_key_value(
    attr: &KeyAttribute,
    value: &KeyValue,
    max_bytes: usize,
    what: &dyn Fn() -> String,
) -> Result<()> {
    if value.attribute_type() != attr.attribute_type {
        return Err(Error::invalid(
            what(),
            format!(
                "key attribute {:?} is of type {}, the value given is of type {}",
                attr.name,
                attr.attribute_type.code(),
                value.attribute_type().code()
            ),
        ));
    }
    let empty = match value {
        KeyValue::S(s) => s.is_empty(),
        KeyValue::B(b) => b.is_empty(),
        KeyValue::N(n) => n.is_empty(),
    };
    if empty {
        return Err(Error::invalid(
            what(),
            format!("key attribute {:?} must not be empty", attr.name),
        ));
    }
    validate::check_key_value(value, &attr.name, max_bytes, what)
}

fn item_key_value(
    attr: &KeyAttribute,
    item: &RawItem,
    max_bytes: usize,
    what: &dyn Fn() -> String,
) -> Result<KeyValue> {
    let value = item.get(&attr.name).ok_or_else(|| {
        Error::invalid(
            what(),
            format!("the key attribute {:?} is missing", attr.name),
        )
    })?;
    let key_value = KeyValue::from_attribute(value).ok_or_else(|| {
        Error::invalid(
            what(),
            format!(
                "key attribute {:?} must be of type {}",
                attr.name,
                attr.attribute_type.code()
            ),
        )
    })?;
    check_key_value(attr, &key_value, max_bytes, what)?;
    Ok(key_value)
}

/// Checks a DynamoDB table name: 3 to 255 characters of `a-z A-Z 0-9 _ - .`.
pub(crate) fn check_table_name(name: &str) -> Result<()> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if (3..=255).contains(&name.len()) && ok_chars {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("DynamoDB table name {name:?}"),
            "a table name is 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_checked() {
        assert!(check_table_name("users").is_ok());
        assert!(check_table_name("__awsimple_metadata__").is_ok());
        assert!(check_table_name("ab").is_err());
        assert!(check_table_name("has space").is_err());
        assert!(check_table_name(&"x".repeat(256)).is_err());
    }

    #[test]
    fn keys_are_checked_against_the_schema() {
        let schema = TableSchema {
            partition: KeyAttribute::new("id", AttributeType::String),
            sort: Some(KeyAttribute::new("ts", AttributeType::Number)),
            secondary_indexes: Vec::new(),
        };
        let what = || "key".to_owned();
        assert!(schema.key_map(&Key::from(("a", 1)), &what).is_ok());
        assert!(schema.key_map(&Key::from("a"), &what).is_err());
        assert!(schema.key_map(&Key::from((1, 1)), &what).is_err());
        assert!(schema.key_map(&Key::from(("", 1)), &what).is_err());
        let raw = schema
            .key_map(&Key::from(("a", 1)), &what)
            .unwrap_or_default();
        assert_eq!(schema.primary_key_of(&raw), Some(Key::from(("a", 1))));
        assert_eq!(
            schema.check_item(&raw, &what).ok(),
            Some(Key::from(("a", 1)))
        );
    }
}
