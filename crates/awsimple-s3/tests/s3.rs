//! S3 against the emulator: buckets, small objects, identity and skipped uploads, verified
//! atomic downloads, pagination, multipart and ranged transfers, the cache, presigned URLs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Error};
use awsimple_s3::{S3Access, UploadOptions};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use awsimple_testkit::{access_at, emulator_access, emulator_endpoint, unique_name};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

async fn bucket(access: &AwsAccess, cache_dir: &Path) -> S3Access {
    let s3 = S3Access::builder(access, unique_name("b"))
        .cache(
            DiskCache::builder("s3")
                .dir(cache_dir)
                .max_free_fraction(1.0)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert!(s3.create_bucket().await.unwrap());
    s3
}

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[tokio::test]
async fn buckets_are_created_listed_and_deleted() {
    let access = emulator_access().await;
    let s3 = S3Access::new(&access, unique_name("life")).unwrap();
    assert!(!s3.bucket_exists().await.unwrap());
    assert!(s3.create_bucket().await.unwrap());
    assert!(!s3.create_bucket().await.unwrap(), "already ours: false");
    assert!(s3.bucket_exists().await.unwrap());
    assert!(
        s3.bucket_names()
            .await
            .unwrap()
            .contains(&s3.bucket_name().to_owned())
    );
    assert!(s3.delete_bucket().await.unwrap());
    assert!(!s3.bucket_exists().await.unwrap());
    assert!(!s3.delete_bucket().await.unwrap());
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Config {
    name: String,
    limits: Vec<u32>,
    ratio: f64,
}

#[tokio::test]
async fn strings_lines_bytes_and_json() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    s3.write_string("hello world", "hello.txt").await.unwrap();
    assert_eq!(s3.read_string("hello.txt").await.unwrap(), "hello world");
    s3.write_lines(&["a", "b", "c"], "lines.txt").await.unwrap();
    assert_eq!(s3.read_lines("lines.txt").await.unwrap(), ["a", "b", "c"]);
    s3.write_bytes(vec![0u8, 159, 146, 150], "bin")
        .await
        .unwrap();
    assert_eq!(
        s3.read_bytes("bin").await.unwrap(),
        [0u8, 159, 146, 150][..]
    );
    assert!(matches!(
        s3.read_string("bin").await.unwrap_err(),
        Error::Serialization { .. }
    ));

    let config = Config {
        name: "x".into(),
        limits: vec![1, 2],
        ratio: 0.5,
    };
    assert_eq!(
        s3.write_json(&config, "config").await.unwrap(),
        "config.json"
    );
    assert!(s3.object_exists("config.json").await.unwrap());
    assert_eq!(s3.read_json::<Config>("config").await.unwrap(), config);
    assert_eq!(
        s3.read_json_cached::<Config>("config.json").await.unwrap(),
        config
    );
    assert!(matches!(
        s3.read_json::<Vec<u8>>("config").await.unwrap_err(),
        Error::Serialization { .. }
    ));

    let meta = s3.get_object_metadata("hello.txt").await.unwrap();
    assert_eq!(meta.size, 11);
    assert_eq!(
        meta.sha512.as_deref(),
        Some(awsimple_core::sha512(b"hello world").to_hex().as_str())
    );
    assert_eq!(
        meta.url,
        format!(
            "https://{}.s3.us-east-1.amazonaws.com/hello.txt",
            s3.bucket_name()
        )
    );
    s3.delete_object("hello.txt").await.unwrap();
    assert!(!s3.object_exists("hello.txt").await.unwrap());
    assert!(
        s3.read_string("hello.txt")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn unchanged_uploads_are_skipped_with_one_head_request() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.bin");
    std::fs::write(&file, data(100_000, 1)).unwrap();
    assert!(s3.upload(&file, "data.bin").await.unwrap());

    let counter = access.request_counter();
    counter.reset();
    assert!(
        !s3.upload(&file, "data.bin").await.unwrap(),
        "same content: skipped"
    );
    assert_eq!(counter.total(), 1, "{:?}", counter.snapshot());
    assert_eq!(counter.operation("S3", "HeadObject"), 1);

    std::fs::write(&file, data(100_000, 2)).unwrap();
    counter.reset();
    assert!(
        s3.upload(&file, "data.bin").await.unwrap(),
        "changed: uploaded"
    );
    assert_eq!(counter.operation("S3", "PutObject"), 1);
    assert!(
        s3.upload_with(&file, "data.bin", &UploadOptions::new().force(true))
            .await
            .unwrap()
    );
    let back = dir.path().join("back.bin");
    s3.download("data.bin", &back).await.unwrap();
    assert_eq!(std::fs::read(&back).unwrap(), data(100_000, 2));
}

#[tokio::test]
async fn downloads_set_mtime_go_into_folders_and_never_escape_them() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    s3.write_string("nested", "a/b/c.txt").await.unwrap();
    let meta = s3.get_object_metadata("a/b/c.txt").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = s3.download("a/b/c.txt", dir.path()).await.unwrap();
    assert_eq!(path, dir.path().join("a").join("b").join("c.txt"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "nested");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(mtime, meta.mtime, "mtime is the object's LastModified");
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file remains");

    // A key that would leave the folder is refused before anything is fetched or written.
    let outside = dir.path().join("inner");
    std::fs::create_dir(&outside).unwrap();
    for key in ["../escape.txt", "x/../../escape.txt", "/abs.txt"] {
        s3.write_string("evil", key.trim_start_matches('/'))
            .await
            .unwrap();
        let err = s3.download(key, &outside).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{key}: {err:?}");
    }
    assert!(!dir.path().join("escape.txt").exists());
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[tokio::test]
async fn keys_and_dir_cross_the_1000_key_page() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let keys: Vec<String> = (0..1005).map(|i| format!("p/{i:05}")).collect();
    futures::stream::iter(keys.iter())
        .map(|k| s3.write_string("x", k))
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .unwrap();
    s3.write_string("other", "q/1").await.unwrap();
    let counter = access.request_counter();
    counter.reset();
    let listed = s3.keys("p/").await.unwrap();
    assert_eq!(listed, keys, "all, sorted");
    assert_eq!(
        counter.operation("S3", "ListObjectsV2"),
        2,
        "one LIST per 1000 keys"
    );

    for i in 0..40 {
        s3.write_string(&format!("v{i}"), &format!("d/{i}"))
            .await
            .unwrap();
    }
    counter.reset();
    let dir = s3.dir("d/").await.unwrap();
    assert_eq!(dir.len(), 40);
    assert_eq!(counter.operation("S3", "HeadObject"), 40);
    let entry = &dir["d/7"];
    assert_eq!(entry.size, 2);
    assert_eq!(
        entry.sha512.as_deref(),
        Some(awsimple_core::sha512(b"v7").to_hex().as_str())
    );
}

#[tokio::test]
async fn multipart_upload_and_parallel_ranged_download_of_40_mib() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    let content = data(40 * 1024 * 1024 + 123, 3);
    std::fs::write(&file, &content).unwrap();

    let counter = access.request_counter();
    counter.reset();
    let seen = Arc::new(AtomicU64::new(0));
    let progress = seen.clone();
    assert!(
        s3.upload_with(
            &file,
            "big.bin",
            &UploadOptions::new().progress(move |done, total| {
                assert!(done <= total);
                progress.store(done, Ordering::SeqCst);
            })
        )
        .await
        .unwrap()
    );
    assert_eq!(seen.load(Ordering::SeqCst), content.len() as u64);
    // One multipart upload, or two when the emulator failed to complete the first (it is
    // then aborted and made again from scratch, as for S3's "200 with an error" answers).
    let uploads = counter.operation("S3", "CreateMultipartUpload");
    assert!((1..=2).contains(&uploads), "{uploads}");
    assert_eq!(
        counter.operation("S3", "UploadPart"),
        6 * uploads,
        "5 x 8 MiB + the rest"
    );
    // 1, or retries when the emulator answers Complete with 200 and an error body.
    assert!((1..=8).contains(&counter.operation("S3", "CompleteMultipartUpload")));

    // The identity survives multipart: the unchanged re-upload is skipped.
    counter.reset();
    assert!(!s3.upload(&file, "big.bin").await.unwrap());
    assert_eq!(counter.total(), 1);

    counter.reset();
    let back = dir.path().join("back.bin");
    s3.download("big.bin", &back).await.unwrap();
    assert_eq!(counter.operation("S3", "GetObject"), 6, "ranged GETs");
    let mut got = Vec::new();
    std::fs::File::open(&back)
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert!(got == content, "byte-identical");
}

#[tokio::test]
async fn a_corrupted_object_leaves_no_file_and_no_cache_entry() {
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    // The recorded SHA-512 says one thing, the body another.
    let wrong = awsimple_core::sha512(b"something else").to_hex();
    s3.client()
        .put_object()
        .bucket(s3.bucket_name())
        .key("corrupt.bin")
        .body(b"the real body".to_vec().into())
        .metadata("awsimple-sha512", &wrong)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("corrupt.bin");
    let err = s3.download("corrupt.bin", &dest).await.unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
    assert!(!dest.exists());
    let err = s3.download_cached("corrupt.bin", &dest).await.unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
    assert!(!dest.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temp file either"
    );
    let cache = DiskCache::builder("s3")
        .dir(cache_dir.path())
        .build()
        .unwrap();
    assert!(cache.ids().is_empty(), "nothing cached");
    assert!(matches!(
        s3.read_bytes("corrupt.bin").await.unwrap_err(),
        Error::Integrity { .. }
    ));
}

#[tokio::test]
async fn download_cached_hits_with_one_request() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let content = data(50_000, 4);
    s3.write_bytes(content.clone(), "c.bin").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = s3
        .download_cached("c.bin", dir.path().join("1.bin"))
        .await
        .unwrap();
    assert!(!first.cache_hit && first.cache_write);
    let counter = access.request_counter();
    counter.reset();
    let second = s3
        .download_cached("c.bin", dir.path().join("2.bin"))
        .await
        .unwrap();
    assert!(second.cache_hit && !second.cache_write);
    assert_eq!(counter.total(), 1, "one HEAD");
    assert_eq!(std::fs::read(dir.path().join("2.bin")).unwrap(), content);
    // New content means a new identity: a miss.
    s3.write_bytes(data(50_000, 5), "c.bin").await.unwrap();
    let third = s3
        .download_cached("c.bin", dir.path().join("3.bin"))
        .await
        .unwrap();
    assert!(!third.cache_hit);
    assert_eq!(
        std::fs::read(dir.path().join("3.bin")).unwrap(),
        data(50_000, 5)
    );
}

