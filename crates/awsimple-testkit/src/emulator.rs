//! Finding, installing, starting and stopping the moto server, a real AWS API over HTTP.
//!
//! Only `std`: `cargo xtask` uses this module (with the crate's default features off), so the
//! project's tooling and the test fixture share one implementation without xtask depending on
//! the AWS SDK.
//!
//! [`reuse_or_start`] is what both do: the emulator at `AWS_ENDPOINT_URL` when that is set, else
//! moto found (or installed into the project's venv) and started on a free loopback port.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto release the project installs when none is found (PyPI `moto[server]`).
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// Installed beside moto: without `awscrt`, moto computes the CRC64NVME checksums it makes
/// itself as a 4-byte CRC32 under the CRC64NVME name, which no real S3 does.
pub const AWSCRT_REQUIREMENT: &str = "awscrt==0.38.0";

/// How to start an emulator, for messages.
pub const HOW_TO_START: &str = "start one with `cargo xtask emulator` and export the \
AWS_ENDPOINT_URL it prints, or install it with `pip install 'moto[server]>=5.2.5' awscrt` so that tests can \
start it themselves (the project's tooling also installs it into <workspace>/.venv when pip works)";

/// Python run in place of `moto_server`: it starts moto in-process and exits as soon as the
/// process that started it is gone (its parent id changes), so no emulator outlives its tests
/// even when they are killed.
const WATCHDOG: &str = r#"
import os, sys, threading, time
parent = os.getppid()
def watch():
    while True:
        time.sleep(0.3)
        if os.getppid() != parent:
            os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"#;

/// A Python interpreter that can run moto's server.
#[derive(Clone, Debug)]
pub struct MotoPython {
    /// The interpreter.
    pub python: PathBuf,
    /// Where it was found (for messages).
    pub origin: String,
}

fn python_has_moto(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            // moto before 5.2.5 fails some full-object-checksum multipart completions, and
            // moto without awscrt makes wrong CRC64NVME checksums: such installs are passed over
            // (and the pinned ones installed into the project's venv).
            "import importlib.util as u, importlib.metadata as m, sys; \
             ok = u.find_spec('moto') and u.find_spec('flask') and u.find_spec('werkzeug') \
             and u.find_spec('awscrt'); \
             v = tuple(int(p) for p in m.version('moto').split('.')[:3] if p.isdigit()) if ok else (); \
             sys.exit(0 if ok and v >= (5, 2, 5) else 1)",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The interpreter named by a script's `#!` line, when that is a Python.
fn shebang_python(script: &Path) -> Option<PathBuf> {
    let mut head = [0u8; 256];
    let n = std::fs::File::open(script).ok()?.read(&mut head).ok()?;
    let text = std::str::from_utf8(&head[..n]).ok()?;
    let first = text.lines().next()?.strip_prefix("#!")?.trim();
    let interpreter = PathBuf::from(first.split_whitespace().next()?);
    let name = interpreter.file_name()?.to_string_lossy().into_owned();
    name.starts_with("python").then_some(interpreter)
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// The project-local virtual environment: `AWSIMPLE_EMULATOR_VENV`, else `<workspace>/.venv`.
pub fn venv_dir(workspace_root: &Path) -> PathBuf {
    std::env::var_os("AWSIMPLE_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root.join(".venv"))
}

/// Finds a Python with moto: the project's venv, then the `moto_server` on `PATH` (its
/// interpreter), then `python3` on `PATH`.
pub fn find_moto(workspace_root: &Path) -> Option<MotoPython> {
    let venv = venv_python(&venv_dir(workspace_root));
    if venv.is_file() && python_has_moto(&venv) {
        return Some(MotoPython {
            python: venv,
            origin: "the project's virtual environment".to_owned(),
        });
    }
    if let Some(script) = find_on_path("moto_server")
        && let Some(python) = shebang_python(&script).filter(|p| python_has_moto(p))
    {
        return Some(MotoPython {
            python,
            origin: format!("moto_server on PATH ({})", script.display()),
        });
    }
    for name in ["python3", "python"] {
        if let Some(python) = find_on_path(name).filter(|p| python_has_moto(p)) {
            return Some(MotoPython {
                python,
                origin: format!("{name} on PATH"),
            });
        }
    }
    None
}

/// Creates the project's virtual environment and installs moto into it with pip. The venv is
/// built under a temporary name and renamed into place, so a concurrent or interrupted install
/// never leaves a half-made venv behind.
pub fn install_moto(workspace_root: &Path, log: &dyn Fn(&str)) -> Result<MotoPython, String> {
    let venv = venv_dir(workspace_root);
    let base_python = ["python3", "python"]
        .iter()
        .find_map(|name| find_on_path(name))
        .ok_or_else(|| format!("no python3 on PATH to install moto with; {HOW_TO_START}"))?;
    let staging = venv.with_file_name(format!(".venv.staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    log(&format!(
        "installing {MOTO_REQUIREMENT} and {AWSCRT_REQUIREMENT} into {} (once)",
        venv.display()
    ));
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let output = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{what}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ))
        }
    };
    let result = (|| {
        run(
            Command::new(&base_python)
                .arg("-m")
                .arg("venv")
                .arg(&staging),
            "python3 -m venv",
        )?;
        run(
            Command::new(venv_python(&staging)).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                MOTO_REQUIREMENT,
                AWSCRT_REQUIREMENT,
            ]),
            "pip install moto[server] awscrt",
        )
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("{e}; {HOW_TO_START}"));
    }
    if venv.exists() && python_has_moto(&venv_python(&venv)) {
        // Someone else finished first: theirs is as good as ours.
        let _ = std::fs::remove_dir_all(&staging);
    } else {
        let _ = std::fs::remove_dir_all(&venv);
        std::fs::rename(&staging, &venv)
            .map_err(|e| format!("could not move the venv into {}: {e}", venv.display()))?;
    }
    let python = venv_python(&venv);
    if !python_has_moto(&python) {
        return Err(format!(
            "moto was installed into {} but cannot be imported; {HOW_TO_START}",
            venv.display()
        ));
    }
    Ok(MotoPython {
        python,
        origin: "the project's virtual environment (just installed)".to_owned(),
    })
}

