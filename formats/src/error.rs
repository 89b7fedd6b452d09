//! Why a format was refused: what, where, and the value.
//!
//! Every variant names the field by its path in the document (`tlog entry 0 logId`,
//! `trusted root tlogs[1] publicKey.rawBytes`), so a one-line message says what to fix.

/// A document that is not a well-formed instance of its format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Not JSON, or JSON of the wrong shape (a string where an object belongs, a duplicate
    /// field): serde's message, which gives the line and column.
    #[error("{doc} is not valid JSON: {source}")]
    Json {
        /// Which document: `bundle`, `trusted root`, ...
        doc: &'static str,
        /// serde's reason.
        source: serde_json::Error,
    },
    /// The media type is not one this crate reads.
    #[error("unsupported {doc} media type `{value}`")]
    MediaType {
        /// Which document.
        doc: &'static str,
        /// The media type found.
        value: String,
    },
    /// A required field is absent.
    #[error("{parent} has no {field}")]
    Missing {
        /// The object it is missing from.
        parent: String,
        /// The field.
        field: String,
    },
    /// A `bytes` field that is not canonical, padded, standard base64.
    #[error("{field} is not valid base64: {source}")]
    Base64 {
        /// The field.
        field: String,
        /// The decoder's reason.
        source: base64::DecodeError,
    },
    /// A field of fixed length (a SHA-256 hash) with another length.
    #[error("{field} is {got} bytes, want {want}")]
    Length {
        /// The field.
        field: String,
        /// Its length.
        got: usize,
        /// The length it must have.
        want: usize,
    },
    /// An int64 field that is neither a decimal string nor a JSON integer.
    #[error("{field} `{value}` is not an integer")]
    Integer {
        /// The field.
        field: String,
        /// The value found, as JSON.
        value: String,
    },
    /// An index, size or time that must not be negative.
    #[error("{field} {value} is negative")]
    Negative {
        /// The field.
        field: String,
        /// The value found.
        value: i64,
    },
    /// A `google.protobuf.Timestamp` that is not an RFC 3339 time.
    #[error("{field} `{value}` is not an RFC 3339 time: {reason}")]
    Time {
        /// The field.
        field: String,
        /// The value found.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value this crate does not support (a hash algorithm, a selector).
    #[error("{field} `{value}` is not supported")]
    Unsupported {
        /// The field.
        field: String,
        /// The value found.
        value: String,
    },
    /// A rule across fields: which object, and the rule it breaks.
    #[error("{at} {rule}")]
    Rule {
        /// The object (`bundle`, `trusted root tlogs[0] validFor`).
        at: String,
        /// The rule, as a sentence's end (`ends before it starts`).
        rule: &'static str,
    },
}

impl FormatError {
    pub(crate) fn missing(parent: impl Into<String>, field: impl Into<String>) -> Self {
        Self::Missing {
            parent: parent.into(),
            field: field.into(),
        }
    }

    pub(crate) fn rule(at: impl Into<String>, rule: &'static str) -> Self {
        Self::Rule {
            at: at.into(),
            rule,
        }
    }
}
