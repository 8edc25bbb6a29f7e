//! The local file format of cached scans (not shared with Python): compact, binary, exact.
//!
//! ```text
//! magic "AWSIMPLE-DDB-SCAN-1\n" | stamp: u64 LE (µs since the epoch, the scan's start on the
//! writer's clock) | count: u32 LE | items ... | SHA-512 of everything before it (64 bytes)
//! item  = attribute count u32 | (name, value)*
//! value = tag u8 + payload: S/N/B = len u32 + bytes; BOOL = u8; NULL; L = count + values;
//!         M = count + (name, value)*; SS/NS/BS = count + (len u32 + bytes)*
//! ```
//! Every value keeps its DynamoDB type (numbers stay decimal text), so a cached scan reads back
//! exactly like a fresh one. A file that does not parse or whose digest differs is a miss.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::item::RawItem;

const MAGIC: &[u8] = b"AWSIMPLE-DDB-SCAN-1\n";
const DIGEST_LEN: usize = 64;

const T_S: u8 = 1;
const T_N: u8 = 2;
const T_B: u8 = 3;
const T_BOOL: u8 = 4;
const T_NULL: u8 = 5;
const T_L: u8 = 6;
const T_M: u8 = 7;
const T_SS: u8 = 8;
const T_NS: u8 = 9;
const T_BS: u8 = 10;

/// Encodes a scan result stamped with `stamp`.
pub(crate) fn encode(items: &[RawItem], stamp: SystemTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + items.len() * 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&crate::clock::epoch_micros(stamp).to_le_bytes());
    put_len(&mut out, items.len());
    for item in items {
        put_map(&mut out, item);
    }
    let digest = awsimple_core::sha512(&out);
    out.extend_from_slice(digest.as_bytes());
    out
}

/// The stamp of an encoded scan, read from the header only (cheap).
pub(crate) fn stamp(bytes: &[u8]) -> Option<SystemTime> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let micros = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
    Some(UNIX_EPOCH + Duration::from_micros(micros))
}

/// Decodes an encoded scan; `None` when the bytes are not a complete, intact file.
pub(crate) fn decode(bytes: &[u8]) -> Option<Vec<RawItem>> {
    let body_len = bytes.len().checked_sub(DIGEST_LEN)?;
    let (body, digest) = bytes.split_at(body_len);
    if awsimple_core::sha512(body).as_bytes().as_slice() != digest {
        return None;
    }
    let mut r = Reader {
        data: body.strip_prefix(MAGIC)?,
    };
    r.take(8)?;
    let count = r.len()?;
    let mut items = Vec::with_capacity(count.min(body.len() / 4));
    for _ in 0..count {
        items.push(r.map()?);
    }
    r.data.is_empty().then_some(items)
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_map(out: &mut Vec<u8>, map: &HashMap<String, AttributeValue>) {
    put_len(out, map.len());
    for (name, value) in map {
        put_bytes(out, name.as_bytes());
        put_value(out, value);
    }
}

fn put_value(out: &mut Vec<u8>, value: &AttributeValue) {
    match value {
        AttributeValue::S(s) => {
            out.push(T_S);
            put_bytes(out, s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(T_N);
            put_bytes(out, n.as_bytes());
        }
        AttributeValue::B(b) => {
            out.push(T_B);
            put_bytes(out, b.as_ref());
        }
        AttributeValue::Bool(b) => {
            out.push(T_BOOL);
            out.push(u8::from(*b));
        }
        AttributeValue::L(l) => {
            out.push(T_L);
            put_len(out, l.len());
            for v in l {
                put_value(out, v);
            }
        }
        AttributeValue::M(m) => {
            out.push(T_M);
            put_map(out, m);
        }
        AttributeValue::Ss(ss) => {
            out.push(T_SS);
            put_len(out, ss.len());
            for s in ss {
                put_bytes(out, s.as_bytes());
            }
        }
        AttributeValue::Ns(ns) => {
            out.push(T_NS);
            put_len(out, ns.len());
            for n in ns {
                put_bytes(out, n.as_bytes());
            }
        }
        AttributeValue::Bs(bs) => {
            out.push(T_BS);
            put_len(out, bs.len());
            for b in bs {
                put_bytes(out, b.as_ref());
            }
        }
        // NULL, and any type a future SDK adds (stored as NULL rather than failing the scan).
        _ => out.push(T_NULL),
    }
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }

    fn len(&mut self) -> Option<usize> {
        let raw = self.take(4)?;
        usize::try_from(u32::from_le_bytes(raw.try_into().ok()?)).ok()
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_owned)
    }

    fn map(&mut self) -> Option<HashMap<String, AttributeValue>> {
        let n = self.len()?;
        let mut map = HashMap::with_capacity(n.min(self.data.len()));
        for _ in 0..n {
            let name = self.string()?;
            let value = self.value()?;
            map.insert(name, value);
        }
        Some(map)
    }

    fn list<T>(&mut self, mut each: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n.min(self.data.len()));
        for _ in 0..n {
            out.push(each(self)?);
        }
        Some(out)
    }

    fn value(&mut self) -> Option<AttributeValue> {
        let tag = *self.take(1)?.first()?;
        Some(match tag {
            T_S => AttributeValue::S(self.string()?),
            T_N => AttributeValue::N(self.string()?),
            T_B => AttributeValue::B(Blob::new(self.bytes()?)),
            T_BOOL => AttributeValue::Bool(*self.take(1)?.first()? != 0),
            T_NULL => AttributeValue::Null(true),
            T_L => AttributeValue::L(self.list(Self::value)?),
            T_M => AttributeValue::M(self.map()?),
            T_SS => AttributeValue::Ss(self.list(Self::string)?),
            T_NS => AttributeValue::Ns(self.list(Self::string)?),
            T_BS => AttributeValue::Bs(self.list(|r| r.bytes().map(Blob::new))?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type_and_rejects_damage() {
        let mut item = RawItem::new();
        item.insert("s".into(), AttributeValue::S(String::new()));
        item.insert("n".into(), AttributeValue::N("18446744073709551615".into()));
        item.insert("b".into(), AttributeValue::B(Blob::new(vec![0u8, 255])));
        item.insert("t".into(), AttributeValue::Bool(true));
        item.insert("z".into(), AttributeValue::Null(true));
        item.insert(
            "l".into(),
            AttributeValue::L(vec![
                AttributeValue::N("1.5".into()),
                AttributeValue::M(item.clone()),
            ]),
        );
        item.insert(
            "ss".into(),
            AttributeValue::Ss(vec!["a".into(), "b".into()]),
        );
        item.insert("ns".into(), AttributeValue::Ns(vec!["1".into()]));
        item.insert("bs".into(), AttributeValue::Bs(vec![Blob::new(vec![1u8])]));
        let stamp_in = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        let bytes = encode(&[item.clone(), RawItem::new()], stamp_in);
        assert_eq!(stamp(&bytes), Some(stamp_in));
        assert_eq!(decode(&bytes), Some(vec![item, RawItem::new()]));
        let mut damaged = bytes.clone();
        damaged[40] ^= 1;
        assert_eq!(decode(&damaged), None);
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(b"garbage"), None);
    }
}
