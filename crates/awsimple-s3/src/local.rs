//! Local files on the blocking pool: the error of a blocking task that did not finish,
//! positional writes, and whether a path still names the file we hold open.

use std::path::Path;

use awsimple_core::Error;

/// A blocking task about `path` that panicked or was cancelled, as an I/O error on `path`.
pub(crate) fn blocking_err(path: &Path, e: tokio::task::JoinError) -> Error {
    Error::io(path, std::io::Error::other(e))
}

/// Writes all of `buf` at `offset` without moving a shared cursor, so ranges can be written
/// from several threads at once.
pub(crate) fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_write(file, buf, offset) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// True when `path` still names `file` (the same device and inode, not followed through a
/// symlink): a file another process renamed over it is told apart. Always true where the
/// platform gives no inode (Windows).
pub(crate) fn still_names(path: &Path, file: &std::fs::File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        true
    }
}
