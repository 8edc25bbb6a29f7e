//! `cargo xtask release <version> [--publish]`: bump, changelog, checks, package, (publish).

use std::path::Path;
use std::process::Command;

use crate::{Result, cargo, root, run, step};

/// Our publishable crates, in dependency order (each after everything it depends on).
pub(crate) const CRATES: &[&str] = &[
    "awsimple-core",
    "awsimple-testkit",
    "awsimple-cache",
    "awsimple-sqs",
    "awsimple-s3",
    "awsimple-dynamodb",
    "awsimple-sns",
    "awsimple-logs",
    "awsimple",
];

/// True for `MAJOR.MINOR.PATCH` with an optional `-pre.release` part.
pub(crate) fn is_version(text: &str) -> bool {
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.split('.')
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
        })
}

/// The root manifest with the workspace version and every internal dependency's version set to
/// `version`. Fails when either is missing (the manifest changed shape: fix this function).
pub(crate) fn bump_manifest(manifest: &str, version: &str) -> Result<String> {
    let mut out = String::with_capacity(manifest.len());
    let mut section = String::new();
    let mut package_version = false;
    let mut bumped: Vec<&str> = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let mut new_line = line.to_owned();
        if section == "[workspace.package]"
            && trimmed.starts_with("version")
            && trimmed.contains('=')
        {
            new_line = format!("version = \"{version}\"");
            package_version = true;
        } else if section == "[workspace.dependencies]"
            && let Some(name) = CRATES
                .iter()
                .find(|name| trimmed.starts_with(&format!("{name} ")) && trimmed.contains("path ="))
        {
            new_line = replace_version_field(line, version)
                .ok_or_else(|| format!("no `version = \"..\"` in the line for {name}"))?;
            bumped.push(name);
        }
        out.push_str(&new_line);
        out.push('\n');
    }
    if !package_version {
        return Err("no `version` in [workspace.package]".to_owned());
    }
    let missing: Vec<&&str> = CRATES.iter().filter(|c| !bumped.contains(c)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "no path dependency line in [workspace.dependencies] for {missing:?}"
        ));
    }
    Ok(out)
}

fn replace_version_field(line: &str, version: &str) -> Option<String> {
    let start = line.find("version = \"")? + "version = \"".len();
    let end = start + line[start..].find('"')?;
    Some(format!("{}{version}{}", &line[..start], &line[end..]))
}

/// The changelog with the `## [Unreleased]` section's entries moved under `## [version] - date`,
/// and a new empty `## [Unreleased]` above it.
pub(crate) fn bump_changelog(changelog: &str, version: &str, date: &str) -> Result<String> {
    const HEADING: &str = "## [Unreleased]";
    let at = changelog
        .find(HEADING)
        .ok_or_else(|| format!("CHANGELOG.md has no `{HEADING}` section"))?;
    if changelog.contains(&format!("## [{version}]")) {
        return Err(format!("CHANGELOG.md already has a section for {version}"));
    }
    let after = at + HEADING.len();
    let body_end = changelog[after..]
        .find("\n## [")
        .map_or(changelog.len(), |i| after + i);
    let body = changelog[after..body_end].trim();
    if body.is_empty() {
        return Err("the Unreleased section of CHANGELOG.md is empty: say what changed".to_owned());
    }
    Ok(format!(
        "{}{HEADING}\n\n## [{version}] - {date}\n\n{body}\n{}",
        &changelog[..at],
        &changelog[body_end..]
    ))
}

