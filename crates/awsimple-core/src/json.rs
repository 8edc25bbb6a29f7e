//! JSON as the Python package writes it, and JSON without silent `null`s.
//!
//! Python awsimple writes JSON objects with `json.dumps(obj)` and its defaults: `", "` and
//! `": "` separators, `ensure_ascii=True` (every character outside printable ASCII as a
//! lower-case `\uXXXX`, characters beyond the BMP as a surrogate pair), floats as Python's
//! `repr` (`1.0`, `1e+20`, `1e-05`, `0.1`), keys in the order given. [`to_python_json`] writes
//! the same bytes for the same value, so the content identities (SHA-512) match and each side
//! skips the other's unchanged uploads.
//!
//! serde_json writes NaN and the infinities as `null`, and Python writes `NaN`, which is not
//! JSON: both serializers here refuse them instead ([`Error::InvalidInput`]).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

use crate::error::{Error, Result};

/// Why a value with a non-finite float has no JSON form.
const NOT_FINITE: &str = "NaN and infinities have no JSON form";

/// `value` as the bytes Python's `json.dumps(value)` writes (see the module documentation).
/// `what` names the value in errors.
pub fn to_python_json<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Vec<u8>> {
    serialize(value, PythonFormatter, what)
}

/// `value` as compact JSON (serde_json's form), refusing NaN and infinities instead of
/// writing them as `null`. `what` names the value in errors.
pub fn to_json_finite<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<Vec<u8>> {
    serialize(value, CompactFormatter, what)
}

fn serialize<T: Serialize + ?Sized, F: Formatter>(
    value: &T,
    formatter: F,
    what: &str,
) -> Result<Vec<u8>> {
    // serde_json turns non-finite floats into `null` before a formatter sees them: look first.
    if let Err(NotFinite { custom: false }) = value.serialize(FiniteCheck) {
        return Err(Error::invalid(
            what,
            "it holds a NaN or infinite number, which JSON cannot hold",
        ));
    }
    let mut out = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| Error::serialization(what, e))?;
    Ok(out)
}

/// Walks a value and fails at its first NaN or infinity; writes nothing.
struct FiniteCheck;

/// The error of [`FiniteCheck`]: a non-finite float, or (`custom`) an error of the value's own
/// `Serialize`, which serde_json reports.
#[derive(Debug)]
struct NotFinite {
    custom: bool,
}

impl std::fmt::Display for NotFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(NOT_FINITE)
    }
}

impl std::error::Error for NotFinite {}

impl serde::ser::Error for NotFinite {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotFinite { custom: true }
    }
}

macro_rules! accept {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(fn $name(self, _: $ty) -> std::result::Result<(), NotFinite> { Ok(()) })*
    };
}

impl serde::Serializer for FiniteCheck {
    type Ok = ();
    type Error = NotFinite;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    accept!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_char: char,
        serialize_str: &str, serialize_bytes: &[u8], serialize_unit_struct: &'static str,
    );

    fn serialize_f32(self, v: f32) -> std::result::Result<(), NotFinite> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(NotFinite { custom: false })
        }
    }
    fn serialize_f64(self, v: f64) -> std::result::Result<(), NotFinite> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(NotFinite { custom: false })
        }
    }
    fn serialize_none(self) -> std::result::Result<(), NotFinite> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> std::result::Result<(), NotFinite> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> std::result::Result<(), NotFinite> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> std::result::Result<(), NotFinite> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> std::result::Result<(), NotFinite> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        v: &T,
    ) -> std::result::Result<(), NotFinite> {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> std::result::Result<Self, NotFinite> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<Self, NotFinite> {
        Ok(self)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self, NotFinite> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self, NotFinite> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> std::result::Result<Self, NotFinite> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> std::result::Result<Self, NotFinite> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Self, NotFinite> {
        Ok(self)
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident),* $(,)?) => {
        $(impl serde::ser::$trait for FiniteCheck {
            type Ok = ();
            type Error = NotFinite;
            fn $method<T: Serialize + ?Sized>(
                &mut self,
                v: &T,
            ) -> std::result::Result<(), NotFinite> {
                v.serialize(FiniteCheck)
            }
            fn end(self) -> std::result::Result<(), NotFinite> {
                Ok(())
            }
        })*
    };
}

compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);

impl serde::ser::SerializeMap for FiniteCheck {
    type Ok = ();
    type Error = NotFinite;
    fn serialize_key<T: Serialize + ?Sized>(
        &mut self,
        k: &T,
    ) -> std::result::Result<(), NotFinite> {
        k.serialize(FiniteCheck)
    }
    fn serialize_value<T: Serialize + ?Sized>(
        &mut self,
        v: &T,
    ) -> std::result::Result<(), NotFinite> {
        v.serialize(FiniteCheck)
    }
    fn end(self) -> std::result::Result<(), NotFinite> {
        Ok(())
    }
}

macro_rules! fields {
    ($($trait:ident),* $(,)?) => {
        $(impl serde::ser::$trait for FiniteCheck {
            type Ok = ();
            type Error = NotFinite;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                _: &'static str,
                v: &T,
            ) -> std::result::Result<(), NotFinite> {
                v.serialize(FiniteCheck)
            }
            fn end(self) -> std::result::Result<(), NotFinite> {
                Ok(())
            }
        })*
    };
}

fields!(SerializeStruct, SerializeStructVariant);

/// Python's `json.dumps` defaults.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        // The shortest digits of the f32 (Python only ever sees what is written).
        writer.write_all(python_float(&format!("{value:e}")).as_bytes())
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float(&format!("{value:e}")).as_bytes())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json has escaped `"`, `\` and the control characters already; the rest of
        // what is not printable ASCII is escaped here, as `ensure_ascii=True` does.
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        // Python's short escapes are serde_json's (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`);
        // the other control characters are `\u00xx`, lower-case, in both.
        CompactFormatter.write_char_escape(writer, char_escape)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

/// Python's `repr` of a float, from Rust's shortest round-trip form in scientific notation
/// (`{:e}`: `-1.2345e-7`): positional when the decimal exponent is in -4..16 (with `.0` when
/// it is whole), else `d.ddde+XX` with at least two exponent digits.
fn python_float(scientific: &str) -> String {
    let (negative, rest) = match scientific.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, scientific),
    };
    let (mantissa, exponent) = rest.split_once('e').unwrap_or((rest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.is_empty() { "0" } else { &digits };
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    // Python's rule (`float_repr_style = 'short'`): exponential when decpt <= -4 or
    // decpt > 16, where the value is 0.DIGITS x 10^decpt.
    let decpt = exponent + 1;
    if digits == "0" {
        out.push_str("0.0");
    } else if decpt <= -4 || decpt > 16 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        out.push_str(&format!("e{sign}{:02}", exponent.unsigned_abs()));
    } else if decpt <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat(decpt.unsigned_abs() as usize));
        out.push_str(digits);
    } else {
        let decpt = decpt as usize;
        if digits.len() <= decpt {
            out.push_str(digits);
            out.push_str(&"0".repeat(decpt - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt]);
            out.push('.');
            out.push_str(&digits[decpt..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(x: f64) -> String {
        python_float(&format!("{x:e}"))
    }

    #[test]
    fn floats_as_python_repr() {
        for (x, want) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e300, "1.5e+300"),
            (1e-7, "1e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (-2.5e-10, "-2.5e-10"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(py(x), want, "{x:e}");
        }
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = to_python_json(&vec![x], "v").unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
            let e = to_json_finite(&vec![x], "v").unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
        }
        assert_eq!(to_json_finite(&vec![1.5], "v").unwrap(), b"[1.5]");
    }

    #[test]
    fn separators_and_escapes() {
        let value = serde_json::json!({"a": [1, "é😀\u{7f}", {}], "b": []});
        assert_eq!(
            String::from_utf8(to_python_json(&value, "v").unwrap()).unwrap(),
            r#"{"a": [1, "\u00e9\ud83d\ude00\u007f", {}], "b": []}"#
        );
    }
}
