//! The second implementations the test suite also runs against: [s3s-fs] for S3 and [dynalite]
//! for DynamoDB, beside moto (see [`crate::emulator`]). Each is installed project-locally under
//! `<workspace>/.tools/` when missing, started on a free loopback port, checked for health, and
//! stopped (killed) at the end; should the process that started it die first, a small watchdog
//! kills it within a second or two.
//!
//! Only `std`, like [`crate::emulator`]: `cargo xtask` uses it.
//!
//! [s3s-fs]: https://crates.io/crates/s3s-fs
//! [dynalite]: https://www.npmjs.com/package/dynalite

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::emulator::free_port;

/// The environment variable naming the server a test run is against (`moto` when unset); set by
/// `cargo xtask test --server <name>` and read by [`crate::skips`].
pub const SERVER_VAR: &str = "AWSIMPLE_TEST_SERVER";

/// The s3s-fs release installed (the newest whose minimum Rust is the workspace's toolchain;
/// 0.17 needs rustc 1.96).
pub const S3S_FS_VERSION: &str = "0.14.1";

/// The dynalite release installed.
pub const DYNALITE_VERSION: &str = "4.0.0";

/// An implementation of the AWS APIs the tests can run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// moto (every service); the default.
    Moto,
    /// s3s-fs: S3 on a local folder.
    S3sFs,
    /// dynalite: DynamoDB on LevelDB (in memory here).
    Dynalite,
}

impl Server {
    /// Every server, moto first.
    pub const ALL: [Server; 3] = [Server::Moto, Server::S3sFs, Server::Dynalite];

    /// Its name on the command line and in [`SERVER_VAR`]: `moto`, `s3s-fs`, `dynalite`.
    pub fn name(self) -> &'static str {
        match self {
            Server::Moto => "moto",
            Server::S3sFs => "s3s-fs",
            Server::Dynalite => "dynalite",
        }
    }

    /// The server named `name`.
    pub fn parse(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The server of this test run: [`SERVER_VAR`], moto when unset or unknown.
    pub fn current() -> Server {
        std::env::var(SERVER_VAR)
            .ok()
            .and_then(|name| Server::parse(&name))
            .unwrap_or(Server::Moto)
    }

    /// The crates whose integration tests run against it (every crate for moto).
    pub fn test_packages(self) -> &'static [&'static str] {
        match self {
            Server::Moto => &[],
            Server::S3sFs => &["awsimple-s3"],
            Server::Dynalite => &["awsimple-dynamodb"],
        }
    }
}

/// `<workspace>/.tools`, where the extra servers are installed (git-ignored).
pub fn tools_dir(workspace_root: &Path) -> PathBuf {
    workspace_root.join(".tools")
}

/// The program to run for `server`, when installed (`None` for moto: see [`crate::emulator`]).
pub fn installed_program(server: Server, workspace_root: &Path) -> Option<PathBuf> {
    let tools = tools_dir(workspace_root);
    let program = match server {
        Server::Moto => return None,
        Server::S3sFs => tools.join("s3s-fs").join("bin").join("s3s-fs"),
        Server::Dynalite => tools
            .join("dynalite")
            .join("node_modules")
            .join("dynalite")
            .join("cli.js"),
    };
    program.is_file().then_some(program)
}

/// The install command for `server` (`cargo install` / `npm install` into `.tools/<name>`).
pub fn install_command(server: Server, workspace_root: &Path) -> Option<Command> {
    let root = tools_dir(workspace_root).join(server.name());
    match server {
        Server::Moto => None,
        Server::S3sFs => {
            let mut command =
                Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            command
                .arg("install")
                .arg("--root")
                .arg(&root)
                .arg(format!("s3s-fs@{S3S_FS_VERSION}"))
                .args(["--features", "binary", "--locked", "--quiet"]);
            Some(command)
        }
        Server::Dynalite => {
            let mut command = Command::new("npm");
            command
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&root)
                .arg(format!("dynalite@{DYNALITE_VERSION}"));
            Some(command)
        }
    }
}

/// The installed program for `server`, installing it first when missing. `log` hears what
/// happens, the install's duration included.
pub fn find_or_install(
    server: Server,
    workspace_root: &Path,
    log: &dyn Fn(&str),
) -> Result<PathBuf, String> {
    if let Some(program) = installed_program(server, workspace_root) {
        return Ok(program);
    }
    let mut command = install_command(server, workspace_root)
        .ok_or_else(|| "moto is installed by `emulator::find_or_install_moto`".to_owned())?;
    log(&format!(
        "installing {} into {} (once)",
        server.name(),
        tools_dir(workspace_root).join(server.name()).display()
    ));
    let started = Instant::now();
    let status = command
        .current_dir(workspace_root)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not run the {} install: {e}", server.name()))?;
    log(&format!(
        "{} installed in {:.1} s",
        server.name(),
        started.elapsed().as_secs_f64()
    ));
    if !status.success() {
        return Err(format!("installing {} failed ({status})", server.name()));
    }
    installed_program(server, workspace_root).ok_or_else(|| {
        format!(
            "{} was installed but its program is not where expected",
            server.name()
        )
    })
}

