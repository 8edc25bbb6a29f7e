//! The benchmark workload of `cargo xtask bench` (run it through xtask: it starts the emulator,
//! builds this in release mode, and puts the Python package's figures beside ours).
//!
//! Prints one `BENCH {json}` line per operation: the median wall time and the median CPU time
//! (user + system of this process) over the repeats, the HTTP requests one repeat sent (from the
//! `RequestCounter`), and the peak resident memory of the operation (VmHWM; large transfers run
//! in a fresh process each). Figures are for comparison on one machine in one run, never
//! absolute. With `AWSIMPLE_BENCH_LANE=fast` only the fast-server lane runs (`fast.*` lines).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "workload/sqs_worker.rs"]
mod sqs_worker;
#[path = "workload/transfers.rs"]
mod transfers;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Instant;

use awsimple::AwsAccess;
use awsimple_testkit::bench::{
    BenchLine, cpu_seconds, peak_rss, reset_peak_rss, write_pseudo_random_file,
};

struct Bench {
    access: AwsAccess,
    n: usize,
    repeats: usize,
    large: bool,
    only: String,
    run: String,
    folder: PathBuf,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(name: &str, times: Vec<f64>, cpu: Vec<f64>, requests: u64, peak: u64, note: &str) {
    println!(
        "{}",
        BenchLine::new(name, &times, requests, peak, note).cpu(&cpu)
    );
}

impl Bench {
    /// Whether `--only` lets this line run.
    fn selected(&self, name: &str) -> bool {
        self.only.is_empty() || name.starts_with(&self.only)
    }

    async fn measure<S, F, Fut>(&self, name: &str, repeats: usize, note: &str, setup: S, body: F)
    where
        S: AsyncFnMut(),
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut setup = setup;
        if !self.selected(name) {
            return;
        }
        let (mut times, mut cpu) = (Vec::new(), Vec::new());
        let mut requests = 0;
        let mut peak = 0;
        for _ in 0..repeats {
            setup().await;
            self.access.request_counter().reset();
            reset_peak_rss();
            let (start, used) = (Instant::now(), cpu_seconds());
            body().await;
            times.push(start.elapsed().as_secs_f64());
            cpu.push(cpu_seconds() - used);
            requests = self.access.request_counter().total();
            peak = peak.max(peak_rss());
        }
        report(name, times, cpu, requests, peak, note);
    }
}

fn big_file(folder: &Path, mib: usize) -> PathBuf {
    let path = folder.join(format!("big-{mib}.bin"));
    if !path.exists() {
        write_pseudo_random_file(&path, mib).unwrap();
    }
    path
}

/// Our SHA-512 of a 256 MiB file, and coreutils' `sha512sum` of the same file, measured in
/// turns so both meet the same machine (a shared machine's speed drifts within a run).
async fn hashing(bench: &Bench) {
    if !bench.large || !bench.selected("sha512") {
        return;
    }
    let path = big_file(&bench.folder, 256);
    let (mut ours, mut cpu, mut coreutils) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..bench.repeats.max(3) {
        let (start, used) = (Instant::now(), cpu_seconds());
        awsimple::sha512_file_async(&path).await.unwrap();
        ours.push(start.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - used);
        let start = Instant::now();
        let status = std::process::Command::new("sha512sum")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .status();
        if status.is_ok_and(|s| s.success()) {
            coreutils.push(start.elapsed().as_secs_f64());
        }
    }
    report("sha512.file_256mib", ours, cpu, 0, peak_rss(), "");
    if !coreutils.is_empty() {
        report(
            "sha512sum.file_256mib",
            coreutils,
            Vec::new(),
            0,
            0,
            "coreutils sha512sum, in turns with the line above",
        );
    }
}

