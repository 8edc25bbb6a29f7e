//! Project automation for awsimple, in the cargo-xtask style: `cargo xtask <command>`.
//!
//! - `test`: start the AWS emulator, run every test of the workspace against it, check that each
//!   service crate builds alone and pulls in no other service's SDK, and check that no emulator
//!   process is left behind.
//! - `test --server s3s-fs|dynalite`: the S3 (or DynamoDB) tests against that second
//!   implementation, installed under `.tools/` when missing; lists the tests it skips.
//! - `ci`: formatting, clippy (`-D warnings`), `test`, the s3s-fs and dynalite lanes, docs
//!   (warnings denied) and cargo-deny. `semver` is its own command: building
//!   cargo-semver-checks and two rustdoc builds of every crate take longer than CI's budget on a
//!   2-core machine (see CONTRIBUTING.md).
//! - `semver`: cargo-semver-checks of the public API against the last release (the newest `v*`
//!   tag, else the commit in `xtask/semver-baseline`); installs the tool into `.tools/`.
//! - `demo`: start the emulator and run every program of `examples/` against it.
//! - `emulator`: run the emulator in the foreground and print the environment to export.
//! - `isolation`: only the check that each service crate compiles alone, without the other
//!   services' SDKs (and that the test kit and xtask pull in no service SDK).
//! - `bench [--compare-python] [--n N] [--repeats R] [--no-large] [--only PREFIX] [--json FILE]
//!   [--scan-items N]`: the benchmark workload in release mode against a fresh emulator,
//!   optionally beside the Python awsimple package on the same emulator.
//! - `release <version> [--publish]`: bump, changelog, ci, commit and tag, package, publish.
//!
//! The emulator harness is `awsimple_testkit::emulator`, the one the tests use.

mod bench;
mod fast_server;
mod isolation;
mod lanes;
mod release;
mod semver;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use awsimple_testkit::emulator::{self, Emulator, StartOptions};
use awsimple_testkit::servers::Server;

