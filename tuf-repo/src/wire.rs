//! Shared protobuf-JSON pieces: `TimeRange`, RFC 3339 timestamps, base64 bytes and the pretty
//! printer every file goes through.
//!
//! protobuf's JSON mapping (and so sigstore_models, which sigstore-python reads with
//! `extra="forbid"`) writes `google.protobuf.Timestamp` as RFC 3339 in UTC with a `Z` suffix and 0,
//! 3, 6 or 9 fractional digits, and `bytes` as standard base64 with padding.

use base64::Engine as _;
use serde::{Serialize, Serializer};
use time::{OffsetDateTime, UtcOffset};

/// A validity period, `validFor` in protobuf-specs' `TimeRange`: from `start`, until `end` if the
/// instance was retired (the current instance has no end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    /// When the key or service became valid.
    pub start: OffsetDateTime,
    /// When it stopped being valid; `None` for the current generation.
    pub end: Option<OffsetDateTime>,
}

#[derive(Serialize)]
pub(crate) struct TimeRangeJson {
    #[serde(serialize_with = "ser_time")]
    start: OffsetDateTime,
    #[serde(
        serialize_with = "ser_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    end: Option<OffsetDateTime>,
}

impl From<&Validity> for TimeRangeJson {
    fn from(v: &Validity) -> Self {
        Self {
            start: v.start,
            end: v.end,
        }
    }
}

/// RFC 3339 in UTC as protobuf's JSON mapping writes a Timestamp: `2025-01-02T03:04:05Z`, with
/// 3, 6 or 9 fractional digits only when the value has a fraction.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
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

fn ser_time<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

// serde's `serialize_with` hands over a reference to the field's type.
#[allow(clippy::ref_option, reason = "serde's serialize_with signature")]
fn ser_opt_time<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

/// protobuf JSON `bytes`: standard base64 with padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Pretty JSON (two-space indent, as serde_json writes it) with a trailing newline. The field
/// order is the declaration order of the wire structs, which follows the `.proto` field numbers.
pub(crate) fn pretty<T: Serialize>(value: &T) -> String {
    // Serialising plain structs of strings, numbers and vectors into a String cannot fail.
    let mut s = serde_json::to_string_pretty(value).expect("wire structs always serialise");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_use_protobuf_json_form() {
        assert_eq!(
            rfc3339(datetime!(2025-01-02 03:04:05 UTC)),
            "2025-01-02T03:04:05Z"
        );
        assert_eq!(
            rfc3339(datetime!(2025-01-02 03:04:05.5 UTC)),
            "2025-01-02T03:04:05.500Z"
        );
        assert_eq!(
            rfc3339(datetime!(2025-01-02 03:04:05.000_001 UTC)),
            "2025-01-02T03:04:05.000001Z"
        );
        assert_eq!(
            rfc3339(datetime!(2025-01-02 03:04:05.000_000_001 UTC)),
            "2025-01-02T03:04:05.000000001Z"
        );
        assert_eq!(
            rfc3339(datetime!(2025-01-02 05:04:05 +02:00)),
            "2025-01-02T03:04:05Z"
        );
    }
}
