//! Many items at a time: BatchWriteItem (put, delete, delete all) and BatchGetItem, with the
//! unprocessed entries sent again under [`Backoff`](awsimple_core::Backoff).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use awsimple_core::{BackoffConfig, Error, Result};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::debug;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::item::{Key, RawItem};
use crate::op::traced;
use crate::scan::ScanOptions;

/// Items per BatchWriteItem request (DynamoDB's limit).
const BATCH_WRITE_SIZE: usize = 25;
/// Keys per BatchGetItem request (DynamoDB's limit).
const BATCH_GET_SIZE: usize = 100;
/// Batch requests in flight at once.
const BATCH_CONCURRENCY: usize = 8;
/// Attempts for unprocessed batch items before giving up with [`Error::Throttled`].
const BATCH_ATTEMPTS: u32 = 10;

/// The retries of unprocessed entries: 50 ms growing to 5 s, [`BATCH_ATTEMPTS`] attempts.
fn unprocessed_backoff() -> BackoffConfig {
    BackoffConfig::default()
        .with_delays(Duration::from_millis(50), Duration::from_secs(5))
        .with_max_attempts(BATCH_ATTEMPTS)
}

impl DynamoDbAccess {
    /// Writes many items with BatchWriteItem (25 per request, several requests in flight).
    ///
    /// Unprocessed items are sent again with backoff until written; when they still are not
    /// after several attempts the call fails with [`Error::Throttled`] (never drops items
    /// silently). Items with the same key: the last one wins. All items are checked before any
    /// request. Records the table's modification time once.
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// let items: Vec<_> = (0..1000)
    ///     .map(|i| serde_json::json!({"id": format!("item-{i}"), "n": i}))
    ///     .collect();
    /// db.put_items(&items).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`], before any request, when one item breaks the schema or a
    /// DynamoDB limit (as [`put_item`](Self::put_item)): nothing is written then;
    /// [`Error::Throttled`] when unprocessed items stay unprocessed;
    /// [`Error::InvalidInput`] on a handle with a
    /// [version attribute](crate::DynamoDbAccessBuilder::version_attribute): BatchWriteItem
    /// cannot check versions (use [`put_item`](Self::put_item) or a
    /// [transaction](crate::TransactWrite)).
    pub async fn put_items<T: Serialize>(&self, items: &[T]) -> Result<()> {
        traced("put_items", self.table_name(), async {
            if let Some(attribute) = self.version_attribute() {
                return Err(Error::invalid(
                    format!("batch put into {}", self.resource()),
                    format!(
                        "the handle checks versions ({attribute:?}) and BatchWriteItem cannot: use put_item or a transaction"
                    ),
                ));
            }
            let schema = self.schema().await?;
            let mut by_key: HashMap<Key, usize> = HashMap::new();
            let mut raws = Vec::with_capacity(items.len());
            for item in items {
                let (raw, key) = self.to_item(&schema, item)?;
                match by_key.get(&key) {
                    Some(&at) => raws[at] = raw,
                    None => {
                        by_key.insert(key, raws.len());
                        raws.push(raw);
                    }
                }
            }
            let requests = raws
                .into_iter()
                .map(|raw| {
                    PutRequest::builder()
                        .set_item(Some(raw))
                        .build()
                        .map(|p| WriteRequest::builder().put_request(p).build())
                        .map_err(|e| Error::invalid("put request", e.to_string()))
                })
                .collect::<Result<Vec<_>>>()?;
            self.batch_write(requests).await?;
            self.record_mtime(false).await
        })
        .await
    }

    /// Deletes many items with BatchWriteItem (as [`put_items`](Self::put_items)).
    pub async fn delete_items<K: Into<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<()> {
        traced("delete_items", self.table_name(), async {
            let schema = self.schema().await?;
            let mut seen = HashSet::new();
            let mut requests = Vec::new();
            for key in keys {
                let key = key.into();
                let map = self.key_map(&schema, &key)?;
                if seen.insert(key) {
                    requests.push(delete_request(map)?);
                }
            }
            self.batch_write(requests).await?;
            self.record_mtime(false).await
        })
        .await
    }

