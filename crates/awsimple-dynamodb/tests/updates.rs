//! Conditional updates, time to live and streams of pages against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use awsimple_dynamodb::{
    AttributeType, Condition, CreateTable, DeleteItemOptions, DynamoDbAccess, Error, Item,
    PutItemOptions, Query, ScanOptions, TransactGet, TtlStatus, Update,
};
use common::{access, requests, string_key, table};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

#[tokio::test]
async fn conditional_updates_with_reserved_words() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    db.put_item(&json!({"id": "o1", "name": "first", "status": "new", "draft": true}))
        .await
        .unwrap();

    db.update_item(
        "o1",
        &Update::new()
            .set("status", "paid")
            .set("name", "renamed")
            .add("count", 2)
            .set_if_not_exists("created", 5)
            .remove("draft")
            .condition(Condition::equals("status", "new").and(Condition::exists("name"))),
    )
    .await
    .unwrap();
    let item: Item = db.get_item("o1").await.unwrap().unwrap();
    assert_eq!(item["status"], "paid");
    assert_eq!(item["name"], "renamed");
    assert_eq!(item["count"], 2);
    assert_eq!(item["created"], 5);
    assert!(!item.contains_key("draft"));

    // set_if_not_exists keeps a value that is there; add adds up.
    db.update_item(
        "o1",
        &Update::new()
            .set_if_not_exists("created", 9)
            .add("count", 3),
    )
    .await
    .unwrap();
    let item: Item = db.get_item("o1").await.unwrap().unwrap();
    assert_eq!(
        (item["created"].clone(), item["count"].clone()),
        (json!(5), json!(5))
    );

    // A condition that does not hold: nothing changes, the error names the item.
    let err = db
        .update_item(
            "o1",
            &Update::new()
                .set("status", "shipped")
                .condition(Condition::begins_with("name", "first")),
        )
        .await
        .unwrap_err();
    match &err {
        Error::Precondition { resource, .. } => {
            assert!(
                resource.contains("\"o1\"") && resource.contains(db.table_name()),
                "{resource}"
            );
        }
        other => panic!("expected a precondition error, got {other:?}"),
    }
    db.update_item(
        "o1",
        &Update::new()
            .set("status", "shipped")
            .condition(Condition::begins_with("name", "ren").and(!Condition::exists("draft"))),
    )
    .await
    .unwrap();

    // An update creates a missing item; `not_exists` guards creation.
    let fresh = Update::new()
        .set("status", "new")
        .condition(Condition::not_exists("id"));
    db.update_item("o2", &fresh).await.unwrap();
    assert!(matches!(
        db.update_item("o2", &fresh).await,
        Err(Error::Precondition { .. })
    ));

    // Conditional puts and deletes.
    let only_new = PutItemOptions::new().condition(Condition::not_exists("id"));
    assert!(matches!(
        db.put_item_with(&json!({"id": "o2"}), &only_new).await,
        Err(Error::Precondition { .. })
    ));
    db.put_item_with(&json!({"id": "o3", "status": "x"}), &only_new)
        .await
        .unwrap();
    let if_done = DeleteItemOptions::new().condition(Condition::equals("status", "done"));
    assert!(matches!(
        db.delete_item_with("o3", &if_done).await,
        Err(Error::Precondition { .. })
    ));
    db.upsert_item("o3", &json!({"status": "done"}))
        .await
        .unwrap();
    db.delete_item_with("o3", &if_done).await.unwrap();
    assert!(db.get_item::<Item>("o3").await.unwrap().is_none());

    // Checked before any request: keys, empty updates, bad numbers.
    let before = access.request_counter().total();
    for bad in [
        Update::new().set("id", "x"),
        Update::new(),
        Update::new().set("n", f64::INFINITY),
        Update::new().expires_at(SystemTime::now()),
    ] {
        let err = db.update_item("o1", &bad).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput { .. } | Error::Serialization { .. }
            ),
            "{err}"
        );
    }
    assert_eq!(access.request_counter().total(), before);
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn ttl_is_enabled_and_expired_items_can_be_hidden() {
    if awsimple_testkit::skip_if_lacking("time-to-live") {
        return;
    }
    let access = access().await;
    let (db, dir) = table(
        &access,
        CreateTable::partition("id", AttributeType::String).sort("n", AttributeType::Number),
    )
    .await;
    let ttl = DynamoDbAccess::builder(&access, db.table_name())
        .ttl_attribute("expires_at")
        .build()
        .unwrap();
    assert_eq!(ttl.ttl_status().await.unwrap(), TtlStatus::Disabled);
    assert!(ttl.enable_ttl().await.unwrap());
    assert!(!ttl.enable_ttl().await.unwrap(), "enabled already");
    let status = ttl.ttl_status().await.unwrap();
    assert!(status.is_enabled());
    assert_eq!(status.attribute(), Some("expires_at"));
    assert!(matches!(
        db.enable_ttl().await,
        Err(Error::InvalidInput { .. })
    ));

    // Expiry times on puts and updates; the emulator (like DynamoDB for a while) keeps expired
    // items.
    let past = SystemTime::now() - Duration::from_secs(3600);
    let later = SystemTime::now() + Duration::from_secs(3600);
    ttl.put_item_with(
        &json!({"id": "p", "n": 1}),
        &PutItemOptions::new().expires_at(past),
    )
    .await
    .unwrap();
    ttl.put_item_with(
        &json!({"id": "p", "n": 2}),
        &PutItemOptions::new().expires_in(Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    ttl.put_item(&json!({"id": "p", "n": 3})).await.unwrap();
    ttl.put_item(&json!({"id": "p", "n": 4, "expires_at": "not a number"}))
        .await
        .unwrap();
    ttl.put_item(&json!({"id": "p", "n": 5})).await.unwrap();
    ttl.update_item(("p", 5), &Update::new().expires_at(past))
        .await
        .unwrap();
    let stored: Item = db.get_item(("p", 1)).await.unwrap().unwrap();
    let secs = past
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(stored["expires_at"], json!(secs));
    let stored: Item = db.get_item(("p", 2)).await.unwrap().unwrap();
    let later_secs = later
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(stored["expires_at"].as_u64().unwrap().abs_diff(later_secs) <= 2);
    assert!(matches!(
        db.put_item_with(
            &json!({"id": "p", "n": 9}),
            &PutItemOptions::new().expires_at(past)
        )
        .await,
        Err(Error::InvalidInput { .. })
    ));

    // A hiding handle leaves out 1 and 5 everywhere; the others see all five.
    let hiding = DynamoDbAccess::builder(&access, db.table_name())
        .ttl_attribute("expires_at")
        .hide_expired(true)
        .cache_dir(dir.path())
        .clock_skew(Duration::ZERO)
        .mtime_window(Duration::ZERO)
        .build()
        .unwrap();
    let numbers = |items: Vec<Item>| -> BTreeSet<u64> {
        items.iter().map(|i| i["n"].as_u64().unwrap()).collect()
    };
    let visible = BTreeSet::from([2, 3, 4]);
    assert!(hiding.get_item::<Item>(("p", 1)).await.unwrap().is_none());
    assert!(hiding.get_item::<Item>(("p", 2)).await.unwrap().is_some());
    assert!(ttl.get_item::<Item>(("p", 1)).await.unwrap().is_some());
    assert_eq!(
        numbers(hiding.query(&Query::partition("p")).await.unwrap()),
        visible
    );
    assert_eq!(numbers(hiding.scan_table().await.unwrap()), visible);
    assert_eq!(numbers(ttl.scan_table().await.unwrap()).len(), 5);
    let streamed: Vec<Item> = hiding
        .query_stream(&Query::partition("p").page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(numbers(streamed), visible);
    assert_eq!(
        numbers(
            hiding
                .get_items([("p", 1), ("p", 2), ("p", 5)])
                .await
                .unwrap()
        ),
        BTreeSet::from([2])
    );
    assert_eq!(hiding.scan_table_map::<Item>().await.unwrap().len(), 3);
    for _ in 0..2 {
        // A miss, then a hit: the cache keeps every item, each read filters.
        let cached = hiding.scan_table_cached::<Item>().await.unwrap();
        assert_eq!(numbers(cached.items), visible);
    }
    assert!(ttl.scan_table_cached::<Item>().await.unwrap().items.len() == 5);
    // The newest item (5) has expired: query_one passes on to 4.
    let newest: Item = hiding
        .query_one(&Query::partition("p"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newest["n"], 4);
    let got: Vec<Option<Item>> = hiding
        .transact_get(
            &TransactGet::new()
                .get(&hiding, ("p", 1))
                .get(&hiding, ("p", 3)),
        )
        .await
        .unwrap();
    assert!(got[0].is_none() && got[1].is_some());
    let csv = dir.path().join("hidden.csv");
    assert_eq!(hiding.dump_to_csv(&csv).await.unwrap(), 3);

    assert!(
        DynamoDbAccess::builder(&access, db.table_name())
            .hide_expired(true)
            .build()
            .is_err(),
        "hiding needs a TTL attribute"
    );
    assert!(ttl.disable_ttl().await.unwrap());
    assert!(!ttl.disable_ttl().await.unwrap(), "disabled already");
    assert_eq!(ttl.ttl_status().await.unwrap(), TtlStatus::Disabled);
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn streams_read_pages_lazily() {
    let access = access().await;
    let (db, _dir) = table(
        &access,
        CreateTable::partition("p", AttributeType::String).sort("n", AttributeType::Number),
    )
    .await;
    let items: Vec<_> = (0..50).map(|n| json!({"p": "a", "n": n})).collect();
    db.put_items(&items).await.unwrap();
    db.put_items(&[json!({"p": "b", "n": 0})]).await.unwrap();

    // Three items from a query of 7-item pages: one request.
    let queries = requests(&access, "Query");
    let mut stream = db.query_stream::<Item>(&Query::partition("a").page_size(7));
    assert_eq!(
        requests(&access, "Query"),
        queries,
        "nothing sent before polling"
    );
    for expected in 0..3 {
        let item = stream.next().await.unwrap().unwrap();
        assert_eq!(item["n"], expected, "in sort order");
    }
    assert_eq!(requests(&access, "Query") - queries, 1, "one page read");
    // The eighth item needs the second page.
    for _ in 3..8 {
        stream.next().await.unwrap().unwrap();
    }
    assert_eq!(requests(&access, "Query") - queries, 2);
    let rest: Vec<Item> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 42);
    assert_eq!(
        requests(&access, "Query") - queries,
        8,
        "50 items in 8 pages"
    );

    // Scans: serial and in parallel segments, every item exactly once.
    let scans = requests(&access, "Scan");
    let mut scan = db.scan_stream_with::<Item>(&ScanOptions::new().page_size(10));
    scan.next().await.unwrap().unwrap();
    assert_eq!(requests(&access, "Scan") - scans, 1);
    drop(scan);
    let all: Vec<Item> = db
        .scan_stream_with(&ScanOptions::new().segments(3).page_size(4))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 51);
    let keys: BTreeSet<(String, u64)> = all
        .iter()
        .map(|i| {
            (
                i["p"].as_str().unwrap().to_owned(),
                i["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(keys.len(), 51);
    assert_eq!(db.scan_stream::<Item>().count().await, 51);

    // Errors come through the stream: a wrong key type, a missing table.
    let mut bad = db.query_stream::<Item>(&Query::partition(5));
    assert!(matches!(
        bad.next().await,
        Some(Err(Error::InvalidInput { .. }))
    ));
    assert!(bad.next().await.is_none());
    let gone = DynamoDbAccess::new(&access, awsimple_testkit::unique_name("gone")).unwrap();
    let first = gone.scan_stream::<Item>().next().await.unwrap();
    assert!(first.unwrap_err().is_not_found());
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn streams_are_send_and_unpin() {
    fn assert_send_unpin<S: futures::Stream + Send + Unpin + 'static>(_: &S) {}
    let access = access().await;
    let db = DynamoDbAccess::new(&access, "not-polled").unwrap();
    let stream = db.scan_stream::<Item>();
    assert_send_unpin(&stream);
    // Usable from a spawned task.
    let handle = tokio::spawn(async move { stream.take(0).count().await });
    assert_eq!(handle.await.unwrap(), 0);
    let _ = string_key("unused");
}

#[tokio::test]
async fn scan_maps_keyed_by_a_chosen_attribute() {
    let access = access().await;
    let (writer, dir) = table(&access, string_key("id")).await;
    writer
        .put_items(&[
            json!({"id": "u1", "email": "b@x.org"}),
            json!({"id": "u2", "email": "a@x.org"}),
            json!({"id": "u3", "email": "c@x.org"}),
        ])
        .await
        .unwrap();
    let db = common::reader(&access, &writer, &dir);
    let by_email = ScanOptions::new().map_key("email");
    let map = db.scan_table_map_with::<Item>(&by_email).await.unwrap();
    let emails: Vec<_> = map.keys().map(|k| k.partition.as_str().unwrap()).collect();
    assert_eq!(
        emails,
        ["a@x.org", "b@x.org", "c@x.org"],
        "sorted by the attribute"
    );
    assert_eq!(map[&awsimple_dynamodb::Key::new("a@x.org")]["id"], "u2");
    for _ in 0..2 {
        // The cached form too (a miss, then a hit).
        let cached = db
            .scan_table_cached_map_with::<Item>(&by_email)
            .await
            .unwrap();
        assert_eq!(cached.items, map);
    }
    // A missing value, or a value two items share, fails rather than dropping an item.
    writer.put_item(&json!({"id": "u4"})).await.unwrap();
    let err = db.scan_table_map_with::<Item>(&by_email).await.unwrap_err();
    assert!(matches!(err, Error::Serialization { .. }), "{err}");
    assert!(err.to_string().contains("\"u4\""), "{err}");
    writer
        .put_item(&json!({"id": "u4", "email": "a@x.org"}))
        .await
        .unwrap();
    let err = db.scan_table_map_with::<Item>(&by_email).await.unwrap_err();
    assert!(err.to_string().contains("a@x.org"), "{err}");
    // The default stays the primary key.
    assert_eq!(db.scan_table_map::<Item>().await.unwrap().len(), 4);
    writer.delete_table().await.unwrap();
}