fn git(args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .current_dir(root())
        .args(args)
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn today() -> Result<String> {
    let output = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map_err(|e| format!("could not run date: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn edit(path: &Path, change: impl FnOnce(&str) -> Result<String>) -> Result {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let new_text = change(&text)?;
    std::fs::write(path, new_text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn release(args: &[String]) -> Result {
    let mut version = None;
    let mut publish = false;
    for arg in args {
        match arg.as_str() {
            "--publish" => publish = true,
            v if version.is_none() && is_version(v) => version = Some(v.to_owned()),
            other => {
                return Err(format!(
                    "usage: cargo xtask release <MAJOR.MINOR.PATCH[-pre]> [--publish] \
                     (not understood: `{other}`)"
                ));
            }
        }
    }
    let version =
        version.ok_or("usage: cargo xtask release <MAJOR.MINOR.PATCH[-pre]> [--publish]")?;

    step("clean tree");
    let dirty = git(&["status", "--porcelain"])?;
    if !dirty.trim().is_empty() {
        return Err(format!(
            "the work tree has uncommitted changes; commit or stash them first:\n{dirty}"
        ));
    }

    step(&format!("bump every crate to {version}"));
    let root = root();
    let touched = ["Cargo.toml", "Cargo.lock", "CHANGELOG.md"];
    let result = bump_check_and_package(&root, &version, publish);
    if !publish || result.is_err() {
        // A dry run (or a failed release) leaves the tree as it found it.
        git(&[&["checkout", "--"][..], &touched[..]].concat())?;
        let status = git(&["status", "--porcelain"])?;
        if !status.trim().is_empty() {
            return Err(format!(
                "the tree is not clean after the release run:\n{status}"
            ));
        }
    }
    result?;
    if publish {
        println!("\nreleased {version}: push the commit and the tag v{version}");
    } else {
        println!(
            "\ndry run of {version} passed: bumped, checked and packaged every crate, then put \
             the tree back as it was. `cargo xtask release {version} --publish` commits, tags \
             and publishes."
        );
    }
    Ok(())
}

fn bump_check_and_package(root: &Path, version: &str, publish: bool) -> Result {
    edit(&root.join("Cargo.toml"), |text| {
        bump_manifest(text, version)
    })?;
    let date = today()?;
    edit(&root.join("CHANGELOG.md"), |text| {
        bump_changelog(text, version, &date)
    })?;
    run(
        cargo().args(["update", "--workspace"]),
        "cargo update --workspace",
    )?;

    crate::ci()?;

    step("package every crate in dependency order");
    let mut package = cargo();
    package.args(["publish", "--dry-run", "--allow-dirty"]);
    for krate in CRATES {
        package.args(["--package", krate]);
    }
    run(&mut package, "cargo publish --dry-run")?;

    if publish {
        step("commit, tag and publish to crates.io");
        git(&[
            "commit",
            "--all",
            "--message",
            &format!("Release {version}"),
        ])?;
        git(&[
            "tag",
            "--annotate",
            &format!("v{version}"),
            "--message",
            &format!("awsimple {version}"),
        ])?;
        let mut publish = cargo();
        publish.arg("publish");
        for krate in CRATES {
            publish.args(["--package", krate]);
        }
        run(&mut publish, "cargo publish")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"[workspace]
members = ["crates/*"]

[workspace.package]
version = "0.1.0"
edition = "2024"

[workspace.dependencies]
awsimple-core = { path = "crates/awsimple-core", version = "0.1.0" }
awsimple-cache = { path = "crates/awsimple-cache", version = "0.1.0" }
awsimple-s3 = { path = "crates/awsimple-s3", version = "0.1.0" }
awsimple-dynamodb = { path = "crates/awsimple-dynamodb", version = "0.1.0" }
awsimple-sns = { path = "crates/awsimple-sns", version = "0.1.0", default-features = false }
awsimple-sqs = { path = "crates/awsimple-sqs", version = "0.1.0" }
awsimple-logs = { path = "crates/awsimple-logs", version = "0.1.0" }
awsimple = { path = "crates/awsimple", version = "0.1.0", default-features = false }
awsimple-testkit = { path = "crates/awsimple-testkit", version = "0.1.0" }
aws-config = { version = "1.8", features = ["behavior-version-latest"] }
tokio = { version = "1.47", default-features = false }
"#;

    #[test]
    fn versions_are_checked() {
        assert!(is_version("1.2.3"));
        assert!(is_version("0.10.0-rc.1"));
        for bad in [
            "1.2",
            "1.2.3.4",
            "v1.2.3",
            "1.x.3",
            "1.2.3-",
            "1.2.3-a..b",
            "",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn manifest_bump_touches_our_crates_only() {
        let bumped = bump_manifest(MANIFEST, "0.2.0").unwrap();
        assert!(bumped.contains("[workspace.package]\nversion = \"0.2.0\""));
        assert_eq!(
            bumped.matches("version = \"0.2.0\"").count(),
            1 + CRATES.len()
        );
        assert!(bumped.contains(
            r#"awsimple-sns = { path = "crates/awsimple-sns", version = "0.2.0", default-features = false }"#
        ));
        // Third-party versions stay.
        assert!(bumped.contains(r#"aws-config = { version = "1.8""#));
        assert!(bumped.contains(r#"tokio = { version = "1.47""#));
    }

    #[test]
    fn manifest_bump_refuses_a_manifest_it_does_not_understand() {
        let without = MANIFEST.replace(
            "awsimple-s3 = { path = \"crates/awsimple-s3\", version = \"0.1.0\" }\n",
            "",
        );
        assert!(
            bump_manifest(&without, "0.2.0")
                .unwrap_err()
                .contains("awsimple-s3")
        );
    }

    #[test]
    fn the_actual_manifest_can_be_bumped() {
        let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
        bump_manifest(&text, "9.9.9").unwrap();
    }

    #[test]
    fn changelog_moves_unreleased_entries_under_the_version() {
        let log = "# Changelog\n\n## [Unreleased]\n\n- New thing.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n";
        let bumped = bump_changelog(log, "0.2.0", "2026-11-25").unwrap();
        assert_eq!(
            bumped,
            "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-25\n\n- New thing.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"
        );
        assert!(bump_changelog(&bumped, "0.2.0", "x").is_err(), "twice");
        assert!(
            bump_changelog("# Changelog\n\n## [Unreleased]\n\n", "0.3.0", "x").is_err(),
            "nothing to release"
        );
    }
}
