//! [`DynamoDbAccess`]: the handle on one table, the state its clones share, and the table's
//! schema (looked up once per handle).
//!
//! The operations live in files of their own, each adding an `impl DynamoDbAccess` block.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::types::{KeySchemaElement, ScalarAttributeType};
use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Error, Result, Service};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::item::{self, AttributeType, Key, KeyValue, RawItem};
use crate::schema::{KeyAttribute, SecondaryIndex, TableSchema};

/// Every DynamoDB request goes through this (one span per call, the SDK error mapped once).
pub(crate) const DYNAMODB: Service = Service::new("dynamodb");

/// Access to one DynamoDB table: create and delete it, read and write items, query, scan.
///
/// Cheap to clone (clones share the SDK client, the schema and the cache settings).
///
/// Items are any `T: Serialize` to write and any `T: DeserializeOwned` to read (structs via
/// `serde_dynamo`: integers exact as `i64`/`u64`, floats as shortest round-trip decimals, `Vec`
/// and maps nested, `serde_bytes` for binary, enums by name, `Option::None` as `NULL`). For
/// Python-style dynamic code use [`Item`](crate::Item) (a `serde_json` object) or
/// `serde_json::Value` as `T`.
///
/// Every write records the table's modification time in
/// [`METADATA_TABLE`](crate::METADATA_TABLE), the format shared with the Python package, so
/// cached scans anywhere see the change (see
/// [`DynamoDbAccessBuilder::mtime_window`](crate::DynamoDbAccessBuilder::mtime_window)).
#[derive(Clone, Debug)]
pub struct DynamoDbAccess {
    pub(crate) inner: Arc<Inner>,
}

/// What the clones of one handle share.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) access: AwsAccess,
    pub(crate) table: String,
    /// `DynamoDB table "<name>"`, the resource every error names.
    pub(crate) resource: String,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) cache_life: Option<Duration>,
    pub(crate) clock_skew: Duration,
    pub(crate) mtime_window: Duration,
    /// The optimistic-locking version attribute, if any.
    pub(crate) version_attribute: Option<String>,
    /// The time-to-live attribute, if any.
    pub(crate) ttl_attribute: Option<String>,
    /// Reads leave out items whose TTL attribute is in the past.
    pub(crate) hide_expired: bool,
    /// The schema, once looked up.
    pub(crate) schema: Mutex<Option<Arc<TableSchema>>>,
    /// When this handle last recorded the table's modification time.
    pub(crate) last_mtime_write: Mutex<Option<Instant>>,
    /// The folder of cached scans, opened on first use (`None` when it cannot be opened).
    pub(crate) cache: tokio::sync::OnceCell<Option<DiskCache>>,
}

impl DynamoDbAccess {
    /// The table name.
    pub fn table_name(&self) -> &str {
        &self.inner.table
    }

    /// The AWS access this handle uses (its `request_counter()` counts this handle's requests).
    pub fn access(&self) -> &AwsAccess {
        &self.inner.access
    }

    /// The SDK client, for operations awsimple does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The optimistic-locking version attribute (see
    /// [`DynamoDbAccessBuilder::version_attribute`](crate::DynamoDbAccessBuilder::version_attribute)).
    pub fn version_attribute(&self) -> Option<&str> {
        self.inner.version_attribute.as_deref()
    }

    /// The time-to-live attribute (see
    /// [`DynamoDbAccessBuilder::ttl_attribute`](crate::DynamoDbAccessBuilder::ttl_attribute)).
    pub fn ttl_attribute(&self) -> Option<&str> {
        self.inner.ttl_attribute.as_deref()
    }

    /// `DynamoDB table "<name>"`, for errors and spans.
    pub(crate) fn resource(&self) -> &str {
        &self.inner.resource
    }

    /// One DescribeTable request.
    pub(crate) async fn describe(&self) -> Result<DescribeTableOutput> {
        let request = self
            .inner
            .client
            .describe_table()
            .table_name(&self.inner.table)
            .send();
        DYNAMODB
            .call("DescribeTable", self.resource(), request)
            .await
    }

    // ----------------------------------------------------------------------------------------
    // Schema

    /// The table's key schema and secondary indexes (looked up once per handle).
    pub async fn schema(&self) -> Result<Arc<TableSchema>> {
        if let Some(schema) = self.cached_schema() {
            return Ok(schema);
        }
        let out = self.describe().await?;
        let table = out
            .table()
            .ok_or_else(|| Error::not_found(self.resource()))?;
        let types: HashMap<&str, AttributeType> = table
            .attribute_definitions()
            .iter()
            .map(|d| {
                let t = match d.attribute_type() {
                    ScalarAttributeType::N => AttributeType::Number,
                    ScalarAttributeType::B => AttributeType::Binary,
                    _ => AttributeType::String,
                };
                (d.attribute_name(), t)
            })
            .collect();
        let keys = |elements: &[KeySchemaElement]| -> (Option<KeyAttribute>, Option<KeyAttribute>) {
            let mut hash = None;
            let mut range = None;
            for e in elements {
                let attr = KeyAttribute::new(
                    e.attribute_name(),
                    types
                        .get(e.attribute_name())
                        .copied()
                        .unwrap_or(AttributeType::String),
                );
                match e.key_type() {
                    aws_sdk_dynamodb::types::KeyType::Range => range = Some(attr),
                    _ => hash = Some(attr),
                }
            }
            (hash, range)
        };
        let (partition, sort) = keys(table.key_schema());
        let partition = partition.ok_or_else(|| {
            Error::other(format!(
                "DescribeTable on {}: the table description has no partition key",
                self.resource()
            ))
        })?;
        let mut secondary_indexes = Vec::new();
        for index in table.global_secondary_indexes() {
            if let (Some(name), (Some(hash), range)) =
                (index.index_name(), keys(index.key_schema()))
            {
                secondary_indexes.push(SecondaryIndex {
                    name: name.to_owned(),
                    partition: hash,
                    sort: range,
                });
            }
        }
        let schema = Arc::new(TableSchema {
            partition,
            sort,
            secondary_indexes,
        });
        if let Ok(mut slot) = self.inner.schema.lock() {
            *slot = Some(schema.clone());
        }
        Ok(schema)
    }