async fn dynamodb(bench: &Bench) {
    use awsimple::dynamodb::DynamoDbAccess;
    use serde_json::json;

    let name = format!("rsbench_{}", bench.run);
    let table = DynamoDbAccess::builder(&bench.access, &name)
        .cache_dir(bench.folder.join("dbcache"))
        .build()
        .unwrap();
    let reader = scan_handle(bench, &name, "dbcache").await;
    let n = bench.n;
    bench
        .measure(
            "dynamodb.put_item",
            bench.repeats,
            "",
            async || {},
            || async {
                for i in 0..n {
                    table
                        .put_item(&json!({"id": format!("k{i}"), "v": i}))
                        .await
                        .unwrap();
                }
            },
        )
        .await;
    bench
        .measure(
            "dynamodb.get_item",
            bench.repeats,
            "",
            async || {},
            || async {
                for i in 0..n {
                    let _: Option<awsimple::dynamodb::Item> =
                        table.get_item(format!("k{i}")).await.unwrap();
                }
            },
        )
        .await;
    let batch: Vec<_> = (0..10 * n)
        .map(|i| json!({"id": format!("b{i}"), "v": i}))
        .collect();
    bench
        .measure(
            "dynamodb.batch_put",
            1,
            "",
            async || {},
            || async {
                table.put_items(&batch).await.unwrap();
            },
        )
        .await;
    bench
        .measure(
            "dynamodb.scan",
            bench.repeats,
            "",
            async || {},
            || async {
                let _: Vec<awsimple::dynamodb::Item> = reader.scan_table().await.unwrap();
            },
        )
        .await;
    // The floor: the same Scan pages through the bare SDK client, items left unconverted.
    bench
        .measure(
            "dynamodb.scan.sdk_floor",
            bench.repeats,
            "bare SDK, same requests",
            async || {},
            || async {
                let mut start = None;
                loop {
                    let page = reader
                        .client()
                        .scan()
                        .table_name(&name)
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .unwrap();
                    start = page.last_evaluated_key;
                    if start.is_none() {
                        break;
                    }
                }
            },
        )
        .await;
    // The writes above went through a handle with the default 10 s mtime window, whose record
    // covers the window's end: a zero-skew cache is valid only from then on.
    wait_for_recorded_mtime(&reader).await;
    let _ = reader
        .scan_table_cached::<awsimple::dynamodb::Item>()
        .await
        .unwrap();
    bench
        .measure(
            "dynamodb.scan_cached_hit",
            bench.repeats,
            "",
            async || {},
            || async {
                let scan = reader
                    .scan_table_cached::<awsimple::dynamodb::Item>()
                    .await
                    .unwrap();
                assert!(scan.cache_hit, "the cached scan must hit here");
            },
        )
        .await;
    // A parallel scan of the same table (Python has none): 4 segments in flight.
    bench
        .measure(
            "dynamodb.scan.segments_4",
            bench.repeats,
            "4 Scan segments in flight",
            async || {},
            || async {
                let options = awsimple::dynamodb::ScanOptions::new().segments(4);
                let _: Vec<awsimple::dynamodb::Item> =
                    reader.scan_table_with(&options).await.unwrap();
            },
        )
        .await;
    big_scan(bench).await;
}

/// Sleeps until the table's recorded modification time (which may lie up to an mtime window
/// ahead) has passed, so that a zero-skew cached scan started afterwards can hit.
async fn wait_for_recorded_mtime(db: &awsimple::DynamoDbAccess) {
    let Some(mtime) = db.recorded_mtime().await.unwrap() else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    if mtime >= now {
        tokio::time::sleep(std::time::Duration::from_secs_f64(mtime - now + 0.01)).await;
    }
}

/// A handle on table `name` (created with a string partition key `id`) for the scans: it allows
/// no clock skew, since one machine writes and reads (the Python side is set alike), so a cached
/// scan can hit right after the writes.
async fn scan_handle(bench: &Bench, name: &str, cache: &str) -> awsimple::DynamoDbAccess {
    use awsimple::dynamodb::{AttributeType, CreateTable};

    let handle = awsimple::DynamoDbAccess::builder(&bench.access, name)
        .cache_dir(bench.folder.join(cache))
        .clock_skew(std::time::Duration::ZERO)
        .mtime_window(std::time::Duration::ZERO)
        .build()
        .unwrap();
    handle
        .create_table(&CreateTable::partition("id", AttributeType::String))
        .await
        .unwrap();
    handle
}

