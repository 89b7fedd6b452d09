//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>): the body of a signed note that
//! commits to a log's size and root.
//!
//! ```text
//! <origin>
//! <decimal tree size>
//! <base64 root hash>
//! [extension lines]
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::hash::Hash;
use crate::note::{NoteError, NoteSigner, NoteVerifier, SignedNote};

/// A log checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (unique name of the log).
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash of the tree of `size` leaves.
    pub root: Hash,
    /// Extension lines (no newlines inside), possibly none.
    pub extensions: Vec<String>,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The body is not a checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The note around it is bad.
    #[error("{0}")]
    Note(#[from] NoteError),
    /// Another log's checkpoint.
    #[error("checkpoint origin `{found}` is not the expected `{expected}`")]
    WrongOrigin {
        /// The origin wanted.
        expected: String,
        /// The origin in the checkpoint.
        found: String,
    },
}

impl Checkpoint {
    /// The note text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root.as_bytes())
        );
        for ext in &self.extensions {
            out.push_str(ext);
            out.push('\n');
        }
        out
    }

    /// Parses a note text (strictly: no leading zeros, canonical base64 of 32 bytes).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("text must end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(CheckpointError::Malformed("empty origin"))?;
        let size_line = lines
            .next()
            .ok_or(CheckpointError::Malformed("no tree size line"))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(CheckpointError::Malformed(
                "tree size is not a canonical decimal",
            ));
        }
        let size = size_line
            .parse()
            .map_err(|_| CheckpointError::Malformed("tree size out of range"))?;
        let root_line = lines
            .next()
            .ok_or(CheckpointError::Malformed("no root hash line"))?;
        let root = B64
            .decode(root_line)
            .ok()
            .and_then(|r| Hash::from_slice(&r))
            .ok_or(CheckpointError::Malformed(
                "root hash is not base64 of 32 bytes",
            ))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The signed note of this checkpoint.
    pub fn sign(&self, signer: &dyn NoteSigner) -> String {
        SignedNote::sign(&self.to_text(), &[signer])
            .expect("a checkpoint body is always a valid note text")
            .to_string()
    }

    /// Parses and verifies a signed checkpoint of the log `expected_origin`.
    pub fn open(
        note: &str,
        verifier: &dyn NoteVerifier,
        expected_origin: &str,
    ) -> Result<Self, CheckpointError> {
        let signed = SignedNote::parse(note)?;
        let text = signed.verify(&[verifier])?;
        let checkpoint = Self::parse(text)?;
        if checkpoint.origin != expected_origin {
            return Err(CheckpointError::WrongOrigin {
                expected: expected_origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }
}
