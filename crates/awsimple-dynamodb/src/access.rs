//! [`DynamoDbAccess`]: one table, its items, queries and scans.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, GlobalSecondaryIndex,
    IndexStatus, KeySchemaElement, KeysAndAttributes, Projection, ProjectionType, PutRequest,
    ScalarAttributeType, TableStatus, WriteRequest,
};
use awsimple_core::{AwsAccess, Error, Result};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{Instrument, debug, info_span, warn};

use crate::item::{self, Key, KeyType, KeyValue, RawItem};
use crate::table::{
    CreateTable, KeyAttribute, SECONDARY_INDEX_SUFFIX, SecondaryIndex, TableSchema,
    check_table_name,
};

/// The table shared with the Python package where table modification times are recorded.
pub const METADATA_TABLE: &str = "__awsimple_metadata__";

/// The `service` value of DynamoDB tables in [`METADATA_TABLE`].
pub(crate) const METADATA_SERVICE: &str = "dynamodb";

/// Items per BatchWriteItem request (DynamoDB's limit).
const BATCH_WRITE_SIZE: usize = 25;
/// Keys per BatchGetItem request (DynamoDB's limit).
const BATCH_GET_SIZE: usize = 100;
/// Batch requests in flight at once.
const BATCH_CONCURRENCY: usize = 8;
/// Attempts for unprocessed batch items before giving up with [`Error::Throttled`].
const BATCH_ATTEMPTS: u32 = 10;
/// How long create / delete waits for the table to settle.
const TABLE_WAIT: Duration = Duration::from_secs(600);

/// Which end of a partition [`DynamoDbAccess::query_one`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The item with the lowest sort key.
    Lowest,
    /// The item with the highest sort key.
    Highest,
}

/// A query: exact match on the partition key (or on an indexed attribute), optionally narrowed
/// on the sort key.
///
/// ```
/// use awsimple_dynamodb::Query;
/// let by_user = Query::partition("user-1");                       // the table's partition key
/// let range = Query::partition("user-1").sort_begins_with("2024-"); // begins_with on the sort key
/// let by_email = Query::attribute("email", "a@example.com");     // routed to `email-index`
/// # let _ = (by_user, range, by_email);
/// ```
#[derive(Clone, Debug)]
pub struct Query {
    attribute: Option<String>,
    value: KeyValue,
    sort: Option<SortCondition>,
    page_size: Option<i32>,
}

#[derive(Clone, Debug)]
enum SortCondition {
    Equals(KeyValue),
    BeginsWith(String),
}

impl Query {
    /// Items whose partition key equals `value`.
    pub fn partition(value: impl Into<KeyValue>) -> Self {
        Query {
            attribute: None,
            value: value.into(),
            sort: None,
            page_size: None,
        }
    }

    /// Items whose attribute `name` equals `value`: the table's partition key, or an attribute
    /// with a secondary index (the query then goes to `<name>-index`).
    pub fn attribute(name: impl Into<String>, value: impl Into<KeyValue>) -> Self {
        Query {
            attribute: Some(name.into()),
            ..Query::partition(value)
        }
    }

    /// Only the item whose sort key equals `value`.
    pub fn sort_eq(mut self, value: impl Into<KeyValue>) -> Self {
        self.sort = Some(SortCondition::Equals(value.into()));
        self
    }

    /// Only items whose (string) sort key begins with `prefix`.
    pub fn sort_begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.sort = Some(SortCondition::BeginsWith(prefix.into()));
        self
    }

    /// Items per request (`Limit`); results still follow every page to the end.
    pub fn page_size(mut self, items: i32) -> Self {
        self.page_size = Some(items);
        self
    }
}

/// Options of a scan.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub(crate) segments: u32,
    pub(crate) page_size: Option<i32>,
    pub(crate) invalidate_cache: bool,
}

impl ScanOptions {
    /// Default options: one segment, DynamoDB's page size, cache used when valid.
    pub fn new() -> Self {
        ScanOptions::default()
    }