/// `--scan-items N`: a table of N items, its first cached scan (the table is scanned and the
/// cache written) and then cache hits (one request, the items loaded from disk).
async fn big_scan(bench: &Bench) {
    use serde_json::json;

    let items: usize = env_or("AWSIMPLE_BENCH_SCAN_ITEMS", 0);
    let miss = format!("dynamodb.scan_cached_miss_{items}");
    let hit = format!("dynamodb.scan_cached_hit_{items}");
    if items == 0 || !(bench.selected(&miss) || bench.selected(&hit)) {
        return;
    }
    let table = scan_handle(bench, &format!("rsbench_big_{}", bench.run), "dbcache-big").await;
    let rows: Vec<_> = (0..items)
        .map(|i| json!({"id": format!("item-{i:07}"), "n": i, "name": format!("name {i}"), "ok": i % 2 == 0}))
        .collect();
    table.put_items(&rows).await.unwrap();
    drop(rows);
    let cache = bench.folder.join("dbcache-big");
    bench
        .measure(
            &miss,
            1,
            "",
            async || {
                let _ = std::fs::remove_dir_all(&cache);
            },
            || async {
                let scan = table
                    .scan_table_cached::<awsimple::dynamodb::Item>()
                    .await
                    .unwrap();
                assert!(!scan.cache_hit);
                assert_eq!(scan.items.len(), items);
            },
        )
        .await;
    bench
        .measure(
            &hit,
            bench.repeats,
            "",
            async || {},
            || async {
                let scan = table
                    .scan_table_cached::<awsimple::dynamodb::Item>()
                    .await
                    .unwrap();
                assert!(scan.cache_hit, "the cached scan must hit here");
                assert_eq!(scan.items.len(), items);
            },
        )
        .await;
    table.delete_table().await.unwrap();
}

async fn sqs(bench: &Bench) {
    use awsimple::sqs::SqsAccess;

    let queue = SqsAccess::new(&bench.access, format!("rsbench-{}", bench.run)).unwrap();
    queue.create_queue().await.unwrap();
    let n = bench.n;
    let bodies: Vec<String> = (0..n).map(|i| format!("message {i}")).collect();
    // Every repeat starts from an empty queue (the emulator's send slows as its queue grows).
    let drain = async || while !queue.receive_messages(None).await.unwrap().is_empty() {};
    bench
        .measure("sqs.send", bench.repeats, "", drain, || async {
            for body in &bodies {
                queue.send(body).await.unwrap();
            }
        })
        .await;
    // The floor: the same N SendMessage requests through the bare SDK client.
    let url = queue.url().await.unwrap();
    bench
        .measure(
            "sqs.send.sdk_floor",
            bench.repeats,
            "bare SDK, same requests",
            drain,
            || async {
                for body in &bodies {
                    queue
                        .client()
                        .send_message()
                        .queue_url(&url)
                        .message_body(body)
                        .send()
                        .await
                        .unwrap();
                }
            },
        )
        .await;
    bench
        .measure("sqs.send_batch", bench.repeats, "", drain, || async {
            assert!(queue.send_batch(&bodies).await.unwrap().all_succeeded());
        })
        .await;
    // Start the receive measurements from an empty queue holding exactly N messages.
    drain().await;
    bench
        .measure(
            "sqs.receive_delete",
            bench.repeats,
            "",
            async || {
                assert!(queue.send_batch(&bodies).await.unwrap().all_succeeded());
            },
            || async {
                let got = queue.receive_messages(Some(n)).await.unwrap();
                assert_eq!(got.len(), n);
            },
        )
        .await;
}

async fn s3(bench: &Bench) {
    use awsimple::S3Access;

    let s3 = S3Access::builder(&bench.access, format!("rsbench-{}", bench.run))
        .cache_dir(bench.folder.join("s3cache"))
        .build()
        .unwrap();
    s3.create_bucket().await.unwrap();
    let keys: Vec<String> = (0..bench.n).map(|i| format!("small/{i}")).collect();
    bench
        .measure(
            "s3.write_string",
            bench.repeats,
            "",
            async || {},
            || async {
                for key in &keys {
                    s3.write_string(&format!("hello {key}"), key).await.unwrap();
                }
            },
        )
        .await;
    bench
        .measure(
            "s3.read_string",
            bench.repeats,
            "",
            async || {},
            || async {
                for key in &keys {
                    s3.read_string(key).await.unwrap();
                }
            },
        )
        .await;
    dir_lines(bench, &s3, "s3.", keys.len()).await;
    let small = bench.folder.join("small.bin");
    std::fs::write(&small, vec![7u8; 10_000]).unwrap();
    s3.upload(&small, "cached/small.bin").await.unwrap();
    let dests = bench.folder.join("dests");
    std::fs::create_dir_all(&dests).unwrap();
    s3.download_cached("cached/small.bin", dests.join("warm.bin"))
        .await
        .unwrap();
    bench
        .measure(
            "s3.download_cached_hit",
            bench.repeats,
            "",
            async || {},
            || async {
                for i in 0..keys.len() {
                    let status = s3
                        .download_cached("cached/small.bin", dests.join(format!("d{i}.bin")))
                        .await
                        .unwrap();
                    assert!(status.cache_hit);
                }
            },
        )
        .await;
    sync(bench, &s3).await;
    if !bench.large {
        return;
    }
    for mib in [64usize, 256] {
        transfers::large_lines(bench, &s3, "s3.", mib, false).await;
    }
}

