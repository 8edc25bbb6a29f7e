//! Local files on the blocking pool: the error of a blocking task that did not finish,
//! positional writes, whether a path still names the file we hold open, and whether the file
//! system can hold a path's names at all.

use std::path::{Component, Path};

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

/// The longest file name where no file system tells (bytes on Unix, UTF-16 units on Windows).
const DEFAULT_NAME_MAX: u64 = 255;

/// The longest file name the file system of `path` (its nearest existing ancestor) takes.
fn name_max(path: &Path) -> u64 {
    #[cfg(unix)]
    {
        let existing = path
            .ancestors()
            .find(|p| !p.as_os_str().is_empty() && p.exists())
            .unwrap_or(Path::new("."));
        match rustix::fs::statvfs(existing) {
            Ok(stats) if stats.f_namemax > 0 => stats.f_namemax,
            _ => DEFAULT_NAME_MAX,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        DEFAULT_NAME_MAX
    }
}

/// The length of a file name as its file system counts it.
fn name_len(name: &std::ffi::OsStr) -> u64 {
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        name.encode_wide().count() as u64
    }
    #[cfg(not(windows))]
    {
        name.as_encoded_bytes().len() as u64
    }
}

/// Fails with [`Error::InvalidInput`] when a name in `path` is longer than its file system
/// takes (NAME_MAX; 255 where it does not tell): checked before a download, which would
/// otherwise fail at the end, after the transfer, with folders made for nothing.
pub(crate) fn check_name_lengths(path: &Path) -> Result<(), Error> {
    let max = name_max(path);
    for component in path.components() {
        if let Component::Normal(name) = component {
            let len = name_len(name);
            if len > max {
                let shown = name.to_string_lossy();
                return Err(Error::invalid(
                    format!(
                        "local path {:?}",
                        path.display()
                            .to_string()
                            .chars()
                            .take(80)
                            .collect::<String>()
                    ),
                    format!(
                        "the name {:?}... is {len} bytes long, over the file system's limit of \
                         {max}",
                        shown.chars().take(40).collect::<String>()
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_longer_than_the_file_system_takes_are_refused() {
        let dir = std::env::temp_dir();
        assert!(check_name_lengths(&dir.join("a").join("b.txt")).is_ok());
        assert!(check_name_lengths(&dir.join("x".repeat(255))).is_ok());
        let long = dir.join("sub").join("x".repeat(300)).join("f");
        assert!(matches!(
            check_name_lengths(&long),
            Err(Error::InvalidInput { .. })
        ));
        assert!(
            check_name_lengths(&dir.join("é".repeat(200))).is_err(),
            "400 bytes"
        );
    }
}
