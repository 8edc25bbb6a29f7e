//! Cached scans: the validity rule shared with Python (`docs/python-compatibility.md`,
//! "DynamoDB modification times"), over a local [`DiskCache`] slot per table.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use awsimple_cache::DiskCache;
use awsimple_core::{Error, Result};
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use crate::access::DynamoDbAccess;
use crate::item::{Key, RawItem};
use crate::op::traced;
use crate::scan::ScanOptions;
use crate::{clock, codec};

/// The result of a cached scan.
#[derive(Clone, Debug)]
pub struct CachedScan<C> {
    /// The items (a `Vec<T>` or a map keyed by primary key).
    pub items: C,
    /// True when the items came from the local cache, false when the table was scanned.
    pub cache_hit: bool,
}

/// Opens the folder of cached scans (`dir`, or the per-user cache folder).
fn open_cache(dir: Option<PathBuf>) -> std::io::Result<DiskCache> {
    let mut builder = DiskCache::builder("dynamodb");
    if let Some(dir) = dir {
        builder = builder.dir(dir);
    }
    builder.build().map_err(std::io::Error::other)
}

/// Writes a slot atomically.
fn write_slot(cache: &DiskCache, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    if cache.write_slot(name, bytes) {
        Ok(())
    } else {
        Err(std::io::Error::other(
            "the cache slot could not be written (logged)",
        ))
    }
}

/// The slot name of a table's cached scan: `scan-<table>` when the name is a valid cache slot
/// name as it is, else `scanx-<hash>` (table names may hold dots; slot names may not).
pub(crate) fn slot_name(table: &str) -> String {
    let plain = format!("scan-{table}");
    if awsimple_cache::validate_id(&plain).is_ok() {
        plain
    } else {
        format!(
            "scanx-{}",
            &awsimple_core::sha512(table.as_bytes()).to_hex()[..64]
        )
    }
}

/// The age of a cached scan stamped `stamp`: zero for a stamp up to
/// [`FUTURE_TOLERANCE`](awsimple_cache::FUTURE_TOLERANCE) ahead of `now`, `None` (unknown, so
/// stale) for one further ahead: the clock was stepped back, or the writer's clock is far ahead,
/// and such a scan must not pass for a fresh one.
fn scan_age(stamp: SystemTime, now: SystemTime) -> Option<Duration> {
    match now.duration_since(stamp) {
        Ok(age) => Some(age),
        Err(ahead) if ahead.duration() <= awsimple_cache::FUTURE_TOLERANCE => Some(Duration::ZERO),
        Err(_) => None,
    }
}

/// Logs a cache problem: it only ever costs a miss.
fn cache_problem(table: &str, what: &str, err: &dyn std::fmt::Display) {
    warn!(table, "scan cache: {what}: {err} (treated as a miss)");
}

impl DynamoDbAccess {
    async fn scan_cache(&self) -> Option<&DiskCache> {
        self.inner
            .cache
            .get_or_init(|| async {
                let dir = self.inner.cache_dir.clone();
                match tokio::task::spawn_blocking(move || open_cache(dir)).await {
                    Ok(Ok(cache)) => Some(cache),
                    Ok(Err(e)) => {
                        cache_problem(&self.inner.table, "cannot open the cache folder", &e);
                        None
                    }
                    Err(e) => {
                        cache_problem(&self.inner.table, "cannot open the cache folder", &e);
                        None
                    }
                }
            })
            .await
            .as_ref()
    }

