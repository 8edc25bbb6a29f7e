//! `cargo xtask test --server s3s-fs|dynalite`: one service's tests against a second
//! implementation of its API, installed under `.tools/` when missing. Tests needing what that
//! server lacks skip themselves (`awsimple_testkit::skips`); the lane lists them at the end.

use std::time::Instant;

use awsimple_testkit::servers::{SERVER_VAR, Server, ServerProcess};
use awsimple_testkit::skips::SKIP_LOG_VAR;
use awsimple_testkit::{TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY};

use crate::{Result, cargo, check_no_leftovers, emulator_env, new_run_id, root, run, step};

/// Runs the tests of `server`'s service crates against it, then lists the skipped tests.
pub(crate) fn lane(server: Server) -> Result {
    let started = Instant::now();
    let name = server.name();
    step(&format!(
        "{name} (installed under .tools/{name} when missing)"
    ));
    let mut process = ServerProcess::start(
        server,
        &root(),
        TEST_ACCESS_KEY_ID,
        TEST_SECRET_ACCESS_KEY,
        &|line| println!("    {line}"),
    )?;
    println!(
        "    {name} started at {} (pid {})",
        process.endpoint(),
        process.pid()
    );
    let run_id = new_run_id();
    let skip_log = std::env::temp_dir().join(format!("awsimple-skips-{run_id}.tsv"));
    let _ = std::fs::remove_file(&skip_log);

    let packages = server.test_packages();
    step(&format!(
        "cargo test {} --all-features --tests (against {name})",
        packages
            .iter()
            .map(|p| format!("-p {p}"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let mut command = cargo();
    command.arg("test");
    for package in packages {
        command.args(["-p", package]);
    }
    command.args(["--all-features", "--tests", "--no-fail-fast"]);
    emulator_env(&mut command, process.endpoint(), &run_id);
    // s3s-fs checks signatures: the keys it was started with (the test fixture's).
    command
        .env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
        .env(SERVER_VAR, name)
        .env(SKIP_LOG_VAR, &skip_log);
    let tests = run(&mut command, "cargo test");
    let healthy = process.is_healthy();
    process.stop();

    step("leftover processes");
    let leftover = check_no_leftovers(&run_id);

    let skipped = std::fs::read_to_string(&skip_log).unwrap_or_default();
    let _ = std::fs::remove_file(&skip_log);
    let mut lines: Vec<&str> = skipped.lines().collect();
    lines.sort_unstable();
    step(&format!("skipped on {name}: {} tests", lines.len()));
    for line in &lines {
        let mut fields = line.splitn(4, '\t').skip(1);
        let (test, feature, reason) = (
            fields.next().unwrap_or("?"),
            fields.next().unwrap_or("?"),
            fields.next().unwrap_or("?"),
        );
        println!("    SKIPPED {test} (lacks `{feature}`: {reason})");
    }
    tests?;
    leftover?;
    if !healthy {
        return Err(format!(
            "{name} was no longer running at the end of the tests"
        ));
    }
    println!(
        "\nxtask test --server {name}: all passed ({} skipped, {:.0} s)",
        lines.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
