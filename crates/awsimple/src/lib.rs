//! Simple, fast access to the everyday AWS "serverless" services from async Rust: **S3**,
//! **DynamoDB**, **SNS** and **SQS** (and CloudWatch Logs), with a local cache, SHA-512 content
//! identities, a pub/sub built on SNS + SQS and a blocking API for scripts. Write
//! `s3.write_string(..)` or `table.put_item(..)` and move on: no clients, paginators, waiters,
//! retries or checksum plumbing.
//!
//! It is the Rust counterpart of the Python [`awsimple`](https://pypi.org/project/awsimple/)
//! package: the same method names, and the same formats on the wire and in AWS (content hashes,
//! the `__awsimple_metadata__` table, pub/sub names), so Python and Rust programs can share
//! buckets, tables and channels.
//!
//! # Install
//!
//! ```sh
//! cargo add awsimple                                         # S3, DynamoDB, SNS and SQS
//! cargo add awsimple --no-default-features --features s3    # only S3 (and only its SDK)
//! cargo add tokio --features macros,rt-multi-thread          # an async runtime
//! ```
//!
//! or in `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! awsimple = { version = "0.1", default-features = false, features = ["s3", "sqs"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! | feature | what it adds | default |
//! | --- | --- | --- |
//! | `s3` | [`S3Access`], the module [`s3`], the disk [`cache`] | yes |
//! | `dynamodb` | [`DynamoDbAccess`], the module [`dynamodb`], the disk [`cache`] | yes |
//! | `sns` | [`SnsAccess`], the module [`sns`] | yes |
//! | `sqs` | [`SqsAccess`], the module [`sqs`] | yes |
//! | `logs` | `LogsAccess`, the module `logs`: CloudWatch Logs, a background batcher, a `tracing` layer | no |
//! | `pubsub` | the module `pubsub`: publish and receive JSON objects over SNS + SQS, shared with Python (with `sns`, `sqs`, `dynamodb`) | no |
//! | `blocking` | the module `blocking`: the same handles without `async`, for scripts | no |
//! | `full` | every service and `pubsub` (not `blocking`) | no |
//!
//! Each feature compiles only its own AWS SDK crate: with `features = ["s3"]` the DynamoDB, SNS
//! and SQS SDKs are not built. Every service is also its own crate (`awsimple-s3`,
//! `awsimple-dynamodb`, `awsimple-sns`, `awsimple-sqs`, `awsimple-logs`) for those who prefer to
//! depend on one directly; `awsimple-core` has [`AwsAccess`] and [`Error`].
//!
//! # Access: credentials, region, endpoint
//!
//! ```rust,no_run
//! use awsimple::AwsAccess;
//!
//! # async fn demo() -> awsimple::Result<()> {
//! // The default chain: AWS_* variables, AWS_PROFILE / ~/.aws (default profile), SSO, roles.
//! let access = AwsAccess::new().await?;
//! assert!(access.test().await?); // STS GetCallerIdentity: false if AWS rejects the keys
//!
//! // A named profile, or explicit keys (for production), in a region of your choice.
//! let access = AwsAccess::builder().profile("work").region("eu-west-1").build().await?;
//! let access = AwsAccess::builder()
//!     .credentials("AKIA...", std::env::var("MY_SECRET").unwrap_or_default(), None)
//!     .region("us-west-2")
//!     .build()
//!     .await?;
//!
//! // An emulator (moto, LocalStack): an endpoint override. AWS_ENDPOINT_URL works as well.
//! let access = AwsAccess::builder().endpoint_url("http://127.0.0.1:5000").build().await?;
//! # let _ = access; Ok(()) }
//! ```
//!
//! One [`AwsAccess`] is cheap to clone: build it once and give it to every service handle.
//! Timeouts (connect 10 s, attempt 120 s, operation 600 s) and the SDK's standard retry mode
//! (3 attempts) are defaults you can change on the builder. Secrets never appear in `Debug`,
//! `Display`, errors or logs.
//!
//! Against real AWS nothing changes but configuration: put keys in `~/.aws/credentials` under a
//! profile (and `region` in `~/.aws/config`), then run with `AWS_PROFILE=<profile>` or
//! `AwsAccess::builder().profile(..)`; or pass keys and region explicitly. Make sure
//! `AWS_ENDPOINT_URL` is not set.
//!
//! # S3
//!
//! ```rust,no_run
//! # #[cfg(feature = "s3")]
//! # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
//! use awsimple::S3Access;
//!
//! let s3 = S3Access::new(access, "my-unique-bucket-name")?;
//! s3.create_bucket().await?;                          // false when it is yours already
//! s3.write_string("hello world", "hello.txt").await?;
//! assert_eq!(s3.read_string("hello.txt").await?, "hello world");
//! s3.upload("report.pdf", "reports/report.pdf").await?; // skipped when S3 holds the same bytes
//! s3.download("reports/report.pdf", "copy.pdf").await?; // verified, atomic, mtime = LastModified
//! let status = s3.download_cached("reports/report.pdf", "cached.pdf").await?; // one HEAD on a hit
//! println!("{} keys; cache hit: {}", s3.keys("reports/").await?.len(), status.cache_hit);
//! # Ok(()) }
//! ```
//!
//! Options per call ([`s3::UploadOptions`], [`s3::DownloadOptions`], with a [`s3::Progress`]
//! callback) and per handle ([`S3Access::builder`]: part size, concurrency, cache).
//!
//! ## Directory sync
//!
//! `sync_up(local_dir, prefix)` and `sync_down(prefix, local_dir)` move only the files whose
//! **content** differs, `concurrency` files at once, and return a [`s3::SyncReport`] (uploaded or
//! downloaded, unchanged, deleted, and what was skipped, with the reason: symlinks, names S3
//! cannot hold, keys that would leave the folder such as `../x`). A touched but unchanged file is
//! not sent again; a file changed with its size and mtime kept is.
//!
//! ```rust,no_run
//! # #[cfg(feature = "s3")]
//! # async fn demo(s3: &awsimple::S3Access) -> awsimple::Result<()> {
//! use awsimple::s3::SyncOptions;
//!
//! let report = s3.sync_up("site", "www").await?;        // site/a/b.html -> www/a/b.html
//! println!("{} uploaded, {} unchanged", report.uploaded.len(), report.unchanged.len());
//! let plan = SyncOptions::new().delete(true).dry_run(true); // what would change, nothing changed
//! let would = s3.sync_down_with("www", "mirror", &plan).await?;
//! println!("would download {:?}, delete {:?}", would.downloaded, would.deleted);
//! # Ok(()) }
//! ```
//!
//! Local files are always hashed (SHA-512 and CRC64NVME in one pass). The remote identity (native
//! SHA-512, metadata SHA-512, full-object CRC64NVME; shared with Python) is not in a listing, so
//! the folder keeps a manifest, `.awsimple-sync` (never synced itself): per key the ETag and size
//! last seen and the identity the object had then. It is trusted only while the listed ETag and
//! size are the recorded ones; an object written since gets one HEAD. An unchanged tree therefore
//! costs its ListObjectsV2 pages (one per 1000 keys) and nothing else; without the manifest, one
//! HEAD per object. Symlinks are not followed unless `follow_symlinks(true)`, and `sync_down`
//! never writes through one.
//!
//! # DynamoDB
//!
//! ```rust,no_run
//! # #[cfg(feature = "dynamodb")]
//! # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
//! use awsimple::dynamodb::{AttributeType, CreateTable, DynamoDbAccess, Item};
//! use serde_json::json;
//!
//! let users = DynamoDbAccess::new(access, "users")?;
//! users.create_table(&CreateTable::partition("email", AttributeType::String)).await?;
//! users.put_item(&json!({"email": "sting@thepolice.com", "nickname": "Sting"})).await?;
//! let sting: Option<Item> = users.get_item("sting@thepolice.com").await?;
//! let all = users.scan_table_cached::<Item>().await?; // from the local cache while unchanged
//! # let _ = (sting, all); Ok(()) }
//! ```
//!
//! Items are any `T: Serialize + DeserializeOwned` (serde), or dynamic `serde_json` values for
//! Python-style code. Writes record the table's modification time in `__awsimple_metadata__`, the
//! format the Python package uses, so cached scans of Rust and Python programs invalidate each
//! other.
//!
//! Transactions (all or nothing, across tables), conditional updates and optimistic locking:
//!
//! ```rust,no_run
//! # #[cfg(feature = "dynamodb")]
//! # async fn demo(access: &awsimple::AwsAccess, log: awsimple::dynamodb::DynamoDbAccess) -> awsimple::Result<()> {
//! use awsimple::dynamodb::{Condition, DynamoDbAccess, TransactWrite, Update};
//!
//! // Every write through this handle is based on the `version` it read, and stores the next one.
//! let accounts = DynamoDbAccess::builder(access, "accounts").version_attribute("version").build()?;
//! let transfer = TransactWrite::new()
//!     .update(&accounts, "alice", Update::new().add("balance", -10)
//!         .condition(Condition::greater_or_equal("balance", 10)))
//!     .update(&accounts, "bob", Update::new().add("balance", 10))
//!     .put(&log, &serde_json::json!({"id": "t-1", "amount": 10}));
//! accounts.transact_write(&transfer).await?; // Error::Precondition names the entry that failed
//!
//! // Read, change, write only if nobody wrote in between; else read again (at most 10 times).
//! #[derive(serde::Deserialize)]
//! struct Counter { count: u64 }
//! let after: Counter = accounts
//!     .update_item_retrying("visits", |c: Option<&Counter>| {
//!         Update::new().set("count", c.map_or(0, |c| c.count) + 1)
//!     }, 10)
//!     .await?;
//! # let _ = after; Ok(()) }
//! ```
//!
//! `query_stream` and `scan_stream` read page after page as the items are consumed (one page in
//! memory); `enable_ttl`, `PutItemOptions::expires_at` and the builder's `hide_expired(true)`
//! handle items that expire.
//!
//! # SQS
//!
//! ```rust,no_run
//! # #[cfg(feature = "sqs")]
//! # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
//! use awsimple::SqsAccess;
//! use awsimple::sqs::Message;
//!
//! let jobs = SqsAccess::new(access, "jobs")?;
//! jobs.send("render frame 7").await?;        // creates the queue when missing
//! let worker = SqsAccess::builder(access, "jobs").immediate_delete(false).long_poll(true).build()?;
//! while let Some(job) = worker.receive_message().await? {
//!     let job: Message = job;
//!     println!("{}", job.body);
//!     worker.delete_message(&job).await?;    // the work time tunes the visibility timeout
//! }
//! # Ok(()) }
//! ```
//!
//! For a long-running consumer, [`SqsAccess::messages`] is a `Stream` of messages that long-polls,
//! backs off on transient errors and deletes what it handed over.
//!
//! # SNS
//!
//! ```rust,no_run
//! # #[cfg(all(feature = "sns", feature = "sqs", feature = "full"))]
//! # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
//! use awsimple::{SnsAccess, SqsAccess};
//!
//! let alerts = SnsAccess::builder(access, "alerts").auto_create(true).build()?;
//! let inbox = SqsAccess::new(access, "alerts-inbox")?;
//! inbox.create_queue().await?;
//! alerts.subscribe_sqs(&inbox, false).await?;  // the queue policy gains a statement (merged)
//! alerts.publish("disk almost full", Some("disk"), None).await?;
//! # Ok(()) }
//! ```
//!
//! `subscribe_sqs` needs the `pubsub` or `full` feature (it gives the SNS crate its SQS side);
//! `subscribe_email` and `publish_batch` need only `sns`.
//!
//! # Pub/sub
//!
//! With the `pubsub` feature (in `full`), `awsimple::pubsub::{Pub, Sub}` publish and receive JSON
//! objects on a channel over SNS + SQS, with the names, envelope, queue policy and use records of
//! the Python package, so Python and Rust nodes can share a channel. Every channel and node name
//! works.
//!
//! ```rust,no_run
//! # #[cfg(feature = "pubsub")]
//! # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
//! use awsimple::pubsub::{Pub, Sub};
//! use serde_json::{Value, json};
//!
//! let sub = Sub::builder(access, "weather").node_name("station-7").build().await?;
//! let publisher = Pub::new(access, "weather").await?;
//! publisher.publish(&json!({"temperature": 21.5}))?; // queued; sent in the background
//! publisher.shutdown().await?;                       // waits until it is published
//! for message in sub.drain::<Value>().await? {       // Python's get_messages()
//!     println!("{message}");
//! }
//! # Ok(()) }
//! ```
//!
//! # CloudWatch Logs
//!
//! With the `logs` feature: `awsimple::LogsAccess` puts messages to a log stream, one at a time
//! or in batches cut to the service's limits; a background `LogBatcher`; and `LogsLayer`, a
//! `tracing` layer that ships an application's events.
//!
//! ```rust,no_run
//! # #[cfg(feature = "logs")]
//! # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
//! use awsimple::LogsAccess;
//! use awsimple::logs::LogsLayer;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! // Stream `<hostname>-<username>`; the group gets a 365-day retention when created.
//! let logs = LogsAccess::new(access, "/my-app/prod")?;
//! logs.put("started").await?;                 // creates the group and the stream on first use
//!
//! let batcher = logs.batcher()?;              // sends when full or every 5 s
//! let subscriber = tracing_subscriber::registry().with(LogsLayer::new(&batcher));
//! tracing::subscriber::set_global_default(subscriber).expect("no subscriber set yet");
//! tracing::info!("request served");           // shipped to CloudWatch Logs
//! batcher.shutdown().await?;                  // sends what is left
//! # Ok(()) }
//! ```
//!
//! # Blocking API
//!
//! For scripts and other programs without async, the `blocking` feature adds
//! `awsimple::blocking`, in the manner of `reqwest::blocking`: the same handles and methods
//! (`AwsAccess`, `S3Access`, `DynamoDbAccess`, `SqsAccess`, `SnsAccess`, `LogsAccess`,
//! `pubsub::{Pub, Sub}`) without `async`, each running the async method on one runtime the module
//! owns. Streams become blocking iterators; `as_async()` and `blocking::block_on` reach the rest
//! of the async API. Called inside an async runtime, it returns an error saying to use the async
//! API there (no panic).
//!
//! ```rust,no_run
//! # #[cfg(all(feature = "blocking", feature = "s3", feature = "sqs"))]
//! # fn demo() -> awsimple::Result<()> {
//! use awsimple::blocking::{AwsAccess, S3Access, SqsAccess};
//!
//! let access = AwsAccess::new()?;
//! let s3 = S3Access::new(&access, "my-unique-bucket-name")?;
//! s3.create_bucket()?;
//! s3.write_string("hello world", "hello.txt")?;
//! println!("{}", s3.read_string("hello.txt")?);
//!
//! let jobs = SqsAccess::new(&access, "jobs")?;
//! jobs.send("render frame 7")?;
//! for job in jobs.receive_messages(None)? {
//!     println!("{}", job.body);
//! }
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every fallible call returns [`awsimple::Result<T>`](Result), whose error is one
//! `#[non_exhaustive]` enum, [`Error`]: `NotFound`, `AlreadyExists`, `OwnedByAnother`,
//! `Precondition`, `InvalidInput` (checked before any request is sent), `Credentials`,
//! `PermissionDenied`, `Throttled`, `Service` (with the AWS code, message and request id),
//! `Unreachable`, `Timeout`, `Config`, `Integrity`, `Serialization`, `Io` and `Other` (what has no
//! meaning of its own). Each message names the resource it is about; `is_not_found()` and
//! `is_transient()` let you branch on meaning rather than text, `aws_code()` and `request_id()`
//! tell what AWS answered, and an error that came through the SDK keeps the SDK's error as its
//! `source()`. Each method's `# Errors` section says which variants it returns beyond the ones
//! every call can have (credentials, throttling, connection, timeout).
//!
//! # Reliability
//!
//! What the S3 transfers guarantee:
//!
//! - **Verified.** `download`, `download_cached` and `read_bytes` check the bytes before handing
//!   them over: against the object's full-object CRC64NVME or SHA-512 (objects awsimple wrote, in
//!   Rust or Python), else, for objects other tools wrote without a checksum, against the ETag
//!   when it is the MD5 of the content (an object written in one request and not encrypted with
//!   SSE-KMS or SSE-C). `DownloadStatus::verified` says which: `Sha512`, `Crc64Nvme`, `Md5Etag`,
//!   or `Unverified` when there is nothing to check against. A mismatch is `Error::Integrity`, is
//!   not retried, and leaves neither a file nor a cache entry.
//! - **Atomic.** A download is written under a temporary name beside its destination, verified,
//!   given the object's LastModified, and renamed into place: the destination is the whole object
//!   or untouched. The GETs carry `If-Match` on the ETag the HEAD saw; when the object is
//!   overwritten during the download, it starts again from a new HEAD (a few times, within the
//!   deadline): the file is one version of the object, never a mix of two.
//! - **One deadline.** The access's operation timeout (`AwsAccessBuilder::operation_timeout`,
//!   default 600 s) bounds a whole download, upload or `read_bytes`: the HEAD, every GET or part,
//!   every retry (the SDK's and awsimple's), a body that stops arriving. A server that freezes
//!   gives `Error::Timeout` at the deadline, not one timeout per range and retry. A transfer that
//!   legitimately takes longer needs a longer timeout (or `None`). A multipart upload that fails
//!   or runs out of time is aborted, on a task of its own when its future was dropped.
//! - **The cache holds only verified bytes and checks them on every hit.** `download_cached`
//!   files the temporary file whose bytes it checked, before renaming it: a process that replaces
//!   the destination as soon as it appears cannot put its bytes under the object's identity (and
//!   on Unix a file renamed over the temporary name fails the download). Every hit is checked
//!   against the checksum the cache stored with the entry; a bad entry is a miss and is removed.
//!   `Unverified` objects are downloaded every time and never cached.
//! - **Errors stay small.** No error carries object contents or grows with the object
//!   (`read_string` of a non-UTF-8 object says where the UTF-8 broke, not what the bytes were).
//!
//! Not guaranteed:
//!
//! - `Unverified` objects (a multipart upload without a full-object checksum, SSE-KMS or SSE-C
//!   without a checksum) are the bytes S3 sent, unchecked: TLS protects them in transit, nothing
//!   checks them end to end. Write them with a checksum (awsimple always does) to have them
//!   checked.
//! - S3-compatible stores whose single-part ETag is not the MD5 of the content (some encrypt at
//!   rest with keys of their own and answer without an `x-amz-server-side-encryption: aws:kms`
//!   header) fail those downloads with `Error::Integrity`.
//! - Once renamed into place, the destination belongs to the file system: another process may
//!   replace it. The status and the cache are about the bytes awsimple checked.
//! - The cache guards against faults and other users, not against processes of the same user,
//!   which can rewrite an entry and its checksum alike.
//! - A multipart upload whose process exits before the abort ran stays behind: keep an
//!   `AbortIncompleteMultipartUpload` lifecycle rule on buckets that receive large uploads.
//!
//! # Security
//!
//! - Secrets (the secret access key, the session token) never appear in the `Debug` or `Display`
//!   of any awsimple type or error, nor in the library's own log events: `AwsAccess` shows its
//!   region, profile and endpoint only. Errors and log events name resources (`s3://bucket/key`),
//!   never object contents.
//! - The AWS SDK's own TRACE events are another matter. Signing a presigned URL (`presigned_get`,
//!   `presigned_put`) puts the session token of temporary credentials in the query string, and the
//!   SDK logs that canonical request once at TRACE level (target `aws_sigv4`); its request and
//!   response events at TRACE (`aws_smithy_runtime`, `aws_runtime`) carry request details too. In
//!   production keep these targets below TRACE, for example
//!   `RUST_LOG=info,aws_sigv4=info,aws_smithy_runtime=info,aws_runtime=info` (an `EnvFilter`
//!   matches target prefixes).
//! - A presigned URL is a credential until it expires: log and share it as one.
//!
//! # Testing your own code
//!
//! The `awsimple-testkit` crate (add it to `[dev-dependencies]`) is the test support awsimple's own
//! tests use: `awsimple_testkit::emulator_access().await` gives an `AwsAccess` pointed at a moto
//! server (the one at `AWS_ENDPOINT_URL`, or one started for the test binary that exits with it;
//! moto is installed into the project's `.venv` when none is found), and `unique_name("prefix")`
//! gives collision-free resource names for parallel tests; `awsimple_testkit::fault_proxy`
//! injects network faults and throttling. It is not a stable API: it may change in any release,
//! so pin its version.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use awsimple_core::*;

