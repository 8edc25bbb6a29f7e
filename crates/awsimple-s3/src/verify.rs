//! Checking downloaded bytes: against what an object's metadata says its content is (SHA-512,
//! CRC64NVME, the MD5 its ETag is, or nothing), whole or as they stream past; what a download
//! was checked against ([`Verification`]); and telling a failed SDK checksum validation from a
//! body that was cut off.

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use awsimple_core::{Error, Result, Sha512Hasher};
use md5::Digest as _;

use crate::identity::{Crc64, Identity};

/// What downloaded bytes were checked against before they were handed over (written to the
/// destination, stored in the cache or returned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verification {
    /// The SHA-512 of the content (the native checksum, or awsimple's `awsimple-sha512`
    /// metadata).
    Sha512,
    /// The full-object CRC64NVME S3 holds for the object.
    Crc64Nvme,
    /// The ETag, which is the MD5 of the content for an object written in one request and not
    /// encrypted with SSE-KMS or SSE-C (objects other tools wrote without a checksum).
    Md5Etag,
    /// Nothing to check against: no checksum and an ETag that is not an MD5 (a multipart upload
    /// without a full-object checksum, SSE-KMS or SSE-C). Such bytes are never cached.
    #[default]
    Unverified,
}

/// What the bytes of an object should hash to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expected {
    /// Hex SHA-512.
    Sha512(String),
    /// Base64 full-object CRC64NVME.
    Crc64Nvme(String),
    /// Lower-case hex MD5 (an ETag).
    Md5(String),
    /// Nothing known.
    Nothing,
}

impl Expected {
    /// The identity's hash when it has one, else the MD5 the ETag is, if it is one.
    pub(crate) fn of(identity: &Identity, etag_md5: Option<&str>) -> Self {
        match (identity, etag_md5) {
            (Identity::Sha512(hex), _) => Expected::Sha512(hex.clone()),
            (Identity::Crc64Nvme(b64), _) => Expected::Crc64Nvme(b64.clone()),
            (Identity::Substitute(_), Some(md5)) => Expected::Md5(md5.to_owned()),
            (Identity::Substitute(_), None) => Expected::Nothing,
        }
    }

    /// What a check against this is.
    pub(crate) fn verification(&self) -> Verification {
        match self {
            Expected::Sha512(_) => Verification::Sha512,
            Expected::Crc64Nvme(_) => Verification::Crc64Nvme,
            Expected::Md5(_) => Verification::Md5Etag,
            Expected::Nothing => Verification::Unverified,
        }
    }
}

/// Checks bytes against what is expected of them.
pub(crate) fn verify_bytes(
    resource: &str,
    expected: &Expected,
    bytes: &[u8],
) -> Result<Verification> {
    let mut check = ContentCheck::new(expected);
    check.update(bytes);
    check.verify(resource)
}

/// The checksum the SDK validates a GET response against, in the SDK's order of preference
/// (it validates CRC64NVME, CRC32C, CRC32, SHA-1 and SHA-256, not SHA-512).
pub(crate) fn sdk_checksum_name(out: &GetObjectOutput) -> &'static str {
    if out.checksum_crc64_nvme().is_some() {
        "CRC64NVME"
    } else if out.checksum_crc32_c().is_some() {
        "CRC32C"
    } else if out.checksum_crc32().is_some() {
        "CRC32"
    } else if out.checksum_sha1().is_some() {
        "SHA-1"
    } else {
        "SHA-256"
    }
}

/// A failed response body: [`Error::Integrity`] when the SDK's own response-checksum
/// validation failed (the body does not match the stored checksum; not worth a retry),
/// otherwise a transient [`Error::Unreachable`] (the body was cut off).
pub(crate) fn body_error(
    resource: &str,
    checksum: &'static str,
    e: aws_smithy_types::byte_stream::error::Error,
) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(current) = source {
        if let Some(aws_smithy_checksums::body::validate::Error::ChecksumMismatch {
            expected,
            actual,
        }) = current.downcast_ref()
        {
            return integrity(resource, checksum, &hex_of(expected), &hex_of(actual));
        }
        source = current.source();
    }
    Error::unreachable("GetObject", resource, e)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn integrity(resource: &str, algorithm: &str, expected: &str, actual: &str) -> Error {
    Error::Integrity {
        resource: resource.to_owned(),
        algorithm: algorithm.to_owned(),
        expected: expected.to_owned(),
        actual: actual.to_owned(),
    }
}

