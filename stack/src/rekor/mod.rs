//! Rekor's v1 REST API on a `tlog` log: entries with signed entry timestamps, inclusion proofs
//! and signed checkpoints, as sigstore clients read them.
//!
//! Kinds: `hashedrekord` v0.0.1, `dsse` v0.0.1 and `intoto` v0.0.2. One shard per key
//! generation; entry UUIDs carry the tree ID. The wire forms are [`formats::rekor_v1`]'s: the
//! core takes and answers those typed values, [`routes()`] only decodes and encodes them.

mod dsse;
mod error;
mod hashedrekord;
mod intoto;
pub mod routes;
mod shards;

use std::path::Path;

use formats::rekor_v1::{
    ConsistencyProof, InclusionProof, LogEntry, LogEntryAnon, ProposedEntry, SetPayload, ShardInfo,
    Verification,
};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use tlog::checkpoint::Checkpoint;
use tlog::note::{EcdsaNoteKey, NoteSigner};
use tlog::proof::{NodeReader, inclusion_proof, root_at};
use tlog::sequencer::SequenceError;
use tlog::store::Entry;
use tlog::{Hash, leaf_hash};

use crate::clock::Clock;
use crate::keys::{KeyRing, Role};
use crate::log::{Inclusion, Log, ProveError};

pub use error::Error;
pub use routes::routes;
pub use shards::Shards;

pub(crate) use crate::http::json::parse_body;

/// One Rekor v1 log shard.
pub struct Rekor {
    log: Log,
    key: SigningKey,
    spki: Vec<u8>,
    log_id: [u8; 32],
    tree_id: u64,
    origin: String,
    note_key: EcdsaNoteKey,
    clock: Clock,
    offset: u64,
}

