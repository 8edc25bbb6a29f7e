//! Entry and slot names, and the errors of building a cache.

use std::io;
use std::path::PathBuf;

/// Longest accepted id or slot name.
pub const MAX_ID_LEN: usize = 200;

/// What can go wrong when building a cache or naming an entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// An id, slot name or service name that cannot name a file in the cache.
    #[error("invalid cache entry name {id:?}: {reason}")]
    InvalidId {
        /// The rejected name.
        id: String,
        /// Why.
        reason: &'static str,
    },
    /// A setting out of range.
    #[error("invalid cache setting: {0}")]
    InvalidSetting(String),
    /// There is no per-user cache folder on this system (no home folder): pass one explicitly.
    #[error("no per-user cache folder on this system: give the cache a folder explicitly")]
    NoCacheDir,
    /// The cache folder could not be created.
    #[error("cache folder {}: {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// Checks that `id` can name a cache file: 1 to [`MAX_ID_LEN`] ASCII letters, digits, `-` or
/// `_` (so no separators, no `..`, no NUL, no leading dot), and not a name Windows reserves for
/// a device (`con`, `nul`, `com1`, ... in any case), so that an id valid on one system is valid
/// on all of them.
///
/// Ids that differ only in case name the same file on case-insensitive file systems (macOS,
/// Windows): use one case (hex digests are lower case). An entry is only served under the id
/// it was stored under, so the other case is a miss there.
pub fn validate_id(id: &str) -> Result<(), CacheError> {
    let reason = if id.is_empty() {
        Some("it is empty")
    } else if id.len() > MAX_ID_LEN {
        Some("it is longer than 200 characters")
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Some("only ASCII letters, digits, '-' and '_' are allowed")
    } else if is_windows_device(id) {
        Some("it is a device name on Windows")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CacheError::InvalidId {
            id: id.chars().take(MAX_ID_LEN + 8).collect(),
            reason,
        }),
        None => Ok(()),
    }
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`-`COM9`, `LPT1`-`LPT9`, in any case.
fn is_windows_device(id: &str) -> bool {
    let upper = id.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            upper.len() == 4
                && (upper.starts_with("COM") || upper.starts_with("LPT"))
                && matches!(upper.as_bytes()[3], b'1'..=b'9')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_validated() {
        for good in ["abc", "0123456789abcdef", "A-b_c", &"f".repeat(200)] {
            assert!(validate_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "a\0b",
            ".hidden",
            "a b",
            "é",
            &"f".repeat(201),
            "con",
            "NUL",
            "Com1",
            "lpt9",
        ] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
        for fine in ["com0", "com10", "console", "nul-1", "lpt"] {
            assert!(validate_id(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn errors_name_the_id_and_the_reason() {
        let message = validate_id("a/b").err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "invalid cache entry name \"a/b\": only ASCII letters, digits, '-' and '_' are allowed"
            )
        );
    }
}