/// `dir` of the `n` objects under `small/`, and its floor, as `<prefix>dir`.
async fn dir_lines(bench: &Bench, s3: &awsimple::S3Access, prefix: &str, n: usize) {
    bench
        .measure(
            &format!("{prefix}dir"),
            bench.repeats,
            "",
            async || {},
            || async {
                assert_eq!(s3.dir("small/").await.unwrap().len(), n);
            },
        )
        .await;
    // The floor: the same requests (1 LIST, N HEADs, 32 in flight) through the bare SDK client,
    // with no library work at all. What `dir` costs above this line is ours.
    bench
        .measure(
            &format!("{prefix}dir.sdk_floor"),
            bench.repeats,
            "bare SDK, same requests",
            async || {},
            || async {
                use futures::StreamExt;
                let client = s3.client();
                let listed = client
                    .list_objects_v2()
                    .bucket(s3.bucket_name())
                    .prefix("small/")
                    .send()
                    .await
                    .unwrap();
                let heads: Vec<_> = futures::stream::iter(listed.contents().iter())
                    .map(|o| {
                        client
                            .head_object()
                            .bucket(s3.bucket_name())
                            .key(o.key().unwrap())
                            .send()
                    })
                    .buffer_unordered(32)
                    .collect()
                    .await;
                assert_eq!(heads.len(), n);
            },
        )
        .await;
}

/// Folder sync of 1000 small files: a first upload (to a new prefix each repeat), and a sync of
/// the unchanged tree (one listing page: the manifest knows every object).
async fn sync(bench: &Bench, s3: &awsimple::S3Access) {
    const FILES: usize = 1000;
    if !bench.selected("s3.sync_up") {
        return;
    }
    let tree = bench.folder.join("sync-tree");
    for i in 0..FILES {
        let path = tree.join(format!("d{}", i % 10)).join(format!("f{i}.txt"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("file {i}")).unwrap();
    }
    let round = std::sync::atomic::AtomicUsize::new(0);
    bench
        .measure(
            "s3.sync_up_1000",
            bench.repeats,
            "",
            async || {},
            || async {
                let n = round.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let report = s3.sync_up(&tree, &format!("sync/{n}")).await.unwrap();
                assert_eq!(report.uploaded.len(), FILES);
            },
        )
        .await;
    s3.sync_up(&tree, "sync/base").await.unwrap();
    bench
        .measure(
            "s3.sync_up_unchanged_1000",
            bench.repeats,
            "1 listing page, no HEAD",
            async || {},
            || async {
                let report = s3.sync_up(&tree, "sync/base").await.unwrap();
                assert_eq!(report.unchanged.len(), FILES);
            },
        )
        .await;
}

async fn sns(bench: &Bench) {
    let topic = awsimple::SnsAccess::builder(&bench.access, format!("rsbench-{}", bench.run))
        .auto_create(true)
        .build()
        .unwrap();
    topic.create_topic().await.unwrap();
    let n = bench.n;
    bench
        .measure(
            "sns.publish",
            bench.repeats,
            "",
            async || {},
            || async {
                for i in 0..n {
                    topic
                        .publish(&format!("message {i}"), None, None)
                        .await
                        .unwrap();
                }
            },
        )
        .await;
}

#[tokio::main]
async fn main() {
    if let Some(spec) = transfers::child_spec() {
        transfers::child(&spec).await;
        return;
    }
    let folder = std::env::var_os("AWSIMPLE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("awsimple-bench"));
    std::fs::create_dir_all(&folder).unwrap();
    let bench = Bench {
        access: AwsAccess::new()
            .await
            .expect("AWS access from the environment"),
        n: env_or("AWSIMPLE_BENCH_N", 200),
        repeats: env_or("AWSIMPLE_BENCH_REPEATS", 3),
        large: env_or("AWSIMPLE_BENCH_LARGE", 1) == 1,
        only: std::env::var("AWSIMPLE_BENCH_ONLY").unwrap_or_default(),
        run: std::env::var("AWSIMPLE_BENCH_RUN").unwrap_or_else(|_| std::process::id().to_string()),
        folder,
    };
    if std::env::var("AWSIMPLE_BENCH_LANE").is_ok_and(|lane| lane == "fast") {
        hashing(&bench).await;
        transfers::fast_lane(&bench).await;
        return;
    }
    s3(&bench).await;
    dynamodb(&bench).await;
    sqs(&bench).await;
    sqs_worker::worker_lines(&bench).await;
    sns(&bench).await;
}
