//! Tables, items (typed and dynamic), batches, queries and scans against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};

use awsimple_dynamodb::{
    AttributeType, CreateTable, Direction, DynamoDbAccess, Error, Item, Key, Query, ScanOptions,
    TableNamesOptions,
};
use awsimple_testkit::unique_name;
use common::{access, requests, string_key, table};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[tokio::test]
async fn tables_create_describe_list_delete() {
    let access = access().await;
    let spec = CreateTable::partition("id", AttributeType::String)
        .sort("ts", AttributeType::Number)
        .secondary_index("email", AttributeType::String);
    let (db, _dir) = table(&access, spec.clone()).await;
    assert!(
        !db.create_table(&spec).await.unwrap(),
        "second create says it existed"
    );
    assert!(db.table_exists().await.unwrap());

    let schema = db.schema().await.unwrap();
    assert_eq!(schema.partition.name, "id");
    assert_eq!(schema.partition.attribute_type, AttributeType::String);
    let sort = schema.sort.clone().unwrap();
    assert_eq!(
        (sort.name.as_str(), sort.attribute_type),
        ("ts", AttributeType::Number)
    );
    assert_eq!(schema.secondary_indexes.len(), 1);
    assert_eq!(schema.secondary_indexes[0].name, "email-index");
    assert_eq!(schema.secondary_indexes[0].partition.name, "email");

    // Three more tables, listed two per page: every page is read and the result is sorted.
    let mut others = Vec::new();
    for _ in 0..3 {
        let (other, dir) = table(&access, string_key("k")).await;
        others.push((other, dir));
    }
    let before = requests(&access, "ListTables");
    let names = db
        .table_names_with(&TableNamesOptions::new().page_size(2))
        .await
        .unwrap();
    assert!(
        requests(&access, "ListTables") - before >= 2,
        "several pages were read"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for (other, _) in &others {
        assert!(names.iter().any(|n| n == other.table_name()));
    }
    assert!(names.iter().any(|n| n == db.table_name()));
    // Tests running alongside create and delete tables: compare this test's tables only.
    let own = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|n| *n == db.table_name() || others.iter().any(|(o, _)| o.table_name() == *n))
            .cloned()
            .collect()
    };
    assert_eq!(own(&db.table_names().await.unwrap()), own(&names));

    db.put_item(&json!({"id": "a", "ts": 1})).await.unwrap();
    // DescribeTable's ItemCount is refreshed about every six hours on AWS (dynalite leaves it at
    // 0; moto counts at once): right after the put, 0 and 1 are both right.
    assert!(db.item_count().await.unwrap() <= 1);

    assert!(db.delete_table().await.unwrap());
    assert!(!db.table_exists().await.unwrap());
    assert!(
        !db.delete_table().await.unwrap(),
        "deleting again says it was not there"
    );
    for (other, _) in &others {
        assert!(other.delete_table().await.unwrap());
    }
}