    fn cached_schema(&self) -> Option<Arc<TableSchema>> {
        self.inner.schema.lock().ok().and_then(|s| s.clone())
    }

    /// Forgets the schema (the table was created or deleted).
    pub(crate) fn clear_schema(&self) {
        if let Ok(mut slot) = self.inner.schema.lock() {
            *slot = None;
        }
    }

    // ----------------------------------------------------------------------------------------
    // Keys and items, checked against the schema

    /// The key attributes of `key`, checked against the schema.
    pub(crate) fn key_map(&self, schema: &TableSchema, key: &Key) -> Result<RawItem> {
        schema.key_map(key, &|| format!("key {key} for {}", self.resource()))
    }

    /// Checks an item (size, numbers, key attributes) and returns its primary key.
    pub(crate) fn check_item(&self, schema: &TableSchema, item: &RawItem) -> Result<Key> {
        schema.check_item(item, &|| format!("item for {}", self.resource()))
    }

    /// Serializes and checks an item; returns it with its primary key.
    pub(crate) fn to_item<T: Serialize + ?Sized>(
        &self,
        schema: &TableSchema,
        item: &T,
    ) -> Result<(RawItem, Key)> {
        let raw = item::to_raw_item(item, self.resource())?;
        let key = self.check_item(schema, &raw)?;
        Ok((raw, key))
    }

    /// The attributes an update must not change, each with the reason: the key attributes and
    /// the version attribute.
    pub(crate) fn reserved<'a>(&'a self, schema: &'a TableSchema) -> Vec<(&'a str, &'static str)> {
        let mut reserved = vec![(schema.partition.name.as_str(), "the partition key")];
        if let Some(sort) = &schema.sort {
            reserved.push((sort.name.as_str(), "the sort key"));
        }
        if let Some(version) = self.version_attribute() {
            reserved.push((version, "the version attribute, which the library advances"));
        }
        reserved
    }

    // ----------------------------------------------------------------------------------------
    // Reading items: expired ones hidden when asked, conversion into `T`

    /// False for an item to leave out of reads: expired (its TTL attribute not after `now`) on a
    /// handle that hides expired items.
    pub(crate) fn visible(&self, raw: &RawItem, now: SystemTime) -> bool {
        match (&self.inner.ttl_attribute, self.inner.hide_expired) {
            (Some(ttl), true) => !item::expired(raw, ttl, now),
            _ => true,
        }
    }

    /// Converts raw items into `T`s, leaving out hidden ones.
    pub(crate) fn convert_all<T: DeserializeOwned + 'static>(
        &self,
        raws: Vec<RawItem>,
    ) -> Result<Vec<T>> {
        let now = SystemTime::now();
        raws.into_iter()
            .filter(|raw| self.visible(raw, now))
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .collect()
    }

    /// Converts raw items into `T`s keyed by primary key, or by attribute `by` (each item must
    /// have a key-typed value, each value once), leaving out hidden ones.
    pub(crate) fn convert_map<T: DeserializeOwned + 'static>(
        &self,
        schema: &TableSchema,
        raws: Vec<RawItem>,
        by: Option<&str>,
    ) -> Result<BTreeMap<Key, T>> {
        let now = SystemTime::now();
        let mut map = BTreeMap::new();
        for raw in raws.into_iter().filter(|raw| self.visible(raw, now)) {
            let key = match by {
                None => schema.primary_key_of(&raw).ok_or_else(|| {
                    Error::serialization(self.resource(), "an item read lacks its key attributes")
                })?,
                Some(attribute) => raw
                    .get(attribute)
                    .and_then(KeyValue::from_attribute)
                    .map(Key::new)
                    .ok_or_else(|| {
                        let key = schema.primary_key_of(&raw).map(|k| format!("item {k}"));
                        Error::serialization(
                            self.resource(),
                            format!(
                                "{} has no string, number or binary {attribute:?} to key the map by",
                                key.as_deref().unwrap_or("an item")
                            ),
                        )
                    })?,
            };
            if let Some(attribute) = by
                && map.contains_key(&key)
            {
                return Err(Error::serialization(
                    self.resource(),
                    format!(
                        "two items have {attribute:?} = {}: the map would lose one",
                        key.partition
                    ),
                ));
            }
            map.insert(key, item::from_raw_item(raw, self.resource())?);
        }
        Ok(map)
    }

    /// The items of a stream of pages, one at a time, converted into `T`s, hidden ones left
    /// out: no more than one page is held at once.
    pub(crate) fn items_of<T: DeserializeOwned + Send + 'static>(
        &self,
        pages: BoxStream<'static, Result<Vec<RawItem>>>,
    ) -> BoxStream<'static, Result<T>> {
        let db = self.clone();
        pages
            .map_ok(|page| futures::stream::iter(page.into_iter().map(Ok::<_, Error>)))
            .try_flatten()
            .try_filter(move |raw| futures::future::ready(db.visible(raw, SystemTime::now())))
            .map({
                let db = self.clone();
                move |raw| raw.and_then(|raw| item::from_raw_item(raw, db.resource()))
            })
            .boxed()
    }
}
