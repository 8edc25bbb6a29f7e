//! Dumping a table to CSV.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};

use crate::access::DynamoDbAccess;
use crate::op::traced;
use crate::scan::ScanOptions;

impl DynamoDbAccess {
    /// Writes every item to a CSV file at `path`: one column per scalar attribute (strings,
    /// numbers, booleans, binary as hex; lists, maps and sets are left out), columns sorted by
    /// name, rows sorted by primary key, a header line first. Returns the number of rows.
    /// An empty table writes no file (as in Python) and returns 0.
    pub async fn dump_to_csv(&self, path: impl AsRef<Path>) -> Result<usize> {
        traced("dump_to_csv", self.table_name(), async {
            let path = path.as_ref();
            let schema = self.schema().await?;
            let mut rows = self.scan_raw(&ScanOptions::default(), None).await?;
            let now = std::time::SystemTime::now();
            rows.retain(|row| self.visible(row, now));
            if rows.is_empty() {
                return Ok(0);
            }
            rows.sort_by_cached_key(|row| schema.primary_key_of(row));
            let columns: BTreeSet<&str> = rows
                .iter()
                .flat_map(|row| {
                    row.iter()
                        .filter(|(_, v)| scalar(v).is_some())
                        .map(|(k, _)| k.as_str())
                })
                .collect();
            let mut out = String::new();
            let header: Vec<String> = columns.iter().map(|c| quote(c)).collect();
            out.push_str(&header.join(","));
            out.push_str("\r\n");
            for row in &rows {
                let cells: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        row.get(*c)
                            .and_then(scalar)
                            .map(|v| quote(&v))
                            .unwrap_or_default()
                    })
                    .collect();
                out.push_str(&cells.join(","));
                out.push_str("\r\n");
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| Error::io(parent, e))?;
            }
            tokio::fs::write(path, out)
                .await
                .map_err(|e| Error::io(path, e))?;
            Ok(rows.len())
        })
        .await
    }
}

fn scalar(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.clone()),
        AttributeValue::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        AttributeValue::Null(_) => Some(String::new()),
        AttributeValue::B(b) => Some(b.as_ref().iter().fold(String::new(), |mut s, byte| {
            let _ = write!(s, "{byte:02x}");
            s
        })),
        _ => None,
    }
}

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