#[tokio::test]
async fn invalid_input_is_rejected_before_any_request() {
    let access = access().await;
    assert!(matches!(
        DynamoDbAccess::new(&access, "no spaces allowed"),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        DynamoDbAccess::new(&access, "ab"),
        Err(Error::InvalidInput { .. })
    ));

    let (db, _dir) = table(
        &access,
        CreateTable::partition("id", AttributeType::String).sort("n", AttributeType::Number),
    )
    .await;
    db.schema().await.unwrap();
    let before = access.request_counter().total();
    let cases: Vec<serde_json::Value> = vec![
        json!({"n": 1}),                                           // missing partition key
        json!({"id": "a"}),                                        // missing sort key
        json!({"id": 5, "n": 1}),                                  // wrong partition type
        json!({"id": "a", "n": "1"}),                              // wrong sort type
        json!({"id": "", "n": 1}),                                 // empty key value
        json!({"id": "a", "n": 1, "big": "x".repeat(410 * 1024)}), // over 400 KB
    ];
    for case in &cases {
        let err = db.put_item(case).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    }
    assert!(matches!(
        db.get_item::<Item>("a").await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.get_item::<Item>(("a", "x")).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.upsert_item(("a", 1), &json!({"id": "a"})).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.query::<Item>(&Query::attribute("color", "red")).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.put_items(&[json!({"id": "ok", "n": 1}), json!({"id": "bad"})])
            .await,
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(
        access.request_counter().total(),
        before,
        "no request was sent"
    );
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn dynamic_items_put_get_delete_upsert() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;

    let item = json!({
        "id": "u1",
        "name": "Ada",                   // reserved word
        "empty": "",                     // empty strings are fine off the key
        "count": 3,
        "big": u64::MAX,
        "neg": i64::MIN,
        "ratio": 0.25,
        "whole_float": 2.0,
        "ok": true,
        "nothing": null,
        "tags": ["a", "b"],
        "nested": {"deep": {"list": [1, 2.5, "x"]}},
    });
    db.put_item(&item).await.unwrap();
    let back: Item = db.get_item("u1").await.unwrap().expect("stored");
    assert_eq!(back.get("count"), Some(&json!(3)));
    assert!(
        back["count"].is_i64(),
        "integral numbers come back as integers"
    );
    assert_eq!(back.get("big"), Some(&json!(u64::MAX)));
    assert_eq!(back.get("neg"), Some(&json!(i64::MIN)));
    assert_eq!(back.get("ratio"), Some(&json!(0.25)));
    assert_eq!(back.get("whole_float"), Some(&json!(2)));
    assert_eq!(back.get("empty"), Some(&json!("")));
    assert_eq!(back.get("nothing"), Some(&json!(null)));
    assert_eq!(back["nested"]["deep"]["list"], json!([1, 2.5, "x"]));
    assert_eq!(back.get("tags"), Some(&json!(["a", "b"])));

    // A missing item is None, not an error.
    assert!(db.get_item::<Item>("nobody").await.unwrap().is_none());

    // Conditional put.
    let err = db
        .put_item_if_not_exists(&json!({"id": "u1", "name": "other"}))
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err}");
    let still: Item = db.get_item("u1").await.unwrap().unwrap();
    assert_eq!(still["name"], "Ada");
    db.put_item_if_not_exists(&json!({"id": "u2", "name": "Bob"}))
        .await
        .unwrap();

    // Upsert with reserved words, on an existing and on a missing item.
    db.upsert_item("u1", &json!({"status": "active", "name": "Ada L."}))
        .await
        .unwrap();
    let up: Item = db.get_item("u1").await.unwrap().unwrap();
    assert_eq!(up["status"], "active");
    assert_eq!(up["name"], "Ada L.");
    assert_eq!(up["count"], 3, "other attributes stay");
    db.upsert_item("u3", &json!({"id": "u3", "status": "new"}))
        .await
        .unwrap();
    let created: Item = db.get_item("u3").await.unwrap().unwrap();
    assert_eq!(
        created,
        json!({"id": "u3", "status": "new"})
            .as_object()
            .unwrap()
            .clone()
    );
    let err = db.upsert_item("u3", &json!({})).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { .. }),
        "empty update: {err}"
    );

    db.delete_item("u1").await.unwrap();
    assert!(db.get_item::<Item>("u1").await.unwrap().is_none());
    db.delete_item("u1").await.unwrap(); // deleting a missing item is fine

    assert_eq!(db.delete_all_items().await.unwrap(), 2);
    assert!(db.scan_table::<Item>().await.unwrap().is_empty());
    db.delete_table().await.unwrap();
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Color {
    Red,
    Green,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    label: String,
    weights: Vec<f64>,
    color: Color,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u64,
    max: u64,
    min: i64,
    tiny: f64,
    huge: f64,
    third: f64,
    negative: f64,
    maybe: Option<String>,
    inner: Inner,
    by_name: BTreeMap<String, i32>,
    list: Vec<Inner>,
    when: String,
}

