//! `AwsAccess` against the moto emulator: credential checks, resolution of keys, profiles and
//! regions, and typed configuration errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use awsimple_core::{AwsAccess, Error};
use awsimple_testkit::{self as testkit, emulator};

#[tokio::test]
async fn test_is_true_for_accepted_credentials() {
    let access = testkit::emulator_access().await;
    assert!(access.test().await.unwrap());
    // moto's fixed account id; asked once, then cached.
    assert_eq!(access.account_id().await.unwrap(), "123456789012");
    let before = access
        .request_counter()
        .operation("STS", "GetCallerIdentity");
    assert_eq!(access.account_id().await.unwrap(), "123456789012");
    assert_eq!(
        access
            .request_counter()
            .operation("STS", "GetCallerIdentity"),
        before,
        "the account id is looked up once per access"
    );
    assert!(before >= 1, "requests went through the counter");
    assert_eq!(access.region(), testkit::TEST_REGION);
    assert_eq!(
        access.access_key_id().await.unwrap(),
        testkit::TEST_ACCESS_KEY_ID
    );
}

#[tokio::test]
async fn test_is_false_for_rejected_credentials() {
    // A second moto that checks access keys (it knows none), on its own port.
    let root = emulator::workspace_root_from(&std::env::current_dir().unwrap()).unwrap();
    let python = emulator::find_or_install_moto(&root, &|l| eprintln!("{l}")).unwrap();
    let strict = emulator::EmulatorProcess::start(
        &python,
        &emulator::StartOptions {
            env: vec![("INITIAL_NO_AUTH_ACTION_COUNT".into(), "0".into())],
            ..Default::default()
        },
    )
    .unwrap();
    let access = AwsAccess::builder()
        .endpoint_url(strict.endpoint())
        .region("us-east-1")
        .credentials("AKIDUNKNOWNTOMOTO", "not-a-real-secret", None)
        .build()
        .await
        .unwrap();
    assert!(!access.test().await.unwrap());
    // The same call for the account id is an error that says the credentials were rejected.
    let err = access.account_id().await.unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
}

#[tokio::test]
async fn unreachable_endpoint_is_a_typed_error() {
    let port = emulator::free_port().unwrap(); // nothing listens there
    let access = AwsAccess::builder()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region("us-east-1")
        .credentials("AKIDEXAMPLE", "secret", None)
        .connect_timeout(Duration::from_secs(2))
        .max_attempts(2)
        .build()
        .await
        .unwrap();
    let err = access.test().await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(err.to_string().contains("GetCallerIdentity"), "{err}");
}

#[tokio::test]
async fn explicit_keys_and_region_are_used() {
    let access = AwsAccess::builder()
        .credentials(
            "AKIDEXPLICIT",
            "explicit-secret",
            Some("explicit-token".into()),
        )
        .region("ap-southeast-2")
        .endpoint_url(testkit::emulator_endpoint())
        .build()
        .await
        .unwrap();
    assert_eq!(access.region(), "ap-southeast-2");
    assert_eq!(access.access_key_id().await.unwrap(), "AKIDEXPLICIT");
    assert!(access.profile().is_none());
    assert!(access.test().await.unwrap());
}

fn profile_files(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(
        &config,
        "[default]\nregion = us-west-1\n\n[profile awsimple-test]\nregion = eu-west-3\n",
    )
    .unwrap();
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n\
         [awsimple-test]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    (config, credentials)
}

#[tokio::test]
/// Under `cargo xtask test` the environment also holds AWS_ACCESS_KEY_ID and AWS_REGION: a profile
/// named in code wins over them, as in boto3.
async fn named_profile_gives_its_keys_and_region() {
    let dir = tempfile::tempdir().unwrap();
    let (config, credentials) = profile_files(dir.path());
    let access = AwsAccess::builder()
        .config_file(&config)
        .credentials_file(&credentials)
        .profile("awsimple-test")
        .endpoint_url(testkit::emulator_endpoint())
        .build()
        .await
        .unwrap();
    assert_eq!(access.region(), "eu-west-3");
    assert_eq!(access.profile(), Some("awsimple-test"));
    assert_eq!(access.access_key_id().await.unwrap(), "AKIDPROFILE");
    assert!(access.test().await.unwrap());

    // An explicit region wins over the profile's.
    let access = AwsAccess::builder()
        .config_file(&config)
        .credentials_file(&credentials)
        .profile("awsimple-test")
        .region("sa-east-1")
        .build()
        .await
        .unwrap();
    assert_eq!(access.region(), "sa-east-1");
}

#[tokio::test]
async fn unknown_profile_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let (config, credentials) = profile_files(dir.path());
    let err = AwsAccess::builder()
        .config_file(&config)
        .credentials_file(&credentials)
        .profile("no-such-profile")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("no-such-profile"), "{text}");
    assert!(
        text.contains("awsimple-test"),
        "lists the known profiles: {text}"
    );
}

#[tokio::test]
async fn missing_region_is_a_config_error() {
    let config = awsimple_core::sdk::SdkConfig::builder().build();
    let err = AwsAccess::from_sdk_config(config).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("region"), "{err}");
}