impl std::fmt::Debug for Rekor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rekor")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Rekor {
    /// Opens shard `shard` with its store in `dir` (created if missing); its entries' global
    /// log indexes start at `offset` (the entries of the shards before it).
    pub fn open(
        keys: &KeyRing,
        shard: u32,
        offset: u64,
        clock: Clock,
        dir: &Path,
        origin_host: &str,
    ) -> anyhow::Result<Self> {
        let key = keys.signing_key(Role::Rekor, shard);
        let (spki, log_id) = crate::keys::log_identity(&key)?;
        // Tree IDs are positive int64s in Rekor (Trillian); derive ours from the log ID so it
        // is stable across restarts and distinct per shard.
        let tree_id = (u64::from_be_bytes(log_id[..8].try_into().expect("8 bytes")) >> 1).max(1);
        let log = Log::open(crate::state::LogName::Rekor(shard), dir)?;
        let origin = format!("{origin_host} - {tree_id}");
        let note_key = EcdsaNoteKey::rekor_v1_signer(origin_host, key.clone());
        Ok(Self {
            log,
            key,
            spki,
            log_id,
            tree_id,
            origin,
            note_key,
            clock,
            offset,
        })
    }

    /// The global log index of this shard's first entry.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// SHA-256 of the DER public key.
    pub fn log_id(&self) -> [u8; 32] {
        self.log_id
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.spki.clone()
    }

    /// The tree ID (part of every UUID and of the checkpoint origin).
    pub fn tree_id(&self) -> u64 {
        self.tree_id
    }

    /// The checkpoint origin, `<host> - <treeID>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Entries in the log. A read error is an error, never a size: the next shard's offset is
    /// read from here.
    pub fn tree_size(&self) -> Result<u64, Error> {
        Ok(self.log.size()?)
    }

    fn uuid(&self, leaf: &Hash) -> String {
        format!("{:016x}{}", self.tree_id, leaf.to_hex())
    }

    /// The signed checkpoint of the tree of `size` entries with root `root`.
    pub fn checkpoint(&self, size: u64, root: &Hash) -> String {
        Checkpoint {
            origin: self.origin.clone(),
            size,
            root: *root,
            extensions: vec![],
        }
        .sign(&self.note_key)
    }

    /// Checks a proposed entry, appends it durably and answers it with its proof.
    pub async fn create(&self, proposed: ProposedEntry) -> Result<LogEntry, Error> {
        let checked = match proposed {
            ProposedEntry::HashedRekord(spec) => hashedrekord::check(spec)?,
            ProposedEntry::Dsse(spec) => dsse::check(spec)?,
            ProposedEntry::Intoto(spec) => intoto::check(spec)?,
        };
        let integrated_time = self.clock.unix();
        let entry = Entry {
            leaf: checked.body.encode(),
            extra: integrated_time.to_be_bytes().to_vec(),
            index_keys: checked.index_keys,
        };
        let leaf = leaf_hash(&entry.leaf);
        let appended = match self.log.append(entry).await {
            Ok(a) => a,
            Err(SequenceError::Duplicate { index }) => {
                // The existing entry's UUID is the leaf's own unless the store says otherwise;
                // a failed read here still answers the 409 the duplicate is.
                let existing = self
                    .log
                    .entry(index)
                    .ok()
                    .flatten()
                    .map(|e| leaf_hash(&e.leaf))
                    .unwrap_or(leaf);
                return Err(Error::Duplicate {
                    uuid: self.uuid(&existing),
                });
            }
            Err(e) => return Err(Error::Sequence(e)),
        };
        // The entry is durable from here on.
        self.entry_at(appended.index, appended.tree_size)?
            .ok_or(Error::AppendedEntryMissing {
                index: appended.index,
            })
    }

    /// A SET over `body`, `integrated_time` and global `log_index`, by this log.
    pub(crate) fn sign_set(&self, body: &[u8], integrated_time: i64, log_index: u64) -> Vec<u8> {
        let payload = SetPayload {
            body: body.to_vec(),
            integrated_time,
            log_id: self.log_id,
            log_index,
        };
        let set: DerSignature = self.key.sign(&payload.encode());
        set.as_bytes().to_vec()
    }

    /// A checkpoint for faults: another origin, or signed by a key that is not the log's under
    /// the log's name.
    pub(crate) fn forged_checkpoint(
        &self,
        size: u64,
        root: &Hash,
        origin: Option<&str>,
        key: Option<SigningKey>,
    ) -> String {
        let checkpoint = Checkpoint {
            origin: origin.unwrap_or(&self.origin).to_owned(),
            size,
            root: *root,
            extensions: vec![],
        };
        match key {
            Some(key) => checkpoint.sign(&EcdsaNoteKey::rekor_v1_signer(self.note_key.name(), key)),
            None => checkpoint.sign(&self.note_key),
        }
    }

    /// A split view for faults: the tree of `size` leaves with one other leaf than `index`
    /// swapped for a leaf only this view has (or, in a one-leaf tree, one more leaf). Its
    /// checkpoint is signed by the log's own key and `index`'s proof in it verifies, so only
    /// comparing it with the log's other answers (a consistency check) shows the fork.
    pub(crate) fn forked_view(&self, index: u64, size: u64) -> Result<InclusionProof, Error> {
        let fork = Fork {
            tree: &self.log,
            victim: u64::from(index == 0),
            leaf: leaf_hash(b"sigbox split view: a leaf only this view of the log has"),
        };
        let size = size.max(fork.victim + 1);
        let root = root_at(&fork, size)?;
        let hashes = inclusion_proof(&fork, index, size)?;
        Ok(InclusionProof {
            checkpoint: self.checkpoint(size, &root),
            hashes: hashes.iter().map(|h| h.0).collect(),
            log_index: index,
            root_hash: root.0,
            tree_size: size,
        })
    }

    /// The entry at shard-local `index`, with an inclusion proof in the current tree.
    pub fn entry_by_index(&self, index: u64) -> Result<Option<LogEntry>, Error> {
        let size = self.tree_size()?;
        self.entry_at(index, size)
    }

    /// The entry with this UUID (80 hex digits with the tree ID, or 64 without).
    pub fn entry_by_uuid(&self, uuid: &str) -> Result<Option<LogEntry>, Error> {
        // Hex first: the slicing below is by bytes, and a multi-byte character would split.
        if !uuid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::UuidNotHex);
        }
        let leaf_hex = match uuid.len() {
            64 => uuid,
            80 => {
                if !uuid[..16].eq_ignore_ascii_case(&format!("{:016x}", self.tree_id)) {
                    return Ok(None);
                }
                &uuid[16..]
            }
            len => return Err(Error::UuidLength { len }),
        };
        let leaf = Hash::from_hex(leaf_hex).ok_or(Error::UuidNotHex)?;
        match self.log.leaf_index(&leaf)? {
            Some(index) => self.entry_by_index(index),
            None => Ok(None),
        }
    }

    /// UUIDs of entries with this search key.
    pub fn lookup(&self, key: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for index in self.log.lookup(key.as_bytes())? {
            if let Some(e) = self.log.entry(index)? {
                out.push(self.uuid(&leaf_hash(&e.leaf)));
            }
        }
        Ok(out)
    }

    /// The entry at shard-local `index` with its proof in the tree of `size` entries and a
    /// SET over its global index.
    fn entry_at(&self, index: u64, size: u64) -> Result<Option<LogEntry>, Error> {
        let Some(stored) = self.log.entry(index)? else {
            return Ok(None);
        };
        if index >= size {
            return Ok(None);
        }
        let integrated_time = i64::from_be_bytes(
            stored
                .extra
                .as_slice()
                .try_into()
                .map_err(|_| Error::CorruptEntry { index })?,
        );
        let leaf = leaf_hash(&stored.leaf);
        let Inclusion { root, hashes } = self.log.prove(&leaf, index, size)?;
        // Rekor's sharded log: `logIndex` (and the SET) are global, the inclusion proof's index
        // is the leaf's within this shard's tree.
        let global = self.offset + index;
        let signed_entry_timestamp = self.sign_set(&stored.leaf, integrated_time, global);
        Ok(Some(LogEntry {
            uuid: self.uuid(&leaf),
            entry: LogEntryAnon {
                attestation: None,
                body: stored.leaf,
                integrated_time,
                log_id: self.log_id,
                log_index: global,
                verification: Verification {
                    inclusion_proof: InclusionProof {
                        checkpoint: self.checkpoint(size, &root),
                        hashes: hashes.iter().map(|h| h.0).collect(),
                        log_index: index,
                        root_hash: root.0,
                        tree_size: size,
                    },
                    signed_entry_timestamp,
                },
            },
        }))
    }

    /// This shard's head (`GET /api/v1/log` answers the active shard's, with the others').
    pub fn head(&self) -> Result<ShardInfo, Error> {
        let size = self.tree_size()?;
        let root = self.log.root(size)?;
        Ok(ShardInfo {
            root_hash: root.0,
            signed_tree_head: self.checkpoint(size, &root),
            tree_id: self.tree_id,
            tree_size: size,
        })
    }

    /// `GET /api/v1/log/proof`.
    pub fn consistency(&self, first: u64, last: u64) -> Result<ConsistencyProof, Error> {
        let size = self.tree_size()?;
        if last > size {
            return Err(Error::ProofBeyondTree { last, size });
        }
        if first < 1 || first > last {
            return Err(Error::ProofRange { first, last });
        }
        let hashes = self.log.consistency_proof(first, last)?;
        let root = self.log.root(last)?;
        Ok(ConsistencyProof {
            hashes: hashes.iter().map(|h| h.0).collect(),
            root_hash: root.0,
        })
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

/// The log's tree with the leaf at `victim` replaced by `leaf` (`victim` may be the tree size:
/// one more leaf). Subtrees over the victim are recomputed; the rest are the log's.
struct Fork<'a, R> {
    tree: &'a R,
    victim: u64,
    leaf: Hash,
}

