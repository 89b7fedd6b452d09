//! Rekor v2, as sigstore/rekor-tiles serves it: `POST /api/v2/log/entries` answers a
//! `TransparencyLogEntry` with an inclusion proof against a freshly signed checkpoint, and the
//! log is readable as C2SP tlog-tiles (`/api/v2/checkpoint`, `/api/v2/tile/...`).
//!
//! Kinds: `hashedrekord` 0.0.2 and `dsse` 0.0.2 (rekor-tiles has since dropped `dsse`; sigstore-js
//! 5 still sends it). One log, at key generation 0 (`Role::RekorV2`): rotating it, witnessing
//! and an integrated time (v2 has none; clients take the time from a TSA) are out of scope.
//! Armed Rekor faults doctor its answers as they do Rekor v1's, where v2 has the thing faulted
//! (see [`crate::faults::Fault::rekor_v1_only`]).
//!
//! The checkpoint's origin and note key name are the host the stack is reached at, without the
//! port (rekor-tiles uses its hostname); the key is ECDSA P-256, whose C2SP note key ID
//! rekor-tiles takes as the SHA-256 of the DER public key, so the log ID is that whole hash and
//! the key ID its first four bytes, exactly as for Rekor v1.

mod error;
pub mod routes;
mod wire;

use std::path::Path;
use std::sync::Arc;

use formats::bundle::{
    Checkpoint as BundleCheckpoint, InclusionProof, KindVersion, TransparencyLogEntry,
};
use formats::rekor_v2::CreateEntryRequest;
use formats::trusted_root::LogId;
use tlog::checkpoint::Checkpoint;
use tlog::note::EcdsaNoteKey;
use tlog::sequencer::SequenceError;
use tlog::store::Entry;
use tlog::tile::{TILE_HEIGHT, TILE_WIDTH, Tile};
use tlog::{Hash, leaf_hash};

use crate::faults::{Fault, Faults};
use crate::keys::{IMPOSTOR_SEED, KeyRing, Role};
use crate::log::{Inclusion, Log, ProveError};

pub use error::Error;
pub use routes::routes;

/// Where the v2 log is mounted under the stack URL: its own prefix, because Fulcio already
/// answers `/api/v2/...` there. Clients append `/api/v2/...` to the signing config's URL.
pub const PATH_PREFIX: &str = "/rekor-v2";

/// The Rekor v2 log.
pub struct RekorV2 {
    log: Log,
    spki: Vec<u8>,
    log_id: [u8; 32],
    origin: String,
    note_key: EcdsaNoteKey,
    faults: Arc<Faults>,
}

