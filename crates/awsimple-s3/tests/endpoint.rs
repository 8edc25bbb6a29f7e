//! Every endpoint override gets path-style addressing (`http://host/bucket/key`): the global
//! one (in code, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`) and S3's own
//! (`AWS_ENDPOINT_URL_S3`, the profile's `services` section). A virtual-hosted name such as
//! `<bucket>.localhost` does not resolve.
//!
//! Environment variables are the process's: the cases that depend on them run in a child
//! process of this test binary with exactly the variables they need (the `child_*` tests,
//! ignored in a normal run; each fails when started without its environment).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use awsimple_core::AwsAccess;
use awsimple_s3::S3Access;
use awsimple_testkit::{TEST_ACCESS_KEY_ID, TEST_REGION, emulator_endpoint, unique_name};

/// The dummy secret (moto does not check it).
const SECRET: &str = "awsimple-test-secret";
/// The endpoint a child is to expect.
const CHILD_ENDPOINT: &str = "AWSIMPLE_TEST_CHILD_ENDPOINT";

/// `http://localhost:<port>` of the shared emulator.
async fn localhost_endpoint() -> String {
    let endpoint = tokio::task::spawn_blocking(emulator_endpoint)
        .await
        .unwrap();
    let port = endpoint.rsplit(':').next().unwrap().trim_end_matches('/');
    format!("http://localhost:{port}")
}

/// Runs the ignored test `name` of this binary in a child process, without any endpoint or
/// profile variable of ours, with `env` added; it must pass.
fn run_child(name: &str, env: &[(&str, &str)]) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", name, "--ignored", "--test-threads=1"]);
    for (var, _) in std::env::vars() {
        if var.starts_with("AWS_ENDPOINT_URL")
            || [
                "AWS_PROFILE",
                "AWS_CONFIG_FILE",
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            ]
            .contains(&var.as_str())
        {
            command.env_remove(var);
        }
    }
    command.envs(env.iter().copied());
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The endpoint the parent passed (the child's test fails without it).
fn child_endpoint() -> String {
    std::env::var(CHILD_ENDPOINT).expect("run by its parent test, which sets the endpoint")
}

fn builder() -> awsimple_core::AwsAccessBuilder {
    AwsAccess::builder()
        .credentials(TEST_ACCESS_KEY_ID, SECRET, None)
        .max_attempts(1)
}

/// A profile `ep` in a config file of its own.
fn write_profile(dir: &Path, body: &str) -> std::path::PathBuf {
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!("[profile ep]\nregion = {TEST_REGION}\n{body}"),
    )
    .unwrap();
    config
}

/// The handle addresses its bucket path-style at `endpoint`, and works there.
async fn check_path_style(access: &AwsAccess, endpoint: &str) {
    assert_eq!(access.service_endpoint_url("S3").as_deref(), Some(endpoint));
    let s3 = S3Access::new(access, unique_name("ep")).unwrap();
    let url = s3
        .presigned_get("k.txt", Duration::from_secs(60))
        .await
        .unwrap();
    let want = format!("{endpoint}/{}/k.txt?", s3.bucket_name());
    assert!(url.starts_with(&want), "{url} should start with {want}");
    assert!(s3.create_bucket().await.unwrap());
    s3.write_string("hello", "k.txt").await.unwrap();
    assert_eq!(s3.read_string("k.txt").await.unwrap(), "hello");
}

#[tokio::test]
async fn aws_endpoint_url_s3_is_path_style() {
    let endpoint = localhost_endpoint().await;
    run_child(
        "child_aws_endpoint_url_s3",
        &[
            ("AWS_ENDPOINT_URL_S3", &endpoint),
            (CHILD_ENDPOINT, &endpoint),
        ],
    );
}

#[tokio::test]
#[ignore = "run by aws_endpoint_url_s3_is_path_style in a process with AWS_ENDPOINT_URL_S3 set"]
async fn child_aws_endpoint_url_s3() {
    let endpoint = child_endpoint();
    let access = builder().region(TEST_REGION).build().await.unwrap();
    assert_eq!(access.endpoint_url(), None, "no global endpoint");
    check_path_style(&access, &endpoint).await;
}

#[tokio::test]
async fn endpoints_of_the_profile_are_path_style() {
    let endpoint = localhost_endpoint().await;
    run_child("child_profile_services", &[(CHILD_ENDPOINT, &endpoint)]);
}

#[tokio::test]
#[ignore = "run by endpoints_of_the_profile_are_path_style"]
async fn child_profile_services() {
    let endpoint = child_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let config = write_profile(
        dir.path(),
        &format!("services = local\n\n[services local]\ns3 =\n  endpoint_url = {endpoint}\n"),
    );
    let access = builder()
        .config_file(&config)
        .profile("ep")
        .build()
        .await
        .unwrap();
    assert_eq!(access.endpoint_url(), None, "no global endpoint");
    check_path_style(&access, &endpoint).await;
    // The profile's global endpoint_url.
    let config = write_profile(dir.path(), &format!("endpoint_url = {endpoint}\n"));
    let access = builder()
        .config_file(&config)
        .profile("ep")
        .build()
        .await
        .unwrap();
    check_path_style(&access, &endpoint).await;
}

#[tokio::test]
async fn aws_endpoint_url_is_path_style() {
    let endpoint = localhost_endpoint().await;
    run_child(
        "child_aws_endpoint_url",
        &[(CHILD_ENDPOINT, &endpoint), ("AWS_ENDPOINT_URL", &endpoint)],
    );
}

#[tokio::test]
#[ignore = "run by aws_endpoint_url_is_path_style"]
async fn child_aws_endpoint_url() {
    let endpoint = child_endpoint();
    let access = builder().region(TEST_REGION).build().await.unwrap();
    check_path_style(&access, &endpoint).await;
}

#[tokio::test]
async fn an_endpoint_in_code_is_path_style_and_wins_over_the_profile_services_section() {
    let endpoint = localhost_endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_profile(
        dir.path(),
        "services = local\n\n[services local]\ns3 =\n  endpoint_url = http://localhost:9\n",
    );
    let access = builder()
        .config_file(&config)
        .profile("ep")
        .endpoint_url(&endpoint)
        .build()
        .await
        .unwrap();
    check_path_style(&access, &endpoint).await;
}
