//! [`Binary`]: a DynamoDB binary (`B`) attribute in a serde item, with no extra crate.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Bytes stored as a DynamoDB binary (`B`) attribute. A plain `Vec<u8>` field would be stored
/// as a list of numbers; wrap it in `Binary` (in a typed item, or as a value of a
/// `BTreeMap<String, Binary>`-style dynamic item) to get `B`. Reading accepts `B` and, for
/// items written as lists of numbers, those too.
///
/// ```
/// use awsimple_dynamodb::Binary;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Blob {
///     id: String,
///     data: Binary,
/// }
/// let blob = Blob { id: "x".into(), data: Binary::from(vec![0_u8, 255]) };
/// assert_eq!(blob.data.as_ref(), &[0, 255]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Binary(pub Vec<u8>);

impl From<Vec<u8>> for Binary {
    fn from(bytes: Vec<u8>) -> Self {
        Binary(bytes)
    }
}

impl From<&[u8]> for Binary {
    fn from(bytes: &[u8]) -> Self {
        Binary(bytes.to_vec())
    }
}

impl From<Binary> for Vec<u8> {
    fn from(binary: Binary) -> Self {
        binary.0
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;

        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = Binary;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes (a DynamoDB B attribute) or a list of byte values")
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Binary, E> {
                Ok(Binary(bytes.to_vec()))
            }

            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Binary, E> {
                Ok(Binary(bytes))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(b) = seq.next_element::<u8>()? {
                    bytes.push(b);
                }
                Ok(Binary(bytes))
            }
        }

        deserializer.deserialize_byte_buf(BytesVisitor)
    }
}