    /// Every item of the table, from the local cache when it is still valid (the rule of
    /// `docs/python-compatibility.md`).
    ///
    /// The cached copy is used when it is younger than the cache life and the table's recorded
    /// modification time + clock skew is not after the moment the cached scan *started* (one
    /// GetItem on the metadata table decides). Otherwise the table is scanned and the cache
    /// rewritten atomically. A table with no recorded modification time is always scanned (as
    /// in Python). A cached scan stamped further in the future than
    /// [`FUTURE_TOLERANCE`](awsimple_cache::FUTURE_TOLERANCE) (the clock was stepped back) has
    /// an unknown age and is a miss. A failed scan fails the call and leaves the cache as it
    /// was; a corrupt or unreadable cache file is a miss; a cache write failure only logs.
    ///
    /// ```no_run
    /// # async fn demo(access: awsimple_dynamodb::AwsAccess) -> awsimple_dynamodb::Result<()> {
    /// use std::time::Duration;
    /// use awsimple_dynamodb::{DynamoDbAccess, Item};
    /// let db = DynamoDbAccess::builder(&access, "settings")
    ///     .cache_life(Duration::from_secs(3600))
    ///     .build()?;
    /// let scan = db.scan_table_cached::<Item>().await?;
    /// println!("{} items (from the cache: {})", scan.items.len(), scan.cache_hit);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`scan_table`](Self::scan_table), and the errors of reading the modification time
    /// from [`METADATA_TABLE`](crate::METADATA_TABLE); cache problems are never errors.
    pub async fn scan_table_cached<T: DeserializeOwned + 'static>(
        &self,
    ) -> Result<CachedScan<Vec<T>>> {
        self.scan_table_cached_with(&ScanOptions::default()).await
    }

    /// [`scan_table_cached`](Self::scan_table_cached) with options (invalidate, segments).
    pub async fn scan_table_cached_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<CachedScan<Vec<T>>> {
        traced("scan_table_cached", self.table_name(), async {
            let (raws, cache_hit) = self.scan_cached_raw(options).await?;
            Ok(CachedScan {
                items: self.convert_all(raws)?,
                cache_hit,
            })
        })
        .await
    }

    /// [`scan_table_cached`](Self::scan_table_cached) keyed (and sorted) by primary key.
    pub async fn scan_table_cached_map<T: DeserializeOwned + 'static>(
        &self,
    ) -> Result<CachedScan<BTreeMap<Key, T>>> {
        self.scan_table_cached_map_with(&ScanOptions::default())
            .await
    }

    /// [`scan_table_cached_map`](Self::scan_table_cached_map) with options (invalidate,
    /// segments).
    pub async fn scan_table_cached_map_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<CachedScan<BTreeMap<Key, T>>> {
        traced("scan_table_cached_map", self.table_name(), async {
            let schema = self.schema().await?;
            let (raws, cache_hit) = self.scan_cached_raw(options).await?;
            Ok(CachedScan {
                items: self.convert_map(&schema, raws, options.map_key.as_deref())?,
                cache_hit,
            })
        })
        .await
    }

    async fn scan_cached_raw(&self, options: &ScanOptions) -> Result<(Vec<RawItem>, bool)> {
        let table = self.inner.table.clone();
        let name = slot_name(&table);
        let cache = self.scan_cache().await;
        if let Some(cache) = cache {
            if options.invalidate_cache {
                cache.remove_slot(&name);
            } else if let Some(items) = self.try_cached(cache, &name).await? {
                return Ok((items, true));
            }
        }
        let started = SystemTime::now();
        let items = self.scan_raw(options, None).await?;
        if let Some(cache) = cache {
            // Encoding and writing run off the async threads; the items come back unchanged.
            let cache = cache.clone();
            let written = tokio::task::spawn_blocking(move || {
                let bytes = codec::encode(&items, started);
                let result = write_slot(&cache, &name, &bytes).map(|()| bytes.len());
                (items, result)
            })
            .await;
            return match written {
                Ok((items, Ok(bytes))) => {
                    debug!(table = %table, items = items.len(), bytes, "scan cached");
                    Ok((items, false))
                }
                Ok((items, Err(e))) => {
                    cache_problem(&table, "cannot write the cached scan", &e);
                    Ok((items, false))
                }
                Err(e) => Err(Error::serialization(
                    self.resource(),
                    format!("the cache writer task failed: {e}"),
                )),
            };
        }
        Ok((items, false))
    }

    /// The cached items when the cache is valid; `None` for a miss.
    async fn try_cached(&self, cache: &DiskCache, name: &str) -> Result<Option<Vec<RawItem>>> {
        let table = &self.inner.table;
        let reader = cache.clone();
        let slot = name.to_owned();
        let read = tokio::task::spawn_blocking(move || reader.read_slot(&slot).map(|s| s.bytes))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()));
        let bytes = match read {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                debug!(table = %table, "scan cache miss: no cached scan");
                return Ok(None);
            }
            Err(e) => {
                cache_problem(table, "cannot read the cached scan", &e);
                return Ok(None);
            }
        };
        let Some(stamp) = codec::stamp(&bytes) else {
            cache_problem(table, "corrupt cached scan", &"bad header");
            cache.remove_slot(name);
            return Ok(None);
        };
        let Some(age) = scan_age(stamp, SystemTime::now()) else {
            debug!(table = %table, ?stamp, "scan cache miss: stamped in the future (age unknown)");
            return Ok(None);
        };
        if self.inner.cache_life.is_some_and(|life| age > life) {
            debug!(table = %table, ?age, "scan cache miss: older than the cache life");
            return Ok(None);
        }
        let mtime = self.recorded_mtime().await?;
        let stamp_secs = clock::since_epoch(stamp).as_secs_f64();
        let skew = self.inner.clock_skew.as_secs_f64();
        let valid = mtime.is_some_and(|m| m + skew <= stamp_secs);
        if !valid {
            debug!(table = %table, ?mtime, stamp_secs, skew, "scan cache miss: the table may have changed");
            return Ok(None);
        }
        let decoded = tokio::task::spawn_blocking(move || codec::decode(&bytes))
            .await
            .ok()
            .flatten();
        match decoded {
            Some(items) => {
                debug!(table = %table, items = items.len(), "scan cache hit");
                Ok(Some(items))
            }
            None => {
                cache_problem(table, "corrupt cached scan", &"bad content");
                cache.remove_slot(name);
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_far_in_the_future_has_no_age() {
        let now = SystemTime::now();
        let second = Duration::from_secs(1);
        assert_eq!(scan_age(now - second, now), Some(second));
        let tolerance = awsimple_cache::FUTURE_TOLERANCE;
        assert_eq!(scan_age(now + tolerance, now), Some(Duration::ZERO));
        assert_eq!(scan_age(now + tolerance + second, now), None);
    }
}
