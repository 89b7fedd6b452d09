//! Why Rekor v2 refused a request or failed it, and the one place that maps each reason to
//! its status code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use formats::rekor_v2::ParseError;
use tlog::proof::ProofError;
use tlog::sequencer::SequenceError;
use tlog::store::StoreError;

use crate::http::ApiError;

/// rekor-tiles' header naming the existing entry's index on a duplicate.
const DUPLICATE_INDEX_HEADER: &str = "x-log-index";

/// A Rekor v2 failure. 4xx variants are the client's; 5xx ones are the log's (and logged).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request body is not JSON this log reads: malformed, too deep, a key twice (400).
    #[error("{0}")]
    Body(String),
    /// A request whose fields parse but do not check out: an encoding, a digest, a key, a
    /// signature (400).
    #[error("{0}")]
    Refused(String),
    /// Already in the log (409), at this index.
    #[error("an equivalent entry already exists in the transparency log with index {index}")]
    Duplicate {
        /// The existing entry's index.
        index: u64,
    },
    /// A canonical body longer than an entry bundle holds (400).
    #[error(
        "entry is {len} bytes, more than the {max} a tlog-tiles entry bundle holds",
        max = super::wire::MAX_ENTRY_BYTES
    )]
    EntryTooLarge {
        /// The body's length.
        len: usize,
    },
    /// The request is not a `CreateEntryRequest` (400).
    #[error(transparent)]
    Format(#[from] ParseError),
    /// Not a tile path (400).
    #[error("{0}")]
    TilePath(String),
    /// A tile beyond the tree (404).
    #[error("tile/{path} is beyond the tree of {size} entries")]
    TileBeyondTree {
        /// The path below `tile/`.
        path: String,
        /// The tree's size.
        size: u64,
    },
    /// An entry below the tree size is not in the store (500).
    #[error("entry {index} is missing")]
    EntryMissing {
        /// The index.
        index: u64,
    },
    /// A logged entry longer than an entry bundle's 16-bit length (500).
    #[error("entry {index} is too long for an entry bundle")]
    EntryTooLong {
        /// The index.
        index: u64,
    },
    /// A logged body that is not one the log writes (500).
    #[error("the logged body at {index} does not parse: {source}")]
    LoggedBody {
        /// The index.
        index: u64,
        /// Why.
        source: ParseError,
    },
    /// The log's own proof does not verify: our bug, never the client's (500).
    #[error("verifying inclusion proof for index {index}: {source}")]
    ProofDoesNotVerify {
        /// The index.
        index: u64,
        /// Why.
        source: ProofError,
    },
    /// The sequencer failed the append (500).
    #[error("{0}")]
    Sequence(SequenceError),
    /// Storage failed (500).
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Building a proof or a tile failed (500).
    #[error("{0}")]
    Proof(#[from] ProofError),
}

impl Error {
    /// The status code of this failure: the one place it is decided.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Body(_)
            | Self::Refused(_)
            | Self::EntryTooLarge { .. }
            | Self::Format(_)
            | Self::TilePath(_) => StatusCode::BAD_REQUEST,
            Self::TileBeyondTree { .. } => StatusCode::NOT_FOUND,
            Self::Duplicate { .. } => StatusCode::CONFLICT,
            Self::EntryMissing { .. }
            | Self::EntryTooLong { .. }
            | Self::LoggedBody { .. }
            | Self::ProofDoesNotVerify { .. }
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
            Self::Duplicate { index } => {
                ([(DUPLICATE_INDEX_HEADER, index.to_string())], err).into_response()
            }
            _ => err.into_response(),
        }
    }
}