const CHILD: &str = "AWSIMPLE_S3_TEST_CHILD";
const OBJECT_SIZE: usize = 1024 * 1024;
/// Room for two and a half objects: downloading four forces evictions.
const CACHE_LIMIT: u64 = 5 * OBJECT_SIZE as u64 / 2;

fn small_cache(dir: &str) -> DiskCache {
    DiskCache::builder("s3")
        .dir(dir)
        .max_bytes(CACHE_LIMIT)
        .max_free_fraction(1.0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn several_processes_download_cached_with_evictions() {
    if let Ok(spec) = std::env::var(CHILD) {
        let parts: Vec<&str> = spec.split('|').collect();
        let access = access_at(parts[0]).await;
        let s3 = S3Access::builder(&access, parts[1])
            .cache(small_cache(parts[2]))
            .build()
            .unwrap();
        let seed: usize = parts[4].parse().unwrap();
        for round in 0..8 {
            // The shared object, and the others in an order of this child's own.
            let key = if round % 2 == 0 {
                "shared.bin".to_owned()
            } else {
                format!("o{}.bin", (round + seed) % 3)
            };
            s3.download_cached(&key, Path::new(parts[3]).join(format!("{round}-{key}")))
                .await
                .unwrap();
        }
        return;
    }
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let mut objects = vec![("shared.bin".to_owned(), data(OBJECT_SIZE, 6))];
    for i in 0..3 {
        objects.push((format!("o{i}.bin"), data(OBJECT_SIZE, 10 + i)));
    }
    for (key, content) in &objects {
        s3.write_bytes(content.clone(), key).await.unwrap();
    }
    let outs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = outs
        .iter()
        .enumerate()
        .map(|(seed, out)| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "several_processes_download_cached_with_evictions",
                    "--quiet",
                ])
                .env(
                    CHILD,
                    format!(
                        "{}|{}|{}|{}|{seed}",
                        emulator_endpoint(),
                        s3.bucket_name(),
                        cache.path().display(),
                        out.path().display()
                    ),
                )
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    for out in &outs {
        let files: Vec<_> = std::fs::read_dir(out.path()).unwrap().flatten().collect();
        assert_eq!(files.len(), 8);
        for file in files {
            let name = file.file_name().to_string_lossy().into_owned();
            let key = name.split_once('-').unwrap().1;
            let expected = &objects.iter().find(|(k, _)| k == key).unwrap().1;
            assert!(
                std::fs::read(file.path()).unwrap() == *expected,
                "{name} is byte-identical"
            );
        }
    }
    let cache = small_cache(cache.path().to_str().unwrap());
    assert!(
        cache.total_size() <= CACHE_LIMIT + OBJECT_SIZE as u64,
        "within its limit (plus at most one entry): {}",
        cache.total_size()
    );
    for id in cache.ids() {
        assert_eq!(
            cache.read(&id, None).unwrap().len(),
            OBJECT_SIZE,
            "{id} is whole"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(cache.dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no partial entries: {leftovers:?}");
}

const PAIR_CHILD: &str = "AWSIMPLE_S3_TEST_PAIR_CHILD";

#[tokio::test]
async fn two_processes_download_cached_the_same_object() {
    if let Ok(spec) = std::env::var(PAIR_CHILD) {
        let parts: Vec<&str> = spec.split('|').collect();
        let access = access_at(parts[0]).await;
        let s3 = S3Access::builder(&access, parts[1])
            .cache(DiskCache::builder("s3").dir(parts[2]).build().unwrap())
            .build()
            .unwrap();
        for i in 0..5 {
            s3.download_cached("shared.bin", Path::new(parts[3]).join(format!("{i}.bin")))
                .await
                .unwrap();
        }
        return;
    }
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let content = data(3 * 1024 * 1024, 6);
    s3.write_bytes(content.clone(), "shared.bin").await.unwrap();
    let outs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = outs
        .iter()
        .map(|out| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "two_processes_download_cached_the_same_object",
                    "--quiet",
                ])
                .env(
                    PAIR_CHILD,
                    format!(
                        "{}|{}|{}|{}",
                        emulator_endpoint(),
                        s3.bucket_name(),
                        cache.path().display(),
                        out.path().display()
                    ),
                )
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    for out in &outs {
        for i in 0..5 {
            assert!(std::fs::read(out.path().join(format!("{i}.bin"))).unwrap() == content);
        }
    }
    let cache = DiskCache::builder("s3").dir(cache.path()).build().unwrap();
    assert_eq!(cache.ids().len(), 1, "one entry");
    let id = &cache.ids()[0];
    assert!(
        cache.read(id, Some(content.len() as u64)).unwrap() == content,
        "a valid entry"
    );
}

fn http(url: &str, method: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, response[split + 4..].to_vec())
}

#[tokio::test]
async fn presigned_urls_work_without_credentials() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let put = s3
        .presigned_put("presigned.txt", Duration::from_secs(300))
        .await
        .unwrap();
    let (status, _) = tokio::task::spawn_blocking(move || http(&put, "PUT", b"via presigned put"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let get = s3
        .presigned_get("presigned.txt", Duration::from_secs(300))
        .await
        .unwrap();
    let (status, body) = tokio::task::spawn_blocking(move || http(&get, "GET", b""))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        body.ends_with(b"via presigned put"),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::test]
async fn bad_input_is_rejected_before_any_request() {
    let access = emulator_access().await;
    let counter = access.request_counter().clone();
    for bad in [
        "ab",
        "Has-Upper",
        "a..b",
        "10.0.0.1",
        "-x-",
        &"a".repeat(64),
    ] {
        assert!(matches!(
            S3Access::new(&access, bad).unwrap_err(),
            Error::InvalidInput { .. }
        ));
    }
    let s3 = S3Access::new(&access, unique_name("bad")).unwrap();
    let long = "k".repeat(1025);
    for key in ["", long.as_str()] {
        assert!(matches!(
            s3.write_string("x", key).await.unwrap_err(),
            Error::InvalidInput { .. }
        ));
        assert!(s3.read_string(key).await.is_err());
    }
    assert!(
        S3Access::builder(&access, "ok-bucket")
            .part_size(1024)
            .build()
            .is_err()
    );
    assert_eq!(counter.service("S3"), 0);
}

#[tokio::test]
async fn downloads_through_resets_and_slowdowns_are_identical_or_leave_nothing() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let cache = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache.path()).await;
    let content = data(20 * 1024 * 1024, 7);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.bin");
    std::fs::write(&file, &content).unwrap();
    proxy.add_rule(Rule::new(Fault::s3_slow_down()).method("PUT").first(2));
    s3.upload(&file, "f.bin").await.unwrap();
    proxy.add_rule(
        Rule::new(Fault::ResetResponseAfter(100_000))
            .method("GET")
            .first(2),
    );
    let back = dir.path().join("back.bin");
    s3.download("f.bin", &back).await.unwrap();
    assert!(std::fs::read(&back).unwrap() == content);
    assert!(proxy.faults_applied() >= 4);

    // Persistent faults: a typed error, and nothing at the destination.
    proxy.add_rule(Rule::new(Fault::ResetResponseAfter(1000)).method("GET"));
    let never = dir.path().join("never.bin");
    let err = s3.download("f.bin", &never).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(!never.exists());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    let _ = SystemTime::now();
}

#[tokio::test]
async fn public_readable_buckets_write_public_objects() {
    if awsimple_testkit::skip_if_lacking("bucket-ownership") {
        return;
    }
    let access = emulator_access().await;
    let s3 = S3Access::builder(&access, unique_name("pub"))
        .public_readable(true)
        .build()
        .unwrap();
    assert!(s3.create_bucket().await.unwrap());
    s3.write_string("for everyone", "public.txt").await.unwrap();
    let acl = s3
        .client()
        .get_object_acl()
        .bucket(s3.bucket_name())
        .key("public.txt")
        .send()
        .await
        .unwrap();
    let public = acl.grants().iter().any(|g| {
        g.grantee()
            .and_then(|who| who.uri())
            .is_some_and(|uri| uri.ends_with("/global/AllUsers"))
            && g.permission().is_some_and(|p| p.as_str() == "READ")
    });
    assert!(public, "{:?}", acl.grants());
    let controls = s3
        .client()
        .get_bucket_ownership_controls()
        .bucket(s3.bucket_name())
        .send()
        .await
        .unwrap();
    let rules = controls.ownership_controls().unwrap().rules();
    assert_eq!(rules[0].object_ownership().as_str(), "BucketOwnerPreferred");
}