    /// Scans `segments` parallel segments (DynamoDB parallel scan); 0 and 1 mean serial.
    pub fn segments(mut self, segments: u32) -> Self {
        self.segments = segments;
        self
    }

    /// Items per request (`Limit`); the scan still reads every page.
    pub fn page_size(mut self, items: i32) -> Self {
        self.page_size = Some(items);
        self
    }

    /// For cached scans: ignore (and drop) the cached copy and scan the table.
    pub fn invalidate_cache(mut self, invalidate: bool) -> Self {
        self.invalidate_cache = invalidate;
        self
    }
}

/// The primary key of a scanned item, as the key of [`DynamoDbAccess::scan_table_map`]:
/// sorted by partition, then sort key.
pub type PrimaryKey = Key;

/// The result of a cached scan.
#[derive(Clone, Debug)]
pub struct CachedScan<C> {
    /// The items (a `Vec<T>` or a map keyed by primary key).
    pub items: C,
    /// True when the items came from the local cache, false when the table was scanned.
    pub cache_hit: bool,
}

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
/// Every write records the table's modification time in [`METADATA_TABLE`], the format shared
/// with the Python package, so cached scans anywhere see the change (see
/// [`DynamoDbAccessBuilder::mtime_window`]).
#[derive(Clone, Debug)]
pub struct DynamoDbAccess {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) access: AwsAccess,
    pub(crate) table: String,
    pub(crate) resource: String,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) cache_life: Option<Duration>,
    pub(crate) clock_skew: Duration,
    pub(crate) mtime_window: Duration,
    schema: Mutex<Option<Arc<TableSchema>>>,
    last_mtime_write: Mutex<Option<Instant>>,
    pub(crate) cache: tokio::sync::OnceCell<Option<crate::scan_cache::ScanCache>>,
}

/// Options of a [`DynamoDbAccess`]; from [`DynamoDbAccess::builder`].
#[derive(Debug)]
pub struct DynamoDbAccessBuilder {
    access: AwsAccess,
    table: String,
    cache_dir: Option<PathBuf>,
    cache_life: Option<Duration>,
    clock_skew: Duration,
    mtime_window: Duration,
}

impl DynamoDbAccessBuilder {
    /// The folder of cached scans (default: the per-user cache folder, `awsimple/aws/dynamodb`).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// How long a cached scan may be used at most (default: no limit; the table's recorded
    /// modification time still invalidates it).
    pub fn cache_life(mut self, life: Duration) -> Self {
        self.cache_life = Some(life);
        self
    }

    /// The clock difference allowed between the hosts that write a table and this one
    /// (default 100 s, as in Python): a cached scan is used only when it started at least this
    /// long after the table's recorded modification time.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// The window in which writes through this handle share one modification-time record
    /// (default 10 s; zero records after every write).
    ///
    /// Why this is safe: a cached scan is used only when `recorded mtime + clock skew <= the
    /// scan's start` (the cache is stamped with the time its scan *started*). Say this handle
    /// records `m` after a write and then skips the record for further writes `w` with
    /// `m <= w < m + window`. A cache that misses such a write started before `w`, so before
    /// `m + window`; it would be used only if `m + skew <= start < m + window`, which cannot
    /// hold while `window <= skew`. With a clock difference `d` between the writer and the
    /// reader, the condition is `window + d <= skew`: keep the window well below the smallest
    /// skew your readers use (Python always uses 100 s). Writes after the window record again.
    pub fn mtime_window(mut self, window: Duration) -> Self {
        self.mtime_window = window;
        self
    }