/// Finds moto, or installs it into the project's venv.
pub fn find_or_install_moto(
    workspace_root: &Path,
    log: &dyn Fn(&str),
) -> Result<MotoPython, String> {
    match find_moto(workspace_root) {
        Some(found) => Ok(found),
        None => install_moto(workspace_root, log),
    }
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// True when something accepts TCP connections at `host:port` of an `http://host:port` URL.
pub fn is_reachable(endpoint: &str) -> bool {
    let Some(rest) = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
    else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let with_port = if authority.contains(':') {
        authority.to_owned()
    } else if endpoint.starts_with("https") {
        format!("{authority}:443")
    } else {
        format!("{authority}:80")
    };
    use std::net::ToSocketAddrs;
    let Ok(addrs) = with_port.to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a: SocketAddr| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

/// Options for [`EmulatorProcess::start`].
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// Port to listen on; a free one when `None`.
    pub port: Option<u16>,
    /// Extra environment for the server (e.g. `INITIAL_NO_AUTH_ACTION_COUNT=0` to check keys).
    pub env: Vec<(String, String)>,
    /// Let the server's request log through to this process's stderr (for `cargo xtask emulator`).
    pub inherit_output: bool,
    /// How long to wait for it to accept connections (default 90 s: a cold Python start is slow).
    pub ready_timeout: Option<Duration>,
}

/// A running moto server. Dropping it stops the server; should this process die without
/// dropping it, the server notices within a second and exits.
#[derive(Debug)]
pub struct EmulatorProcess {
    child: Child,
    endpoint: String,
    port: u16,
    origin: String,
    log: Option<PathBuf>,
}

impl EmulatorProcess {
    /// Starts moto with `python` on 127.0.0.1 and waits until it accepts connections.
    pub fn start(python: &MotoPython, options: &StartOptions) -> Result<Self, String> {
        let port = match options.port {
            Some(p) => p,
            None => free_port()?,
        };
        let mut command = Command::new(&python.python);
        command
            .arg("-c")
            .arg(WATCHDOG)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .env("PYTHONUNBUFFERED", "1");
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let log = if options.inherit_output {
            None
        } else {
            let path = std::env::temp_dir()
                .join(format!("awsimple-moto-{}-{port}.log", std::process::id()));
            let file = std::fs::File::create(&path)
                .map_err(|e| format!("could not create {}: {e}", path.display()))?;
            let err_file = file
                .try_clone()
                .map_err(|e| format!("could not create {}: {e}", path.display()))?;
            command
                .stdout(Stdio::from(file))
                .stderr(Stdio::from(err_file));
            Some(path)
        };
        let child = command.spawn().map_err(|e| {
            format!(
                "could not start moto with {} ({}): {e}; {HOW_TO_START}",
                python.python.display(),
                python.origin
            )
        })?;
        let mut process = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            origin: python.origin.clone(),
            log,
        };
        let deadline = Instant::now() + options.ready_timeout.unwrap_or(Duration::from_secs(90));
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(format!(
                    "moto exited at start-up ({status}): {}; {HOW_TO_START}",
                    process.log_tail()
                ));
            }
            if TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, 1], port)),
                Duration::from_millis(500),
            )
            .is_ok()
            {
                return Ok(process);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "moto did not accept connections on port {port} in time: {}; {HOW_TO_START}",
                    process.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where its Python was found (for messages).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The last lines the server wrote (for error messages).
    pub fn log_tail(&self) -> String {
        let Some(path) = &self.log else {
            return "(see the output above)".to_owned();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(10).collect();
        if lines.is_empty() {
            "(it printed nothing)".to_owned()
        } else {
            lines.into_iter().rev().collect::<Vec<_>>().join("\n")
        }
    }

    /// Waits for the server to exit (for `cargo xtask emulator`, which runs until interrupted).
    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait()
    }

    /// Stops the server and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = self.log.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The workspace root: the nearest ancestor of `start` holding a `Cargo.lock`.
pub fn workspace_root_from(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .map(Path::to_path_buf)
}

/// Finds moto (installing it into the project's venv when there is none) and starts it.
pub fn start_new(
    workspace_root: &Path,
    options: &StartOptions,
    log: &dyn Fn(&str),
) -> Result<EmulatorProcess, String> {
    let python = find_or_install_moto(workspace_root, log)?;
    EmulatorProcess::start(&python, options)
}

/// An emulator to run against: one that was already running, or one started by
/// [`reuse_or_start`] (stopped when this is dropped or [`Emulator::stop`]ped).
#[derive(Debug)]
pub struct Emulator {
    endpoint: String,
    process: Option<EmulatorProcess>,
}

impl Emulator {
    /// Its URL, `http://host:port`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The server process, when it was started here rather than reused.
    pub fn process(&self) -> Option<&EmulatorProcess> {
        self.process.as_ref()
    }

    /// Stops the server when it was started here (a reused one is left running).
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }
}

