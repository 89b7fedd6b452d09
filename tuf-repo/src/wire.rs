//! `Validity`, the builder-facing validity period, and its protobuf-specs form
//! ([`formats::trusted_root::TimeRange`]), which the formats crate writes as RFC 3339.

use formats::trusted_root::{TimeRange, Timestamp};
use time::OffsetDateTime;

/// A validity period, `validFor` in protobuf-specs' `TimeRange`: from `start`, until `end` if the
/// instance was retired (the current instance has no end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    /// When the key or service became valid.
    pub start: OffsetDateTime,
    /// When it stopped being valid; `None` for the current generation.
    pub end: Option<OffsetDateTime>,
}

fn timestamp(t: OffsetDateTime) -> Timestamp {
    Timestamp::new(t)
}

impl Validity {
    /// As the formats write it.
    pub(crate) fn time_range(&self) -> TimeRange {
        TimeRange {
            start: timestamp(self.start),
            end: self.end.map(timestamp),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn validity_is_written_in_protobuf_json_form() {
        let v = Validity {
            start: datetime!(2025-01-02 05:04:05.5 +02:00),
            end: Some(datetime!(2025-01-02 03:04:05.000_000_001 UTC)),
        };
        let range = v.time_range();
        assert_eq!(range.start.to_string(), "2025-01-02T03:04:05.500Z");
        assert_eq!(
            range.end.map(|e| e.to_string()).as_deref(),
            Some("2025-01-02T03:04:05.000000001Z")
        );
    }
}
