//! Content identity, in the format shared with the Python package
//! (`docs/python-compatibility.md`, "S3 content identity"):
//! native SHA-512 checksum, then the legacy `awsimple-sha512` user metadata, then a native
//! full-object CRC64NVME, else a substitute hash of (bucket, key, size, mtime, etag).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use awsimple_core::{Error, Result, Sha512Digest, Sha512Hasher};

/// The user-metadata key (without `x-amz-meta-`) holding the hex SHA-512.
pub const SHA512_METADATA: &str = "awsimple-sha512";

/// What identifies an object's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// SHA-512 of the content, hex (from the native checksum or the legacy metadata).
    Sha512(String),
    /// Full-object CRC64NVME, as S3 gives it (base64 of 8 bytes).
    Crc64Nvme(String),
    /// No content hash: SHA-512 (hex) of bucket, key, size, mtime (whole seconds) and etag.
    Substitute(String),
}

impl Identity {
    /// A name for the cache: `sha512-<hex>`, `crc64-<hex>`, or `sub-<hex prefix>`.
    pub fn cache_id(&self) -> String {
        match self {
            Identity::Sha512(hex) => format!("sha512-{hex}"),
            Identity::Crc64Nvme(b64) => format!(
                "crc64-{}",
                aws_smithy_types::base64::decode(b64)
                    .map(hex_of)
                    .unwrap_or_else(|_| hex_of(b64.as_bytes()))
            ),
            Identity::Substitute(hex) => format!("sub-{}", &hex[..hex.len().min(64)]),
        }
    }

    /// The text form (hex SHA-512, base64 CRC, or the substitute hash).
    pub fn as_str(&self) -> &str {
        match self {
            Identity::Sha512(s) | Identity::Crc64Nvme(s) | Identity::Substitute(s) => s,
        }
    }
}

fn hex_of(bytes: impl AsRef<[u8]>) -> String {
    bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a HEAD or GET (with checksum mode on) said about an object.
pub(crate) struct ObjectFacts<'a> {
    pub(crate) bucket: &'a str,
    pub(crate) key: &'a str,
    pub(crate) size: u64,
    pub(crate) mtime_secs: i64,
    pub(crate) etag: &'a str,
    pub(crate) native_sha512: Option<&'a str>,
    pub(crate) metadata_sha512: Option<&'a str>,
    pub(crate) native_crc64: Option<&'a str>,
}

/// The identity of an object, in the order of `docs/python-compatibility.md`.
pub(crate) fn identity_of(facts: &ObjectFacts<'_>) -> Identity {
    if let Some(digest) = facts
        .native_sha512
        .filter(|v| !v.contains('-'))
        .and_then(|b64| Sha512Digest::from_base64(b64).ok())
    {
        return Identity::Sha512(digest.to_hex());
    }
    if let Some(digest) = facts
        .metadata_sha512
        .and_then(|hex| Sha512Digest::from_hex(hex).ok())
    {
        return Identity::Sha512(digest.to_hex());
    }
    if let Some(crc) = facts.native_crc64.filter(|v| is_full_object_crc64(v)) {
        return Identity::Crc64Nvme(crc.to_owned());
    }
    let text = format!(
        "{}\n{}\n{}\n{}\n{}",
        facts.bucket, facts.key, facts.size, facts.mtime_secs, facts.etag
    );
    Identity::Substitute(awsimple_core::sha512(text.as_bytes()).to_hex())
}

/// A full-object CRC64NVME as S3 returns it: base64 of 8 bytes. A composite (multipart, `-N`
/// suffixed) value is not one, nor a value of another length (moto without `awscrt` makes a
/// 4-byte CRC32 under this name).
pub(crate) fn is_full_object_crc64(value: &str) -> bool {
    !value.contains('-') && aws_smithy_types::base64::decode(value).is_ok_and(|b| b.len() == 8)
}

/// The MD5 (lower-case hex) of an object's content that its ETag (without quotes) is, when it
/// is one: S3 makes the ETag of an object written in one request (PutObject, CopyObject) the
/// MD5 of its bytes, unless it is encrypted with SSE-KMS (`aws:kms`, `aws:kms:dsse`) or SSE-C.
/// A multipart ETag (`<hex>-<parts>`) is not one.
pub(crate) fn etag_md5(
    etag: &str,
    server_side_encryption: Option<&str>,
    sse_customer_algorithm: Option<&str>,
) -> Option<String> {
    let kms = server_side_encryption.is_some_and(|sse| sse.starts_with("aws:kms"));
    let customer_key = sse_customer_algorithm.is_some_and(|a| !a.is_empty());
    let md5 = etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit());
    (md5 && !kms && !customer_key).then(|| etag.to_ascii_lowercase())
}

/// An incremental CRC64NVME (the checksum S3 and Python awsimple 8 use for whole objects).
pub(crate) struct Crc64 {
    digest: crc_fast::Digest,
}

