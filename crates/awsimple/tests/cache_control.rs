//! Cache control from the umbrella crate: a cache of the caller's size limit given to the S3
//! handle (Python's eviction test, written against `awsimple`), and cached JSON reads that say
//! whether they hit.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use awsimple::{DiskCache, S3Access};
use awsimple_testkit::{emulator_access, unique_name};
use serde_json::json;

#[tokio::test]
async fn a_cache_of_the_callers_size_evicts_the_least_recently_used() {
    let access = emulator_access().await;
    let folder = tempfile::tempdir().unwrap();
    // Room for two of the three 1000-byte objects.
    let cache = DiskCache::builder("s3")
        .dir(folder.path().join("cache"))
        .max_bytes(2500)
        .max_free_fraction(1.0)
        .build()
        .unwrap();
    let s3 = S3Access::builder(&access, unique_name("evict"))
        .cache(cache.clone())
        .build()
        .unwrap();
    s3.create_bucket().await.unwrap();
    for (i, key) in ["a", "b", "c"].iter().enumerate() {
        s3.write_bytes(vec![i as u8; 1000], key).await.unwrap();
    }
    let dest = folder.path().join("out");
    for key in ["a", "b", "c"] {
        let status = s3.download_cached(key, &dest).await.unwrap();
        assert!(!status.cache_hit && status.cache_write, "{key}: {status:?}");
    }
    assert!(cache.total_size() <= 2500, "{}", cache.total_size());
    // "a" was the least recently used: evicted; "c" is still there.
    assert!(s3.download_cached("c", &dest).await.unwrap().cache_hit);
    assert!(!s3.download_cached("a", &dest).await.unwrap().cache_hit);
    assert_eq!(std::fs::read(&dest).unwrap(), vec![0_u8; 1000]);
}

#[tokio::test]
async fn cached_json_reads_say_whether_they_hit() {
    let access = emulator_access().await;
    let folder = tempfile::tempdir().unwrap();
    let s3 = S3Access::builder(&access, unique_name("jsonhit"))
        .cache_dir(folder.path())
        .build()
        .unwrap();
    s3.create_bucket().await.unwrap();
    s3.write_json(&json!({"n": 1}), "config").await.unwrap();
    let (first, status) = s3
        .read_json_cached_status::<serde_json::Value>("config")
        .await
        .unwrap();
    assert_eq!(first, json!({"n": 1}));
    assert!(!status.cache_hit);
    let (again, status) = s3
        .read_json_cached_status::<serde_json::Value>("config.json")
        .await
        .unwrap();
    assert_eq!(again, first);
    assert!(status.cache_hit, "{status:?}");
}
