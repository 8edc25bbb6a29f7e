//! One item at a time: put (with a condition, an expiry, a version), put if absent, get,
//! delete; and the preparation of puts and deletes that transactions share.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::expr::{self, Condition, Placeholders};
use crate::item::{self, Key, RawItem};
use crate::op::traced;
use crate::schema::TableSchema;
use crate::version;

/// Options of [`DynamoDbAccess::put_item_with`] (and of a transaction's put).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PutItemOptions {
    pub(crate) condition: Option<Condition>,
    pub(crate) expires_at: Option<SystemTime>,
}

impl PutItemOptions {
    /// Default options: no condition, no expiry.
    pub fn new() -> Self {
        PutItemOptions::default()
    }

    /// Writes only when `condition` holds on the stored item (evaluated against the item with
    /// the same key; an absent item has no attributes), else [`Error::Precondition`].
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// The item expires at `at`: the handle's
    /// [TTL attribute](crate::DynamoDbAccessBuilder::ttl_attribute) is set to it, in seconds
    /// since the epoch ([`Error::InvalidInput`] when the handle has none).
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The item expires `life` from now (see [`expires_at`](Self::expires_at)).
    pub fn expires_in(self, life: Duration) -> Self {
        self.expires_at(SystemTime::now() + life)
    }
}

/// Options of [`DynamoDbAccess::delete_item_with`] (and of a transaction's delete).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeleteItemOptions {
    pub(crate) condition: Option<Condition>,
}

impl DeleteItemOptions {
    /// Default options: no condition.
    pub fn new() -> Self {
        DeleteItemOptions::default()
    }

    /// Deletes only when `condition` holds on the stored item, else [`Error::Precondition`].
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }
}

/// A write checked against the schema and rendered: what PutItem, UpdateItem, DeleteItem (or a
/// transaction's entry) sends.
#[derive(Debug)]
pub(crate) struct PreparedWrite {
    /// The item's key.
    pub(crate) key: Key,
    /// The item to put, or the key attributes (update, delete, condition check).
    pub(crate) item: RawItem,
    /// The update expression, for updates.
    pub(crate) update: Option<String>,
    pub(crate) condition: Option<String>,
    pub(crate) names: Option<HashMap<String, String>>,
    pub(crate) values: Option<RawItem>,
    /// For versioned writes: the version the write is based on (`None` inside: a new item).
    pub(crate) based_on: Option<Option<u64>>,
    /// True when the caller gave a condition of their own.
    pub(crate) own_condition: bool,
}

impl DynamoDbAccess {
    /// Writes an item (replacing any item with the same key). On a handle with a
    /// [version attribute](crate::DynamoDbAccessBuilder::version_attribute), only when the
    /// stored item is still at the item's version. Any `Serialize` struct or map works.
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// #[derive(serde::Serialize)]
    /// struct User { email: String, name: String, logins: u32 }
    /// db.put_item(&User { email: "ada@example.com".into(), name: "Ada".into(), logins: 1 })
    ///     .await?;
    /// db.put_item(&serde_json::json!({"email": "bob@example.com", "name": "Bob"})).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`], before any request, when the item breaks the table's schema (a key
    /// attribute missing, empty or of the wrong type) or a DynamoDB limit (see [`MAX_ITEM_SIZE`](crate::MAX_ITEM_SIZE),
    /// numbers of at most 38 digits within 1E-130..1E+126, key sizes); the message names the
    /// attribute path.
    /// [`Error::Serialization`] when the value is not a struct or map; [`Error::NotFound`] when
    /// the table does not exist; [`Error::Precondition`] when a version check failed.
    pub async fn put_item<T: Serialize + ?Sized>(&self, item: &T) -> Result<()> {
        self.put_item_with(item, &PutItemOptions::default()).await
    }

    /// [`put_item`](Self::put_item) with options: a condition, an expiry.
    ///
    /// # Errors
    /// [`Error::Precondition`] naming the item when the condition (or the version check) did not
    /// hold; nothing is written then.
    pub async fn put_item_with<T: Serialize + ?Sized>(
        &self,
        item: &T,
        options: &PutItemOptions,
    ) -> Result<()> {
        traced("put_item", self.table_name(), async {
            let raw = item::to_raw_item(item, self.resource())?;
            self.put_raw_with(raw, options).await
        })
        .await
    }

    /// Writes a raw item after the same checks as [`put_item`](Self::put_item).
    pub(crate) async fn put_raw_checked(&self, raw: RawItem) -> Result<()> {
        self.put_raw_with(raw, &PutItemOptions::default()).await
    }

