//! Numbers Python stores that `f64` and 64-bit integers cannot hold (`2**70`, `10**37 + 1`, 38
//! significant digits) read back exactly as an `ExactItem` and are written back unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use awsimple_dynamodb::{ExactItem, ExactValue, Item, Number, Update};
use awsimple_testkit::{TEST_ACCESS_KEY_ID, TEST_REGION, emulator_endpoint};
use common::{access, string_key, table};
use serde::{Deserialize, Serialize};
use serde_json::json;

const TWO_POW_70: &str = "1180591620717411303424";
const TEN_POW_37_PLUS_1: &str = "10000000000000000000000000000000000001";
const DIGITS_38: &str = "0.12345678901234567890123456789012345678";

/// Runs `script` with the project's Python (boto3 comes with moto), against the emulator.
fn python(script: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exe = root.join(".venv/bin/python");
    assert!(
        exe.exists(),
        "the project's .venv (with moto and boto3) is missing: {exe:?}"
    );
    let out = Command::new(exe)
        .arg("-c")
        .arg(script)
        .env("AWS_ENDPOINT_URL", emulator_endpoint())
        .env("AWS_DEFAULT_REGION", TEST_REGION)
        .env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[derive(Serialize, Deserialize)]
struct Typed {
    id: String,
    big: Number,
}

#[tokio::test]
async fn python_numbers_beyond_64_bits_read_and_write_back_exactly() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    let name = db.table_name();
    python(&format!(
        r#"
import boto3
from decimal import Decimal
t = boto3.resource("dynamodb").Table("{name}")
t.put_item(Item={{"id": "py", "big": 2**70, "sum": 10**37 + 1, "digits": Decimal("{DIGITS_38}"),
                 "set": {{2**70, 1}}, "nested": {{"list": [2**70]}}}})
"#
    ));

    let exact: ExactItem = db.get_item("py").await.unwrap().unwrap();
    let number = |v: &ExactValue| v.as_number().unwrap().as_str().to_owned();
    assert_eq!(number(&exact["big"]), TWO_POW_70);
    assert_eq!(exact["big"].as_number().unwrap().as_u128(), Some(1 << 70));
    assert_eq!(number(&exact["sum"]), TEN_POW_37_PLUS_1);
    assert_eq!(number(&exact["digits"]), DIGITS_38);
    let ExactValue::NumberSet(set) = &exact["set"] else {
        panic!("a number set: {:?}", exact["set"]);
    };
    assert!(set.iter().any(|n| n.as_str() == TWO_POW_70), "{set:?}");
    let ExactValue::Map(nested) = &exact["nested"] else {
        panic!("a map");
    };
    assert_eq!(nested["list"], ExactValue::List(vec![exact["big"].clone()]));

    // The JSON form cannot hold them: it rounds (documented), the exact form does not.
    let rounded: Item = db.get_item("py").await.unwrap().unwrap();
    assert!(rounded["big"].is_f64());

    // Written back from Rust (as read; as a typed field; as an update value), Python reads the
    // same numbers.
    let mut copy = exact.clone();
    copy.insert("id".into(), ExactValue::String("rs".into()));
    db.put_item(&copy).await.unwrap();
    db.put_item(&Typed {
        id: "typed".into(),
        big: Number::parse(TEN_POW_37_PLUS_1).unwrap(),
    })
    .await
    .unwrap();
    db.update_item(
        "typed",
        &Update::new().set("more", Number::parse(TWO_POW_70).unwrap()),
    )
    .await
    .unwrap();
    let seen = python(&format!(
        r#"
import boto3
t = boto3.resource("dynamodb").Table("{name}")
rs = t.get_item(Key={{"id": "rs"}})["Item"]
typed = t.get_item(Key={{"id": "typed"}})["Item"]
print(rs["big"] == 2**70, rs["sum"] == 10**37 + 1, str(rs["digits"]), 2**70 in rs["set"],
      rs["nested"]["list"][0] == 2**70, typed["big"] == 10**37 + 1, typed["more"] == 2**70)
"#
    ));
    assert_eq!(
        seen.trim(),
        format!("True True {DIGITS_38} True True True True")
    );
    let back: ExactItem = db.get_item("rs").await.unwrap().unwrap();
    assert_eq!(back, copy);

    // Numbers beyond DynamoDB's limits are refused before any request, naming the attribute.
    let err = db
        .put_item(&json!({"id": "x", "n": Number::parse("1E+126").unwrap()}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("attribute n "), "{err}");
    db.delete_table().await.unwrap();
}
