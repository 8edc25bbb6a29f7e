//! The native checksum of single-part writes, and its fallback on stores that refuse it.
//!
//! AWS accepts SHA-512; S3-compatible stores older than it answer `400 InvalidRequest`
//! ("unsupported checksum algorithm", SeaweedFS) or `InvalidArgument` / `NotImplemented`
//! ("unsupported header"). A write refused so is sent again with the next algorithm
//! (SHA-512, CRC64NVME, CRC32, then none), and the handle (every clone) keeps the one that
//! worked, so only its first write pays. The `awsimple-sha512` metadata goes with every
//! write: the content identity shared with Python stays the SHA-512 whatever the algorithm.

use std::sync::atomic::{AtomicU8, Ordering};

use awsimple_core::Error;

/// The native checksum single-part writes (`write_*`, small `upload`s) send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum WriteChecksum {
    /// SHA-512, computed by awsimple (S3 validates and stores it). The default.
    #[default]
    Sha512,
    /// A full-object CRC64NVME, computed by the SDK.
    Crc64Nvme,
    /// A CRC32, computed by the SDK (stores without CRC64NVME mostly have it).
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

    /// `refused` was refused: moves on to its fallback unless another write has moved on
    /// already (then to wherever that one went). Returns the algorithm to try next, `None`
    /// when there is none.
    pub(crate) fn refused(&self, refused: WriteChecksum) -> Option<WriteChecksum> {
        let next = refused.fallback()?;
        match self.0.compare_exchange(
            refused.index(),
            next.index(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Some(next),
            Err(now) => {
                let now = WriteChecksum::from_index(now);
                // Never back to an algorithm already refused.
                Some(if now.index() > refused.index() {
                    now
                } else {
                    next
                })
            }
        }
    }
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
}