    /// Builds the handle (no request is sent).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid table name, or a window longer than the skew.
    pub fn build(self) -> Result<DynamoDbAccess> {
        check_table_name(&self.table)?;
        if self.mtime_window > self.clock_skew {
            return Err(Error::invalid(
                "mtime window",
                format!(
                    "the window ({:?}) must not be longer than the clock skew ({:?}), or stale caches could be used",
                    self.mtime_window, self.clock_skew
                ),
            ));
        }
        let conf = aws_sdk_dynamodb::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            .build();
        let client = Client::from_conf(conf);
        let resource = format!("DynamoDB table {:?}", self.table);
        Ok(DynamoDbAccess {
            inner: Arc::new(Inner {
                client,
                access: self.access,
                table: self.table,
                resource,
                cache_dir: self.cache_dir,
                cache_life: self.cache_life,
                clock_skew: self.clock_skew,
                mtime_window: self.mtime_window,
                schema: Mutex::new(None),
                last_mtime_write: Mutex::new(None),
                cache: tokio::sync::OnceCell::new(),
            }),
        })
    }
}

impl DynamoDbAccess {
    /// A handle on `table` with default options.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid table name.
    pub fn new(access: &AwsAccess, table: impl Into<String>) -> Result<Self> {
        Self::builder(access, table).build()
    }

    /// A builder for a handle on `table`.
    pub fn builder(access: &AwsAccess, table: impl Into<String>) -> DynamoDbAccessBuilder {
        DynamoDbAccessBuilder {
            access: access.clone(),
            table: table.into(),
            cache_dir: None,
            cache_life: None,
            clock_skew: Duration::from_secs(100),
            mtime_window: Duration::from_secs(10),
        }
    }

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

    pub(crate) fn resource(&self) -> &str {
        &self.inner.resource
    }

    fn item_what(&self) -> String {
        format!("item for {}", self.resource())
    }

    // ----------------------------------------------------------------------------------------
    // Tables

    /// Creates the table (on-demand billing) and waits until it and its index are active.
    ///
    /// Returns false when the table exists already (whatever its schema). Records the table's
    /// modification time, creating [`METADATA_TABLE`] when needed.
    pub async fn create_table(&self, spec: &CreateTable) -> Result<bool> {
        let created = self.create_table_only(spec).await?;
        self.clear_schema();
        self.wait_active().await?;
        self.record_mtime(true).await?;
        Ok(created)
    }

    pub(crate) async fn create_table_only(&self, spec: &CreateTable) -> Result<bool> {
        let mut definitions = vec![definition(&spec.partition)?];
        let mut schema = vec![schema_element(
            &spec.partition.name,
            aws_sdk_dynamodb::types::KeyType::Hash,
        )?];
        if let Some(sort) = &spec.sort {
            if sort.name == spec.partition.name {
                return Err(Error::invalid(
                    format!("key schema of {}", self.resource()),
                    "the sort key must differ from the partition key",
                ));
            }
            definitions.push(definition(sort)?);
            schema.push(schema_element(
                &sort.name,
                aws_sdk_dynamodb::types::KeyType::Range,
            )?);
        }
        let mut request = self
            .inner
            .client
            .create_table()
            .table_name(&self.inner.table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(schema));
        if let Some(index) = &spec.index {
            if !definitions.iter().any(|d| d.attribute_name() == index.name) {
                definitions.push(definition(index)?);
            }
            let gsi = GlobalSecondaryIndex::builder()
                .index_name(format!("{}{SECONDARY_INDEX_SUFFIX}", index.name))
                .key_schema(schema_element(
                    &index.name,
                    aws_sdk_dynamodb::types::KeyType::Hash,
                )?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| Error::invalid("secondary index", e.to_string()))?;
            request = request.global_secondary_indexes(gsi);
        }
        let span = info_span!("dynamodb.create_table", table = %self.inner.table);
        match request
            .set_attribute_definitions(Some(definitions))
            .send()
            .instrument(span)
            .await
        {
            Ok(_) => Ok(true),
            Err(err) => match Error::from_sdk(err, "CreateTable", self.resource()) {
                Error::AlreadyExists { .. } => {
                    debug!(table = %self.inner.table, "table exists already");
                    Ok(false)
                }
                other => Err(other),
            },
        }
    }

