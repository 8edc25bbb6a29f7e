//! Test support: a real AWS API on loopback for your tests (feature `test-util`).
//!
//! [`emulator_access`] gives an [`AwsAccess`] pointed at a moto server:
//! - when `AWS_ENDPOINT_URL` is set (as `cargo xtask test` and `cargo xtask emulator` do), that
//!   endpoint is used, and it must be reachable;
//! - otherwise one moto server is started for the whole test binary, on a free loopback port,
//!   from the project's `.venv`, the `moto_server` on `PATH`, or `python3` with moto; when none
//!   is found, moto is installed into `<workspace>/.venv` with pip. The server exits by itself
//!   when the test process ends, however it ends.
//!
//! When no emulator can be reached or started, it panics with a message saying how to start one:
//! a test that needs AWS never passes without it.
//!
//! Every test should use [`unique_name`] for its buckets, tables, queues and topics, so tests
//! run in parallel against one emulator.
//!
//! ```no_run
//! # async fn demo() -> awsimple_core::Result<()> {
//! let access = awsimple_core::test_util::emulator_access().await;
//! assert!(access.test().await?);
//! # Ok(()) }
//! ```
#![allow(clippy::expect_used, clippy::panic)]

pub mod emulator;
pub mod fault_proxy;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::AwsAccess;

/// Access key id the fixture uses (moto accepts any).
pub const TEST_ACCESS_KEY_ID: &str = "AKIDAWSIMPLETEST";
/// Region the fixture uses.
pub const TEST_REGION: &str = "us-east-1";

/// A fixed dummy secret: moto does not check it, and it is never logged.
const TEST_SECRET_ACCESS_KEY: &str = "awsimple-test-secret";

struct Shared {
    endpoint: String,
    // Kept alive for the life of the test binary (statics are never dropped: the server's own
    // watchdog stops it when this process exits).
    _process: Option<emulator::EmulatorProcess>,
}

static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();

fn start_shared() -> Result<Shared, String> {
    if let Some(endpoint) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|e| !e.is_empty())
    {
        return if emulator::is_reachable(&endpoint) {
            Ok(Shared {
                endpoint,
                _process: None,
            })
        } else {
            Err(format!(
                "AWS_ENDPOINT_URL is {endpoint} but nothing answers there; {}",
                emulator::HOW_TO_START
            ))
        };
    }
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let root = emulator::workspace_root_from(&cwd).unwrap_or(cwd);
    let python =
        emulator::find_or_install_moto(&root, &|line| eprintln!("awsimple test-util: {line}"))?;
    let process = emulator::EmulatorProcess::start(&python, &emulator::StartOptions::default())?;
    Ok(Shared {
        endpoint: process.endpoint().to_owned(),
        _process: Some(process),
    })
}

/// The endpoint of the shared emulator, starting it on first use.
///
/// # Panics
/// When no emulator can be reached or started; the message says how to start one.
pub fn emulator_endpoint() -> String {
    match SHARED.get_or_init(start_shared) {
        Ok(shared) => shared.endpoint.clone(),
        Err(message) => panic!("no AWS emulator for the tests: {message}"),
    }
}

/// An [`AwsAccess`] pointed at the shared emulator, with dummy credentials, region
/// [`TEST_REGION`], and one attempt per request (a test should see the first failure, not wait
/// through retries).
///
/// # Panics
/// When no emulator can be reached or started; the message says how to start one.
pub async fn emulator_access() -> AwsAccess {
    let endpoint = tokio::task::spawn_blocking(emulator_endpoint)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    access_at(&endpoint).await
}

/// An [`AwsAccess`] pointed at `endpoint` with the fixture's dummy credentials.
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
    let seed = (u128::from(std::process::id()) << 64) ^ nanos;
    let token = base36(
        crate::hash::sha512(&seed.to_le_bytes()).as_bytes()[..8]
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
    );
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
}
