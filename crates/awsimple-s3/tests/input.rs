//! Input S3 would refuse, or that would silently become something else, is refused before
//! any request: reserved bucket names, NaN and infinities in JSON, empty keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use awsimple_core::Error;
use awsimple_s3::S3Access;
use awsimple_testkit::{emulator_access, unique_name};

#[tokio::test]
async fn reserved_bucket_names_are_invalid_input_not_transient() {
    let access = emulator_access().await;
    for name in [
        "data--x-s3",
        "data--use1-az4--x-s3",
        "data--table-s3",
        "data--ol-s3",
        "data.mrap",
        "amzn-s3-demo-bucket",
        "sthree-configurator",
        "192.168.05.004",
    ] {
        let err = S3Access::new(&access, name).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{name}: {err:?}");
        assert!(!err.is_transient(), "{name}");
    }
}

#[tokio::test]
async fn non_finite_numbers_in_json_are_refused_without_a_request() {
    let access = emulator_access().await;
    let s3 = S3Access::new(&access, unique_name("nan")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    let before = access.request_counter().total();
    for value in [
        serde_json_value(f64::NAN),
        serde_json_value(f64::INFINITY),
        serde_json_value(f64::NEG_INFINITY),
    ] {
        let err = s3.write_json(&value, "numbers").await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    }
    assert_eq!(access.request_counter().total(), before, "no request sent");
    assert!(!s3.object_exists("numbers.json").await.unwrap());
}

/// A struct holding the float (serde_json's `Value` cannot hold NaN at all).
fn serde_json_value(x: f64) -> std::collections::BTreeMap<&'static str, Vec<f64>> {
    [("values", vec![1.0, x])].into_iter().collect()
}

#[tokio::test]
async fn empty_keys_are_refused_without_a_request() {
    let access = emulator_access().await;
    let s3 = S3Access::new(&access, unique_name("empty")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    let before = access.request_counter().total();
    let invalid = |r: Result<(), Error>, what: &str| {
        let err = r.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{what}: {err:?}");
    };
    invalid(s3.write_json(&[1], "").await.map(drop), "write_json");
    invalid(
        s3.read_json::<serde_json::Value>("").await.map(drop),
        "read_json",
    );
    invalid(
        s3.read_json_cached::<serde_json::Value>("").await.map(drop),
        "read_json_cached",
    );
    invalid(s3.write_string("x", "").await, "write_string");
    invalid(s3.write_bytes(b"x".to_vec(), "").await, "write_bytes");
    invalid(s3.read_string("").await.map(drop), "read_string");
    invalid(s3.delete_object("").await, "delete_object");
    assert_eq!(access.request_counter().total(), before, "no request sent");
    assert!(!s3.object_exists(".json").await.unwrap());
}

/// A key whose file name is longer than the local file system takes (300 bytes) is refused
/// before any request, and no folder is made for it.
#[tokio::test]
async fn file_names_too_long_for_the_file_system_are_refused_before_the_transfer() {
    if awsimple_testkit::skip_if_lacking("long-key-components") {
        return;
    }
    let access = emulator_access().await;
    let s3 = S3Access::new(&access, unique_name("long")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    let key = format!("dir/{}", "n".repeat(300));
    s3.write_string("content", &key).await.unwrap();
    s3.write_string("fine", "dir/ok.txt").await.unwrap();

    let dest = tempfile::tempdir().unwrap();
    let before = access.request_counter().total();
    let err = s3.download(&key, dest.path()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = s3.download_cached(&key, dest.path()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let file = dest.path().join("sub").join("x".repeat(300));
    let err = s3.download("dir/ok.txt", &file).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(access.request_counter().total(), before, "no request sent");
    assert_eq!(
        std::fs::read_dir(dest.path()).unwrap().count(),
        0,
        "no folder made"
    );

    // sync_down skips it (with the reason) and brings the rest.
    let synced = tempfile::tempdir().unwrap();
    let report = s3.sync_down("dir", synced.path()).await.unwrap();
    assert_eq!(report.downloaded, vec!["dir/ok.txt".to_owned()]);
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].name, key);
}
