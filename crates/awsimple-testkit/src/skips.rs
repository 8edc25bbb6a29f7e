//! What each second implementation lacks, in one table: the tests that need it return early on
//! that server, saying so, and `cargo xtask test --server <name>` lists them at the end of the
//! lane. README's "Stores the tests run against" table is this table (a unit test checks).
//!
//! ```no_run
//! # fn demo() {
//! if awsimple_testkit::skips::skip_if_lacking("ownership-controls") {
//!     return;
//! }
//! # }
//! ```

use std::io::Write;

use crate::servers::Server;

/// The environment variable naming a file each skip is appended to (one line:
/// `server<TAB>test<TAB>feature<TAB>reason`); set by `cargo xtask test`.
pub const SKIP_LOG_VAR: &str = "AWSIMPLE_SKIP_LOG";

/// A feature a server lacks, and why the tests needing it are skipped there.
#[derive(Clone, Copy, Debug)]
pub struct Lack {
    /// The server.
    pub server: Server,
    /// The feature, as the tests name it.
    pub feature: &'static str,
    /// What the server does instead (shown when skipping, and in the README).
    pub reason: &'static str,
}

/// Every feature a second implementation lacks. moto lacks nothing the tests use.
pub const LACKS: &[Lack] = &[
    Lack {
        server: Server::S3sFs,
        feature: "native-sha512",
        reason: "does not store, return or list `x-amz-checksum-sha512`, so SHA-512 round trips and listing-only sync comparisons cannot be checked (sync HEADs every object)",
    },
    Lack {
        server: Server::S3sFs,
        feature: "full-object-crc64nvme",
        reason: "no full-object CRC64NVME on multipart uploads, and a correct `x-amz-checksum-crc64nvme` on PutObject is refused (`BadDigest`)",
    },
    Lack {
        server: Server::S3sFs,
        feature: "bucket-ownership",
        reason: "one account, no ACLs, no STS: `PutBucketOwnershipControls` is not implemented, every bucket is the caller's, and CreateBucket on an existing bucket answers `BucketAlreadyExists` (AWS: `BucketAlreadyOwnedByYou`)",
    },
    Lack {
        server: Server::S3sFs,
        feature: "list-multipart-uploads",
        reason: "`ListMultipartUploads` is not implemented",
    },
    Lack {
        server: Server::S3sFs,
        feature: "sse-kms",
        reason: "no SSE-KMS: every ETag is the MD5",
    },
    Lack {
        server: Server::S3sFs,
        feature: "directory-keys",
        reason: "refuses a key ending in `/` with a body (`UnexpectedContent`)",
    },
    Lack {
        server: Server::S3sFs,
        feature: "conditional-get",
        reason: "GetObject ignores `If-Match`, so an object replaced between ranges is not answered 412 (our download then fails with `Integrity`, it never mixes versions)",
    },
    Lack {
        server: Server::S3sFs,
        feature: "long-key-components",
        reason: "keeps each object as a file: a key with a path component over 255 bytes cannot be written",
    },
    Lack {
        server: Server::S3sFs,
        feature: "request-ids",
        reason: "answers without `x-amz-request-id`",
    },
    Lack {
        server: Server::Dynalite,
        feature: "time-to-live",
        reason: "no `UpdateTimeToLive`/`DescribeTimeToLive` (it answers `UnknownOperationException`)",
    },
    Lack {
        server: Server::Dynalite,
        feature: "transactions",
        reason: "no `TransactWriteItems`/`TransactGetItems` (it answers `UnknownOperationException`)",
    },
];

/// Why the server of this run ([`Server::current`]) lacks `feature`, or `None` when it has it.
///
/// # Panics
/// When `feature` is in no row of [`LACKS`] nor [`FEATURES`]: a typo must not skip silently.
pub fn server_lacks(feature: &str) -> Option<&'static str> {
    lacks(Server::current(), feature)
}

/// Why `server` lacks `feature`, or `None`.
///
/// # Panics
/// When `feature` is unknown (see [`server_lacks`]).
pub fn lacks(server: Server, feature: &str) -> Option<&'static str> {
    assert!(
        FEATURES.contains(&feature),
        "unknown feature `{feature}` (known: {FEATURES:?})"
    );
    LACKS
        .iter()
        .find(|l| l.server == server && l.feature == feature)
        .map(|l| l.reason)
}

/// The feature names tests may ask about.
pub const FEATURES: &[&str] = &[
    "native-sha512",
    "full-object-crc64nvme",
    "bucket-ownership",
    "list-multipart-uploads",
    "sse-kms",
    "directory-keys",
    "conditional-get",
    "long-key-components",
    "request-ids",
    "time-to-live",
    "transactions",
];

/// True when the server of this run lacks `feature`: the caller returns at once. Prints
/// `SKIPPED on <server>: <test>: <reason>` and appends the skip to [`SKIP_LOG_VAR`]'s file, so
/// that `cargo xtask` lists it.
pub fn skip_if_lacking(feature: &str) -> bool {
    let server = Server::current();
    let Some(reason) = lacks(server, feature) else {
        return false;
    };
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    println!("SKIPPED on {}: {test}: {reason}", server.name());
    if let Some(path) = std::env::var_os(SKIP_LOG_VAR)
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ =
            file.write_all(format!("{}\t{test}\t{feature}\t{reason}\n", server.name()).as_bytes());
    }
    true
}

/// README's table row for `lack` (what the unit test looks for).
pub fn readme_row(lack: &Lack) -> String {
    format!(
        "| {} | `{}` | {} |",
        lack.server.name(),
        lack.feature,
        lack.reason
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lack_names_a_known_feature() {
        for lack in LACKS {
            assert!(FEATURES.contains(&lack.feature), "{lack:?}");
            assert_ne!(lack.server, Server::Moto);
        }
    }

    #[test]
    fn readme_has_the_table_and_nothing_else() {
        let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(readme_path).unwrap_or_default();
        assert!(readme.contains("| Store | Lacks | Tests skipped there because"));
        let rows: Vec<&str> = readme
            .lines()
            .skip_while(|l| !l.starts_with("| Store | Lacks | Tests skipped there because"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        let expected: Vec<String> = LACKS.iter().map(readme_row).collect();
        assert_eq!(rows, expected, "README's table differs from skips::LACKS");
    }
}