type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test       run all tests against the emulator, plus the per-service isolation check
  test --server s3s-fs|dynalite
             the S3 (DynamoDB) tests against s3s-fs (dynalite), installed under .tools/
  ci         fmt check, clippy -D warnings, test, the s3s-fs and dynalite lanes, docs with
             warnings denied, cargo-deny
  semver     the public API against the last release (cargo-semver-checks, installed
             into .tools/ when missing)
  demo       run every example against the emulator
  emulator   run the emulator in the foreground and print the environment to export
  bench [--compare-python] [--n N] [--repeats R] [--no-large] [--only PREFIX]
        [--json FILE] [--scan-items N]
             the benchmark workload in release mode against a fresh emulator, optionally
             beside the Python awsimple package on the same emulator
  isolation  only the check that each service crate compiles alone, without the others' SDKs
  release <version> [--publish]
             refuse a dirty tree, bump every crate, update CHANGELOG.md, run ci, commit and
             tag, package every crate in dependency order; publish only with --publish
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test_command(&args[1..]),
        Some("ci") => ci(),
        Some("demo") => demo(),
        Some("emulator") => run_emulator(),
        Some("isolation") => isolation::check(&root()),
        Some("semver") => semver::check(&root()),
        Some("bench") => bench::bench(&args[1..]),
        Some("release") => release::release(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives in `<root>/xtask`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

pub(crate) fn step(title: &str) {
    println!("\n==> {title}");
}

pub(crate) fn run(command: &mut Command, what: &str) -> Result {
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("could not run {what}: {e}"))?;
    println!("    ({what}: {:.1} s)", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// An emulator for a command: the one at `AWS_ENDPOINT_URL`, or one we start (and stop on drop).
fn ensure_emulator() -> Result<Emulator> {
    emulator::reuse_or_start(&root(), &StartOptions::default(), &|line| {
        println!("    {line}");
    })
}

/// The environment every program run against the emulator gets: the endpoint, dummy keys and a
/// region for the default chains, instance metadata off (nothing may leave loopback), and a run id
/// by which emulators started by tests are found afterwards.
pub(crate) fn emulator_env(command: &mut Command, endpoint: &str, run_id: &str) {
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDAWSIMPLEDEMO")
        .env("AWS_SECRET_ACCESS_KEY", "awsimple-demo-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env(RUN_ID_VAR, run_id);
}

const RUN_ID_VAR: &str = "AWSIMPLE_XTASK_RUN";

pub(crate) fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Processes still carrying our run id: emulators (or anything else) a test left running.
fn leftovers(run_id: &str) -> Vec<u32> {
    let needle = format!("{RUN_ID_VAR}={run_id}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new(); // not Linux: the emulator's own watchdog is the guarantee there
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
        })
        .collect()
}

pub(crate) fn check_no_leftovers(run_id: &str) -> Result {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids = leftovers(run_id);
        if pids.is_empty() {
            println!("    no emulator or test process left behind");
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "processes started by the tests are still running: {pids:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `test [--server moto|s3s-fs|dynalite]`.
fn test_command(args: &[String]) -> Result {
    match args {
        [] => test(),
        [flag, name] if flag == "--server" => match Server::parse(name) {
            Some(Server::Moto) => test(),
            Some(server) => lanes::lane(server),
            None => Err(format!("unknown server `{name}`\n\n{USAGE}")),
        },
        _ => Err(format!("unexpected arguments {args:?}\n\n{USAGE}")),
    }
}

fn test() -> Result {
    step("emulator");
    let mut emulator = ensure_emulator()?;
    let run_id = new_run_id();

    step("cargo test --workspace --all-features (against the emulator)");
    let mut command = cargo();
    command.args(["test", "--workspace", "--all-features", "--no-fail-fast"]);
    emulator_env(&mut command, emulator.endpoint(), &run_id);
    let tests = run(&mut command, "cargo test");

    emulator.stop();
    step("leftover processes");
    let leftover = check_no_leftovers(&run_id);
    tests?;
    leftover?;

    step("service isolation");
    isolation::check(&root())?;
    println!("\nxtask test: all passed");
    Ok(())
}

fn ci() -> Result {
    step("cargo fmt --check");
    run(cargo().args(["fmt", "--all", "--", "--check"]), "cargo fmt")?;

    step("cargo clippy -D warnings");
    run(
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
        "cargo clippy",
    )?;

    test()?;
    lanes::lane(Server::S3sFs)?;
    lanes::lane(Server::Dynalite)?;

    step("cargo doc (warnings denied)");
    run(
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"),
        "cargo doc",
    )?;

    step("cargo deny check bans licenses sources");
    ensure_cargo_deny()?;
    println!(
        "    (the advisories check needs the RustSec database from the network, which this \
         machine cannot reach: it is skipped; run `cargo deny check advisories` where it can)"
    );
    run(
        cargo().args([
            "deny",
            "--all-features",
            "check",
            "bans",
            "licenses",
            "sources",
        ]),
        "cargo deny",
    )?;

    println!("\nxtask ci: all passed");
    Ok(())
}

fn ensure_cargo_deny() -> Result {
    let present = cargo()
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    println!("    cargo-deny is missing: installing it with `cargo install --locked cargo-deny`");
    run(
        cargo().args(["install", "--locked", "cargo-deny"]),
        "cargo install cargo-deny",
    )
}

fn example_names() -> Result<Vec<String>> {
    let dir = root().join("examples").join("src").join("bin");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    Ok(names)
}

fn demo() -> Result {
    let names = example_names()?;
    step("building the examples");
    run(
        cargo().args(["build", "--package", "awsimple-examples", "--bins"]),
        "cargo build",
    )?;
    step("emulator");
    let mut emulator = ensure_emulator()?;
    let run_id = new_run_id();
    let bin_dir = target_dir().join("debug");
    let mut failed = Vec::new();
    for name in &names {
        step(&format!("example `{name}`"));
        let mut command = Command::new(bin_dir.join(name));
        command.current_dir(root());
        emulator_env(&mut command, emulator.endpoint(), &run_id);
        if let Err(e) = run(&mut command, name) {
            eprintln!("    {e}");
            failed.push(name.clone());
        }
    }
    emulator.stop();
    if failed.is_empty() {
        println!(
            "\nxtask demo: {} examples ran against the emulator",
            names.len()
        );
        Ok(())
    } else {
        Err(format!("examples failed: {}", failed.join(", ")))
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn run_emulator() -> Result {
    let port = std::env::var("AWSIMPLE_EMULATOR_PORT")
        .ok()
        .and_then(|p| p.parse().ok());
    let mut process = emulator::start_new(
        &root(),
        &StartOptions {
            port,
            inherit_output: true,
            ..Default::default()
        },
        &|line| println!("{line}"),
    )?;
    println!(
        "\nmoto is running at {endpoint} ({origin}). In another shell:\n\n    \
         export AWS_ENDPOINT_URL={endpoint}\n    export AWS_ACCESS_KEY_ID=testing\n    \
         export AWS_SECRET_ACCESS_KEY=testing\n    export AWS_REGION=us-east-1\n\n\
         then `cargo test` or `cargo run -p awsimple-examples --bin aws_access_test`. \
         Ctrl-C stops it.\n",
        endpoint = process.endpoint(),
        origin = process.origin()
    );
    let status = process
        .wait()
        .map_err(|e| format!("waiting for moto: {e}"))?;
    Err(format!("moto exited ({status})"))
}
