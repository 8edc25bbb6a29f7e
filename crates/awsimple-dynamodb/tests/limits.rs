//! DynamoDB's limits (numbers, key sizes, attribute names, nesting) are checked before any
//! request, on every write and key path, with errors naming the attribute.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use awsimple_dynamodb::{
    AttributeType, CreateTable, Error, Item, KeyValue, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES,
    Query, TransactWrite, Update,
};
use common::{access, table};
use serde_json::json;

fn invalid<T: std::fmt::Debug>(result: awsimple_dynamodb::Result<T>, names: &str) {
    match result {
        Err(err @ Error::InvalidInput { .. }) => {
            let text = err.to_string();
            assert!(text.contains(names), "{text:?} should name {names:?}");
        }
        other => panic!("expected InvalidInput naming {names:?}, got {other:?}"),
    }
}

/// A value nested in `levels` lists.
fn nested(levels: usize) -> serde_json::Value {
    (0..levels).fold(json!(1), |inner, _| json!([inner]))
}

#[tokio::test]
async fn limits_are_checked_before_any_request() {
    let access = access().await;
    let (db, _dir) = table(
        &access,
        CreateTable::partition("id", AttributeType::String).sort("n", AttributeType::Number),
    )
    .await;
    db.schema().await.unwrap();
    let before = access.request_counter().total();

    // Numbers out of DynamoDB's range, anywhere in the item, named by their path.
    invalid(
        db.put_item(&json!({"id": "a", "n": 1, "x": 1e200})).await,
        "attribute x ",
    );
    invalid(
        db.put_item(&json!({"id": "a", "n": 1, "readings": [{"c": 1.5}, {"c": 1e-200}]}))
            .await,
        "readings[1].c",
    );
    invalid(
        db.put_item(&json!({"id": "a", "n": 1e130})).await,
        "attribute n ",
    );
    // Names and nesting.
    invalid(
        db.put_item(&json!({"id": "a", "n": 1, "": 2})).await,
        "empty name",
    );
    invalid(
        db.put_item(&json!({"id": "a", "n": 1, "m": {"": 2}})).await,
        "m.",
    );
    invalid(
        db.put_item(&json!({"id": "a", "n": 1, "deep": nested(33)}))
            .await,
        "deep",
    );
    // Key sizes in bytes: a partition key of 2049 bytes, a sort key over 1024 bytes.
    let long_partition = "é".repeat(MAX_PARTITION_KEY_BYTES / 2) + "x";
    invalid(
        db.put_item(&json!({"id": long_partition, "n": 1})).await,
        "\"id\"",
    );
    invalid(
        db.get_item::<Item>((long_partition.as_str(), 1)).await,
        "\"id\"",
    );
    invalid(db.delete_item((long_partition.as_str(), 1)).await, "\"id\"");
    invalid(
        db.query::<Item>(&Query::partition(long_partition.as_str()))
            .await,
        "\"id\"",
    );
    // Numbers with 39 significant digits, as key values and as update values.
    let digits39 = KeyValue::number("123456789012345678901234567890123456789");
    invalid(db.get_item::<Item>(("a", digits39.clone())).await, "\"n\"");
    invalid(
        db.update_item(("a", 1), &Update::new().set("score", 1e300))
            .await,
        "score",
    );
    // Batches and transactions: nothing is sent when one entry is bad.
    invalid(
        db.put_items(&[
            json!({"id": "ok", "n": 1}),
            json!({"id": "bad", "n": 1, "x": 1e-131}),
        ])
        .await,
        "attribute x ",
    );
    invalid(
        db.transact_write(
            &TransactWrite::new()
                .put(&db, &json!({"id": "ok", "n": 1}))
                .update(&db, ("ok", 2), Update::new().set("deep", nested(40))),
        )
        .await,
        "deep",
    );
    assert_eq!(
        access.request_counter().total(),
        before,
        "no request was sent"
    );

    // At the limits, everything is accepted and read back as written.
    let sort_limit = "s".repeat(MAX_SORT_KEY_BYTES);
    let (db2, _dir2) = table(
        &access,
        CreateTable::partition("id", AttributeType::String).sort("s", AttributeType::String),
    )
    .await;
    let item = json!({
        "id": "é".repeat(MAX_PARTITION_KEY_BYTES / 2),
        "s": sort_limit,
        "deep": nested(32),
        "tiny": 1e-130,
        "huge": -9.9e125,
    });
    db2.put_item(&item).await.unwrap();
    let back: Item = db2
        .get_item((
            "é".repeat(MAX_PARTITION_KEY_BYTES / 2).as_str(),
            sort_limit.as_str(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.get("deep"), Some(&nested(32)));
    assert_eq!(back.get("tiny"), Some(&json!(1e-130)));
    let over_sort = "s".repeat(MAX_SORT_KEY_BYTES + 1);
    invalid(
        db2.get_item::<Item>(("p", over_sort.as_str())).await,
        "\"s\"",
    );
    db.delete_table().await.unwrap();
    db2.delete_table().await.unwrap();
}
