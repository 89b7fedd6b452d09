//! Protobuf-JSON values as the Sigstore formats carry them (the proto3 JSON mapping):
//! - `bytes`: standard base64 with padding; line breaks are skipped on reading, as Go's and
//!   Python's protobuf JSON decoders do (and `base64` the tool writes them);
//! - `int64`/`uint64`: a decimal string, written so; a JSON number is read too;
//! - `google.protobuf.Timestamp`: RFC 3339, written in UTC with a `Z` and 0, 3, 6 or 9
//!   fractional digits.
//!
//! And the printer every document goes through: serde_json's two-space pretty form plus a
//! trailing newline.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Serialize, Serializer};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::error::FormatError;

/// Standard padded base64.
pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes a `bytes` field; `field` names it in the error.
pub(crate) fn unb64(field: &str, s: &str) -> Result<Vec<u8>, FormatError> {
    let joined;
    let s = if s.contains(['\n', '\r']) {
        joined = s.replace(['\n', '\r'], "");
        joined.as_str()
    } else {
        s
    };
    STANDARD.decode(s).map_err(|source| FormatError::Base64 {
        field: field.to_owned(),
        source,
    })
}

/// Decodes a `bytes` field that must hold a SHA-256 hash.
pub(crate) fn unb64_32(field: &str, s: &str) -> Result<[u8; 32], FormatError> {
    let raw = unb64(field, s)?;
    raw.as_slice().try_into().map_err(|_| FormatError::Length {
        field: field.to_owned(),
        got: raw.len(),
        want: 32,
    })
}

/// An `int64`: a decimal string or a JSON integer.
pub(crate) fn int64(field: &str, v: &Value) -> Result<i64, FormatError> {
    let parsed = match v {
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    parsed.ok_or_else(|| FormatError::Integer {
        field: field.to_owned(),
        value: match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    })
}

/// An `int64` that must not be negative (an index or a size).
pub(crate) fn uint64(field: &str, v: &Value) -> Result<u64, FormatError> {
    let n = int64(field, v)?;
    u64::try_from(n).map_err(|_| FormatError::Negative {
        field: field.to_owned(),
        value: n,
    })
}

pub(crate) fn ser_b64<S: Serializer, B: AsRef<[u8]> + ?Sized>(
    bytes: &B,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&b64(bytes.as_ref()))
}

pub(crate) fn ser_b64_list<S: Serializer, B: AsRef<[u8]>>(
    list: &[B],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(list.iter().map(|b| b64(b.as_ref())))
}

/// An integer as protobuf JSON writes a 64-bit one: a decimal string.
pub(crate) fn ser_decimal<S: Serializer, N: std::fmt::Display>(
    n: &N,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(n)
}

// serde's `serialize_with` hands over a reference to the field's type.
#[allow(clippy::ref_option, reason = "serde's serialize_with signature")]
pub(crate) fn ser_opt_decimal<S: Serializer>(n: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => s.collect_str(n),
        None => s.serialize_none(),
    }
}

/// Pretty JSON (two-space indent) with a trailing newline. Field order is the wire structs'
/// declaration order.
pub(crate) fn pretty<T: Serialize>(value: &T) -> String {
    // The format types hold strings, integers, vectors and options only, and serialising
    // those into a String cannot fail.
    let mut s = serde_json::to_string_pretty(value).expect("format types always serialise");
    s.push('\n');
    s
}

/// Parses RFC 3339 §5.6 `date-time` (any offset), as the `time` crate reads it.
pub(crate) fn parse_rfc3339(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|e| e.to_string())
}

/// RFC 3339 in UTC as protobuf's JSON mapping writes a Timestamp: `2025-01-02T03:04:05Z`, with
/// 3, 6 or 9 fractional digits only when there is a fraction.
pub(crate) fn format_rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let nanos = t.nanosecond();
    if nanos != 0 {
        if nanos.is_multiple_of(1_000_000) {
            s.push_str(&format!(".{:03}", nanos / 1_000_000));
        } else if nanos.is_multiple_of(1_000) {
            s.push_str(&format!(".{:06}", nanos / 1_000));
        } else {
            s.push_str(&format!(".{nanos:09}"));
        }
    }
    s.push('Z');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_reads_what_protobuf_and_the_time_crate_read() {
        let parse_rfc3339 = |s| parse_rfc3339(s).map(|t| (t.unix_timestamp(), t.nanosecond()));
        assert_eq!(
            parse_rfc3339("2023-07-12T15:56:36Z"),
            Ok((1_689_177_396, 0))
        );
        assert_eq!(
            parse_rfc3339("2022-12-31T23:59:59.999Z"),
            Ok((1_672_531_199, 999_000_000))
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok((0, 0)));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Ok((-1, 0)));
        assert_eq!(
            parse_rfc3339("2023-07-12T17:56:36+02:00"),
            Ok((1_689_177_396, 0))
        );
        assert_eq!(
            parse_rfc3339("2024-02-29t00:00:00z"),
            Ok((1_709_164_800, 0))
        );
        // RFC 3339 §5.6's note allows a space for the `T`; the time crate reads it.
        assert_eq!(
            parse_rfc3339("2023-01-01 00:00:00Z"),
            Ok((1_672_531_200, 0))
        );
        assert_eq!(
            parse_rfc3339("2025-01-01T00:00:00.1234567891Z"),
            Ok((1_735_689_600, 123_456_789))
        );
        for bad in [
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-01-01T00:00:00",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T24:00:00Z",
            "2023-01-01T00:00:00Zx",
            "2023-1-01T00:00:00Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_writes_protobuf_json_form() {
        let at = |seconds: i64, nanos: i64| {
            OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                + time::Duration::nanoseconds(nanos)
        };
        let format_rfc3339 = |seconds, nanos| format_rfc3339(at(seconds, nanos));
        assert_eq!(format_rfc3339(1_735_787_045, 0), "2025-01-02T03:04:05Z");
        assert_eq!(
            format_rfc3339(1_735_787_045, 500_000_000),
            "2025-01-02T03:04:05.500Z"
        );
        assert_eq!(
            format_rfc3339(1_735_787_045, 1_000),
            "2025-01-02T03:04:05.000001Z"
        );
        assert_eq!(
            format_rfc3339(1_735_787_045, 1),
            "2025-01-02T03:04:05.000000001Z"
        );
        assert_eq!(format_rfc3339(-1, 0), "1969-12-31T23:59:59Z");
        for t in [0, 951_782_400, 1_709_164_800, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t, 0)), Ok(at(t, 0)));
        }
    }

    #[test]
    fn int64_is_a_string_or_a_number() {
        assert_eq!(int64("n", &Value::from("42")).unwrap(), 42);
        assert_eq!(int64("n", &Value::from(42)).unwrap(), 42);
        assert_eq!(
            uint64("n", &Value::from("-1")).unwrap_err().to_string(),
            "n -1 is negative"
        );
        assert_eq!(
            int64("n", &Value::from("4x")).unwrap_err().to_string(),
            "n `4x` is not an integer"
        );
    }

    #[test]
    fn base64_skips_line_breaks_but_nothing_else() {
        assert_eq!(unb64("x", "aGVs\nbG8=").unwrap(), b"hello");
        assert!(unb64("x", "aGVs bG8=").is_err());
        assert!(unb64("x", "aGVsbG8").is_err(), "padding is required");
        assert!(
            unb64("x", "aGVsbG8!")
                .unwrap_err()
                .to_string()
                .starts_with("x is not valid base64")
        );
    }
}