/// The local disk cache of S3 downloads and DynamoDB scans (features `s3`, `dynamodb`): build
/// a [`DiskCache`] with your own folder and size limit and give it to a handle's builder
/// (`S3Access::builder(..).cache(cache)`).
#[cfg(any(feature = "s3", feature = "dynamodb"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "s3", feature = "dynamodb"))))]
#[doc(inline)]
pub use awsimple_cache as cache;
#[cfg(any(feature = "s3", feature = "dynamodb"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "s3", feature = "dynamodb"))))]
pub use awsimple_cache::DiskCache;

/// Amazon S3 (feature `s3`).
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
#[doc(inline)]
pub use awsimple_s3 as s3;
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub use awsimple_s3::S3Access;

/// Amazon DynamoDB (feature `dynamodb`).
#[cfg(feature = "dynamodb")]
#[cfg_attr(docsrs, doc(cfg(feature = "dynamodb")))]
#[doc(inline)]
pub use awsimple_dynamodb as dynamodb;
#[cfg(feature = "dynamodb")]
#[cfg_attr(docsrs, doc(cfg(feature = "dynamodb")))]
pub use awsimple_dynamodb::DynamoDbAccess;

/// Amazon SNS (feature `sns`).
#[cfg(feature = "sns")]
#[cfg_attr(docsrs, doc(cfg(feature = "sns")))]
#[doc(inline)]
pub use awsimple_sns as sns;
#[cfg(feature = "sns")]
#[cfg_attr(docsrs, doc(cfg(feature = "sns")))]
pub use awsimple_sns::SnsAccess;

/// Amazon SQS (feature `sqs`).
#[cfg(feature = "sqs")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
#[doc(inline)]
pub use awsimple_sqs as sqs;
#[cfg(feature = "sqs")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
pub use awsimple_sqs::SqsAccess;

/// Amazon CloudWatch Logs (feature `logs`).
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
#[doc(inline)]
pub use awsimple_logs as logs;
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
pub use awsimple_logs::LogsAccess;

#[cfg(feature = "pubsub")]
#[cfg_attr(docsrs, doc(cfg(feature = "pubsub")))]
pub mod pubsub;

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;

/// The handles and the error type, for `use awsimple::prelude::*`.
pub mod prelude {
    pub use awsimple_core::{AwsAccess, Error, Result};
    #[cfg(feature = "dynamodb")]
    pub use awsimple_dynamodb::DynamoDbAccess;
    #[cfg(feature = "logs")]
    pub use awsimple_logs::LogsAccess;
    #[cfg(feature = "s3")]
    pub use awsimple_s3::S3Access;
    #[cfg(feature = "sns")]
    pub use awsimple_sns::SnsAccess;
    #[cfg(feature = "sqs")]
    pub use awsimple_sqs::SqsAccess;
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
