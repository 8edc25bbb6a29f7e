//! Simple async Amazon S3: buckets; strings, lines, bytes and JSON; files up and down with
//! content identities shared with the Python package, skipped unchanged uploads, verified and
//! atomic downloads, multipart and parallel ranged transfers, and a local content-addressed
//! cache (`download_cached`); folders synced by content both ways (`sync_up`, `sync_down`).
//!
//! Part of [awsimple](https://crates.io/crates/awsimple).
//!
//! ```no_run
//! use awsimple_s3::{AwsAccess, S3Access};
//!
//! # async fn demo() -> awsimple_s3::Result<()> {
//! let access = AwsAccess::new().await?;
//! let s3 = S3Access::new(&access, "my-unique-bucket-name")?;
//! s3.create_bucket().await?;
//! s3.write_string("hello world", "hello.txt").await?;
//! println!("{}", s3.read_string("hello.txt").await?);
//!
//! // Files: the upload is skipped when S3 already holds the same content (one HEAD).
//! s3.upload("report.pdf", "reports/2026.pdf").await?;
//! // Verified (stored CRC64NVME or SHA-512), written atomically, mtime = LastModified.
//! s3.download("reports/2026.pdf", "copy.pdf").await?;
//! // One HEAD; the bytes come from the local cache while the content is unchanged.
//! let status = s3.download_cached("reports/2026.pdf", "cached.pdf").await?;
//! println!("cache hit: {}", status.cache_hit);
//! # Ok(()) }
//! ```
//!
//! # Content identity (shared with Python awsimple 8)
//! Single-part uploads carry the native SHA-512 checksum (S3 validates it) and the
//! `awsimple-sha512` user metadata; multipart uploads carry a full-object CRC64NVME and the same
//! metadata. An object's identity is, in order: the native SHA-512, the metadata SHA-512, the
//! full-object CRC64NVME, else a hash of bucket, key, size, mtime and ETag.
//!
//! # S3-compatible stores
//! - Checksums: on a store that refuses the algorithm, a handle (and its clones) falls back at
//!   its first write, single-part or multipart: SHA-512, CRC64NVME, CRC32, none (multipart:
//!   full-object CRC64NVME, CRC32 per part, none). The `awsimple-sha512` metadata goes with
//!   every write, so the identity Python reads does not change. Choose the algorithm up front
//!   with [`S3AccessBuilder::checksum`]`(`[`WriteChecksum`]`::..)` to skip the refused request;
//!   [`S3Access::write_checksum`] tells where a handle is.
//! - Addressing: any endpoint override (in code, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, or
//!   a profile's `services` section; see [`AwsAccess::service_endpoint_url`]) gets path-style
//!   addressing (`<endpoint>/<bucket>/<key>`): emulators and S3-compatible stores have no
//!   `<bucket>.<host>` names. Only AWS's own endpoints use virtual-hosted style.
//!
//! Downloads are checked against the full-object CRC64NVME when the object has one (cheap,
//! and validated by S3 when the object was written), else against the SHA-512 identity; the
//! cache files content under its identity, so `download_cached` always checks that. Objects
//! other tools wrote without a checksum are checked against their ETag when it is the MD5 of
//! the content (written in one request, not SSE-KMS or SSE-C); [`Verification`] says which
//! check a download passed, and the cache only ever takes verified bytes.
//!
//! The access's operation timeout bounds a whole transfer (HEAD, every GET or part, every
//! retry), and a download whose object is overwritten meanwhile starts again from the new
//! version: the result is one version, whole.
#![cfg_attr(docsrs, feature(doc_cfg))]

// One file per concern; the operation files add `impl S3Access` blocks. Files use only the
// files of a lower layer (no circles):
//   1. checksum, access (the handle), names, identity, local
//   2. builder (access, names), verify (identity), bucket (access)
//   3. object (access, names, identity, verify)
//   4. lister (object), stream (object, verify), upload (builder, object, local), download (builder, object, verify,
//      local)
//   5. sync (upload, download, object, identity, names, local), stream_write (upload, object,
//      identity, names)
mod access;
mod bucket;
mod builder;
mod checksum;
mod deadline;
mod download;
mod identity;
mod lister;
mod local;
mod names;
mod object;
mod stream;
mod stream_write;
mod sync;
mod upload;
mod verify;

pub use access::S3Access;
pub use awsimple_core::{AwsAccess, Error, Result};
pub use builder::{
    DEFAULT_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, DownloadOptions, Progress,
    S3AccessBuilder, UploadOptions,
};
/// The in-memory body type of reads and writes (the SDK's and `object_store`'s).
pub use bytes::Bytes;
pub use checksum::WriteChecksum;
pub use download::DownloadStatus;
pub use identity::{Identity, SHA512_METADATA};
pub use names::{json_key, key_to_relative_path, validate_bucket_name, validate_key};
pub use object::S3ObjectMetadata;
pub use sync::{SYNC_MANIFEST, SkipReason, SyncOptions, SyncReport, SyncSkip};
pub use verify::Verification;

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
