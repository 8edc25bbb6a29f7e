//! Updates of one item: [`DynamoDbAccess::update_item`] with an [`Update`], and
//! [`DynamoDbAccess::upsert_item`] (Python's, setting attributes); the preparation of updates
//! that transactions and optimistic locking share.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use awsimple_core::{Error, Result};
use serde::Serialize;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::expr::{Placeholders, Update};
use crate::item::{self, Key, RawItem};
use crate::items::PreparedWrite;
use crate::op::traced;
use crate::schema::TableSchema;
use crate::version;

impl DynamoDbAccess {
    /// Applies `update` to the item with `key` (UpdateItem), creating the item when missing;
    /// only when the update's [condition](Update::condition) holds. On a versioned handle the
    /// version is advanced (an atomic change needs no check of its own; see
    /// [`version_attribute`](crate::DynamoDbAccessBuilder::version_attribute)).
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{Condition, Update};
    /// db.update_item("order-7", &Update::new()
    ///     .set("status", "shipped")
    ///     .add("shipments", 1)
    ///     .condition(Condition::equals("status", "paid")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// An increment is [`Update::add`] of a (negative or positive) number: atomic, and the
    /// attribute starts from 0 when missing.
    ///
    /// # Errors
    /// [`Error::InvalidInput`], before any request, for an empty update, one that changes a key
    /// (or the version) attribute, or a value beyond DynamoDB's limits;
    /// [`Error::Precondition`] naming the item when the condition did not hold;
    /// [`Error::Service`] with code `ValidationException` when the stored attribute has another
    /// type (adding to a string).
    pub async fn update_item(&self, key: impl Into<Key>, update: &Update) -> Result<()> {
        traced("update_item", self.table_name(), async {
            let schema = self.schema().await?;
            let prepared = self.prepare_update(&schema, &key.into(), update, None)?;
            self.send_update(prepared, false).await?;
            self.record_mtime(false).await
        })
        .await
    }

    /// Sets the attributes of `attributes` (a struct or map) on the item with `key`, creating
    /// the item when missing; other attributes stay. Any attribute name works, reserved words
    /// (`name`, `status`) included. Key attributes in `attributes` must match `key` and are not
    /// updated. On a versioned handle, a version among `attributes` is the version the change is
    /// based on (checked, then advanced); without one the version is advanced unchecked.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when nothing is left to update.
    pub async fn upsert_item<T: Serialize + ?Sized>(
        &self,
        key: impl Into<Key>,
        attributes: &T,
    ) -> Result<()> {
        traced("upsert_item", self.table_name(), async {
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
                        format!(
                            "key attribute {name:?} differs from the key; a key cannot be updated"
                        ),
                    ));
                }
            }
            let mut based_on = None;
            if let Some(attribute) = self.version_attribute()
                && raw.contains_key(attribute)
            {
                based_on = Some(version::version_of(&raw, attribute, &what)?);
                raw.remove(attribute);
            }
            if raw.is_empty() {
                return Err(Error::invalid(what(), "there is no attribute to update"));
            }
            let mut names: Vec<&String> = raw.keys().collect();
            names.sort();
            let mut update = Update::new();
            for name in names {
                if let Some(value) = raw.get(name) {
                    update = update.set_raw(name.clone(), value.clone());
                }
            }
            let prepared = self.prepare_update(&schema, &key, &update, based_on)?;
            self.send_update(prepared, false).await?;
            self.record_mtime(false).await
        })
        .await
    }

    /// Checks and renders an update of `key`. On a versioned handle: `based_on` is the version
    /// the update is based on (checked, then advanced), `None` advances it unchecked.
    pub(crate) fn prepare_update(
        &self,
        schema: &TableSchema,
        key: &Key,
        update: &Update,
        based_on: Option<Option<u64>>,
    ) -> Result<PreparedWrite> {
        let key_map = self.key_map(schema, key)?;
        let what = || format!("update of item {key} in {}", self.resource());
        let ttl = self.ttl_attribute();
        if update.is_empty() {
            return Err(Error::invalid(what(), "there is nothing to update"));
        }
        update.check(&self.reserved(schema), ttl, &what)?;
        let own_condition = update.condition_ref().is_some();
        let mut update = update.clone();
        let mut checked = None;
        if let Some(attribute) = self.version_attribute() {
            if schema.is_key(attribute) {
                return Err(Error::invalid(
                    what(),
                    format!("the version attribute {attribute:?} is a key attribute"),
                ));
            }
            update = match based_on {
                Some(read) => {
                    checked = Some(read);
                    update
                        .set_raw(attribute, version::next(read))
                        .condition(version::expect(attribute, read))
                }
                None => update.add_raw(attribute, AttributeValue::N("1".to_owned())),
            };
        }
        let mut placeholders = Placeholders::new(what());
        let expression = update.render(&mut placeholders, ttl)?;
        let condition = update
            .condition_ref()
            .map(|c| c.render(&mut placeholders))
            .transpose()?;
        let (names, values) = placeholders.into_parts();
        Ok(PreparedWrite {
            key: key.clone(),
            item: key_map,
            update: Some(expression),
            condition,
            names,
            values,
            based_on: checked,
            own_condition,
        })
    }

    /// One UpdateItem; with `return_new`, the item as it is after the update.
    pub(crate) async fn send_update(
        &self,
        prepared: PreparedWrite,
        return_new: bool,
    ) -> Result<Option<RawItem>> {
        let request = self
            .inner
            .client
            .update_item()
            .table_name(&self.inner.table)
            .set_key(Some(prepared.item.clone()))
            .set_update_expression(prepared.update.clone())
            .set_condition_expression(prepared.condition.clone())
            .set_expression_attribute_names(prepared.names.clone())
            .set_expression_attribute_values(prepared.values.clone())
            .set_return_values(return_new.then_some(ReturnValue::AllNew))
            .send();
        let out = DYNAMODB
            .call("UpdateItem", self.resource(), request)
            .await
            .map_err(|e| self.write_failed(e, &prepared))?;
        Ok(out.attributes)
    }
}
