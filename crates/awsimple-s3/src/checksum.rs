//! The native checksum of writes, and its fallback on stores that refuse it.
//!
//! AWS accepts SHA-512; S3-compatible stores older than it answer `400 InvalidRequest`
//! ("unsupported checksum algorithm", SeaweedFS) or `InvalidArgument` / `NotImplemented`
//! ("unsupported header"). A write refused so is sent again with the next algorithm
//! (SHA-512, CRC64NVME, CRC32, then none), and the handle (every clone) keeps the one that
//! worked, so only its first write pays. Multipart uploads share the state: SHA-512 is
//! single-part only, so they send CRC64NVME (full object) for SHA-512 and CRC64NVME, CRC32
//! (per part, composite) and none; a refusal there moves the handle past the refused
//! algorithm too. The `awsimple-sha512` metadata goes with every write: the content identity
//! shared with Python stays the SHA-512 whatever the algorithm.

use std::sync::atomic::{AtomicU8, Ordering};

use aws_sdk_s3::config::RequestChecksumCalculation;
use awsimple_core::Error;
use tracing::warn;

/// The native checksum writes send: single-part ones (`write_*`, small `upload`s) this one,
/// multipart uploads [`WriteChecksum::Crc64Nvme`] for [`WriteChecksum::Sha512`] (S3 has no
/// SHA-512 of a whole multipart object).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum WriteChecksum {
    /// SHA-512, computed by awsimple (S3 validates and stores it). The default.
    #[default]
    Sha512,
    /// A full-object CRC64NVME, computed by the SDK.
    Crc64Nvme,
    /// A CRC32, computed by the SDK (stores without CRC64NVME mostly have it); per part
    /// (composite) in multipart uploads.
    Crc32,
    /// No checksum header (the `awsimple-sha512` metadata only), for stores that refuse them.
    None,
}

impl WriteChecksum {
    const ORDER: [WriteChecksum; 4] = [
        WriteChecksum::Sha512,
        WriteChecksum::Crc64Nvme,
        WriteChecksum::Crc32,
        WriteChecksum::None,
    ];

    fn index(self) -> u8 {
        match self {
            WriteChecksum::Sha512 => 0,
            WriteChecksum::Crc64Nvme => 1,
            WriteChecksum::Crc32 => 2,
            WriteChecksum::None => 3,
        }
    }

    fn from_index(index: u8) -> Self {
        Self::ORDER
            .get(usize::from(index))
            .copied()
            .unwrap_or(WriteChecksum::None)
    }

    /// The algorithm of a multipart upload of a handle at this one: S3 has no full-object
    /// SHA-512, so a full-object CRC64NVME instead.
    pub(crate) fn multipart(self) -> Self {
        match self {
            WriteChecksum::Sha512 => WriteChecksum::Crc64Nvme,
            other => other,
        }
    }

    /// The algorithm tried when this one is refused.
    pub(crate) fn fallback(self) -> Option<Self> {
        Self::ORDER.get(usize::from(self.index()) + 1).copied()
    }
}

/// The algorithm of a handle, shared by its clones.
#[derive(Debug)]
pub(crate) struct CurrentChecksum(AtomicU8);

impl CurrentChecksum {
    pub(crate) fn new(start: WriteChecksum) -> Self {
        Self(AtomicU8::new(start.index()))
    }

    pub(crate) fn get(&self) -> WriteChecksum {
        WriteChecksum::from_index(self.0.load(Ordering::Acquire))
    }

    /// `refused` was refused: moves on to its fallback unless another write has moved further
    /// already (then to wherever that one went); never back to an algorithm refused. A
    /// multipart upload's refusal of CRC64NVME moves a handle still at SHA-512 past both.
    /// Returns the algorithm to try next, `None` when there is none.
    pub(crate) fn refused(&self, refused: WriteChecksum) -> Option<WriteChecksum> {
        let next = refused.fallback()?.index();
        let before = self.0.fetch_max(next, Ordering::AcqRel);
        Some(WriteChecksum::from_index(before.max(next)))
    }

