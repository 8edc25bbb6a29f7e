//! `write_json` writes the bytes Python awsimple's `upload_object_as_json` writes
//! (`json.dumps` with its defaults), checked byte for byte against the real Python of the
//! project's venv; `read_json` still reads compact JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use awsimple_s3::S3Access;
use awsimple_testkit::{emulator, emulator_access, unique_name};
use serde_json::{Value, json};

/// Values where the two JSON writers could differ.
fn tricky_values() -> Vec<Value> {
    vec![
        json!({}),
        json!([]),
        json!({"a": 1, "b": [1, 2, 3], "c": {"d": null, "e": true, "f": false}}),
        json!({"unicode": "é ü ß 中文", "emoji": "😀 🎉", "control": "\u{1}\u{1f}\u{7f}\t\n\r\u{8}\u{c}", "quote": "\"\\/"}),
        json!([
            0.0,
            -0.0,
            1.0,
            0.1,
            1e20,
            1e16,
            1e15,
            1e-7,
            1e-5,
            0.0001,
            123.456,
            -2.5e-10,
            1.5e300,
            5e-324,
            1.7976931348623157e308
        ]),
        json!([u64::MAX, i64::MIN, 0, -1, 9007199254740993_u64]),
        json!({"nested": [[[{"x": [[]]}]], {"y": {}}], "z": ""}),
        json!("just a string with \u{2028} and \u{feff}"),
        json!(3.0),
        json!({"key with é": {"ключ": [1.25, "значение"]}}),
    ]
}

/// What Python's `json.dumps` writes for each value (read from compact JSON, which keeps the
/// key order and every float exactly).
fn python_dumps(values: &[Value]) -> Vec<Vec<u8>> {
    let root = emulator::workspace_root_from(&std::env::current_dir().unwrap()).unwrap();
    let python = emulator::find_or_install_moto(&root, &|l| eprintln!("{l}")).unwrap();
    let input: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let script = "import json, sys\n\
                  for line in sys.argv[1:]:\n\
                  \x20   sys.stdout.buffer.write(json.dumps(json.loads(line)).encode('UTF-8') + b'\\n')\n";
    let out = Command::new(&python.python)
        .arg("-c")
        .arg(script)
        .args(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Vec<u8>> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(lines.len(), values.len());
    lines
}

#[test]
fn python_json_bytes_match_json_dumps() {
    let values = tricky_values();
    let expected = python_dumps(&values);
    for (value, python) in values.iter().zip(&expected) {
        let ours = awsimple_core::to_python_json(value, "value").unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(python),
            "for {value}"
        );
        assert_eq!(&ours, python);
    }
}

#[tokio::test]
async fn write_json_stores_python_bytes_and_read_json_reads_compact_json() {
    let access = emulator_access().await;
    let s3 = S3Access::new(&access, unique_name("pyjson")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    let values = tricky_values();
    let expected = python_dumps(&values);
    for (i, (value, python)) in values.iter().zip(&expected).enumerate() {
        let key = s3.write_json(value, &format!("v{i}")).await.unwrap();
        assert_eq!(&s3.read_bytes(&key).await.unwrap(), python, "for {value}");
        // The identity is the SHA-512 of exactly those bytes, as Python computes it.
        let metadata = s3.get_object_metadata(&key).await.unwrap();
        assert_eq!(
            metadata.sha512.as_deref(),
            Some(awsimple_core::sha512(python).to_hex().as_str())
        );
        let back: Value = s3.read_json(&key).await.unwrap();
        assert_eq!(&back, value);
    }
    // Compact JSON another writer left (serde_json's own form) still reads.
    s3.write_bytes(br#"{"a":[1,2.5,"x"],"b":{}}"#.to_vec(), "compact.json")
        .await
        .unwrap();
    let compact: Value = s3.read_json("compact").await.unwrap();
    assert_eq!(compact, json!({"a": [1, 2.5, "x"], "b": {}}));
}
