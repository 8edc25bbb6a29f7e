//! The names S3 accepts, checked before any request: bucket names, keys, and keys as paths
//! inside a destination folder.

use std::path::{Component, PathBuf};

use awsimple_core::{Error, Result};

/// Prefixes S3 reserves (`sthree-` covers `sthree-configurator`).
const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
/// Suffixes S3 reserves: access point aliases (`-s3alias`), Object Lambda access point aliases
/// (`--ol-s3`), Multi-Region Access Points (`.mrap`), directory buckets (`--x-s3`) and table
/// buckets (`--table-s3`).
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Checks a bucket name: 3 to 63 characters of lower-case letters, digits, `-` and `.`,
/// starting and ending with a letter or digit, no `..`, not shaped like an IP address (four
/// dot-separated groups of digits, `192.168.05.004` too), and none of the prefixes and
/// suffixes S3 reserves (general purpose bucket naming rules).
pub fn validate_bucket_name(name: &str) -> Result<()> {
    let what = || format!("S3 bucket name {name:?}");
    let reason = if !(3..=63).contains(&name.len()) {
        Some("must be 3 to 63 characters long")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        Some("only lower-case letters, digits, '-' and '.' are allowed")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        Some("must start and end with a letter or digit")
    } else if name.contains("..") {
        Some("must not contain '..'")
    } else if looks_like_ip_address(name) {
        Some("must not look like an IP address")
    } else if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) {
        Some("starts with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)")
    } else if RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        Some("ends with a suffix S3 reserves (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::invalid(what(), reason)),
        None => Ok(()),
    }
}

/// Four dot-separated labels of digits only (what S3 refuses as "formatted as an IP address",
/// leading zeros and values over 255 included).
fn looks_like_ip_address(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() == 4
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks an object key: 1 to 1024 bytes of UTF-8.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("S3 key", "it is empty"));
    }
    if key.len() > 1024 {
        return Err(Error::invalid(
            format!("S3 key {:?}...", &key[..key.floor_char_boundary(40)]),
            format!("{} bytes is over the 1024-byte limit", key.len()),
        ));
    }
    Ok(())
}

/// The relative path a key gets inside a destination folder; keys that would leave the folder
/// (`..`, absolute, a drive, NUL, empty parts) are rejected.
pub fn key_to_relative_path(key: &str) -> Result<PathBuf> {
    validate_key(key)?;
    let bad = |reason: &str| {
        Err(Error::invalid(
            format!("S3 key {key:?} as a file name"),
            reason,
        ))
    };
    if key.contains('\0') {
        return bad("it contains NUL");
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return bad("it is an absolute path");
    }
    let mut path = PathBuf::new();
    for part in key.split('/') {
        if part.is_empty()
            || part == "."
            || part == ".."
            || part.contains('\\')
            || part.contains(':')
        {
            return bad("it would leave the destination folder or has an empty part");
        }
        path.push(part);
    }
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return bad("it would leave the destination folder");
    }
    Ok(path)
}

/// The checked JSON key of `key`: an empty key is refused (it would become `.json`).
pub(crate) fn checked_json_key(key: &str) -> Result<String> {
    validate_key(key)?;
    let key = json_key(key);
    validate_key(&key)?;
    Ok(key)
}

/// `key` with `.json` appended when missing.
pub fn json_key(key: &str) -> String {
    if key.ends_with(".json") {
        key.to_owned()
    } else {
        format!("{key}.json")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn bucket_names() {
        for good in [
            "abc",
            "my-bucket.v2",
            "a1b",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.a",
            "amzn-s3-demo",
            "x-s3",
            &"a".repeat(63),
        ] {
            assert!(validate_bucket_name(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "Upper",
            "-start",
            "end-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            "bucket-s3alias",
            "192.168.05.004",
            "999.1.2.3",
            "sthree-configurator",
            "sthree-abc",
            "amzn-s3-demo-bucket",
            "data--ol-s3",
            "data.mrap",
            "data--x-s3",
            "data--use1-az4--x-s3",
            "data--table-s3",
            &"a".repeat(64),
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_paths() {
        assert!(validate_key("").is_err());
        assert!(validate_key(&"k".repeat(1025)).is_err());
        assert!(validate_key(&"k".repeat(1024)).is_ok());
        assert_eq!(
            key_to_relative_path("a/b/c.txt").unwrap(),
            Path::new("a/b/c.txt")
        );
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "a\0b",
            "./a",
            "dir/",
            "c:/x",
            "a\\..\\b",
        ] {
            assert!(key_to_relative_path(bad).is_err(), "{bad:?}");
        }
        assert_eq!(json_key("a"), "a.json");
        assert_eq!(json_key("a.json"), "a.json");
    }
}
