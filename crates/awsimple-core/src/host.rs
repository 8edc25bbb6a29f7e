//! Who and where this process is: the names Python `awsimple` derives node and stream names
//! from, and the disk figures it reports.

use std::path::Path;

/// The host name: the kernel's (Linux), else `HOSTNAME` / `COMPUTERNAME`, else `localhost`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The user name the way Python's `getpass.getuser()` finds it: the first non-empty of
/// `LOGNAME`, `USER`, `LNAME`, `USERNAME`, then the password database entry of the process's
/// user (Unix); `user` when none is found.
pub fn user_name() -> String {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|name| !name.is_empty())
        .or_else(password_database_name)
        .unwrap_or_else(|| "user".to_owned())
}

/// `<host name>-<user name>`: the default pub/sub node name and log stream name, equal to the
/// Python package's for the same host and user.
pub fn default_node_name() -> String {
    format!("{}-{}", host_name(), user_name())
}

#[cfg(unix)]
fn password_database_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is the process's real user (Linux); elsewhere no answer.
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd_name_of(&passwd, uid)
}

#[cfg(not(unix))]
fn password_database_name() -> Option<String> {
    None
}

/// The name of user `uid` in the text of an `/etc/passwd` file.
#[cfg_attr(not(unix), allow(dead_code))]
fn passwd_name_of(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?.parse::<u32>().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// Bytes free for this user on the file system holding `path` (Python's `get_disk_free`).
pub fn disk_free(path: impl AsRef<Path>) -> std::io::Result<u64> {
    fs4::available_space(path)
}

/// The bytes of every regular file below `path`, symbolic links not followed (Python's
/// `get_directory_size`). Entries that vanish while it counts are skipped.
pub fn directory_size(path: impl AsRef<Path>) -> std::io::Result<u64> {
    let mut total = 0;
    let mut pending = vec![path.as_ref().to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                total += entry.metadata().map_or(0, |m| m.len());
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_database_is_read_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      # comment\n\
                      alice:x:1000:1000:Alice:/home/alice:/bin/sh\n";
        assert_eq!(passwd_name_of(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(passwd_name_of(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name_of(passwd, 42), None);
    }

    #[test]
    fn directory_size_counts_files_below() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("a"), [0_u8; 10]).expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub").join("b"), [0_u8; 5]).expect("write");
        assert_eq!(directory_size(dir.path()).expect("size"), 15);
        assert!(disk_free(dir.path()).expect("free") > 0);
    }
}
