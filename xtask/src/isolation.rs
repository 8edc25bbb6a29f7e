//! The feature-isolation check: depending on one service must not compile the others' SDKs;
//! the test kit pulls in no service SDK, and xtask none of the AWS SDK.

use std::path::Path;

use crate::{Result, cargo, step};

/// (service crate, its SDK crate, the umbrella feature that enables it)
const SERVICES: &[(&str, &str, &str)] = &[
    ("awsimple-s3", "aws-sdk-s3", "s3"),
    ("awsimple-dynamodb", "aws-sdk-dynamodb", "dynamodb"),
    ("awsimple-sns", "aws-sdk-sns", "sns"),
    ("awsimple-sqs", "aws-sdk-sqs", "sqs"),
    ("awsimple-logs", "aws-sdk-cloudwatchlogs", "logs"),
];

/// The names of the crates in `cargo tree --prefix none --format {p}` output.
fn crate_names(tree: &str) -> impl Iterator<Item = &str> {
    tree.lines()
        .filter_map(|line| line.split_whitespace().next())
}

/// Which of `forbidden` appear in a dependency tree.
pub(crate) fn forbidden_found(tree: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = crate_names(tree)
        .filter(|name| forbidden.contains(name))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

fn tree(root: &Path, args: &[&str]) -> Result<String> {
    let output = cargo()
        .current_dir(root)
        .args([
            "tree",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .args(args)
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Checks one dependency tree: `own` must be there, none of `forbidden`.
fn check_tree(what: &str, tree: &str, own: &str, forbidden: &[&str]) -> Result {
    let found = forbidden_found(tree, forbidden);
    if !found.is_empty() {
        return Err(format!(
            "{what} pulls in {} (each service must compile alone: move the dependency behind a \
             feature)",
            found.join(", ")
        ));
    }
    if !crate_names(tree).any(|name| name == own) {
        return Err(format!(
            "{what} does not depend on {own}: the check is miswired"
        ));
    }
    println!("    {what}: {own} only");
    Ok(())
}

pub(crate) fn check(root: &Path) -> Result {
    for (krate, sdk, feature) in SERVICES {
        let forbidden: Vec<&str> = SERVICES
            .iter()
            .map(|(_, other, _)| *other)
            .filter(|other| other != sdk)
            .collect();
        let alone = tree(root, &["--package", krate])?;
        check_tree(krate, &alone, sdk, &forbidden)?;
        let umbrella = tree(
            root,
            &[
                "--package",
                "awsimple",
                "--no-default-features",
                "--features",
                feature,
            ],
        )?;
        check_tree(
            &format!("awsimple --no-default-features --features {feature}"),
            &umbrella,
            sdk,
            &forbidden,
        )?;
    }
    // The test kit is a dev-dependency of every service crate (which `--edges normal,build`
    // leaves out above): it must not bring another service's SDK into their tests either. And
    // xtask uses it without its `aws` feature, so that `cargo xtask` builds no AWS SDK at all.
    let sdks: Vec<&str> = SERVICES.iter().map(|(_, sdk, _)| *sdk).collect();
    let testkit = tree(root, &["--package", "awsimple-testkit"])?;
    check_tree("awsimple-testkit", &testkit, "awsimple-core", &sdks)?;
    let xtask = tree(root, &["--package", "xtask"])?;
    let not_in_xtask = [&sdks[..], &["awsimple-core", "aws-config"]].concat();
    check_tree("xtask", &xtask, "awsimple-testkit", &not_in_xtask)?;
    step("each service crate builds alone");
    for (krate, _, _) in SERVICES {
        let status = cargo()
            .current_dir(root)
            .args(["check", "--quiet", "--package", krate])
            .status()
            .map_err(|e| format!("could not run cargo check: {e}"))?;
        if !status.success() {
            return Err(format!("{krate} does not build on its own"));
        }
        println!("    {krate} builds alone");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S3_TREE: &str = "awsimple-s3 v0.1.0 (/work/crates/awsimple-s3)\n\
                           awsimple-core v0.1.0 (/work/crates/awsimple-core)\n\
                           aws-config v1.13.0\n\
                           aws-sdk-s3 v1.157.0\n\
                           aws-sdk-sts v1.124.0\n";

    #[test]
    fn a_clean_tree_passes() {
        let forbidden = ["aws-sdk-dynamodb", "aws-sdk-sns", "aws-sdk-sqs"];
        assert!(forbidden_found(S3_TREE, &forbidden).is_empty());
        assert!(check_tree("awsimple-s3", S3_TREE, "aws-sdk-s3", &forbidden).is_ok());
    }

    #[test]
    fn a_dynamodb_dependency_in_s3_fails_the_check() {
        let polluted = format!("{S3_TREE}aws-sdk-dynamodb v1.136.0\naws-sdk-dynamodb v1.136.0\n");
        let forbidden = ["aws-sdk-dynamodb", "aws-sdk-sns", "aws-sdk-sqs"];
        assert_eq!(forbidden_found(&polluted, &forbidden), ["aws-sdk-dynamodb"]);
        let err = check_tree("awsimple-s3", &polluted, "aws-sdk-s3", &forbidden).unwrap_err();
        assert!(err.contains("aws-sdk-dynamodb"), "{err}");
    }

    #[test]
    fn a_tree_without_its_own_sdk_is_miswired() {
        let err = check_tree("awsimple-s3", "awsimple-s3 v0.1.0\n", "aws-sdk-s3", &[]).unwrap_err();
        assert!(err.contains("miswired"), "{err}");
    }

    #[test]
    fn similar_names_are_not_confused() {
        // `aws-sdk-sqs-extra` is not `aws-sdk-sqs`.
        assert!(forbidden_found("aws-sdk-sqs-extra v1.0.0\n", &["aws-sdk-sqs"]).is_empty());
    }
}
