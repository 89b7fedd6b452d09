//! Why Rekor v1 refused a request or failed it, and the one place that maps each reason to
//! its status code.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use formats::rekor_v1::ParseError;
use tlog::proof::ProofError;
use tlog::sequencer::SequenceError;
use tlog::store::StoreError;

use crate::http::ApiError;

/// A Rekor v1 failure. 4xx variants are the client's; 5xx ones are the log's (and logged).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request body is not JSON this log reads: malformed, too deep, a key twice (400).
    #[error("{0}")]
    Body(String),
    /// A proposal whose spec parses but does not check out: an encoding, a digest, a key, a
    /// signature (400).
    #[error("{0}")]
    Refused(String),
    /// Already in the log (409), with the existing entry's UUID.
    #[error("An equivalent entry already exists in the transparency log with UUID {uuid}")]
    Duplicate {
        /// The UUID of the entry that is there.
        uuid: String,
    },
    /// A request is not in the Rekor v1 format it should be: a proposal of a kind this log
    /// does not take, a search query with a field it does not have (400).
    #[error(transparent)]
    Format(#[from] ParseError),
    /// A consistency proof's sizes are out of order or outside the tree (400).
    #[error("firstSize {first} must be between 1 and lastSize {last}")]
    ProofRange {
        /// `firstSize`.
        first: u64,
        /// `lastSize`.
        last: u64,
    },
    /// A consistency proof to a size the shard has not reached (400).
    #[error("lastSize {last} is beyond the tree size {size}")]
    ProofBeyondTree {
        /// `lastSize`.
        last: u64,
        /// The shard's size.
        size: u64,
    },
    /// A query parameter or field that does not parse (400).
    #[error("{0}")]
    Query(String),
    /// No entry at this global log index (404).
    #[error("no entry at logIndex {index}")]
    NoEntryAt {
        /// The index asked for.
        index: u64,
    },
    /// No entry with this UUID (404).
    #[error("no entry with UUID {uuid}")]
    NoEntryWith {
        /// The UUID asked for.
        uuid: String,
    },
    /// An entry UUID that is not 64 or 80 hex digits (400).
    #[error("entry UUID must be 64 or 80 hex digits, got {len}")]
    UuidLength {
        /// The characters given.
        len: usize,
    },
    /// An entry UUID that is not hex (400).
    #[error("entry UUID is not hex")]
    UuidNotHex,
    /// No shard with this tree ID (400, as Rekor answers an unknown `treeID`).
    #[error("no shard has treeID {tree_id}")]
    UnknownTree {
        /// The tree ID asked for.
        tree_id: u64,
    },
    /// An entry the log holds is not what it wrote (500).
    #[error("entry {index} has a corrupt integrated time")]
    CorruptEntry {
        /// The shard-local index.
        index: u64,
    },
    /// The log's own proof for an entry does not verify: our bug, never the client's (500).
    #[error("inclusion proof for entry {index} does not verify: {source}")]
    ProofDoesNotVerify {
        /// The shard-local index.
        index: u64,
        /// Why.
        source: ProofError,
    },
    /// An appended entry could not be read back (500).
    #[error("appended entry {index} not found")]
    AppendedEntryMissing {
        /// The shard-local index.
        index: u64,
    },
    /// The sequencer failed the append (500).
    #[error("{0}")]
    Sequence(SequenceError),
    /// Storage failed (500), whichever lookup met it.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Building a proof failed (500).
    #[error("{0}")]
    Proof(#[from] ProofError),
}

impl Error {
    /// The status code of this failure: the one place it is decided.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Body(_)
            | Self::Refused(_)
            | Self::Format(_)
            | Self::ProofRange { .. }
            | Self::ProofBeyondTree { .. }
            | Self::Query(_)
            | Self::UuidLength { .. }
            | Self::UuidNotHex
            | Self::UnknownTree { .. } => StatusCode::BAD_REQUEST,
            Self::NoEntryAt { .. } | Self::NoEntryWith { .. } => StatusCode::NOT_FOUND,
            Self::Duplicate { .. } => StatusCode::CONFLICT,
            Self::CorruptEntry { .. }
            | Self::ProofDoesNotVerify { .. }
            | Self::AppendedEntryMissing { .. }
            | Self::Sequence(_)
            | Self::Store(_)
            | Self::Proof(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let err = ApiError::from_status(self.status(), self.to_string());
        match self {
            // Rekor names the existing entry in `Location` too.
            Self::Duplicate { uuid } => {
                let location = format!("/api/v1/log/entries/{uuid}");
                ([(header::LOCATION, location)], err).into_response()
            }
            _ => err.into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A storage failure answers 500 with its reason whichever lookup met it (by UUID and by
    /// index both propagate `Error::Store`), never a 400 or a 404.
    #[tokio::test]
    async fn a_storage_error_is_a_500_that_says_why() {
        let resp = Error::Store(StoreError::Backend("disk on fire".into())).into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], 500);
        assert!(
            body["message"].as_str().unwrap().contains("disk on fire"),
            "{body}"
        );
    }

    #[test]
    fn client_mistakes_are_4xx_and_the_logs_are_5xx() {
        let cases = [
            (Error::UuidNotHex, 400),
            (Error::UuidLength { len: 3 }, 400),
            (Error::ProofRange { first: 0, last: 1 }, 400),
            (Error::UnknownTree { tree_id: 9 }, 400),
            (Error::NoEntryAt { index: 4 }, 404),
            (Error::NoEntryWith { uuid: "ab".into() }, 404),
            (Error::Duplicate { uuid: "ab".into() }, 409),
            (Error::CorruptEntry { index: 1 }, 500),
            (Error::Sequence(SequenceError::Closed), 500),
        ];
        for (e, status) in cases {
            assert_eq!(e.status().as_u16(), status, "{e}");
        }
    }

    #[test]
    fn a_duplicate_names_the_entry_in_location() {
        let resp = Error::Duplicate { uuid: "ab".into() }.into_response();
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        assert_eq!(resp.headers()[header::LOCATION], "/api/v1/log/entries/ab");
    }
}