impl Crc64 {
    pub(crate) fn new() -> Self {
        Self {
            digest: crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }

    /// Base64 of the 8 big-endian bytes, as in `x-amz-checksum-crc64nvme`.
    pub(crate) fn finish(&self) -> String {
        aws_smithy_types::base64::encode(self.digest.finalize().to_be_bytes())
    }
}

/// SHA-512 and (optionally) CRC64NVME of a file, in one pass.
pub(crate) fn hash_file(path: &Path, with_crc: bool) -> Result<(Sha512Digest, Option<String>)> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut sha = Sha512Hasher::new();
    let mut crc = with_crc.then(Crc64::new);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        sha.update(&buffer[..n]);
        if let Some(crc) = crc.as_mut() {
            crc.update(&buffer[..n]);
        }
    }
    Ok((sha.finish(), crc.map(|c| c.finish())))
}

/// Does the local content (hashes given) match `identity`?
pub(crate) fn matches(identity: &Identity, sha512: &Sha512Digest, crc64: Option<&str>) -> bool {
    match identity {
        Identity::Sha512(hex) => *hex == sha512.to_hex(),
        Identity::Crc64Nvme(b64) => crc64 == Some(b64.as_str()),
        Identity::Substitute(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_8_byte_values_are_full_object_crc64s() {
        assert!(is_full_object_crc64("AAAAAAAAAAA="));
        assert!(is_full_object_crc64("9kJL5Qz2gBE="));
        assert!(!is_full_object_crc64("HAdiEw=="), "4 bytes: a CRC32");
        assert!(!is_full_object_crc64("AAAAAAAAAAA=-3"), "composite");
        assert!(!is_full_object_crc64("not base64!"));
    }

    #[test]
    fn identity_order_follows_python_compatibility() {
        let sha = awsimple_core::sha512(b"x");
        let native = Some(sha.to_base64());
        let other = awsimple_core::sha512(b"y").to_hex();
        let id = identity_of(&ObjectFacts {
            bucket: "b",
            key: "k",
            size: 1,
            mtime_secs: 2,
            etag: "e",
            native_sha512: native.as_deref(),
            metadata_sha512: Some(&other),
            native_crc64: Some("AAAAAAAAAAA="),
        });
        assert_eq!(id, Identity::Sha512(sha.to_hex()));
        let id = identity_of(&ObjectFacts {
            bucket: "b",
            key: "k",
            size: 1,
            mtime_secs: 2,
            etag: "e",
            native_sha512: None,
            metadata_sha512: Some(&other),
            native_crc64: Some("AAAAAAAAAAA="),
        });
        assert_eq!(id, Identity::Sha512(other));
        let id = identity_of(&ObjectFacts {
            bucket: "b",
            key: "k",
            size: 1,
            mtime_secs: 2,
            etag: "e",
            native_sha512: None,
            metadata_sha512: None,
            native_crc64: Some("AAAAAAAAAAA="),
        });
        assert_eq!(id, Identity::Crc64Nvme("AAAAAAAAAAA=".into()));
        let composite = identity_of(&ObjectFacts {
            bucket: "b",
            key: "k",
            size: 1,
            mtime_secs: 2,
            etag: "e",
            native_sha512: None,
            metadata_sha512: None,
            native_crc64: Some("AAAAAAAAAAA=-3"),
        });
        assert!(matches!(composite, Identity::Substitute(_)));
        assert_ne!(
            identity_of(&ObjectFacts {
                bucket: "b",
                key: "k",
                size: 1,
                mtime_secs: 2,
                etag: "e",
                native_sha512: None,
                metadata_sha512: None,
                native_crc64: None
            }),
            identity_of(&ObjectFacts {
                bucket: "b",
                key: "k",
                size: 1,
                mtime_secs: 3,
                etag: "e",
                native_sha512: None,
                metadata_sha512: None,
                native_crc64: None
            }),
            "the mtime is part of the substitute"
        );
        assert!(id.cache_id().starts_with("crc64-"));
        assert!(awsimple_cache::validate_id(&composite.cache_id()).is_ok());
        assert!(awsimple_cache::validate_id(&Identity::Sha512(sha.to_hex()).cache_id()).is_ok());
    }

    #[test]
    fn only_plain_single_part_etags_are_md5s() {
        let md5 = "900150983cd24fb0d6963f7d28e17f72";
        assert_eq!(etag_md5(md5, None, None).as_deref(), Some(md5));
        assert_eq!(etag_md5(md5, Some("AES256"), None).as_deref(), Some(md5));
        assert_eq!(
            etag_md5(&md5.to_ascii_uppercase(), None, None).as_deref(),
            Some(md5)
        );
        assert_eq!(etag_md5(md5, Some("aws:kms"), None), None);
        assert_eq!(etag_md5(md5, Some("aws:kms:dsse"), None), None);
        assert_eq!(etag_md5(md5, None, Some("AES256")), None, "SSE-C");
        assert_eq!(etag_md5(&format!("{md5}-2"), None, None), None, "multipart");
        assert_eq!(etag_md5("", None, None), None);
        assert_eq!(etag_md5(&"g".repeat(32), None, None), None);
    }

    #[test]
    fn crc64nvme_known_value() {
        // CRC-64/NVME check value of "123456789".
        let mut crc = Crc64::new();
        crc.update(b"123456789");
        let bytes = aws_smithy_types::base64::decode(crc.finish()).unwrap();
        assert_eq!(
            u64::from_be_bytes(bytes.try_into().unwrap()),
            0xae8b_1486_0a79_9888
        );
    }
}
