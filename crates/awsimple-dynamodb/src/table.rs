//! Table descriptions: what to create, and the schema of an existing table.

use crate::item::KeyType;

/// The suffix of a secondary index's name: the index on attribute `email` is `email-index`.
pub const SECONDARY_INDEX_SUFFIX: &str = "-index";

/// A table to create: partition key, optional sort key, optional global secondary index.
///
/// Tables are on-demand (`PAY_PER_REQUEST`). The secondary index is named
/// `<attribute>-index`, has the attribute as its only (hash) key, and projects all attributes.
///
/// ```
/// use awsimple_dynamodb::{CreateTable, KeyType};
/// let spec = CreateTable::partition("id", KeyType::String)
///     .sort("ts", KeyType::Number)
///     .secondary_index("email", KeyType::String);
/// # let _ = spec;
/// ```
#[derive(Clone, Debug)]
pub struct CreateTable {
    pub(crate) partition: KeyAttribute,
    pub(crate) sort: Option<KeyAttribute>,
    pub(crate) index: Option<KeyAttribute>,
}

impl CreateTable {
    /// A table whose partition key is `name` of type `key_type`.
    pub fn partition(name: impl Into<String>, key_type: KeyType) -> Self {
        CreateTable {
            partition: KeyAttribute::new(name, key_type),
            sort: None,
            index: None,
        }
    }

    /// Adds a sort key.
    pub fn sort(mut self, name: impl Into<String>, key_type: KeyType) -> Self {
        self.sort = Some(KeyAttribute::new(name, key_type));
        self
    }

    /// Adds the global secondary index `<name>-index` on attribute `name`.
    pub fn secondary_index(mut self, name: impl Into<String>, key_type: KeyType) -> Self {
        self.index = Some(KeyAttribute::new(name, key_type));
        self
    }
}

/// A key attribute: its name and type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyAttribute {
    /// The attribute name.
    pub name: String,
    /// The attribute type.
    pub key_type: KeyType,
}

impl KeyAttribute {
    /// A key attribute.
    pub fn new(name: impl Into<String>, key_type: KeyType) -> Self {
        KeyAttribute {
            name: name.into(),
            key_type,
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
}

/// Checks a DynamoDB table name: 3 to 255 characters of `a-z A-Z 0-9 _ - .`.
pub(crate) fn check_table_name(name: &str) -> awsimple_core::Result<()> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if (3..=255).contains(&name.len()) && ok_chars {
        Ok(())
    } else {
        Err(awsimple_core::Error::invalid(
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
}
