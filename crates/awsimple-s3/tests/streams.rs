//! What a Rust user expects of S3 against the emulator: listings as streams, `Bytes` in and
//! out, errors that carry what AWS answered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use awsimple_core::Error;
use awsimple_s3::{Bytes, S3Access};
use awsimple_testkit::{emulator_access, unique_name};
use futures::{StreamExt, TryStreamExt};

async fn bucket(access: &awsimple_core::AwsAccess) -> S3Access {
    let s3 = S3Access::new(access, unique_name("st")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    s3
}

#[tokio::test]
async fn keys_stream_yields_every_key_one_page_at_a_time() {
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let keys: Vec<String> = (0..2500).map(|i| format!("p/{i:05}")).collect();
    futures::stream::iter(keys.iter())
        .map(|k| s3.write_bytes(Bytes::from_static(b"x"), k))
        .buffer_unordered(32)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    s3.write_string("other", "q/1").await.unwrap();
    let counter = access.request_counter();

    // The first key costs the first page only.
    counter.reset();
    let mut stream = s3.keys_stream("p/");
    assert_eq!(stream.next().await.unwrap().unwrap(), "p/00000");
    assert_eq!(counter.operation("S3", "ListObjectsV2"), 1);
    drop(stream);

    // All of them: three pages, in S3's (sorted) order, nothing under another prefix.
    counter.reset();
    let mut listed = Vec::new();
    let mut stream = s3.keys_stream("p/");
    while let Some(key) = stream.next().await {
        listed.push(key.unwrap());
    }
    assert_eq!(listed, keys);
    assert_eq!(counter.operation("S3", "ListObjectsV2"), 3);

    // The Vec form is the same listing.
    assert_eq!(s3.keys("p/").await.unwrap(), keys);
}

#[tokio::test]
async fn dir_stream_yields_metadata_in_key_order() {
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    for i in 0..40 {
        s3.write_string(&format!("v{i}"), &format!("d/{i:02}"))
            .await
            .unwrap();
    }
    let metas: Vec<_> = s3.dir_stream("d/").try_collect().await.unwrap();
    let keys: Vec<_> = metas.iter().map(|m| m.key.as_str()).collect();
    let expected: Vec<String> = (0..40).map(|i| format!("d/{i:02}")).collect();
    assert_eq!(keys, expected);
    assert_eq!(
        metas[7].sha512.as_deref(),
        Some(awsimple_core::sha512(b"v7").to_hex().as_str())
    );
    assert_eq!(s3.dir("d/").await.unwrap().len(), 40);
}

#[tokio::test]
async fn listing_a_missing_bucket_streams_one_error_and_ends() {
    let access = emulator_access().await;
    let s3 = S3Access::new(&access, unique_name("gone")).unwrap();
    let items: Vec<_> = s3.keys_stream("").collect().await;
    assert_eq!(items.len(), 1);
    assert!(matches!(&items[0], Err(e) if e.is_not_found()), "{items:?}");
    let items: Vec<_> = s3.dir_stream("").collect().await;
    assert_eq!(items.len(), 1);
    assert!(matches!(&items[0], Err(e) if e.is_not_found()), "{items:?}");
}

#[tokio::test]
async fn bytes_round_trip() {
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let content = Bytes::from((0..=255u8).cycle().take(100_000).collect::<Vec<u8>>());
    s3.write_bytes(content.clone(), "b.bin").await.unwrap();
    let read: Bytes = s3.read_bytes("b.bin").await.unwrap();
    assert_eq!(read, content);
    // The identity is the SHA-512 of the content, as for every write.
    let meta = s3.get_object_metadata("b.bin").await.unwrap();
    assert_eq!(
        meta.sha512.as_deref(),
        Some(awsimple_core::sha512(&content).to_hex().as_str())
    );
    // Vec<u8> and static slices still go in as they are.
    s3.write_bytes(vec![1u8, 2, 3], "v.bin").await.unwrap();
    s3.write_bytes(&b"static"[..], "s.bin").await.unwrap();
    assert_eq!(s3.read_bytes("v.bin").await.unwrap(), [1u8, 2, 3][..]);
    assert_eq!(s3.read_bytes("s.bin").await.unwrap(), &b"static"[..]);
}

#[tokio::test]
async fn read_stream_yields_the_content_checked() {
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let content: Vec<u8> = (0..=255u8).cycle().take(3_000_000).collect();
    s3.write_bytes(content.clone(), "big.bin").await.unwrap();
    let mut body = s3.read_stream("big.bin").await.unwrap();
    let mut read = Vec::new();
    while let Some(chunk) = body.next().await {
        read.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(read, content);
    // Missing: the call itself fails, before any stream.
    let err = s3.read_stream("missing").await.err().unwrap();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_streamed_write_has_the_identity_of_an_upload() {
    const MIB: usize = 1024 * 1024;
    let access = emulator_access().await;
    let s3 = S3Access::builder(&access, unique_name("sw"))
        .multipart_threshold(5 * MIB as u64)
        .part_size(5 * MIB as u64)
        .build()
        .unwrap();
    assert!(s3.create_bucket().await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    for (len, multipart) in [(12 * MIB + 3, true), (100_000, false)] {
        let content: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let path = dir.path().join(format!("f{len}"));
        std::fs::write(&path, &content).unwrap();
        let counter = access.request_counter();
        counter.reset();
        s3.write_stream(&content[..], "streamed").await.unwrap();
        assert_eq!(
            counter.operation("S3", "UploadPart"),
            if multipart { 3 } else { 0 },
            "{len}"
        );
        assert!(s3.upload(&path, "uploaded").await.unwrap());
        let streamed = s3.get_object_metadata("streamed").await.unwrap();
        let uploaded = s3.get_object_metadata("uploaded").await.unwrap();
        assert_eq!(streamed.identity, uploaded.identity, "{len}");
        assert_eq!(
            streamed.sha512.as_deref(),
            Some(awsimple_core::sha512(&content).to_hex().as_str())
        );
        assert_eq!(streamed.size, len as u64);
        // The upload of the same content to the streamed key is skipped: same identity.
        assert!(!s3.upload(&path, "streamed").await.unwrap(), "{len}");
        assert_eq!(s3.read_bytes("streamed").await.unwrap(), content);
    }
}

#[tokio::test]
async fn not_found_carries_what_aws_answered() {
    if awsimple_testkit::skip_if_lacking("request-ids") {
        return;
    }
    let access = emulator_access().await;
    let s3 = bucket(&access).await;

    // HEAD: no code in the answer, the status and the request id are there.
    let err = s3.get_object_metadata("missing").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert!(err.request_id().is_some_and(|id| !id.is_empty()), "{err:?}");

    // GET: the code too.
    let err = s3.read_bytes("missing").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.code(), Some("NoSuchKey"), "{err:?}");
    assert!(err.request_id().is_some_and(|id| !id.is_empty()), "{err:?}");
}
