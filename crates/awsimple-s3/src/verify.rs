//! Checking downloaded bytes: against an object's identity (whole or as they stream past), and
//! telling a failed SDK checksum validation from a body that was cut off.

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use awsimple_core::{Error, Result, Sha512Hasher};

use crate::identity::{Crc64, Identity};

/// Checks bytes against an identity (SHA-512 or CRC64NVME; a substitute checks nothing).
pub(crate) fn verify_bytes(resource: &str, expected: &Identity, bytes: &[u8]) -> Result<()> {
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

/// The checksum of an object's identity, computed as the bytes stream past in order.
pub(crate) struct ContentCheck {
    sha512: Option<Sha512Hasher>,
    crc64: Option<Crc64>,
    expected: Identity,
}

impl ContentCheck {
    pub(crate) fn new(expected: &Identity) -> Self {
        Self {
            sha512: matches!(expected, Identity::Sha512(_)).then(Sha512Hasher::new),
            crc64: matches!(expected, Identity::Crc64Nvme(_)).then(Crc64::new),
            expected: expected.clone(),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        if let Some(h) = self.sha512.as_mut() {
            h.update(data);
        }
        if let Some(c) = self.crc64.as_mut() {
            c.update(data);
        }
    }

    /// Compares with the identity (a substitute identity checks nothing).
    pub(crate) fn verify(self, resource: &str) -> Result<()> {
        match (&self.expected, self.sha512, self.crc64) {
            (Identity::Sha512(hex), Some(h), _) => {
                let actual = h.finish().to_hex();
                if &actual != hex {
                    return Err(integrity(resource, "SHA-512", hex, &actual));
                }
            }
            (Identity::Crc64Nvme(b64), _, Some(c)) => {
                let actual = c.finish();
                if &actual != b64 {
                    return Err(integrity(resource, "CRC64NVME", b64, &actual));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_checked_against_their_identity() {
        let bytes = b"some content";
        let sha = Identity::Sha512(awsimple_core::sha512(bytes).to_hex());
        assert!(verify_bytes("s3://b/k", &sha, bytes).is_ok());
        assert!(matches!(
            verify_bytes("s3://b/k", &sha, b"other content"),
            Err(Error::Integrity { .. })
        ));
        let mut crc = Crc64::new();
        crc.update(bytes);
        let crc = Identity::Crc64Nvme(crc.finish());
        assert!(verify_bytes("s3://b/k", &crc, bytes).is_ok());
        assert!(matches!(
            verify_bytes("s3://b/k", &crc, b"other content"),
            Err(Error::Integrity { .. })
        ));
        let substitute = Identity::Substitute("anything".into());
        assert!(verify_bytes("s3://b/k", &substitute, b"whatever").is_ok());
    }
}
