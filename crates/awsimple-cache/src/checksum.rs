//! The on-disk format of entries and slots: a 24-byte header, then the content.
//!
//! | bytes  | what                                                               |
//! |--------|--------------------------------------------------------------------|
//! | 0..8   | `awsimc01`: this format                                            |
//! | 8..16  | content length, little-endian `u64`                                |
//! | 16..24 | CRC64NVME of the name, a NUL byte and the content, little-endian   |
//!
//! The header is written into the same temporary file as the content, so the one rename that
//! publishes an entry publishes its checksum with it. The name is part of the checksum, so a
//! file moved to another name does not match either. A file is only served when its header is
//! well-formed, its length is the header's and the checksum of what was read matches.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crc_fast::{CrcAlgorithm, Digest};

/// Bytes before the content.
pub(crate) const HEADER_LEN: u64 = 24;
const MAGIC: &[u8; 8] = b"awsimc01";
/// Read (and written) this much at a time.
const BUFFER: usize = 256 << 10;

/// Why a file was not served.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The file does not hold what was stored: it is removed.
    Bad(&'static str),
    /// Reading it or writing the copy failed: a miss, the file is kept.
    Io(io::Error),
}

impl From<io::Error> for Refusal {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Refusal::Bad("shorter than its header says")
        } else {
            Refusal::Io(e)
        }
    }
}

/// The header of a file, checked against the file's length and the expected content size.
#[derive(Debug)]
pub(crate) struct Header {
    len: u64,
    crc: u64,
}

impl Header {
    /// The content length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

fn digest(name: &str) -> Digest {
    let mut digest = Digest::new(CrcAlgorithm::Crc64Nvme);
    digest.update(name.as_bytes());
    digest.update(&[0]);
    digest
}

fn encode(len: u64, crc: u64) -> [u8; HEADER_LEN as usize] {
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(MAGIC);
    header[8..16].copy_from_slice(&len.to_le_bytes());
    header[16..].copy_from_slice(&crc.to_le_bytes());
    header
}

/// Writes `bytes` stored under `name` (header, then content) to `file` at its position.
pub(crate) fn write_bytes(file: &mut File, name: &str, bytes: &[u8]) -> io::Result<()> {
    let mut digest = digest(name);
    digest.update(bytes);
    file.write_all(&encode(bytes.len() as u64, digest.finalize()))?;
    file.write_all(bytes)
}

/// Writes everything `source` holds, stored under `name`, to `file` (which must be empty): the
/// header is written last, once the checksum is known. Returns the content length.
pub(crate) fn write_from(file: &mut File, name: &str, source: &mut impl Read) -> io::Result<u64> {
    let mut digest = digest(name);
    file.write_all(&[0u8; HEADER_LEN as usize])?;
    let mut buffer = vec![0u8; BUFFER];
    let mut len = 0u64;
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buffer[..n];
        digest.update(chunk);
        file.write_all(chunk)?;
        len += n as u64;
    }
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&encode(len, digest.finalize()))?;
    Ok(len)
}

/// Reads and checks the header of `file` (at its start; `file_len` from the open handle):
/// well-formed, the file is exactly header + content, and the content has the expected size.
pub(crate) fn read_header(
    file: &mut File,
    file_len: u64,
    expected_size: Option<u64>,
) -> Result<Header, Refusal> {
    if file_len < HEADER_LEN {
        return Err(Refusal::Bad("too short for a header"));
    }
    let mut raw = [0u8; HEADER_LEN as usize];
    file.read_exact(&mut raw)?;
    let (magic, rest) = raw.split_at(8);
    let (len, crc) = rest.split_at(8);
    if magic != MAGIC {
        return Err(Refusal::Bad("not written by this cache (no header)"));
    }
    let header = Header {
        len: u64::from_le_bytes(len.try_into().map_err(|_| Refusal::Bad("header"))?),
        crc: u64::from_le_bytes(crc.try_into().map_err(|_| Refusal::Bad("header"))?),
    };
    if header.len.checked_add(HEADER_LEN) != Some(file_len) {
        return Err(Refusal::Bad("its length is not the header's"));
    }
    if expected_size.is_some_and(|expected| expected != header.len) {
        return Err(Refusal::Bad("wrong size"));
    }
    Ok(header)
}

/// Copies the content of `file` (positioned after its `header`) to `sink`, checking it on the
/// way: an error when it is not the content stored under `name`, in which case `sink` holds a
/// partial or wrong copy the caller must discard.
pub(crate) fn copy_checked(
    file: &mut File,
    header: &Header,
    name: &str,
    sink: &mut impl Write,
) -> Result<(), Refusal> {
    let mut digest = digest(name);
    // One more byte than the content may hold, to notice a file that grew.
    let mut buffer = vec![0u8; BUFFER.min(header.len as usize + 1).max(1)];
    let mut len = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Refusal::Io(e)),
        };
        len += n as u64;
        if len > header.len {
            return Err(Refusal::Bad("longer than its header says"));
        }
        let chunk = &buffer[..n];
        digest.update(chunk);
        sink.write_all(chunk).map_err(Refusal::Io)?;
    }
    if len != header.len {
        return Err(Refusal::Bad("shorter than its header says"));
    }
    if digest.finalize() != header.crc {
        return Err(Refusal::Bad("checksum mismatch"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round_trip(name: &str, bytes: &[u8], streamed: bool) -> Result<Vec<u8>, Refusal> {
        let mut file = tempfile::tempfile().unwrap();
        if streamed {
            write_from(&mut file, name, &mut &bytes[..]).unwrap();
        } else {
            write_bytes(&mut file, name, bytes).unwrap();
        }
        let file_len = file.metadata().unwrap().len();
        assert_eq!(file_len, HEADER_LEN + bytes.len() as u64);
        file.seek(SeekFrom::Start(0)).unwrap();
        let header = read_header(&mut file, file_len, Some(bytes.len() as u64))?;
        let mut out = Vec::new();
        copy_checked(&mut file, &header, "abc", &mut out)?;
        Ok(out)
    }

    #[test]
    fn both_writers_write_the_same_format() {
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 241) as u8).collect();
        for streamed in [false, true] {
            assert_eq!(round_trip("abc", &bytes, streamed).unwrap(), bytes);
            assert_eq!(round_trip("abc", b"", streamed).unwrap(), b"");
            assert!(matches!(
                round_trip("abd", b"x", streamed),
                Err(Refusal::Bad("checksum mismatch"))
            ));
        }
    }
}
