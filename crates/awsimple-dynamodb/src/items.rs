//! One item at a time: put, put if absent, get, delete, upsert.

use std::collections::HashMap;

use awsimple_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::item::{self, Key, RawItem};
use crate::schema::TableSchema;

impl DynamoDbAccess {
    /// Writes an item (replacing any item with the same key).
    pub async fn put_item<T: Serialize + ?Sized>(&self, item: &T) -> Result<()> {
        let schema = self.schema().await?;
        let (raw, _) = self.to_item(&schema, item)?;
        self.put_raw(raw, None).await?;
        self.record_mtime(false).await
    }

    /// Writes a raw item after the same checks as [`put_item`](Self::put_item).
    pub(crate) async fn put_raw_checked(&self, raw: RawItem) -> Result<()> {
        let schema = self.schema().await?;
        self.check_item(&schema, &raw)?;
        self.put_raw(raw, None).await?;
        self.record_mtime(false).await
    }

    /// One PutItem; with `if_absent`, only when no item has the same key
    /// ([`Error::AlreadyExists`] otherwise).
    async fn put_raw(&self, raw: RawItem, if_absent: Option<&TableSchema>) -> Result<()> {
        let mut request = self
            .inner
            .client
            .put_item()
            .table_name(&self.inner.table)
            .set_item(Some(raw));
        if let Some(schema) = if_absent {
            request = request
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", &schema.partition.name);
        }
        match DYNAMODB
            .call("PutItem", self.resource(), request.send())
            .await
        {
            Ok(_) => Ok(()),
            // ConditionalCheckFailedException: the only condition sent is "absent".
            Err(Error::Precondition { .. }) if if_absent.is_some() => Err(Error::AlreadyExists {
                resource: format!("the item in {}", self.resource()),
            }),
            Err(e) => Err(e),
        }
    }

    /// Writes an item only when no item with its key exists; otherwise fails with
    /// [`Error::AlreadyExists`] and leaves the stored item as it was.
    pub async fn put_item_if_not_exists<T: Serialize + ?Sized>(&self, item: &T) -> Result<()> {
        let schema = self.schema().await?;
        let (raw, key) = self.to_item(&schema, item)?;
        // `attribute_not_exists` on the partition key holds exactly when no item has this full
        // primary key (the condition is evaluated against the item with the same key).
        match self.put_raw(raw, Some(&schema)).await {
            Err(Error::AlreadyExists { .. }) => Err(Error::AlreadyExists {
                resource: format!("item {key} in {}", self.resource()),
            }),
            other => other,
        }?;
        self.record_mtime(false).await
    }

    /// Reads the item with `key`; `Ok(None)` when there is none.
    pub async fn get_item<T: DeserializeOwned + 'static>(
        &self,
        key: impl Into<Key>,
    ) -> Result<Option<T>> {
        let schema = self.schema().await?;
        let key = key.into();
        let key_map = self.key_map(&schema, &key)?;
        let request = self
            .inner
            .client
            .get_item()
            .table_name(&self.inner.table)
            .set_key(Some(key_map))
            .send();
        let out = DYNAMODB.call("GetItem", self.resource(), request).await?;
        out.item
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .transpose()
    }

    /// Deletes the item with `key` (no error when there is none).
    pub async fn delete_item(&self, key: impl Into<Key>) -> Result<()> {
        let schema = self.schema().await?;
        let key = key.into();
        let key_map = self.key_map(&schema, &key)?;
        let request = self
            .inner
            .client
            .delete_item()
            .table_name(&self.inner.table)
            .set_key(Some(key_map))
            .send();
        DYNAMODB
            .call("DeleteItem", self.resource(), request)
            .await?;
        self.record_mtime(false).await
    }

    /// Sets the attributes of `attributes` (a struct or map) on the item with `key`, creating
    /// the item when missing; other attributes stay. Any attribute name works, reserved words
    /// (`name`, `status`) included. Key attributes in `attributes` must match `key` and are not
    /// updated.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when nothing is left to update.
    pub async fn upsert_item<T: Serialize + ?Sized>(
        &self,
        key: impl Into<Key>,
        attributes: &T,
    ) -> Result<()> {
        let schema = self.schema().await?;
        let key = key.into();
        let key_map = self.key_map(&schema, &key)?;
        let mut raw = item::to_raw_item(attributes, self.resource())?;
        let what = || format!("upsert of item {key} in {}", self.resource());
        for (name, value) in &key_map {
            if let Some(given) = raw.remove(name)
                && &given != value
            {
                return Err(Error::invalid(
                    what(),
                    format!("key attribute {name:?} differs from the key; a key cannot be updated"),
                ));
            }
        }
        if raw.is_empty() {
            return Err(Error::invalid(what(), "there is no attribute to update"));
        }
        item::check_item(&raw, &what)?;
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::new();
        for (i, (name, value)) in raw.into_iter().enumerate() {
            names.insert(format!("#a{i}"), name);
            values.insert(format!(":v{i}"), value);
            sets.push(format!("#a{i} = :v{i}"));
        }
        let request = self
            .inner
            .client
            .update_item()
            .table_name(&self.inner.table)
            .set_key(Some(key_map))
            .update_expression(format!("SET {}", sets.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send();
        DYNAMODB
            .call("UpdateItem", self.resource(), request)
            .await?;
        self.record_mtime(false).await
    }
}