/// The emulator at `AWS_ENDPOINT_URL` when that is set and not empty (an error when nothing
/// answers there), otherwise moto found or installed for `workspace_root` and started with
/// `options`. `log` hears what happens (installation, the endpoint used).
pub fn reuse_or_start(
    workspace_root: &Path,
    options: &StartOptions,
    log: &dyn Fn(&str),
) -> Result<Emulator, String> {
    if let Some(endpoint) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|e| !e.is_empty())
    {
        if is_reachable(&endpoint) {
            log(&format!(
                "using the emulator at AWS_ENDPOINT_URL={endpoint}"
            ));
            return Ok(Emulator {
                endpoint,
                process: None,
            });
        }
        return Err(format!(
            "AWS_ENDPOINT_URL={endpoint} is set but nothing answers there; unset it to have an \
             emulator started, or {HOW_TO_START}"
        ));
    }
    let process = start_new(workspace_root, options, log)?;
    log(&format!(
        "moto started at {} (pid {}, {})",
        process.endpoint(),
        process.pid(),
        process.origin()
    ));
    Ok(Emulator {
        endpoint: process.endpoint().to_owned(),
        process: Some(process),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_endpoints_are_unreachable() {
        assert!(!is_reachable("not a url"));
        let port = free_port().unwrap_or(9);
        assert!(!is_reachable(&format!("http://127.0.0.1:{port}")));
    }

    #[test]
    fn the_workspace_root_holds_cargo_lock() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = workspace_root_from(here);
        assert!(root.is_some_and(|r| r.join("Cargo.lock").is_file()));
    }
}