/// A running s3s-fs or dynalite. Dropping it stops the server (and removes its data folder).
#[derive(Debug)]
pub struct ServerProcess {
    server: Server,
    child: Child,
    endpoint: String,
    data: Option<PathBuf>,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `server` (installing it when missing) on 127.0.0.1 and a free port, and waits until
    /// it accepts connections. s3s-fs checks request signatures: it is given `access_key` and
    /// `secret_key`, which the clients must use.
    pub fn start(
        server: Server,
        workspace_root: &Path,
        access_key: &str,
        secret_key: &str,
        log: &dyn Fn(&str),
    ) -> Result<Self, String> {
        let program = find_or_install(server, workspace_root, log)?;
        let port = free_port()?;
        let tag = format!("{}-{}-{port}", server.name(), std::process::id());
        let log_path = std::env::temp_dir().join(format!("awsimple-{tag}.log"));
        let mut args: Vec<String> = Vec::new();
        let mut data = None;
        match server {
            Server::Moto => return Err("moto is started by `emulator::reuse_or_start`".into()),
            Server::S3sFs => {
                let dir = std::env::temp_dir().join(format!("awsimple-{tag}-data"));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
                args.push(program.display().to_string());
                args.extend(
                    [
                        "--host",
                        "127.0.0.1",
                        "--port",
                        &port.to_string(),
                        "--access-key",
                        access_key,
                        "--secret-key",
                        secret_key,
                    ]
                    .map(str::to_owned),
                );
                args.push(dir.display().to_string());
                data = Some(dir);
            }
            Server::Dynalite => {
                args.extend(["node".to_owned(), program.display().to_string()]);
                args.extend(
                    [
                        "--host",
                        "127.0.0.1",
                        "--port",
                        &port.to_string(),
                        // Tables are ACTIVE at once: tests wait for nothing.
                        "--createTableMs",
                        "0",
                        "--deleteTableMs",
                        "0",
                        "--updateTableMs",
                        "0",
                    ]
                    .map(str::to_owned),
                );
            }
        }
        let file = std::fs::File::create(&log_path)
            .map_err(|e| format!("could not create {}: {e}", log_path.display()))?;
        let err_file = file
            .try_clone()
            .map_err(|e| format!("could not create {}: {e}", log_path.display()))?;
        let mut command = watched(&args);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err_file));
        let child = command
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", server.name()))?;
        let mut process = Self {
            server,
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            data,
            log: log_path,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(format!(
                    "{} exited at start-up ({status}): {}",
                    server.name(),
                    process.log_tail()
                ));
            }
            if process.is_healthy() {
                return Ok(process);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not accept connections on port {port} in time: {}",
                    server.name(),
                    process.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Which server this is.
    pub fn server(&self) -> Server {
        self.server
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while it runs and accepts connections.
    pub fn is_healthy(&mut self) -> bool {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return false;
        }
        let Some(port) = self
            .endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
        else {
            return false;
        };
        TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_millis(500),
        )
        .is_ok()
    }

    /// The last lines the server wrote (for error messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(10).collect();
        if lines.is_empty() {
            "(it printed nothing)".to_owned()
        } else {
            lines.into_iter().rev().collect::<Vec<_>>().join("\n")
        }
    }

    /// Kills the server, waits for it, and removes its data folder and log.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.data.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `args` run so that the server dies with this process: on Unix a `sh` whose background loop
/// kills the server once this process is gone, then `exec`s the server (so the child's pid is
/// the server's, and killing the child kills the server).
fn watched(args: &[String]) -> Command {
    if cfg!(unix) {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(
                "p=$1; shift; \
                 (while kill -0 \"$p\" 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 1; done; \
                 kill $$ 2>/dev/null) & exec \"$@\"",
            )
            .arg("sh")
            .arg(std::process::id().to_string())
            .args(args);
        command
    } else {
        let mut command = Command::new(&args[0]);
        command.args(&args[1..]);
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for server in Server::ALL {
            assert_eq!(Server::parse(server.name()), Some(server));
        }
        assert_eq!(Server::parse("localstack"), None);
    }

    #[test]
    fn the_install_commands_are_project_local_and_pinned() {
        let root = Path::new("/w");
        let s3s = install_command(Server::S3sFs, root).map(|c| {
            c.get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        });
        assert_eq!(
            s3s.as_deref().map(|a| &a[..4]),
            Some(&["install", "--root", "/w/.tools/s3s-fs", "s3s-fs@0.14.1"].map(String::from)[..])
        );
        let npm = install_command(Server::Dynalite, root).map(|c| {
            c.get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        });
        assert!(npm.is_some_and(|a| {
            a.ends_with(&["/w/.tools/dynalite".to_owned(), "dynalite@4.0.0".to_owned()])
        }));
        assert!(install_command(Server::Moto, root).is_none());
    }
}