    async fn put_raw_with(&self, raw: RawItem, options: &PutItemOptions) -> Result<()> {
        let schema = self.schema().await?;
        let prepared = self.prepare_put(&schema, raw, options, false)?;
        self.send_put(prepared).await?;
        self.record_mtime(false).await
    }

    /// Writes an item only when no item with its key exists; otherwise fails with
    /// [`Error::AlreadyExists`] and leaves the stored item as it was. On a versioned handle the
    /// item is stored at version 1.
    pub async fn put_item_if_not_exists<T: Serialize + ?Sized>(&self, item: &T) -> Result<()> {
        traced("put_item_if_not_exists", self.table_name(), async {
            let schema = self.schema().await?;
            let raw = item::to_raw_item(item, self.resource())?;
            // `attribute_not_exists` on the partition key holds exactly when no item has this full
            // primary key (the condition is evaluated against the item with the same key).
            let options =
                PutItemOptions::new().condition(Condition::not_exists(&schema.partition.name));
            let prepared = self.prepare_put(&schema, raw, &options, true)?;
            let key = prepared.key.clone();
            match self.send_put(prepared).await {
                Err(Error::Precondition { answer, .. }) => Err(Error::AlreadyExists {
                    resource: format!("item {key} in {}", self.resource()),
                    answer,
                }),
                other => other,
            }?;
            self.record_mtime(false).await
        })
        .await
    }

    /// Checks and renders a put: the expiry and the version written into the item, the
    /// condition (the caller's and the version check). With `fresh` the item is new whatever
    /// version it holds (the caller's condition makes sure).
    pub(crate) fn prepare_put(
        &self,
        schema: &TableSchema,
        mut raw: RawItem,
        options: &PutItemOptions,
        fresh: bool,
    ) -> Result<PreparedWrite> {
        let what = || format!("item for {}", self.resource());
        if let Some(at) = options.expires_at {
            let ttl = self.ttl_attribute().ok_or_else(|| {
                Error::invalid(
                    what(),
                    "expires_at needs a TTL attribute: set one with DynamoDbAccessBuilder::ttl_attribute",
                )
            })?;
            raw.insert(
                ttl.to_owned(),
                AttributeValue::N(expr::epoch_seconds(at).to_string()),
            );
        }
        let mut condition = options.condition.clone();
        let mut based_on = None;
        if let Some(attribute) = self.version_attribute() {
            if schema.is_key(attribute) {
                return Err(Error::invalid(
                    what(),
                    format!("the version attribute {attribute:?} is a key attribute"),
                ));
            }
            let read = if fresh {
                None
            } else {
                version::version_of(&raw, attribute, &what)?
            };
            raw.insert(attribute.to_owned(), version::next(read));
            if !fresh {
                let check = version::expect(attribute, read);
                condition = Some(match condition {
                    Some(own) => own.and(check),
                    None => check,
                });
                based_on = Some(read);
            }
        }
        let key = self.check_item(schema, &raw)?;
        let mut placeholders =
            Placeholders::new(format!("put of item {key} in {}", self.resource()));
        let condition = condition.map(|c| c.render(&mut placeholders)).transpose()?;
        let (names, values) = placeholders.into_parts();
        Ok(PreparedWrite {
            key,
            item: raw,
            update: None,
            condition,
            names,
            values,
            based_on,
            own_condition: options.condition.is_some(),
        })
    }

    /// Checks and renders a delete (or a transaction's condition check) of `key`.
    pub(crate) fn prepare_delete(
        &self,
        schema: &TableSchema,
        key: &Key,
        condition: Option<&Condition>,
    ) -> Result<PreparedWrite> {
        let key_map = self.key_map(schema, key)?;
        let mut placeholders = Placeholders::new(format!("item {key} in {}", self.resource()));
        let condition = condition.map(|c| c.render(&mut placeholders)).transpose()?;
        let (names, values) = placeholders.into_parts();
        Ok(PreparedWrite {
            key: key.clone(),
            item: key_map,
            update: None,
            own_condition: condition.is_some(),
            condition,
            names,
            values,
            based_on: None,
        })
    }