impl std::fmt::Debug for RekorV2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekorV2")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl RekorV2 {
    /// Opens the log (key generation 0) with its store in `dir`, created if missing; `origin`
    /// is the checkpoint origin and note key name (the host clients reach the stack at, without
    /// the port).
    pub fn open(
        keys: &KeyRing,
        dir: &Path,
        origin: &str,
        faults: Arc<Faults>,
    ) -> anyhow::Result<Self> {
        let key = keys.signing_key(Role::RekorV2, 0);
        let (spki, log_id) = crate::keys::log_identity(&key)?;
        Ok(Self {
            log: Log::open(crate::state::LogName::RekorV2, dir)?,
            spki,
            log_id,
            origin: origin.to_owned(),
            note_key: EcdsaNoteKey::rekor_v1_signer(origin, key),
            faults,
        })
    }

    /// The log ID (`logId.keyId` in the trusted root and in entries): SHA-256 of the DER
    /// public key, rekor-tiles' non-truncated note key hash for ECDSA.
    pub fn log_id(&self) -> [u8; 32] {
        self.log_id
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    /// The checkpoint origin (also the note key name).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Entries in the log.
    pub fn tree_size(&self) -> Result<u64, Error> {
        Ok(self.log.size()?)
    }

    fn signed_checkpoint(&self, size: u64, root: &Hash) -> String {
        Checkpoint {
            origin: self.origin.clone(),
            size,
            root: *root,
            extensions: vec![],
        }
        .sign(&self.note_key)
    }

    /// The current signed checkpoint (`GET /api/v2/checkpoint`).
    pub fn checkpoint(&self) -> Result<String, Error> {
        let size = self.tree_size()?;
        let root = self.log.root(size)?;
        Ok(self.signed_checkpoint(size, &root))
    }

    /// Checks a `CreateEntryRequest`, appends it durably and answers the
    /// `TransparencyLogEntry` (protojson bytes).
    pub async fn create(&self, request: &CreateEntryRequest) -> Result<Vec<u8>, Error> {
        let checked = wire::check_request(request)?;
        let entry = Entry {
            leaf: checked.body,
            extra: vec![],
            index_keys: vec![],
        };
        let appended = match self.log.append(entry).await {
            Ok(a) => a,
            Err(SequenceError::Duplicate { index }) => return Err(Error::Duplicate { index }),
            Err(e) => return Err(Error::Sequence(e)),
        };
        // The entry is durable from here on: whatever fails below, it stays in the log.
        let (mut index, size) = (appended.index, appended.tree_size);
        if index > 0 && self.faults.take(Fault::RekorOtherArtifact) {
            // A real, verifiable entry: the one before, for another artifact.
            index -= 1;
        }
        let (mut entry, root) = self.entry_at(index, size)?;
        self.doctor(&mut entry, size, &root);
        Ok(entry.encode_protojson())
    }

    /// The `TransparencyLogEntry` of the entry at `index` in the tree of `size` entries, and
    /// that tree's root.
    fn entry_at(&self, index: u64, size: u64) -> Result<(TransparencyLogEntry, Hash), Error> {
        let body = self
            .log
            .entry(index)?
            .ok_or(Error::EntryMissing { index })?
            .leaf;
        let kind = wire::kind_of(index, &body)?;
        let Inclusion { root, hashes } = self.log.prove(&leaf_hash(&body), index, size)?;
        let entry = TransparencyLogEntry {
            log_index: index,
            log_id: LogId {
                key_id: self.log_id.to_vec(),
            },
            kind_version: KindVersion {
                kind: kind.to_owned(),
                version: "0.0.2".to_owned(),
            },
            // A v2 log has no integrated time and makes no promise: its proof is the answer.
            integrated_time: None,
            inclusion_promise: None,
            inclusion_proof: Some(InclusionProof {
                log_index: index,
                root_hash: *root.as_bytes(),
                tree_size: size,
                hashes: hashes.iter().map(|h| *h.as_bytes()).collect(),
                checkpoint: Some(BundleCheckpoint {
                    envelope: self.signed_checkpoint(size, &root),
                }),
            }),
            canonicalized_body: body,
        };
        Ok((entry, root))
    }

    /// An armed fault doctors the answer (the log itself stays honest), as on Rekor v1: a
    /// proof with a stranger's hash, a checkpoint by a key that is not the log's or naming
    /// another origin, each otherwise valid.
    fn doctor(&self, e: &mut TransparencyLogEntry, size: u64, root: &Hash) {
        // `entry_at` always writes a proof with a checkpoint.
        let Some(proof) = e.inclusion_proof.as_mut() else {
            return;
        };
        if self.faults.take(Fault::RekorWrongProof) {
            let stranger = *leaf_hash(b"another leaf").as_bytes();
            match proof.hashes.first_mut() {
                Some(h) => *h = stranger,
                None => proof.hashes.push(stranger),
            }
        }
        let forged = |origin: &str, key: Option<p256::ecdsa::SigningKey>| {
            let checkpoint = Checkpoint {
                origin: origin.to_owned(),
                size,
                root: *root,
                extensions: vec![],
            };
            match key {
                Some(key) => checkpoint.sign(&EcdsaNoteKey::rekor_v1_signer(&self.origin, key)),
                None => checkpoint.sign(&self.note_key),
            }
        };
        let Some(checkpoint) = proof.checkpoint.as_mut() else {
            return;
        };
        if self.faults.take(Fault::RekorCheckpointWrongKey) {
            let impostor = KeyRing::new(IMPOSTOR_SEED).signing_key(Role::RekorV2, 0);
            checkpoint.envelope = forged(&self.origin, Some(impostor));
        }
        if self.faults.take(Fault::RekorCheckpointWrongOrigin) {
            checkpoint.envelope = forged("impostor.example", None);
        }
    }

    /// The bytes at a tlog-tiles path below `tile/` (`0/x001/234`, `entries/005.p/7`): a hash
    /// tile (concatenated hashes) or an entry bundle (each entry as a big-endian 16-bit length
    /// and its bytes). A partial tile is served only at its exact width up to the tree's edge.
    pub fn tile(&self, path: &str) -> Result<Vec<u8>, Error> {
        let tile =
            Tile::parse(&format!("tile/{path}")).map_err(|e| Error::TilePath(e.to_string()))?;
        let size = self.tree_size()?;
        let start = tile.index.saturating_mul(TILE_WIDTH);
        let end = start.saturating_add(u64::from(tile.width));
        let available = if tile.level == Tile::DATA {
            size
        } else {
            // Levels past the 64 bits of a tree size hold nothing (and a plain shift by that
            // much would overflow).
            size.checked_shr(u32::from(tile.level) * u32::from(TILE_HEIGHT))
                .unwrap_or(0)
        };
        if end > available {
            return Err(Error::TileBeyondTree {
                path: path.to_owned(),
                size,
            });
        }
        if tile.level != Tile::DATA {
            return Ok(tlog::tile::tile_bytes(&self.log, &tile)?);
        }
        let mut out = Vec::new();
        for index in start..end {
            let entry = self
                .log
                .entry(index)?
                .ok_or(Error::EntryMissing { index })?;
            let len = u16::try_from(entry.leaf.len()).map_err(|_| Error::EntryTooLong { index })?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&entry.leaf);
        }
        Ok(out)
    }
}

impl From<ProveError> for Error {
    fn from(e: ProveError) -> Self {
        match e {
            ProveError::Store(e) => Self::Store(e),
            ProveError::Proof(e) => Self::Proof(e),
            ProveError::DoesNotVerify { index, source } => {
                Self::ProofDoesNotVerify { index, source }
            }
        }
    }
}
