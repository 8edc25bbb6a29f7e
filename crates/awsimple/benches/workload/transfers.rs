//! Large transfers: each measured in a fresh child process (its CPU and peak memory are its own),
//! the bare-SDK floors sending the same requests, and the fast-server lane (`AWSIMPLE_BENCH_LANE
//! = fast`: the transfer lines against a server that is not the bottleneck).

use std::path::{Path, PathBuf};
use std::time::Instant;

use awsimple::{AwsAccess, S3Access};
use awsimple_testkit::bench::{BenchLine, cpu_seconds, peak_rss};
use futures::{StreamExt, TryStreamExt};

use super::{Bench, big_file};

const CHILD: &str = "AWSIMPLE_BENCH_CHILD";

/// The child's work, when this process is one: `name|bucket|key|path`.
pub(crate) fn child_spec() -> Option<String> {
    std::env::var(CHILD).ok()
}

/// Runs one large transfer (`s3.upload_*`: `path` to `key`, forced; `s3.download_cached_*`: `key`
/// to `path` through an emptied cache; `s3.download_*`: `key` to `path`) `repeats` times, each
/// in a fresh process, and prints its line: the median wall and CPU time of the child, and the
/// largest peak resident memory (`VmHWM` at the child's end: the kernel's high-water mark of the
/// whole process life, the figure `wait4` would report) of any child.
pub(crate) fn in_child(bench: &Bench, name: &str, bucket: &str, key: &str, path: &Path) {
    let (mut times, mut cpu, mut peak, mut requests) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..bench.repeats {
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD, format!("{name}|{bucket}|{key}|{}", path.display()))
            .stderr(std::process::Stdio::inherit())
            .output()
            .unwrap();
        assert!(child.status.success(), "the child of {name} failed");
        let stdout = String::from_utf8_lossy(&child.stdout);
        let line = stdout
            .lines()
            .find_map(BenchLine::parse)
            .expect("the child prints its line");
        times.push(line.median_s);
        cpu.push(line.cpu_s);
        peak = peak.max(line.peak_rss);
        requests = line.requests;
    }
    let line = BenchLine::new(name, &times, requests, peak, "fresh process per repeat").cpu(&cpu);
    println!("{line}");
}