    /// One PutItem.
    async fn send_put(&self, prepared: PreparedWrite) -> Result<()> {
        let request = self
            .inner
            .client
            .put_item()
            .table_name(&self.inner.table)
            .set_item(Some(prepared.item.clone()))
            .set_condition_expression(prepared.condition.clone())
            .set_expression_attribute_names(prepared.names.clone())
            .set_expression_attribute_values(prepared.values.clone());
        DYNAMODB
            .call("PutItem", self.resource(), request.send())
            .await
            .map(|_| ())
            .map_err(|e| self.write_failed(e, &prepared))
    }

    /// A failed condition names the item (and, for versioned writes, the version expected).
    pub(crate) fn write_failed(&self, err: Error, prepared: &PreparedWrite) -> Error {
        match err {
            Error::Precondition {
                message,
                source,
                answer,
                ..
            } => {
                let message = match (prepared.based_on, self.version_attribute()) {
                    (Some(read), Some(attribute)) => {
                        version::conflict_message(attribute, read, prepared.own_condition)
                    }
                    _ => message,
                };
                Error::Precondition {
                    resource: format!("item {} in {}", prepared.key, self.resource()),
                    message,
                    source,
                    answer,
                }
            }
            other => other,
        }
    }

    /// Reads the item with `key`; `Ok(None)` when there is none (or it has expired, on a handle
    /// that [hides expired items](crate::DynamoDbAccessBuilder::hide_expired)). The key is the
    /// partition value, or a `(partition, sort)` tuple on a table with a sort key.
    ///
    /// ```no_run
    /// # async fn demo(users: awsimple_dynamodb::DynamoDbAccess,
    /// #               readings: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::Item;
    /// #[derive(serde::Deserialize)]
    /// struct User { email: String, name: String }
    /// if let Some(user) = users.get_item::<User>("ada@example.com").await? {
    ///     println!("{} <{}>", user.name, user.email);
    /// }
    /// let reading: Option<Item> = readings.get_item(("device-1", 1_700_000_000)).await?;
    /// # let _ = reading; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`], before any request, when the key does not fit the table's schema
    /// or DynamoDB's key limits; [`Error::Serialization`] when the stored item does not convert
    /// into `T`; [`Error::NotFound`] when the table does not exist.
    pub async fn get_item<T: DeserializeOwned + 'static>(
        &self,
        key: impl Into<Key>,
    ) -> Result<Option<T>> {
        traced("get_item", self.table_name(), async {
            let schema = self.schema().await?;
            let key = key.into();
            let key_map = self.key_map(&schema, &key)?;
            let raw = self.get_raw(key_map, false).await?;
            raw.filter(|raw| self.visible(raw, SystemTime::now()))
                .map(|raw| item::from_raw_item(raw, self.resource()))
                .transpose()
        })
        .await
    }

    /// One GetItem of the raw key `key_map`, expired or not.
    pub(crate) async fn get_raw(
        &self,
        key_map: RawItem,
        consistent: bool,
    ) -> Result<Option<RawItem>> {
        let request = self
            .inner
            .client
            .get_item()
            .table_name(&self.inner.table)
            .set_key(Some(key_map))
            .consistent_read(consistent)
            .send();
        let out = DYNAMODB.call("GetItem", self.resource(), request).await?;
        Ok(out.item)
    }

    /// Deletes the item with `key` (no error when there is none).
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// db.delete_item(("device-1", 1_700_000_000)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`], before any request, when the key does not fit the table's schema
    /// or DynamoDB's key limits; [`Error::NotFound`] when the table does not exist.
    pub async fn delete_item(&self, key: impl Into<Key>) -> Result<()> {
        self.delete_item_with(key, &DeleteItemOptions::default())
            .await
    }

    /// [`delete_item`](Self::delete_item) with options: a condition.
    ///
    /// # Errors
    /// [`Error::Precondition`] naming the item when the condition did not hold.
    pub async fn delete_item_with(
        &self,
        key: impl Into<Key>,
        options: &DeleteItemOptions,
    ) -> Result<()> {
        traced("delete_item", self.table_name(), async {
            let schema = self.schema().await?;
            let prepared = self.prepare_delete(&schema, &key.into(), options.condition.as_ref())?;
            let request = self
                .inner
                .client
                .delete_item()
                .table_name(&self.inner.table)
                .set_key(Some(prepared.item.clone()))
                .set_condition_expression(prepared.condition.clone())
                .set_expression_attribute_names(prepared.names.clone())
                .set_expression_attribute_values(prepared.values.clone())
                .send();
            DYNAMODB
                .call("DeleteItem", self.resource(), request)
                .await
                .map_err(|e| self.write_failed(e, &prepared))?;
            self.record_mtime(false).await
        })
        .await
    }
}