/// The hash of what is expected, computed as the bytes stream past in order.
pub(crate) struct ContentCheck {
    hasher: Hasher,
    expected: Expected,
}

enum Hasher {
    Sha512(Sha512Hasher),
    Crc64(Crc64),
    Md5(md5::Md5),
    Nothing,
}

impl ContentCheck {
    pub(crate) fn new(expected: &Expected) -> Self {
        let hasher = match expected {
            Expected::Sha512(_) => Hasher::Sha512(Sha512Hasher::new()),
            Expected::Crc64Nvme(_) => Hasher::Crc64(Crc64::new()),
            Expected::Md5(_) => Hasher::Md5(md5::Md5::new()),
            Expected::Nothing => Hasher::Nothing,
        };
        Self {
            hasher,
            expected: expected.clone(),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match &mut self.hasher {
            Hasher::Sha512(h) => h.update(data),
            Hasher::Crc64(c) => c.update(data),
            Hasher::Md5(h) => h.update(data),
            Hasher::Nothing => {}
        }
    }

    /// Compares with what was expected: what the bytes were checked against, or
    /// [`Error::Integrity`].
    pub(crate) fn verify(self, resource: &str) -> Result<Verification> {
        let verification = self.expected.verification();
        let (algorithm, expected, actual) = match (self.expected, self.hasher) {
            (Expected::Sha512(hex), Hasher::Sha512(h)) => ("SHA-512", hex, h.finish().to_hex()),
            (Expected::Crc64Nvme(b64), Hasher::Crc64(c)) => ("CRC64NVME", b64, c.finish()),
            (Expected::Md5(hex), Hasher::Md5(h)) => ("MD5", hex, hex_of(&h.finalize())),
            _ => return Ok(Verification::Unverified),
        };
        if actual != expected {
            return Err(integrity(resource, algorithm, &expected, &actual));
        }
        Ok(verification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_checked_against_what_is_expected() {
        let bytes = b"some content";
        let sha = Identity::Sha512(awsimple_core::sha512(bytes).to_hex());
        let sha = Expected::of(&sha, Some("ignored: the identity wins"));
        assert_eq!(
            verify_bytes("s3://b/k", &sha, bytes).unwrap(),
            Verification::Sha512
        );
        assert!(matches!(
            verify_bytes("s3://b/k", &sha, b"other content"),
            Err(Error::Integrity { .. })
        ));
        let mut crc = Crc64::new();
        crc.update(bytes);
        let crc = Expected::of(&Identity::Crc64Nvme(crc.finish()), None);
        assert_eq!(
            verify_bytes("s3://b/k", &crc, bytes).unwrap(),
            Verification::Crc64Nvme
        );
        assert!(matches!(
            verify_bytes("s3://b/k", &crc, b"other content"),
            Err(Error::Integrity { .. })
        ));
        let substitute = Identity::Substitute("anything".into());
        // MD5("abc"), RFC 1321.
        let md5 = Expected::of(&substitute, Some("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(
            verify_bytes("s3://b/k", &md5, b"abc").unwrap(),
            Verification::Md5Etag
        );
        match verify_bytes("s3://b/k", &md5, b"abd") {
            Err(Error::Integrity { algorithm, .. }) => assert_eq!(algorithm, "MD5"),
            other => panic!("{other:?}"),
        }
        let nothing = Expected::of(&substitute, None);
        assert_eq!(
            verify_bytes("s3://b/k", &nothing, b"whatever").unwrap(),
            Verification::Unverified
        );
    }
}