#[tokio::test]
async fn typed_struct_round_trip_with_edge_values() {
    let access = access().await;
    let (db, _dir) = table(&access, CreateTable::partition("id", AttributeType::Number)).await;
    let inner = Inner {
        label: String::new(),
        weights: vec![0.1, -1.5e-7, 3.0],
        color: Color::Green,
    };
    let record = Record {
        id: u64::MAX,
        max: u64::MAX,
        min: i64::MIN,
        tiny: 1.0e-120,
        huge: 1.234_567_890_123_456_7e120,
        third: 1.0 / 3.0,
        negative: -0.000_123_456_789,
        maybe: None,
        inner: inner.clone(),
        by_name: BTreeMap::from([("a".into(), 1), ("b".into(), -2)]),
        list: vec![
            inner.clone(),
            Inner {
                color: Color::Red,
                ..inner
            },
        ],
        when: "2024-05-01T12:34:56.789+00:00".into(),
    };
    db.put_item(&record).await.unwrap();
    let back: Record = db.get_item(u64::MAX).await.unwrap().expect("stored");
    assert_eq!(back, record);
    // Enums are stored by name.
    let dynamic: Item = db.get_item(u64::MAX).await.unwrap().unwrap();
    assert_eq!(dynamic["inner"]["color"], "Green");
    // Non-finite floats are rejected before sending.
    let mut bad = record.clone();
    bad.id = 1;
    bad.third = f64::NAN;
    assert!(matches!(
        db.put_item(&bad).await,
        Err(Error::InvalidInput { .. })
    ));
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn batch_put_of_1000_items_reads_every_item_back() {
    let access = access().await;
    let (db, _dir) = table(
        &access,
        CreateTable::partition("p", AttributeType::String).sort("n", AttributeType::Number),
    )
    .await;
    let items: Vec<serde_json::Value> = (0..1000)
        .map(|i| json!({"p": format!("g{}", i % 7), "n": i, "v": format!("value-{i}")}))
        .collect();
    let before_batch = requests(&access, "BatchWriteItem");
    let before_meta = requests(&access, "PutItem");
    db.put_items(&items).await.unwrap();
    assert!(
        requests(&access, "BatchWriteItem") - before_batch >= 40,
        "25 per request"
    );
    assert_eq!(
        requests(&access, "PutItem") - before_meta,
        0,
        "mtime recorded at create, within the window"
    );

    let keys: Vec<Key> = (0..1000)
        .map(|i| Key::from((format!("g{}", i % 7), i)))
        .collect();
    let got: Vec<Item> = db.get_items(keys.clone()).await.unwrap();
    assert_eq!(got.len(), 1000);
    let mut seen: Vec<i64> = got.iter().map(|i| i["n"].as_i64().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    for item in &got {
        let n = item["n"].as_i64().unwrap();
        assert_eq!(item["v"], format!("value-{n}"));
    }
    assert_eq!(db.scan_table::<Item>().await.unwrap().len(), 1000);

    db.delete_items(keys[..500].to_vec()).await.unwrap();
    assert_eq!(db.scan_table::<Item>().await.unwrap().len(), 500);
    assert_eq!(db.delete_all_items().await.unwrap(), 500);
    assert!(db.scan_table::<Item>().await.unwrap().is_empty());
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn queries_paginate_route_to_the_index_and_pick_ends() {
    let access = access().await;
    let (db, _dir) = table(
        &access,
        CreateTable::partition("user", AttributeType::String)
            .sort("day", AttributeType::String)
            .secondary_index("email", AttributeType::String),
    )
    .await;
    let mut items = Vec::new();
    for d in 1..=30 {
        let month = if d <= 20 { "2024-01" } else { "2024-02" };
        items.push(
            json!({"user": "ann", "day": format!("{month}-{d:02}"), "email": "ann@x.org", "n": d}),
        );
    }
    items.push(json!({"user": "bob", "day": "2024-01-01", "email": "bob@x.org", "n": 0}));
    db.put_items(&items).await.unwrap();

    let before = requests(&access, "Query");
    let all: Vec<Item> = db
        .query(&Query::partition("ann").page_size(7))
        .await
        .unwrap();
    assert_eq!(all.len(), 30);
    assert!(
        requests(&access, "Query") - before >= 5,
        "followed every page"
    );
    let days: Vec<&str> = all.iter().map(|i| i["day"].as_str().unwrap()).collect();
    let mut sorted = days.clone();
    sorted.sort_unstable();
    assert_eq!(days, sorted, "in sort key order");
    let default_pages: Vec<Item> = db.query(&Query::partition("ann")).await.unwrap();
    assert_eq!(default_pages.len(), 30);

    let feb: Vec<Item> = db
        .query(
            &Query::partition("ann")
                .sort_begins_with("2024-02")
                .page_size(3),
        )
        .await
        .unwrap();
    assert_eq!(feb.len(), 10);
    let exact: Vec<Item> = db
        .query(&Query::partition("ann").sort_eq("2024-01-05"))
        .await
        .unwrap();
    assert_eq!(exact.len(), 1);
    assert_eq!(exact[0]["n"], 5);

    let by_email: Vec<Item> = db
        .query(&Query::attribute("email", "ann@x.org").page_size(4))
        .await
        .unwrap();
    assert_eq!(by_email.len(), 30);
    let bob: Vec<Item> = db
        .query(&Query::attribute("email", "bob@x.org"))
        .await
        .unwrap();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0]["user"], "bob");
    let none: Vec<Item> = db.query(&Query::partition("nobody")).await.unwrap();
    assert!(none.is_empty());

    let before = requests(&access, "Query");
    let lowest: Item = db
        .query_one(&Query::partition("ann").direction(Direction::Lowest))
        .await
        .unwrap()
        .unwrap();
    let highest: Item = db
        .query_one(&Query::partition("ann"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(requests(&access, "Query") - before, 2, "one request each");
    assert_eq!(lowest["day"], "2024-01-01");
    assert_eq!(
        highest["day"], "2024-02-30",
        "highest by default, as in Python"
    );
    assert!(
        db.query_one::<Item>(&Query::partition("nobody"))
            .await
            .unwrap()
            .is_none()
    );
    // Queries are ascending by default; `direction` turns them around.
    let ascending: Vec<Item> = db.query(&Query::partition("ann")).await.unwrap();
    let descending: Vec<Item> = db
        .query(
            &Query::partition("ann")
                .direction(Direction::Highest)
                .page_size(7),
        )
        .await
        .unwrap();
    assert_eq!(ascending[0]["day"], "2024-01-01");
    assert_eq!(descending[0]["day"], "2024-02-30");
    assert_eq!(descending.len(), ascending.len());
    assert!(descending.iter().rev().eq(ascending.iter()));
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn scans_paginate_run_in_parallel_and_map_by_key() {
    let access = access().await;
    let (db, _dir) = table(
        &access,
        CreateTable::partition("p", AttributeType::String).sort("n", AttributeType::Number),
    )
    .await;
    let items: Vec<serde_json::Value> = (0..60)
        .map(|i| json!({"p": format!("k{}", i % 3), "n": i}))
        .collect();
    db.put_items(&items).await.unwrap();

    let before = requests(&access, "Scan");
    let paged: Vec<Item> = db
        .scan_table_with(&ScanOptions::new().page_size(7))
        .await
        .unwrap();
    assert_eq!(paged.len(), 60);
    assert!(requests(&access, "Scan") - before >= 9, "every page read");

    let parallel: Vec<Item> = db
        .scan_table_with(&ScanOptions::new().segments(4).page_size(5))
        .await
        .unwrap();
    assert_eq!(parallel.len(), 60);
    let mut ns: Vec<i64> = parallel.iter().map(|i| i["n"].as_i64().unwrap()).collect();
    ns.sort_unstable();
    assert_eq!(ns, (0..60).collect::<Vec<_>>());

    let map = db.scan_table_map::<Item>().await.unwrap();
    assert_eq!(map.len(), 60);
    let keys: Vec<Key> = map.keys().cloned().collect();
    assert_eq!(keys[0], Key::from(("k0", 0)));
    assert_eq!(keys[1], Key::from(("k0", 3)), "numbers sort by value");
    assert_eq!(keys[59], Key::from(("k2", 59)));
    assert_eq!(map[&Key::from(("k1", 10))]["n"], 10);
    let parallel_map = db
        .scan_table_map_with::<Item>(&ScanOptions::new().segments(3).page_size(9))
        .await
        .unwrap();
    assert_eq!(parallel_map, map, "the options do not change the map");

    // Typed scan.
    #[derive(Deserialize)]
    struct Row {
        p: String,
        n: u32,
    }
    let rows: Vec<Row> = db.scan_table().await.unwrap();
    assert_eq!(rows.len(), 60);
    assert!(rows.iter().all(|r| r.p == format!("k{}", r.n % 3)));
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn scanning_a_missing_table_is_not_found() {
    let access = access().await;
    let db = DynamoDbAccess::new(&access, unique_name("missing")).unwrap();
    assert!(db.scan_table::<Item>().await.unwrap_err().is_not_found());
    assert!(db.get_item::<Item>("x").await.unwrap_err().is_not_found());
    let _ = HashMap::<String, String>::new();
}

/// Bytes that serialize as binary (what `serde_bytes` does), to store `B` attributes.
#[derive(Debug, Clone, PartialEq)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_bytes(V)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Blob {
    key: Bytes,
    payload: Bytes,
    note: String,
}

#[tokio::test]
async fn binary_keys_and_attributes() {
    let access = access().await;
    let (db, _dir) = table(
        &access,
        CreateTable::partition("key", AttributeType::Binary),
    )
    .await;
    let blob = Blob {
        key: Bytes(vec![0, 1, 2, 255]),
        payload: Bytes((0..=255).collect()),
        note: "bin".into(),
    };
    db.put_item(&blob).await.unwrap();
    let back: Blob = db
        .get_item(vec![0u8, 1, 2, 255])
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(back, blob);
    // Dynamic reads show binary as byte values.
    let dynamic: Item = db.get_item(vec![0u8, 1, 2, 255]).await.unwrap().unwrap();
    assert_eq!(dynamic["key"], json!([0, 1, 2, 255]));
    // Empty binary keys and wrong key types are rejected.
    assert!(matches!(
        db.get_item::<Blob>(Vec::<u8>::new()).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        db.get_item::<Blob>("text").await,
        Err(Error::InvalidInput { .. })
    ));
    let map = db.scan_table_map::<Blob>().await.unwrap();
    assert_eq!(map.keys().next(), Some(&Key::from(vec![0u8, 1, 2, 255])));
    db.delete_table().await.unwrap();
}