impl<R: NodeReader> NodeReader for Fork<'_, R> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, tlog::store::StoreError> {
        if index != self.victim >> level {
            return self.tree.node(level, index);
        }
        if level == 0 {
            return Ok(self.leaf);
        }
        let left = self.node(level - 1, 2 * index)?;
        let right = self.node(level - 1, 2 * index + 1)?;
        Ok(tlog::node_hash(&left, &right))
    }
}

#[cfg(test)]
mod tests {
    use tlog::proof::{MemoryTree, consistency_proof, verify_consistency, verify_inclusion};

    use super::*;

    /// The fork is a tree in its own right (its proofs verify) that no consistency proof from
    /// the honest log can reconcile with, at the same size or any later one.
    #[test]
    fn a_fork_verifies_alone_and_is_inconsistent_with_the_log() {
        let mut tree = MemoryTree::new();
        for i in 0..13u32 {
            tree.push(leaf_hash(&i.to_be_bytes()));
        }
        for (index, size) in [(0, 1), (0, 7), (5, 7), (6, 7), (12, 13)] {
            let fork = Fork {
                tree: &tree,
                victim: u64::from(index == 0),
                leaf: leaf_hash(b"fork"),
            };
            let forked_size = size.max(fork.victim + 1);
            let root = root_at(&fork, forked_size).unwrap();
            let hashes = inclusion_proof(&fork, index, forked_size).unwrap();
            let leaf = leaf_hash(&(index as u32).to_be_bytes());
            verify_inclusion(&leaf, index, forked_size, &hashes, &root).unwrap();
            if forked_size == size {
                assert_ne!(root, root_at(&tree, size).unwrap(), "{index}/{size}");
            }
            for later in forked_size..=13 {
                let proof = consistency_proof(&tree, forked_size, later).unwrap();
                let honest = root_at(&tree, later).unwrap();
                assert!(
                    verify_consistency(forked_size, later, &proof, &root, &honest).is_err(),
                    "{index}/{size} -> {later}"
                );
            }
        }
    }
}
