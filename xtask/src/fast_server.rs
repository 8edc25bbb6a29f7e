//! The fast-server lane's S3 server: s3s-fs (an S3 API over a local folder, from crates.io) on
//! loopback, a server that is not the bottleneck of a transfer (unlike moto, which answers one
//! request at a time and reads the whole object for every ranged GET).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, run};

/// The s3s-fs release installed (the newest that builds with this workspace's Rust).
const S3S_FS: &str = "s3s-fs@0.14.1";

/// The s3s-fs binary under `<root>/.tools/s3s-fs`, installed there with `cargo install` when
/// missing (the same install root as the test tooling's, so both share one binary).
pub(crate) fn ensure_s3s_fs(root: &Path) -> Result<PathBuf> {
    let install_root = root.join(".tools").join("s3s-fs");
    let binary = install_root
        .join("bin")
        .join(format!("s3s-fs{}", std::env::consts::EXE_SUFFIX));
    if binary.is_file() {
        return Ok(binary);
    }
    println!("    installing {S3S_FS} into {}", install_root.display());
    run(
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .arg("install")
            .arg("--root")
            .arg(&install_root)
            .args([S3S_FS, "--features", "binary", "--locked"]),
        "cargo install s3s-fs",
    )?;
    Ok(binary)
}

/// A running s3s-fs, stopped (and its folder removed) when dropped.
pub(crate) struct FastServer {
    child: Child,
    endpoint: String,
    data: PathBuf,
}

impl FastServer {
    /// Starts s3s-fs on a free loopback port over an empty `data` folder, accepting the
    /// credentials `access_key` / `secret_key`, and waits until it accepts connections.
    pub(crate) fn start(
        binary: &Path,
        data: &Path,
        access_key: &str,
        secret_key: &str,
    ) -> Result<Self> {
        let _ = std::fs::remove_dir_all(data);
        std::fs::create_dir_all(data).map_err(|e| format!("{}: {e}", data.display()))?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?
            .port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", access_key, "--secret-key", secret_key])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
        let mut server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            data: data.to_path_buf(),
        };
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("s3s-fs exited at start ({status})"));
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err("s3s-fs did not listen within 30 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl Drop for FastServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
