//! A content-addressed, size-bounded LRU disk cache with atomic, checksummed writes.
//!
//! Entries are files named by a content identity (a hex or base36 hash, say): the same name
//! always means the same bytes, so an entry is never updated in place, only added, touched or
//! evicted. Used by `awsimple-s3` (`download_cached`) and `awsimple-dynamodb` (cached scans, in
//! per-key [slots](DiskCache::write_slot)); it knows nothing about AWS.
//!
//! What it guarantees:
//!
//! - **Never serves bytes that do not match.** Every entry and slot file starts with a header
//!   holding the content's length and a CRC64NVME checksum of its name and content, written into
//!   the same temporary file as the content so that the one rename publishing the file publishes
//!   its checksum with it. A hit is checked while it is read or copied
//!   ([`read`](DiskCache::read), [`copy_to`](DiskCache::copy_to),
//!   [`contains`](DiskCache::contains), [`read_slot`](DiskCache::read_slot)): a flipped,
//!   missing or extra byte, a wrong size, a file moved to another name or a file the cache did
//!   not write is a miss and is removed. [`copy_to`](DiskCache::copy_to) copies to a temporary
//!   file beside the destination and renames it only once the whole entry matched: the
//!   destination is the whole entry or untouched.
//! - **Follows no symlink, never blocks on a special file.** Only regular files are opened, with
//!   `O_NOFOLLOW | O_NONBLOCK` on Unix: a symlink, FIFO, socket or device where an entry or slot
//!   belongs is a miss and is removed (the file a symlink points to is neither read nor
//!   touched); listing and eviction never open anything. A hit's recency is set on the open
//!   handle, never through the path. A writer waits at most
//!   [`lock_wait`](DiskCacheBuilder::lock_wait) for another writer's lock, then does not store.
//! - **A time in the future is not "fresh".** A file stamped further ahead than
//!   [`FUTURE_TOLERANCE`] (the clock was stepped back, or the time forged) has an unknown age: a
//!   slot is a miss, [`slot_age`](DiskCache::slot_age) and
//!   [`entry_age`](DiskCache::entry_age) are `None`, and such an entry is the first evicted.
//! - **Bounded**: at most min([`max_bytes`](DiskCacheBuilder::max_bytes), default 1 GB;
//!   [`max_free_fraction`](DiskCacheBuilder::max_free_fraction) of the disk's free space, default
//!   5 %) of content (each file adds a 24-byte header). The least recently used entries are
//!   evicted until a new one fits; an entry larger than the limit is not stored.
//! - **Recency is tracked by the cache itself** (a hit sets the entry's mtime), not by the file
//!   system's atime, which most Linux mounts do not update (`relatime`, `noatime`).
//! - **Atomic**: every write goes to a temporary file in the cache folder and is renamed into
//!   place, so readers and writers in several processes never see a partial entry. Writers evict
//!   and rename under a lock file shared by all processes, so concurrent writers keep the cache
//!   within its limit.
//! - **Never in the way**: a cache failure is logged and costs a miss; it never fails the
//!   caller's operation. Only [`DiskCacheBuilder::build`] returns errors.
//! - **Private**: on Unix, folders are created `0700` and files `0600`.
//!
//! Where the cache lives: the folder given to [`DiskCacheBuilder::dir`] if any; else, when the
//! caller opted in with [`DiskCacheBuilder::use_env_dir`] and `AWSIMPLE_CACHE_DIR` is set,
//! `$AWSIMPLE_CACHE_DIR/<service>`; else the per-user cache folder's `awsimple/aws/<service>`
//! (`~/.cache/awsimple/aws/s3` on Linux). Inside it: one file per entry (named by its id), slots
//! in `slots/`, temporary files named `.tmp-*` and the writers' lock file `.lock`. The files
//! are in the cache's own format (header, then content): read them through the cache.
//!
//! The methods are blocking (`std::fs`); from async code, call them in `spawn_blocking`. A
//! [`DiskCache`] is cheap to clone and can be shared between threads.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use awsimple_cache::DiskCache;
//!
//! let folder = tempfile::tempdir()?;
//! let cache = DiskCache::builder("s3").dir(folder.path()).build()?;
//! assert!(cache.put_bytes("3a9f", b"hello"));
//! assert_eq!(cache.read("3a9f", Some(5)).as_deref(), Some(&b"hello"[..]));
//! assert!(cache.read("3a9f", Some(6)).is_none()); // wrong size: a miss, and the entry is gone
//! assert!(!cache.contains("3a9f", None));
//!
//! // A per-key slot (not content-addressed, never evicted), e.g. a cached table scan.
//! assert!(cache.write_slot("scan-users", b"[...]"));
//! assert_eq!(cache.read_slot("scan-users").map(|s| s.bytes), Some(b"[...]".to_vec()));
//! # Ok(()) }
//! ```

// Layers, each using only those above it: `id`, `files` and `checksum` (no cache types);
// `cache` (the handle); `builder`, `evict`, `slot`; `entry` (stores evict).
mod builder;
mod cache;
mod checksum;
mod entry;
mod evict;
mod files;
mod id;
mod slot;

pub use builder::{
    CACHE_DIR_VARIABLE, DEFAULT_LOCK_WAIT, DEFAULT_MAX_BYTES, DEFAULT_MAX_FREE_FRACTION,
    DiskCacheBuilder,
};
pub use cache::DiskCache;
pub use files::FUTURE_TOLERANCE;
pub use id::{CacheError, MAX_ID_LEN, validate_id};
pub use slot::Slot;

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