    /// Deletes every item (the table stays); returns how many were deleted.
    ///
    /// Scans the keys, then deletes them with BatchWriteItem (25 per request).
    pub async fn delete_all_items(&self) -> Result<usize> {
        traced("delete_all_items", self.table_name(), async {
            let schema = self.schema().await?;
            let mut projection = vec!["#pk".to_owned()];
            let mut names = HashMap::from([("#pk".to_owned(), schema.partition.name.clone())]);
            if let Some(sort) = &schema.sort {
                projection.push("#sk".to_owned());
                names.insert("#sk".to_owned(), sort.name.clone());
            }
            let keys = self
                .scan_raw(&ScanOptions::new(), Some((projection.join(", "), names)))
                .await?;
            let count = keys.len();
            let requests = keys
                .into_iter()
                .map(delete_request)
                .collect::<Result<Vec<_>>>()?;
            self.batch_write(requests).await?;
            self.record_mtime(false).await?;
            Ok(count)
        })
        .await
    }

    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<()> {
        let chunks: Vec<Vec<WriteRequest>> = requests
            .chunks(BATCH_WRITE_SIZE)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        futures::stream::iter(
            chunks
                .into_iter()
                .map(|chunk| self.batch_write_chunk(chunk)),
        )
        .buffer_unordered(BATCH_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .map(|_| ())
    }

    async fn batch_write_chunk(&self, mut pending: Vec<WriteRequest>) -> Result<()> {
        let mut backoff = unprocessed_backoff().start();
        loop {
            let request = self
                .inner
                .client
                .batch_write_item()
                .request_items(&self.inner.table, std::mem::take(&mut pending))
                .send();
            let out = DYNAMODB
                .call("BatchWriteItem", self.resource(), request)
                .await?;
            pending = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&self.inner.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            let attempt = backoff.attempt();
            debug!(table = %self.inner.table, unprocessed = pending.len(), attempt, "retrying unprocessed items");
            if !backoff.wait().await {
                return Err(Error::Throttled {
                    resource: self.resource().to_owned(),
                    operation: "BatchWriteItem",
                    message: format!(
                        "{} items still unprocessed after {attempt} attempts",
                        pending.len()
                    ),
                    answer: None,
                });
            }
        }
    }

    /// Reads many items by key with BatchGetItem (100 keys per request, unprocessed keys retried).
    /// Missing items (and expired ones, on a handle that
    /// [hides them](crate::DynamoDbAccessBuilder::hide_expired)) are left out; the order of the
    /// result is not the order of the keys.
    pub async fn get_items<T: DeserializeOwned + 'static, K: Into<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<T>> {
        traced("get_items", self.table_name(), async {
            let schema = self.schema().await?;
            let mut seen = HashSet::new();
            let mut maps = Vec::new();
            for key in keys {
                let key = key.into();
                let map = self.key_map(&schema, &key)?;
                if seen.insert(key) {
                    maps.push(map);
                }
            }
            let chunks: Vec<Vec<RawItem>> = maps
                .chunks(BATCH_GET_SIZE)
                .map(<[RawItem]>::to_vec)
                .collect();
            let pages: Vec<Vec<RawItem>> =
                futures::stream::iter(chunks.into_iter().map(|chunk| self.batch_get_chunk(chunk)))
                    .buffer_unordered(BATCH_CONCURRENCY)
                    .try_collect()
                    .await?;
            self.convert_all(pages.into_iter().flatten().collect())
        })
        .await
    }

    async fn batch_get_chunk(&self, mut pending: Vec<RawItem>) -> Result<Vec<RawItem>> {
        let mut found = Vec::new();
        let mut backoff = unprocessed_backoff().start();
        loop {
            let keys = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .build()
                .map_err(|e| Error::invalid("batch get request", e.to_string()))?;
            let request = self
                .inner
                .client
                .batch_get_item()
                .request_items(&self.inner.table, keys)
                .send();
            let out = DYNAMODB
                .call("BatchGetItem", self.resource(), request)
                .await?;
            found.extend(
                out.responses
                    .and_then(|mut r| r.remove(&self.inner.table))
                    .unwrap_or_default(),
            );
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.inner.table))
                .map(|k| k.keys)
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(found);
            }
            let attempt = backoff.attempt();
            debug!(table = %self.inner.table, unprocessed = pending.len(), attempt, "retrying unprocessed keys");
            if !backoff.wait().await {
                return Err(Error::Throttled {
                    resource: self.resource().to_owned(),
                    operation: "BatchGetItem",
                    message: format!(
                        "{} keys still unprocessed after {attempt} attempts",
                        pending.len()
                    ),
                    answer: None,
                });
            }
        }
    }
}

/// A DeleteRequest for the raw key `key`.
fn delete_request(key: RawItem) -> Result<WriteRequest> {
    DeleteRequest::builder()
        .set_key(Some(key))
        .build()
        .map(|d| WriteRequest::builder().delete_request(d).build())
        .map_err(|e| Error::invalid("delete request", e.to_string()))
}