/// The child side of [`in_child`]: one transfer, then its line.
pub(crate) async fn child(spec: &str) {
    let parts: Vec<&str> = spec.split('|').collect();
    let (name, bucket, key, path) = (parts[0], parts[1], parts[2], Path::new(parts[3]));
    let access = AwsAccess::new().await.unwrap();
    // An empty cache that takes a 1 GiB object (the default bound is 1 GB).
    let cache = path.with_extension("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let disk = awsimple::DiskCache::builder("s3")
        .dir(&cache)
        .max_bytes(4 << 30)
        .build()
        .unwrap();
    let s3 = S3Access::builder(&access, bucket)
        .cache(disk)
        .build()
        .unwrap();
    access.request_counter().reset();
    let (start, cpu) = (Instant::now(), cpu_seconds());
    if name.contains(".upload_") {
        let options = awsimple::s3::UploadOptions::new().force(true);
        assert!(s3.upload_with(path, key, &options).await.unwrap());
    } else if name.contains(".download_cached_") {
        let status = s3.download_cached(key, path).await.unwrap();
        assert!(!status.cache_hit && status.cache_write, "{status:?}");
    } else {
        s3.download(key, path).await.unwrap();
    }
    let (secs, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let _ = std::fs::remove_dir_all(&cache);
    let requests = access.request_counter().total();
    println!(
        "{}",
        BenchLine::new(name, &[secs], requests, peak_rss(), "").cpu(&[cpu])
    );
}

/// The bare SDK uploading `path` to `key` as the library does (a multipart upload of
/// `DEFAULT_PART_SIZE` parts, `DEFAULT_CONCURRENCY` in flight, each part read when its turn
/// comes), with no hashing of the file and no metadata.
pub(crate) async fn upload_floor(s3: &S3Access, path: &Path, key: &str) {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    use awsimple::s3::{DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE};

    let client = s3.client();
    let size = std::fs::metadata(path).unwrap().len();
    let created = client
        .create_multipart_upload()
        .bucket(s3.bucket_name())
        .key(key)
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap();
    let mut parts: Vec<CompletedPart> = futures::stream::iter(0..size.div_ceil(DEFAULT_PART_SIZE))
        .map(|i| async move {
            let offset = i * DEFAULT_PART_SIZE;
            let len = DEFAULT_PART_SIZE.min(size - offset) as usize;
            let path = path.to_path_buf();
            let bytes = tokio::task::spawn_blocking(move || {
                use std::io::{Read, Seek};
                let mut file = std::fs::File::open(path).unwrap();
                file.seek(std::io::SeekFrom::Start(offset)).unwrap();
                let mut buffer = vec![0; len];
                file.read_exact(&mut buffer).unwrap();
                buffer
            })
            .await
            .unwrap();
            let number = i as i32 + 1;
            let out = client
                .upload_part()
                .bucket(s3.bucket_name())
                .key(key)
                .upload_id(id)
                .part_number(number)
                .body(ByteStream::from(bytes))
                .send()
                .await?;
            Ok::<_, aws_sdk_s3::Error>(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                    .build(),
            )
        })
        .buffer_unordered(DEFAULT_CONCURRENCY)
        .try_collect()
        .await
        .unwrap();
    parts.sort_by_key(|p| p.part_number());
    client
        .complete_multipart_upload()
        .bucket(s3.bucket_name())
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// The bare SDK reading `key` as the library does (a HEAD, then `DEFAULT_PART_SIZE` ranges with
/// `DEFAULT_CONCURRENCY` in flight), bodies read and dropped: no file, no checksum.
pub(crate) async fn download_floor(s3: &S3Access, key: &str, size: u64) {
    use awsimple::s3::{DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE};

    let head = s3.client().head_object().bucket(s3.bucket_name()).key(key);
    assert_eq!(
        head.send().await.unwrap().content_length(),
        Some(size as i64)
    );
    let part = DEFAULT_PART_SIZE;
    let got: u64 = futures::stream::iter(0..size.div_ceil(part))
        .map(|i| async move {
            let end = ((i + 1) * part).min(size) - 1;
            let out = s3
                .client()
                .get_object()
                .bucket(s3.bucket_name())
                .key(key)
                .range(format!("bytes={}-{end}", i * part))
                .send()
                .await
                .unwrap();
            out.body.collect().await.unwrap().into_bytes().len() as u64
        })
        .buffer_unordered(DEFAULT_CONCURRENCY)
        .fold(0, |a, b| async move { a + b })
        .await;
    assert_eq!(got, size);
}

/// The large-transfer lines of `mib` MiB under `prefix` (`s3.` on the emulator, `fast.s3.` on
/// the fast server): upload (a child), its floor, download (a child), its floor, and with
/// `cached` a download through an emptied cache (a child).
pub(crate) async fn large_lines(
    bench: &Bench,
    s3: &S3Access,
    prefix: &str,
    mib: usize,
    cached: bool,
) {
    let path = big_file(&bench.folder, mib);
    let size = std::fs::metadata(&path).unwrap().len();
    let key = format!("large/{mib}.bin");
    let upload = format!("{prefix}upload_{mib}mib");
    if bench.selected(&upload) {
        in_child(bench, &upload, s3.bucket_name(), &key, &path);
    }
    let floor_key = format!("floor/{mib}.bin");
    bench
        .measure(
            &format!("{upload}.sdk_floor"),
            bench.repeats,
            "bare SDK multipart, same parts, no hashing",
            async || {},
            || upload_floor(s3, &path, &floor_key),
        )
        .await;
    if prefix == "s3." {
        bench
            .measure(
                &format!("s3.reupload_unchanged_{mib}mib"),
                bench.repeats,
                "",
                async || {},
                || async {
                    assert!(!s3.upload(&path, &key).await.unwrap());
                },
            )
            .await;
    }
    let download = format!("{prefix}download_{mib}mib");
    let download_cached = format!("{prefix}download_cached_{mib}mib");
    if !(bench.selected(&download) || cached && bench.selected(&download_cached)) {
        return;
    }
    // The object is there even when `--only` skipped the upload lines (a no-op otherwise).
    s3.upload(&path, &key).await.unwrap();
    let down: PathBuf = bench.folder.join(format!("down-{mib}.bin"));
    if bench.selected(&download) {
        in_child(bench, &download, s3.bucket_name(), &key, &down);
    }
    bench
        .measure(
            &format!("{download}.sdk_floor"),
            bench.repeats,
            "bare SDK, same ranges, nothing written",
            async || {},
            || download_floor(s3, &key, size),
        )
        .await;
    if cached && bench.selected(&download_cached) {
        in_child(bench, &download_cached, s3.bucket_name(), &key, &down);
    }
    let _ = std::fs::remove_file(&down);
}

/// The fast-server lane: `dir` and the large transfers against a server that is not the
/// bottleneck (s3s-fs on loopback, started by `cargo xtask bench`).
pub(crate) async fn fast_lane(bench: &Bench) {
    let s3 = S3Access::builder(&bench.access, format!("rsfast-{}", bench.run))
        .cache_dir(bench.folder.join("fastcache"))
        .build()
        .unwrap();
    s3.create_bucket().await.unwrap();
    if bench.selected("fast.s3.dir") {
        let keys: Vec<String> = (0..bench.n).map(|i| format!("small/{i}")).collect();
        for key in &keys {
            s3.write_string(&format!("hello {key}"), key).await.unwrap();
        }
        super::dir_lines(bench, &s3, "fast.s3.", keys.len()).await;
    }
    let sizes: &[usize] = if bench.large { &[1024] } else { &[64] };
    for &mib in sizes {
        large_lines(bench, &s3, "fast.s3.", mib, true).await;
    }
}