    /// Waits until the table and its indexes are ACTIVE.
    pub(crate) async fn wait_active(&self) -> Result<()> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        loop {
            let out = self.describe().await?;
            let table = out.table();
            let active = table.and_then(|t| t.table_status()) == Some(&TableStatus::Active)
                && table.is_none_or(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .all(|i| i.index_status().is_none_or(|s| *s == IndexStatus::Active))
                });
            if active {
                return Ok(());
            }
            if start.elapsed() > TABLE_WAIT {
                return Err(Error::Timeout {
                    resource: self.resource().to_owned(),
                    operation: "CreateTable",
                    message: "the table did not become active".into(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    async fn describe(
        &self,
    ) -> Result<aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput> {
        let span = info_span!("dynamodb.describe_table", table = %self.inner.table);
        self.inner
            .client
            .describe_table()
            .table_name(&self.inner.table)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "DescribeTable", self.resource()))
    }

    /// Deletes the table and waits until it is gone. Returns false when it did not exist.
    pub async fn delete_table(&self) -> Result<bool> {
        let span = info_span!("dynamodb.delete_table", table = %self.inner.table);
        let result = self
            .inner
            .client
            .delete_table()
            .table_name(&self.inner.table)
            .send()
            .instrument(span)
            .await;
        self.clear_schema();
        match result {
            Ok(_) => {}
            Err(err) => {
                return match Error::from_sdk(err, "DeleteTable", self.resource()) {
                    Error::NotFound { .. } => Ok(false),
                    other => Err(other),
                };
            }
        }
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        loop {
            match self.describe().await {
                Err(Error::NotFound { .. }) => return Ok(true),
                Err(other) => return Err(other),
                Ok(_) if start.elapsed() > TABLE_WAIT => {
                    return Err(Error::Timeout {
                        resource: self.resource().to_owned(),
                        operation: "DeleteTable",
                        message: "the table was not gone in time".into(),
                    });
                }
                Ok(_) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// True when the table exists.
    pub async fn table_exists(&self) -> Result<bool> {
        match self.describe().await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The names of all tables of the account and region, every page, sorted.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        self.table_names_paged(None).await
    }

    /// [`table_names`](Self::table_names) with `page_size` names per ListTables request.
    pub async fn table_names_with_page_size(&self, page_size: i32) -> Result<Vec<String>> {
        self.table_names_paged(Some(page_size)).await
    }

    async fn table_names_paged(&self, page_size: Option<i32>) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let span = info_span!("dynamodb.list_tables");
            let out = self
                .inner
                .client
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .set_limit(page_size)
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(e, "ListTables", "DynamoDB tables"))?;
            names.extend(out.table_names.unwrap_or_default());
            match out.last_evaluated_table_name {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The table's item count as DynamoDB reports it (AWS refreshes it about every 6 hours).
    pub async fn item_count(&self) -> Result<u64> {
        let out = self.describe().await?;
        Ok(out
            .table()
            .and_then(|t| t.item_count())
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

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
        let partition = partition.ok_or_else(|| Error::Service {
            resource: self.resource().to_owned(),
            operation: "DescribeTable",
            code: "NoPartitionKey".into(),
            message: "the table description has no partition key".into(),
            status: None,
            request_id: None,
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

    fn clear_schema(&self) {
        if let Ok(mut slot) = self.inner.schema.lock() {
            *slot = None;
        }
    }

    // ----------------------------------------------------------------------------------------
    // Keys

    /// The key attributes of `key`, checked against the schema.
    fn key_map(&self, schema: &TableSchema, key: &Key) -> Result<RawItem> {
        let what = || format!("key {key} for {}", self.resource());
        let mut map = RawItem::new();
        check_key_value(&schema.partition, &key.partition, &what)?;
        map.insert(schema.partition.name.clone(), key.partition.to_attribute());
        match (&schema.sort, &key.sort) {
            (Some(attr), Some(value)) => {
                check_key_value(attr, value, &what)?;
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
    fn check_item(&self, schema: &TableSchema, item: &RawItem) -> Result<Key> {
        let what = || self.item_what();
        item::check_item(item, &what)?;
        let partition = item_key_value(&schema.partition, item, &what)?;
        let mut key = Key::new(partition);
        if let Some(sort) = &schema.sort {
            key.sort = Some(item_key_value(sort, item, &what)?);
        }
        Ok(key)
    }

    fn to_item<T: Serialize + ?Sized>(
        &self,
        schema: &TableSchema,
        item: &T,
    ) -> Result<(RawItem, Key)> {
        let raw = item::to_raw_item(item, self.resource())?;
        let key = self.check_item(schema, &raw)?;
        Ok((raw, key))
    }

    // ----------------------------------------------------------------------------------------
    // Items

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

    pub(crate) async fn put_raw(
        &self,
        raw: RawItem,
        condition: Option<&TableSchema>,
    ) -> Result<()> {
        let span = info_span!("dynamodb.put_item", table = %self.inner.table);
        let mut request = self
            .inner
            .client
            .put_item()
            .table_name(&self.inner.table)
            .set_item(Some(raw));
        if let Some(schema) = condition {
            request = request
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", &schema.partition.name);
        }
        request
            .send()
            .instrument(span)
            .await
            .map(|_| ())
            .map_err(|err| {
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) {
                    Error::AlreadyExists {
                        resource: format!("the item in {}", self.resource()),
                    }
                } else {
                    Error::from_sdk(err, "PutItem", self.resource())
                }
            })
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
        let span = info_span!("dynamodb.get_item", table = %self.inner.table, key = %key);
        let out = self
            .inner
            .client
            .get_item()
            .table_name(&self.inner.table)
            .set_key(Some(key_map))
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "GetItem", self.resource()))?;
        out.item
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .transpose()
    }

    /// Deletes the item with `key` (no error when there is none).
    pub async fn delete_item(&self, key: impl Into<Key>) -> Result<()> {
        let schema = self.schema().await?;
        let key = key.into();
        let key_map = self.key_map(&schema, &key)?;
        let span = info_span!("dynamodb.delete_item", table = %self.inner.table, key = %key);
        self.inner
            .client
            .delete_item()
            .table_name(&self.inner.table)
            .set_key(Some(key_map))
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "DeleteItem", self.resource()))?;
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
        let span = info_span!("dynamodb.update_item", table = %self.inner.table, key = %key);
        self.inner
            .client
            .update_item()
            .table_name(&self.inner.table)
            .set_key(Some(key_map))
            .update_expression(format!("SET {}", sets.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "UpdateItem", self.resource()))?;
        self.record_mtime(false).await
    }

    /// Deletes every item (the table stays); returns how many were deleted.
    ///
    /// Scans the keys, then deletes them with BatchWriteItem (25 per request).
    pub async fn delete_all_items(&self) -> Result<usize> {
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
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|d| WriteRequest::builder().delete_request(d).build())
                    .map_err(|e| Error::invalid("delete request", e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(requests).await?;
        self.record_mtime(false).await?;
        Ok(count)
    }

    /// Writes many items with BatchWriteItem (25 per request, several requests in flight).
    ///
    /// Unprocessed items are sent again with backoff until written; when they still are not
    /// after several attempts the call fails with [`Error::Throttled`] (never drops items
    /// silently). Items with the same key: the last one wins. All items are checked before any
    /// request. Records the table's modification time once.
    pub async fn put_items<T: Serialize>(&self, items: &[T]) -> Result<()> {
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
    }

    /// Deletes many items with BatchWriteItem (as [`put_items`](Self::put_items)).
    pub async fn delete_items<K: Into<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<()> {
        let schema = self.schema().await?;
        let mut seen = HashSet::new();
        let mut requests = Vec::new();
        for key in keys {
            let key = key.into();
            let map = self.key_map(&schema, &key)?;
            if seen.insert(key) {
                let delete = DeleteRequest::builder()
                    .set_key(Some(map))
                    .build()
                    .map_err(|e| Error::invalid("delete request", e.to_string()))?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
        }
        self.batch_write(requests).await?;
        self.record_mtime(false).await
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
        let mut delay = Duration::from_millis(50);
        for attempt in 1..=BATCH_ATTEMPTS {
            let span = info_span!("dynamodb.batch_write_item", table = %self.inner.table, items = pending.len(), attempt);
            let out = self
                .inner
                .client
                .batch_write_item()
                .request_items(&self.inner.table, std::mem::take(&mut pending))
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(e, "BatchWriteItem", self.resource()))?;
            pending = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&self.inner.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            debug!(table = %self.inner.table, unprocessed = pending.len(), attempt, "retrying unprocessed items");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        Err(Error::Throttled {
            resource: self.resource().to_owned(),
            operation: "BatchWriteItem",
            message: format!(
                "{} items still unprocessed after {BATCH_ATTEMPTS} attempts",
                pending.len()
            ),
        })
    }

    /// Reads many items by key with BatchGetItem (100 keys per request, unprocessed keys retried).
    /// Missing items are left out; the order of the result is not the order of the keys.
    pub async fn get_items<T: DeserializeOwned + 'static, K: Into<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<T>> {
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
        pages
            .into_iter()
            .flatten()
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .collect()
    }

    async fn batch_get_chunk(&self, mut pending: Vec<RawItem>) -> Result<Vec<RawItem>> {
        let mut found = Vec::new();
        let mut delay = Duration::from_millis(50);
        for attempt in 1..=BATCH_ATTEMPTS {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .build()
                .map_err(|e| Error::invalid("batch get request", e.to_string()))?;
            let span = info_span!("dynamodb.batch_get_item", table = %self.inner.table, attempt);
            let out = self
                .inner
                .client
                .batch_get_item()
                .request_items(&self.inner.table, request)
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(e, "BatchGetItem", self.resource()))?;
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
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        Err(Error::Throttled {
            resource: self.resource().to_owned(),
            operation: "BatchGetItem",
            message: format!(
                "{} keys still unprocessed after {BATCH_ATTEMPTS} attempts",
                pending.len()
            ),
        })
    }

    // ----------------------------------------------------------------------------------------
    // Queries

    /// All items matching `query`, every page.
    pub async fn query<T: DeserializeOwned + 'static>(&self, query: &Query) -> Result<Vec<T>> {
        let raws = self.query_raw(query, None).await?;
        raws.into_iter()
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .collect()
    }

    /// The item with the lowest or highest sort key among those matching `query` (one request,
    /// `Limit 1`); `None` when nothing matches.
    pub async fn query_one<T: DeserializeOwned + 'static>(
        &self,
        query: &Query,
        direction: Direction,
    ) -> Result<Option<T>> {
        let mut raws = self.query_raw(query, Some(direction)).await?;
        raws.pop()
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .transpose()
    }

    pub(crate) async fn query_raw(
        &self,
        query: &Query,
        one: Option<Direction>,
    ) -> Result<Vec<RawItem>> {
        let schema = self.schema().await?;
        let what = || format!("query on {}", self.resource());
        let attribute = query.attribute.as_deref().unwrap_or(&schema.partition.name);
        let (index, partition, sort) = if attribute == schema.partition.name {
            (None, &schema.partition, schema.sort.as_ref())
        } else {
            let index = schema.index_for(attribute).ok_or_else(|| {
                Error::invalid(
                    what(),
                    format!("{attribute:?} is neither the partition key nor an indexed attribute (no `{attribute}{SECONDARY_INDEX_SUFFIX}`)"),
                )
            })?;
            (
                Some(index.name.clone()),
                &index.partition,
                index.sort.as_ref(),
            )
        };
        check_key_value(partition, &query.value, &what)?;
        let mut names = HashMap::from([("#p".to_owned(), partition.name.clone())]);
        let mut values = HashMap::from([(":p".to_owned(), query.value.to_attribute())]);
        let mut condition = "#p = :p".to_owned();
        if let Some(sort_condition) = &query.sort {
            let sort =
                sort.ok_or_else(|| Error::invalid(what(), "there is no sort key to narrow on"))?;
            names.insert("#s".to_owned(), sort.name.clone());
            match sort_condition {
                SortCondition::Equals(value) => {
                    check_key_value(sort, value, &what)?;
                    values.insert(":s".to_owned(), value.to_attribute());
                    condition.push_str(" AND #s = :s");
                }
                SortCondition::BeginsWith(prefix) => {
                    values.insert(":s".to_owned(), AttributeValue::S(prefix.clone()));
                    condition.push_str(" AND begins_with(#s, :s)");
                }
            }
        }
        let mut items = Vec::new();
        let mut start: Option<RawItem> = None;
        loop {
            let mut request = self
                .inner
                .client
                .query()
                .table_name(&self.inner.table)
                .set_index_name(index.clone())
                .key_condition_expression(&condition)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start.take())
                .set_limit(query.page_size);
            if let Some(direction) = one {
                request = request
                    .scan_index_forward(direction == Direction::Lowest)
                    .limit(1);
            }
            let span = info_span!("dynamodb.query", table = %self.inner.table, index = ?index);
            let out = request
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(e, "Query", self.resource()))?;
            items.extend(out.items.unwrap_or_default());
            if one.is_some() {
                return Ok(items);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Scans

    /// Every item of the table (every page).
    pub async fn scan_table<T: DeserializeOwned + 'static>(&self) -> Result<Vec<T>> {
        self.scan_table_with(&ScanOptions::new()).await
    }

    /// Every item of the table, with options (parallel segments, page size).
    pub async fn scan_table_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<Vec<T>> {
        let raws = self.scan_raw(options, None).await?;
        self.convert_all(raws)
    }

    /// Every item of the table keyed (and sorted) by primary key.
    pub async fn scan_table_map<T: DeserializeOwned + 'static>(
        &self,
    ) -> Result<BTreeMap<PrimaryKey, T>> {
        let schema = self.schema().await?;
        let raws = self.scan_raw(&ScanOptions::new(), None).await?;
        self.convert_map(&schema, raws)
    }

    pub(crate) fn convert_all<T: DeserializeOwned + 'static>(
        &self,
        raws: Vec<RawItem>,
    ) -> Result<Vec<T>> {
        raws.into_iter()
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .collect()
    }

    pub(crate) fn convert_map<T: DeserializeOwned + 'static>(
        &self,
        schema: &TableSchema,
        raws: Vec<RawItem>,
    ) -> Result<BTreeMap<PrimaryKey, T>> {
        let mut map = BTreeMap::new();
        for raw in raws {
            let key = primary_key_of(schema, &raw).ok_or_else(|| {
                Error::serialization(self.resource(), "a scanned item lacks its key attributes")
            })?;
            map.insert(key, item::from_raw_item(raw, self.resource())?);
        }
        Ok(map)
    }

    /// Scans every page of every segment; any failure fails the whole scan.
    pub(crate) async fn scan_raw(
        &self,
        options: &ScanOptions,
        projection: Option<(String, HashMap<String, String>)>,
    ) -> Result<Vec<RawItem>> {
        let segments = options.segments.max(1);
        if segments == 1 {
            return self
                .scan_segment(None, options.page_size, projection.as_ref())
                .await;
        }
        let total = i32::try_from(segments)
            .map_err(|_| Error::invalid("scan segments", "too many segments"))?;
        let parts =
            futures::future::try_join_all((0..total).map(|s| {
                self.scan_segment(Some((s, total)), options.page_size, projection.as_ref())
            }))
            .await?;
        Ok(parts.into_iter().flatten().collect())
    }

    async fn scan_segment(
        &self,
        segment: Option<(i32, i32)>,
        page_size: Option<i32>,
        projection: Option<&(String, HashMap<String, String>)>,
    ) -> Result<Vec<RawItem>> {
        let mut items = Vec::new();
        let mut start: Option<RawItem> = None;
        loop {
            let span = info_span!("dynamodb.scan", table = %self.inner.table, segment = ?segment);
            let out = self
                .inner
                .client
                .scan()
                .table_name(&self.inner.table)
                .set_segment(segment.map(|s| s.0))
                .set_total_segments(segment.map(|s| s.1))
                .set_limit(page_size)
                .set_projection_expression(projection.map(|p| p.0.clone()))
                .set_expression_attribute_names(projection.map(|p| p.1.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(e, "Scan", self.resource()))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Modification time (shared with Python)

    /// Records the table's modification time in [`METADATA_TABLE`] unless this handle recorded
    /// one less than the mtime window ago (see [`DynamoDbAccessBuilder::mtime_window`]).
    pub(crate) async fn record_mtime(&self, force: bool) -> Result<()> {
        if self.inner.table == METADATA_TABLE {
            return Ok(());
        }
        let window = self.inner.mtime_window;
        let recent = self
            .inner
            .last_mtime_write
            .lock()
            .ok()
            .and_then(|last| *last)
            .is_some_and(|at| at.elapsed() < window);
        if recent && !force {
            debug!(table = %self.inner.table, "mtime recorded within the window: skipped");
            return Ok(());
        }
        let at = Instant::now();
        crate::metadata::write_mtime(self, std::time::SystemTime::now()).await?;
        if let Ok(mut last) = self.inner.last_mtime_write.lock() {
            *last = Some(at);
        }
        Ok(())
    }

    /// The table's modification time as recorded in [`METADATA_TABLE`] (by this library in
    /// Rust or Python), in seconds since the epoch; `None` when none is recorded.
    pub async fn recorded_mtime(&self) -> Result<Option<f64>> {
        crate::metadata::read_mtime(self).await
    }
}

fn definition(attr: &KeyAttribute) -> Result<AttributeDefinition> {
    let t = match attr.key_type {
        KeyType::String => ScalarAttributeType::S,
        KeyType::Number => ScalarAttributeType::N,
        KeyType::Binary => ScalarAttributeType::B,
    };
    if attr.name.is_empty() {
        return Err(Error::invalid(
            "key attribute name",
            "a key attribute needs a name",
        ));
    }
    AttributeDefinition::builder()
        .attribute_name(&attr.name)
        .attribute_type(t)
        .build()
        .map_err(|e| Error::invalid("attribute definition", e.to_string()))
}

fn schema_element(
    name: &str,
    key_type: aws_sdk_dynamodb::types::KeyType,
) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|e| Error::invalid("key schema", e.to_string()))
}

fn check_key_value(attr: &KeyAttribute, value: &KeyValue, what: &dyn Fn() -> String) -> Result<()> {
    if value.key_type() != attr.key_type {
        return Err(Error::invalid(
            what(),
            format!(
                "key attribute {:?} is of type {}, the value given is of type {}",
                attr.name,
                attr.key_type.code(),
                value.key_type().code()
            ),
        ));
    }
    let empty = match value {
        KeyValue::S(s) => s.is_empty(),
        KeyValue::B(b) => b.is_empty(),
        KeyValue::N(n) => n.parse::<f64>().map_or(true, |f| !f.is_finite()),
    };
    if empty {
        return Err(Error::invalid(
            what(),
            format!(
                "key attribute {:?} must not be empty (numbers must be finite)",
                attr.name
            ),
        ));
    }
    Ok(())
}

fn item_key_value(
    attr: &KeyAttribute,
    item: &RawItem,
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
                attr.key_type.code()
            ),
        )
    })?;
    check_key_value(attr, &key_value, what)?;
    Ok(key_value)
}

/// The primary key of a raw item.
pub(crate) fn primary_key_of(schema: &TableSchema, raw: &RawItem) -> Option<PrimaryKey> {
    let partition = KeyValue::from_attribute(raw.get(&schema.partition.name)?)?;
    let sort = match &schema.sort {
        Some(s) => Some(KeyValue::from_attribute(raw.get(&s.name)?)?),
        None => None,
    };
    Some(Key { partition, sort })
}

/// Logs a cache problem: it only ever costs a miss.
pub(crate) fn cache_problem(table: &str, what: &str, err: &dyn std::fmt::Display) {
    warn!(table, "scan cache: {what}: {err} (treated as a miss)");
}
