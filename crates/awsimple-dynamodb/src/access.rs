//! [`DynamoDbAccess`]: the handle on one table, the state its clones share, and the table's
//! schema (looked up once per handle).
//!
//! The operations live in files of their own, each adding an `impl DynamoDbAccess` block.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::types::{KeySchemaElement, ScalarAttributeType};
use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Error, Result, Service};
use serde::Serialize;

use crate::item::{self, Key, KeyType, RawItem};
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
        let types: HashMap<&str, KeyType> = table
            .attribute_definitions()
            .iter()
            .map(|d| {
                let t = match d.attribute_type() {
                    ScalarAttributeType::N => KeyType::Number,
                    ScalarAttributeType::B => KeyType::Binary,
                    _ => KeyType::String,
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
                        .unwrap_or(KeyType::String),
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
}
