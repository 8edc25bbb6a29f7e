//! `create_bucket` on an existing bucket tells ours from another account's by the answers of
//! HeadBucket and CreateBucket, without ListBuckets (which users without
//! `s3:ListAllMyBuckets` may not call), and reports rejected credentials as such. Another
//! account is moto's `x-moto-account-id`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use awsimple_core::{AwsAccess, Error};
use awsimple_s3::S3Access;
use awsimple_testkit::emulator::{self, EmulatorProcess, StartOptions};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use awsimple_testkit::{TEST_ACCESS_KEY_ID, access_at, emulator_endpoint, unique_name};

async fn access_in(region: &str) -> AwsAccess {
    let endpoint = tokio::task::spawn_blocking(emulator_endpoint)
        .await
        .unwrap();
    AwsAccess::builder()
        .endpoint_url(endpoint)
        .region(region)
        .credentials(TEST_ACCESS_KEY_ID, "awsimple-test-secret", None)
        .max_attempts(1)
        .build()
        .await
        .unwrap()
}

/// Creates `name` as a bucket of another account, in `region`.
async fn create_as_another_account(access: &AwsAccess, name: &str, region: &str) {
    let s3 = S3Access::new(access, name).unwrap();
    let mut request = s3.client().create_bucket().bucket(name);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(region.into())
                .build(),
        );
    }
    request
        .customize()
        .mutate_request(|request| {
            request
                .headers_mut()
                .insert("x-moto-account-id", "111122223333");
        })
        .send()
        .await
        .unwrap();
}

/// Outside us-east-1 a bucket of another account that lets us read it (HEAD answers 200) is
/// told apart by CreateBucket's `BucketAlreadyExists`; ours by `BucketAlreadyOwnedByYou`.
#[tokio::test]
async fn outside_us_east_1_create_bucket_answers_tell_the_owner() {
    if awsimple_testkit::skip_if_lacking("bucket-ownership") {
        return;
    }
    let region = "eu-west-1";
    let access = access_in(region).await;
    let name = unique_name("theirs");
    create_as_another_account(&access, &name, region).await;
    let theirs = S3Access::new(&access, &name).unwrap();
    assert!(
        theirs.bucket_exists().await.unwrap(),
        "readable across accounts"
    );
    let counter = access.request_counter();
    counter.reset();
    let err = theirs.create_bucket().await.unwrap_err();
    assert!(matches!(err, Error::OwnedByAnother { .. }), "{err:?}");
    assert_eq!(counter.operation("S3", "ListBuckets"), 0);

    let mine = S3Access::new(&access, unique_name("mine")).unwrap();
    assert!(mine.create_bucket().await.unwrap());
    counter.reset();
    assert!(!mine.create_bucket().await.unwrap());
    assert_eq!(counter.operation("S3", "ListBuckets"), 0);
    assert_eq!(counter.operation("S3", "HeadBucket"), 1);
    assert_eq!(
        counter.operation("S3", "CreateBucket"),
        1,
        "answered AlreadyOwnedByYou"
    );
    assert!(mine.bucket_exists().await.unwrap());
}

/// In us-east-1 CreateBucket on our own bucket answers 200 (and resets its ACL): never sent
/// for a bucket that answers HEAD; no ListBuckets either.
#[tokio::test]
async fn in_us_east_1_an_own_bucket_gets_no_create_bucket_and_no_list_buckets() {
    if awsimple_testkit::skip_if_lacking("bucket-ownership") {
        return;
    }
    let access = access_in("us-east-1").await;
    let mine = S3Access::new(&access, unique_name("mine")).unwrap();
    assert!(mine.create_bucket().await.unwrap());
    let counter = access.request_counter();
    counter.reset();
    assert!(!mine.create_bucket().await.unwrap());
    assert_eq!(counter.operation("S3", "CreateBucket"), 0);
    assert_eq!(counter.operation("S3", "ListBuckets"), 0);
    // A plain HEAD, then one with the expected owner (the account id: STS, once per access).
    assert_eq!(
        counter.operation("S3", "HeadBucket"),
        2,
        "{:?}",
        counter.snapshot()
    );
}

/// A HEAD refused with 403 (another account's bucket it does not let us read, or ours
/// without the permission to HEAD it; the fault proxy answers it): CreateBucket's answer tells.
#[tokio::test]
async fn a_head_refused_with_403_is_decided_by_create_bucket() {
    if awsimple_testkit::skip_if_lacking("bucket-ownership") {
        return;
    }
    let region = "eu-west-1";
    let upstream = tokio::task::spawn_blocking(emulator_endpoint)
        .await
        .unwrap();
    let proxy = FaultProxy::start(&upstream).await.unwrap();
    let access = AwsAccess::builder()
        .endpoint_url(proxy.endpoint())
        .region(region)
        .credentials(TEST_ACCESS_KEY_ID, "awsimple-test-secret", None)
        .max_attempts(1)
        .build()
        .await
        .unwrap();
    let theirs = unique_name("theirs");
    create_as_another_account(&access, &theirs, region).await;
    let mine = S3Access::new(&access, unique_name("mine")).unwrap();
    assert!(mine.create_bucket().await.unwrap());
    proxy.add_rule(
        Rule::new(Fault::Respond {
            status: 403,
            content_type: "application/xml".to_owned(),
            body: String::new(),
        })
        .method("HEAD"),
    );
    let err = S3Access::new(&access, &theirs)
        .unwrap()
        .create_bucket()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OwnedByAnother { .. }), "{err:?}");
    assert!(
        !mine.create_bucket().await.unwrap(),
        "ours: AlreadyOwnedByYou"
    );
    assert_eq!(proxy.faults_applied(), 2, "both HEADs refused");
    assert_eq!(access.request_counter().operation("S3", "ListBuckets"), 0);
}

/// Credentials the store rejects are `Credentials`, not `OwnedByAnother` (a HEAD's 403 has no
/// body to say why; CreateBucket's answer does).
#[tokio::test]
async fn rejected_credentials_are_credentials() {
    let root = emulator::workspace_root_from(&std::env::current_dir().unwrap()).unwrap();
    let python = emulator::find_or_install_moto(&root, &|l| eprintln!("{l}")).unwrap();
    let mut strict = tokio::task::spawn_blocking(move || {
        EmulatorProcess::start(
            &python,
            &StartOptions {
                env: vec![("INITIAL_NO_AUTH_ACTION_COUNT".into(), "0".into())],
                ..Default::default()
            },
        )
        .unwrap()
    })
    .await
    .unwrap();
    let access = access_at(strict.endpoint()).await;
    let s3 = S3Access::new(&access, unique_name("creds")).unwrap();
    let err = s3.create_bucket().await.unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    strict.stop();
}