    /// [`CurrentChecksum::refused`], logged: the write of `operation` in `bucket` was refused
    /// with `error`.
    pub(crate) fn fall_back(
        &self,
        bucket: &str,
        operation: &str,
        refused: WriteChecksum,
        error: &Error,
    ) -> Option<WriteChecksum> {
        let next = self.refused(refused)?;
        warn!(
            bucket,
            operation,
            refused = ?refused,
            next = ?next,
            %error,
            "the store refuses the checksum algorithm: this handle falls back"
        );
        Some(next)
    }
}

/// The configuration override of requests sent with [`WriteChecksum::None`]: not even the
/// SDK's default CRC32, only what an operation requires (none of the writes).
pub(crate) fn without_checksum() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default()
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
}

/// Did the store refuse the checksum algorithm (not the content, not the request)?
/// `BadDigest` (a checksum that does not match) is never one: that is a corruption.
pub(crate) fn refuses_checksum(e: &Error) -> bool {
    let Error::Service {
        code,
        message,
        status,
        ..
    } = e
    else {
        return false;
    };
    let status_fits = matches!(status, Some(400) | Some(501));
    let message = message.to_ascii_lowercase();
    let about_checksum = message.contains("checksum");
    match &**code {
        "NotImplemented" => status_fits,
        "InvalidRequest" | "InvalidArgument" | "BadRequest" | "HTTP 400" | "HTTP 501" => {
            status_fits && about_checksum
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, message: &str, status: u16) -> Error {
        Error::Service {
            resource: "s3://b/k".to_owned(),
            operation: "PutObject",
            code: code.into(),
            message: message.to_owned(),
            status: Some(status),
            request_id: None,
            source: None,
        }
    }

    #[test]
    fn refusals_of_the_algorithm_are_told_apart() {
        assert!(refuses_checksum(&service(
            "InvalidRequest",
            "unsupported checksum algorithm",
            400
        )));
        assert!(refuses_checksum(&service(
            "InvalidArgument",
            "Unsupported header 'x-amz-checksum-algorithm' received for this API call.",
            400
        )));
        assert!(refuses_checksum(&service("NotImplemented", "", 501)));
        assert!(!refuses_checksum(&service(
            "BadDigest",
            "The SHA512 you specified did not match the calculated checksum.",
            400
        )));
        assert!(!refuses_checksum(&service(
            "InvalidRequest",
            "Missing required header for this request: Content-Length",
            400
        )));
        assert!(!refuses_checksum(&service(
            "InternalError",
            "checksum",
            500
        )));
    }

    #[test]
    fn fallbacks_go_down_once() {
        let current = CurrentChecksum::new(WriteChecksum::Sha512);
        assert_eq!(
            current.refused(WriteChecksum::Sha512),
            Some(WriteChecksum::Crc64Nvme)
        );
        // A second write refused with SHA-512 at the same time does not go further.
        assert_eq!(
            current.refused(WriteChecksum::Sha512),
            Some(WriteChecksum::Crc64Nvme)
        );
        assert_eq!(current.get(), WriteChecksum::Crc64Nvme);
        assert_eq!(
            current.refused(WriteChecksum::Crc64Nvme),
            Some(WriteChecksum::Crc32)
        );
        assert_eq!(
            current.refused(WriteChecksum::Crc32),
            Some(WriteChecksum::None)
        );
        assert_eq!(current.refused(WriteChecksum::None), None);
        assert_eq!(current.get(), WriteChecksum::None);
    }

    #[test]
    fn a_multipart_refusal_moves_a_single_part_handle_past_it() {
        let current = CurrentChecksum::new(WriteChecksum::Sha512);
        let multipart = current.get().multipart();
        assert_eq!(multipart, WriteChecksum::Crc64Nvme);
        assert_eq!(current.refused(multipart), Some(WriteChecksum::Crc32));
        assert_eq!(current.get(), WriteChecksum::Crc32);
        // A single-part write refused with SHA-512 meanwhile does not go back up.
        assert_eq!(
            current.refused(WriteChecksum::Sha512),
            Some(WriteChecksum::Crc32)
        );
        assert_eq!(current.get(), WriteChecksum::Crc32);
    }
}
