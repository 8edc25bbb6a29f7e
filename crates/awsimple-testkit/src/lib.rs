//! Test support for [awsimple](https://crates.io/crates/awsimple) and for programs built on it.
//!
//! **This is not a stable API.** It exists so that awsimple's own tests, benchmarks and tooling,
//! and the tests of code that uses awsimple, share one way to reach an AWS emulator. Anything
//! here may change or go away in any release, minor and patch releases included: pin the exact
//! version if you depend on it, and use it only from tests, benchmarks and dev tooling.
//!
//! - [`emulator_access`] gives an `AwsAccess` pointed at a moto server, a real AWS API on
//!   loopback:
//!   - when `AWS_ENDPOINT_URL` is set (as `cargo xtask test` and `cargo xtask emulator` do), that
//!     endpoint is used, and it must be reachable;
//!   - otherwise one moto server is started for the whole test binary, on a free loopback port,
//!     from the project's `.venv`, the `moto_server` on `PATH`, or `python3` with moto; when none
//!     is found, moto is installed into `<workspace>/.venv` with pip. The server exits by itself
//!     when the test process ends, however it ends.
//!
//!   When no emulator can be reached or started, it panics with a message saying how to start
//!   one: a test that needs AWS never passes without it.
//! - [`unique_name`] gives collision-free names for buckets, tables, queues and topics, so tests
//!   run in parallel against one emulator.
//! - [`emulator`]: finding, installing, starting and stopping moto (used by `cargo xtask` too).
//! - [`servers`]: the second implementations (s3s-fs for S3, dynalite for DynamoDB), installed
//!   under `<workspace>/.tools` and started the same way; [`skips`]: what each lacks, and the
//!   explicit skip (`skip_if_lacking`) of the tests needing it.
//! - `fault_proxy`: a loopback HTTP proxy injecting resets, delays and throttling errors.
//! - [`mod@bench`]: what the benchmarks share (medians, peak memory, the `BENCH` line format).
//!
//! Feature `aws` (default) adds what needs `awsimple-core` and tokio (`emulator_access`,
//! `access_at`, `fault_proxy`, `bench::measure`); without it the crate uses only `std`
//! (and rustix for the process CPU clock).
//!
//! ```no_run
//! # async fn demo() -> awsimple_core::Result<()> {
//! let access = awsimple_testkit::emulator_access().await;
//! assert!(access.test().await?);
//! let bucket = awsimple_testkit::unique_name("my-test");
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without `aws`, the links to what it adds have nothing to point at.
#![cfg_attr(not(feature = "aws"), allow(rustdoc::broken_intra_doc_links))]
#![allow(clippy::expect_used, clippy::panic)]

pub mod bench;
pub mod emulator;
#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub mod fault_proxy;
pub mod servers;
pub mod skips;

pub use skips::{server_lacks, skip_if_lacking};

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "aws")]
use awsimple_core::AwsAccess;

/// Access key id the fixture uses (moto accepts any).
pub const TEST_ACCESS_KEY_ID: &str = "AKIDAWSIMPLETEST";
/// Region the fixture uses.
pub const TEST_REGION: &str = "us-east-1";

/// A fixed dummy secret: moto and dynalite do not check it; s3s-fs is started with it (it is
/// a test value, not a credential, and never logged).
pub const TEST_SECRET_ACCESS_KEY: &str = "awsimple-test-secret";

// Kept for the life of the test binary (statics are never dropped: the server's own watchdog
// stops it when this process exits).
static SHARED: OnceLock<Result<emulator::Emulator, String>> = OnceLock::new();

fn start_shared() -> Result<emulator::Emulator, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let root = emulator::workspace_root_from(&cwd).unwrap_or(cwd);
    emulator::reuse_or_start(&root, &emulator::StartOptions::default(), &|line| {
        eprintln!("awsimple-testkit: {line}");
    })
}

/// The endpoint of the shared emulator, starting it on first use (blocking: from async code,
/// call it in `spawn_blocking`, or use [`emulator_access`]).
///
/// # Panics
/// When no emulator can be reached or started; the message says how to start one.
pub fn emulator_endpoint() -> String {
    match SHARED.get_or_init(start_shared) {
        Ok(shared) => shared.endpoint().to_owned(),
        Err(message) => panic!("no AWS emulator for the tests: {message}"),
    }
}

/// An `AwsAccess` pointed at the shared emulator, with dummy credentials, region
/// [`TEST_REGION`], and one attempt per request (a test should see the first failure, not wait
/// through retries).
///
/// # Panics
/// When no emulator can be reached or started; the message says how to start one.
#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub async fn emulator_access() -> AwsAccess {
    let endpoint = tokio::task::spawn_blocking(emulator_endpoint)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    access_at(&endpoint).await
}

/// An `AwsAccess` pointed at `endpoint` with the fixture's dummy credentials.
///
/// # Panics
/// Never in practice: an access with explicit keys, region and endpoint always builds.
#[cfg(feature = "aws")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws")))]
pub async fn access_at(endpoint: &str) -> AwsAccess {
    AwsAccess::builder()
        .endpoint_url(endpoint)
        .region(TEST_REGION)
        .credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None)
        .build()
        .await
        .expect("an access with explicit keys, region and endpoint always builds")
}

/// A name no other test (in this or another process) uses: `<prefix>-<random>-<n>`, lower case,
/// at most 63 characters, valid as a bucket, table, queue or topic name when `prefix` is.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // `RandomState` is seeded from the operating system's randomness in every process.
    let token = base36(RandomState::new().hash_one((std::process::id(), nanos, n)));
    let mut name = format!("{}-{token}-{n}", prefix.to_ascii_lowercase());
    if name.len() > 63 {
        name = name.split_off(name.len() - 63);
        name = name.trim_start_matches(['-', '.']).to_owned();
    }
    name
}

fn base36(mut value: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_are_unique_and_valid() {
        let a = unique_name("awsimple-test");
        let b = unique_name("awsimple-test");
        assert_ne!(a, b);
        assert!(a.starts_with("awsimple-test-"), "{a}");
        assert!(a.len() <= 63);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        let long = unique_name(&"x".repeat(100));
        assert!(long.len() <= 63, "{long}");
    }

    #[test]
    fn base36_digits() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
