//! Table scans: [`ScanOptions`], [`DynamoDbAccess::scan_table`] and its `_with` / `_map` forms,
//! and [`DynamoDbAccess::scan_stream`]; all read the pages of one stream (the cached forms are in
//! `scan_cache.rs`).

use std::collections::{BTreeMap, HashMap};

use awsimple_core::{Error, Result};
use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::item::{Key, RawItem};
use crate::op::traced;

/// Options of a scan, plain or cached.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    pub(crate) segments: u32,
    pub(crate) page_size: Option<i32>,
    pub(crate) invalidate_cache: bool,
    pub(crate) map_key: Option<String>,
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

    /// For the `_map` forms ([`scan_table_map_with`](DynamoDbAccess::scan_table_map_with),
    /// [`scan_table_cached_map_with`](DynamoDbAccess::scan_table_cached_map_with)): key the
    /// items by attribute `attribute` (`Key::new(value)`, sorted by value) instead of the
    /// primary key, as Python's `rows_to_dict` keyed by a column. Every item must have it, as a
    /// string, number or binary value, and no two items the same value (else
    /// [`Error::Serialization`]: no item is silently dropped).
    ///
    /// ```no_run
    /// # async fn demo(users: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{Item, Key, ScanOptions};
    /// let by_email = users
    ///     .scan_table_map_with::<Item>(&ScanOptions::new().map_key("email"))
    ///     .await?;
    /// let sting = by_email.get(&Key::new("sting@thepolice.com"));
    /// # let _ = sting; Ok(()) }
    /// ```
    pub fn map_key(mut self, attribute: impl Into<String>) -> Self {
        self.map_key = Some(attribute.into());
        self
    }
}

/// A projection for scans that read only some attributes: the expression and its `#names`.
pub(crate) type Projection = (String, HashMap<String, String>);

impl DynamoDbAccess {
    /// Every item of the table (every page). For a large table,
    /// [`scan_stream`](Self::scan_stream) holds one page at a time, and
    /// [`scan_table_cached`](Self::scan_table_cached) reads a slowly changing one from a local
    /// cache.
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{Item, ScanOptions};
    /// let items: Vec<Item> = db.scan_table().await?;
    /// let faster: Vec<Item> = db.scan_table_with(&ScanOptions::new().segments(4)).await?;
    /// # let _ = (items, faster); Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotFound`] when the table does not exist; [`Error::Serialization`] when an item
    /// does not convert into `T`; a failed page fails the whole scan (never a shorter list).
    pub async fn scan_table<T: DeserializeOwned + 'static>(&self) -> Result<Vec<T>> {
        self.scan_table_with(&ScanOptions::default()).await
    }

    /// Every item of the table, with options (parallel segments, page size).
    pub async fn scan_table_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<Vec<T>> {
        traced("scan_table", self.table_name(), async {
            let raws = self.scan_raw(options, None).await?;
            self.convert_all(raws)
        })
        .await
    }

    /// Every item of the table keyed (and sorted) by primary key (Python's `scan_table_as_dict`).
    pub async fn scan_table_map<T: DeserializeOwned + 'static>(&self) -> Result<BTreeMap<Key, T>> {
        self.scan_table_map_with(&ScanOptions::default()).await
    }

    /// [`scan_table_map`](Self::scan_table_map) with options (parallel segments, page size, the
    /// [attribute to key by](ScanOptions::map_key)).
    pub async fn scan_table_map_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<BTreeMap<Key, T>> {
        traced("scan_table_map", self.table_name(), async {
            let schema = self.schema().await?;
            let raws = self.scan_raw(options, None).await?;
            self.convert_map(&schema, raws, options.map_key.as_deref())
        })
        .await
    }

    /// Every item of the table as a stream that reads the next page only when the items of the
    /// previous one are consumed: a table of any size is read with one page in memory.
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use futures::StreamExt;
    /// let mut items = db.scan_stream::<awsimple_dynamodb::Item>();
    /// while let Some(item) = items.next().await {
    ///     let item = item?;
    ///     println!("{item:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn scan_stream<T: DeserializeOwned + Send + 'static>(
        &self,
    ) -> BoxStream<'static, Result<T>> {
        self.scan_stream_with(&ScanOptions::default())
    }

    /// [`scan_stream`](Self::scan_stream) with options: the page size, and parallel segments
    /// (their pages interleave as they arrive; one page per segment in memory).
    pub fn scan_stream_with<T: DeserializeOwned + Send + 'static>(
        &self,
        options: &ScanOptions,
    ) -> BoxStream<'static, Result<T>> {
        self.items_of(self.scan_pages(options, None))
    }

    /// Scans every page of every segment; any failure fails the whole scan.
    pub(crate) async fn scan_raw(
        &self,
        options: &ScanOptions,
        projection: Option<Projection>,
    ) -> Result<Vec<RawItem>> {
        self.scan_pages(options, projection).try_concat().await
    }

    /// The pages of a scan, read as they are consumed; parallel segments are read concurrently.
    pub(crate) fn scan_pages(
        &self,
        options: &ScanOptions,
        projection: Option<Projection>,
    ) -> BoxStream<'static, Result<Vec<RawItem>>> {
        let segments = options.segments.max(1);
        if segments == 1 {
            return segment_pages(self.clone(), None, options.page_size, projection).boxed();
        }
        let Ok(total) = i32::try_from(segments) else {
            return stream::once(async {
                Err(Error::invalid("scan segments", "too many segments"))
            })
            .boxed();
        };
        stream::select_all((0..total).map(|s| {
            segment_pages(
                self.clone(),
                Some((s, total)),
                options.page_size,
                projection.clone(),
            )
            .boxed()
        }))
        .boxed()
    }
}

/// The pages of one scan segment (or of a serial scan), one Scan request each, sent when the
/// stream is polled for the next page.
fn segment_pages(
    db: DynamoDbAccess,
    segment: Option<(i32, i32)>,
    page_size: Option<i32>,
    projection: Option<Projection>,
) -> impl Stream<Item = Result<Vec<RawItem>>> + Send + 'static {
    // The state: the start key of the next page (`Some(None)` first, `None` after the last).
    stream::try_unfold(Some(None), move |next: Option<Option<RawItem>>| {
        let db = db.clone();
        let projection = projection.clone();
        async move {
            let Some(start) = next else {
                return Ok(None);
            };
            let request = db
                .inner
                .client
                .scan()
                .table_name(&db.inner.table)
                .set_segment(segment.map(|s| s.0))
                .set_total_segments(segment.map(|s| s.1))
                .set_limit(page_size)
                .set_projection_expression(projection.as_ref().map(|p| p.0.clone()))
                .set_expression_attribute_names(projection.map(|p| p.1))
                .set_exclusive_start_key(start)
                .send();
            let out = DYNAMODB.call("Scan", db.resource(), request).await?;
            let next = out
                .last_evaluated_key
                .filter(|key| !key.is_empty())
                .map(Some);
            Ok(Some((out.items.unwrap_or_default(), next)))
        }
    })
}
