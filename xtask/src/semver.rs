//! `cargo xtask semver`: the public API of every published crate against the last release, with
//! cargo-semver-checks (installed into `.tools/` when missing).
//!
//! The baseline is the newest `v*` tag; while there is none, the commit recorded in
//! `xtask/semver-baseline` (moved on purpose, with a CHANGELOG entry, when a breaking change
//! before 0.1 is accepted). A clone that lacks the baseline commit (shallow) fetches it, or the
//! step fails and says how: it never passes without having compared.

use std::path::Path;
use std::process::Command;

use crate::{Result, cargo, run, step};

/// The file holding the baseline commit while no `v*` tag exists.
const BASELINE_FILE: &str = "xtask/semver-baseline";
/// Where the tool is installed (`<root>/.tools/bin`), ignored by git.
const TOOLS_DIR: &str = ".tools";
/// Crates that are not a stable API (or not published): not checked.
const EXCLUDED: &[&str] = &["awsimple-testkit", "awsimple-examples", "xtask"];

/// The step of `cargo xtask ci`.
pub(crate) fn check(root: &Path) -> Result {
    step("cargo semver-checks (public API against the last release)");
    let baseline = baseline(root)?;
    println!("    baseline: {} ({})", baseline.rev, baseline.origin);
    ensure_commit(root, &baseline.rev)?;
    let tool = ensure_tool(root)?;

    let mut command = Command::new(&tool);
    command.current_dir(root).args([
        "semver-checks",
        "--workspace",
        "--all-features",
        "--baseline-rev",
        &baseline.rev,
    ]);
    for name in EXCLUDED {
        command.args(["--exclude", name]);
    }
    run(&mut command, "cargo semver-checks").map_err(|e| {
        format!(
            "{e}: the public API changed in a breaking way since {rev} ({origin}). If the break \
             is intended before 0.1, put the new baseline commit in {BASELINE_FILE} and say what \
             broke in CHANGELOG.md",
            rev = baseline.rev,
            origin = baseline.origin
        )
    })
}

struct Baseline {
    rev: String,
    origin: String,
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .map_err(|e| format!("could not run git {}: {e}", args.join(" ")))
}

/// The newest `v*` tag, else the commit in [`BASELINE_FILE`].
fn baseline(root: &Path) -> Result<Baseline> {
    let tags = git(root, &["tag", "--list", "v*", "--sort=-v:refname"])?;
    if tags.status.success()
        && let Some(tag) = String::from_utf8_lossy(&tags.stdout).lines().next()
        && !tag.trim().is_empty()
    {
        return Ok(Baseline {
            rev: tag.trim().to_owned(),
            origin: "the newest v* tag".to_owned(),
        });
    }
    let path = root.join(BASELINE_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("no v* tag, and {} cannot be read: {e}", path.display()))?;
    parse_baseline(&text)
        .map(|rev| Baseline {
            rev,
            origin: BASELINE_FILE.to_owned(),
        })
        .ok_or_else(|| format!("{BASELINE_FILE} holds no commit (a 40-hex-digit line)"))
}

/// The first line that is not blank or a `#` comment, when it is a full commit id.
fn parse_baseline(text: &str) -> Option<String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    (line.len() == 40 && line.chars().all(|c| c.is_ascii_hexdigit())).then(|| line.to_owned())
}

fn has_commit(root: &Path, rev: &str) -> bool {
    git(root, &["cat-file", "-e", &format!("{rev}^{{commit}}")]).is_ok_and(|o| o.status.success())
}

/// The baseline commit is in the clone, or fetched into it; else an error saying how.
fn ensure_commit(root: &Path, rev: &str) -> Result {
    if has_commit(root, rev) {
        return Ok(());
    }
    println!("    {rev} is not in this clone (shallow?): fetching it from origin");
    let fetched = git(root, &["fetch", "--quiet", "--depth=1", "origin", rev]);
    if has_commit(root, rev) {
        return Ok(());
    }
    let why = match fetched {
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        Err(e) => e,
    };
    Err(format!(
        "the semver baseline {rev} is not in this clone and could not be fetched ({why}). \
         Fetch the history (`git fetch --unshallow`, or `git fetch origin {rev}`) and run again"
    ))
}

/// The tool's binary: one on `PATH` (a machine that has it installed), else
/// `.tools/bin/cargo-semver-checks`, installed there when missing.
fn ensure_tool(root: &Path) -> Result<std::path::PathBuf> {
    let name = format!("cargo-semver-checks{}", std::env::consts::EXE_SUFFIX);
    let on_path = Command::new(&name)
        .args(["semver-checks", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return Ok(name.into());
    }
    let bin = root.join(TOOLS_DIR).join("bin").join(format!(
        "cargo-semver-checks{}",
        std::env::consts::EXE_SUFFIX
    ));
    if bin.is_file() {
        return Ok(bin);
    }
    println!(
        "    cargo-semver-checks is missing: installing it with \
         `cargo install cargo-semver-checks --locked --root {TOOLS_DIR}` (several minutes)"
    );
    run(
        cargo().args([
            "install",
            "cargo-semver-checks",
            "--locked",
            "--root",
            TOOLS_DIR,
        ]),
        "cargo install cargo-semver-checks",
    )?;
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "cargo install finished but {} is not there",
            bin.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_baseline;

    #[test]
    fn the_baseline_file_is_one_commit_after_comments() {
        let id = "ef527627b3a0c1d2e3f405162738495a6b7c8d9e";
        assert_eq!(
            parse_baseline(&format!("# why\n\n{id}\n")).as_deref(),
            Some(id)
        );
        assert_eq!(parse_baseline("# nothing\n"), None);
        assert_eq!(parse_baseline("main\n"), None);
        assert_eq!(parse_baseline("ef52762\n"), None);
    }
}
