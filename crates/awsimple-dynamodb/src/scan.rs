//! Table scans: [`ScanOptions`], [`DynamoDbAccess::scan_table`] and its `_with` / `_map` forms
//! (the cached forms are in `scan_cache.rs`).

use std::collections::{BTreeMap, HashMap};

use awsimple_core::{Error, Result};
use serde::de::DeserializeOwned;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::item::{self, Key, RawItem};
use crate::schema::TableSchema;

/// Options of a scan, plain or cached.
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

/// A projection for scans that read only some attributes: the expression and its `#names`.
pub(crate) type Projection = (String, HashMap<String, String>);

impl DynamoDbAccess {
    /// Every item of the table (every page).
    pub async fn scan_table<T: DeserializeOwned + 'static>(&self) -> Result<Vec<T>> {
        self.scan_table_with(&ScanOptions::default()).await
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
    pub async fn scan_table_map<T: DeserializeOwned + 'static>(&self) -> Result<BTreeMap<Key, T>> {
        self.scan_table_map_with(&ScanOptions::default()).await
    }

    /// [`scan_table_map`](Self::scan_table_map) with options (parallel segments, page size).
    pub async fn scan_table_map_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<BTreeMap<Key, T>> {
        let schema = self.schema().await?;
        let raws = self.scan_raw(options, None).await?;
        self.convert_map(&schema, raws)
    }

    /// Converts raw items into `T`s.
    pub(crate) fn convert_all<T: DeserializeOwned + 'static>(
        &self,
        raws: Vec<RawItem>,
    ) -> Result<Vec<T>> {
        raws.into_iter()
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .collect()
    }

    /// Converts raw items into `T`s keyed by primary key.
    pub(crate) fn convert_map<T: DeserializeOwned + 'static>(
        &self,
        schema: &TableSchema,
        raws: Vec<RawItem>,
    ) -> Result<BTreeMap<Key, T>> {
        let mut map = BTreeMap::new();
        for raw in raws {
            let key = schema.primary_key_of(&raw).ok_or_else(|| {
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
        projection: Option<Projection>,
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
        projection: Option<&Projection>,
    ) -> Result<Vec<RawItem>> {
        let mut items = Vec::new();
        let mut start: Option<RawItem> = None;
        loop {
            let request = self
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
                .send();
            let out = DYNAMODB.call("Scan", self.resource(), request).await?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}
