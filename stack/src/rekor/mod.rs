//! Rekor's v1 REST API on a `tlog` log: entries with signed entry timestamps, inclusion proofs
//! and signed checkpoints, as sigstore clients read them.
//!
//! Kinds: `hashedrekord` v0.0.1, `dsse` v0.0.1 and `intoto` v0.0.2. One shard per key
//! generation; entry UUIDs carry the tree ID.

mod dsse;
mod hashedrekord;
mod intoto;
pub mod routes;
mod shards;

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use serde_json::{Value, json};
use tlog::checkpoint::Checkpoint;
use tlog::note::{EcdsaNoteKey, NoteSigner};
use tlog::proof::{NodeReader, inclusion_proof, root_at, verify_inclusion};
use tlog::sequencer::{Appended, SequenceError, Sequencer};
use tlog::store::{Entry, Guarded, LogStore, RocksStore};
use tlog::{Hash, leaf_hash};

use crate::clock::Clock;
use crate::keys::{KeyRing, Role};

pub use routes::routes;
pub use shards::Shards;

pub(crate) use crate::http::json::parse_body;
pub(crate) use dsse::pae as dsse_pae;
pub(crate) use dsse::{MAX_SIGNATURES as MAX_DSSE_SIGNATURES, MAX_VERIFIERS as MAX_DSSE_VERIFIERS};

/// Largest batch the sequencer commits in one synced write.
const MAX_BATCH: usize = 256;

/// One Rekor v1 log shard.
pub struct Rekor {
    store: Arc<Guarded<RocksStore>>,
    sequencer: Sequencer<Guarded<RocksStore>>,
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

/// A log entry as Rekor v1 answers it (`LogEntryAnon`), keyed by its UUID.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `treeID (16 hex) || leaf hash (64 hex)`.
    pub uuid: String,
    /// The JSON object.
    pub json: Value,
}

/// Why an entry was refused.
#[derive(Debug)]
pub enum CreateError {
    /// The proposal is malformed or does not verify (400).
    Invalid(String),
    /// Already in the log (409), with the existing entry's UUID.
    Duplicate(String),
    /// Storage failed (500).
    Internal(String),
}

/// Canonical JSON as Rekor writes it (RFC 8785 for the values Rekor uses: keys sorted, no
/// whitespace; `serde_json` without `preserve_order` keeps object keys sorted).
pub(crate) fn canonical_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value always serialises")
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
        let store = crate::state::open_log(crate::state::LogName::Rekor(shard), dir)?;
        let sequencer = Sequencer::new(store.clone(), MAX_BATCH);
        let origin = format!("{origin_host} - {tree_id}");
        let note_key = EcdsaNoteKey::rekor_v1_signer(origin_host, key.clone());
        Ok(Self {
            store,
            sequencer,
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

    /// Entries in the log.
    pub fn tree_size(&self) -> u64 {
        self.store.tree_size().unwrap_or(0)
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
    pub async fn create(&self, proposed: Value) -> Result<LogEntry, CreateError> {
        let checked = check_proposal(proposed).map_err(CreateError::Invalid)?;
        let integrated_time = self.clock.unix();
        let entry = Entry {
            leaf: checked.body,
            extra: integrated_time.to_be_bytes().to_vec(),
            index_keys: checked.index_keys,
        };
        let leaf = leaf_hash(&entry.leaf);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.sequencer.submit(
            entry,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        let appended: Appended = match rx.await {
            Ok(Ok(a)) => a,
            Ok(Err(SequenceError::Duplicate { index })) => {
                let existing = self
                    .store
                    .entry(index)
                    .ok()
                    .flatten()
                    .map(|e| leaf_hash(&e.leaf))
                    .unwrap_or(leaf);
                return Err(CreateError::Duplicate(self.uuid(&existing)));
            }
            Ok(Err(e)) => return Err(CreateError::Internal(e.to_string())),
            Err(_) => return Err(CreateError::Internal("the log is shutting down".into())),
        };
        // The entry is durable from here on.
        self.entry_at(appended.index, appended.tree_size)
            .map_err(CreateError::Internal)?
            .ok_or_else(|| CreateError::Internal("appended entry not found".into()))
    }

    /// A SET over `body` (base64), `integrated_time` and global `log_index`, by this log.
    pub(crate) fn sign_set(&self, body: &str, integrated_time: i64, log_index: u64) -> String {
        let payload = canonical_json(&json!({
            "body": body,
            "integratedTime": integrated_time,
            "logID": hex::encode(self.log_id),
            "logIndex": log_index,
        }));
        let set: DerSignature = self.key.sign(&payload);
        B64.encode(set.as_bytes())
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
    pub(crate) fn forked_view(
        &self,
        index: u64,
        size: u64,
    ) -> Result<(u64, Hash, Vec<Hash>, String), String> {
        let fork = Fork {
            tree: &*self.store,
            victim: u64::from(index == 0),
            leaf: leaf_hash(b"sigbox split view: a leaf only this view of the log has"),
        };
        let size = size.max(fork.victim + 1);
        let root = root_at(&fork, size).map_err(|e| e.to_string())?;
        let hashes = inclusion_proof(&fork, index, size).map_err(|e| e.to_string())?;
        Ok((size, root, hashes, self.checkpoint(size, &root)))
    }

    /// The entry at shard-local `index`, with an inclusion proof in the current tree.
    pub fn entry_by_index(&self, index: u64) -> Result<Option<LogEntry>, String> {
        let size = self.store.tree_size().map_err(|e| e.to_string())?;
        self.entry_at(index, size)
    }

    /// The entry with this UUID (80 hex digits with the tree ID, or 64 without).
    pub fn entry_by_uuid(&self, uuid: &str) -> Result<Option<LogEntry>, String> {
        // Hex first: the slicing below is by bytes, and a multi-byte character would split.
        if !uuid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("entry UUID is not hex".to_owned());
        }
        let leaf_hex = match uuid.len() {
            64 => uuid,
            80 => {
                if !uuid[..16].eq_ignore_ascii_case(&format!("{:016x}", self.tree_id)) {
                    return Ok(None);
                }
                &uuid[16..]
            }
            _ => {
                return Err(format!(
                    "entry UUID must be 64 or 80 hex digits, got {}",
                    uuid.len()
                ));
            }
        };
        let leaf = Hash::from_hex(leaf_hex).ok_or_else(|| "entry UUID is not hex".to_owned())?;
        match self.store.leaf_index(&leaf).map_err(|e| e.to_string())? {
            Some(index) => self.entry_by_index(index),
            None => Ok(None),
        }
    }

    /// Indices of entries with this search key.
    pub fn lookup(&self, key: &str) -> Result<Vec<String>, String> {
        let indices = self
            .store
            .lookup(key.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for index in indices {
            if let Some(e) = self.store.entry(index).map_err(|e| e.to_string())? {
                out.push(self.uuid(&leaf_hash(&e.leaf)));
            }
        }
        Ok(out)
    }

    fn entry_at(&self, index: u64, size: u64) -> Result<Option<LogEntry>, String> {
        let Some(stored) = self.store.entry(index).map_err(|e| e.to_string())? else {
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
                .map_err(|_| format!("entry {index} has a corrupt integrated time"))?,
        );
        let leaf = leaf_hash(&stored.leaf);
        let root = root_at(&*self.store, size).map_err(|e| e.to_string())?;
        let hashes = inclusion_proof(&*self.store, index, size).map_err(|e| e.to_string())?;
        // Re-verify what we hand out, as rekor-tiles does: a bad proof is our bug, never the
        // client's problem to discover.
        verify_inclusion(&leaf, index, size, &hashes, &root)
            .map_err(|e| format!("inclusion proof for entry {index} does not verify: {e}"))?;
        let body = B64.encode(&stored.leaf);
        let log_id = hex::encode(self.log_id);
        // Rekor's sharded log: `logIndex` (and the SET) are global, the inclusion proof's index
        // is the leaf's within this shard's tree.
        let global = self.offset + index;
        let set_payload = canonical_json(&json!({
            "body": body,
            "integratedTime": integrated_time,
            "logID": log_id,
            "logIndex": global,
        }));
        let set: DerSignature = self.key.sign(&set_payload);
        let json = json!({
            "body": body,
            "integratedTime": integrated_time,
            "logID": log_id,
            "logIndex": global,
            "verification": {
                "inclusionProof": {
                    "checkpoint": self.checkpoint(size, &root),
                    "hashes": hashes.iter().map(Hash::to_hex).collect::<Vec<_>>(),
                    "logIndex": index,
                    "rootHash": root.to_hex(),
                    "treeSize": size,
                },
                "signedEntryTimestamp": B64.encode(set.as_bytes()),
            },
        });
        Ok(Some(LogEntry {
            uuid: self.uuid(&leaf),
            json,
        }))
    }

    /// `GET /api/v1/log`.
    pub fn log_info(&self) -> Result<Value, String> {
        let size = self.store.tree_size().map_err(|e| e.to_string())?;
        let root = root_at(&*self.store, size).map_err(|e| e.to_string())?;
        Ok(json!({
            "rootHash": root.to_hex(),
            "treeSize": size,
            "signedTreeHead": self.checkpoint(size, &root),
            "treeID": self.tree_id.to_string(),
            "inactiveShards": [],
        }))
    }

    /// `GET /api/v1/log/proof`.
    pub fn consistency(&self, first: u64, last: u64) -> Result<Value, String> {
        let size = self.store.tree_size().map_err(|e| e.to_string())?;
        if last > size {
            return Err(format!("lastSize {last} is beyond the tree size {size}"));
        }
        if first < 1 || first > last {
            return Err(format!(
                "firstSize {first} must be between 1 and lastSize {last}"
            ));
        }
        let hashes =
            tlog::proof::consistency_proof(&*self.store, first, last).map_err(|e| e.to_string())?;
        let root = root_at(&*self.store, last).map_err(|e| e.to_string())?;
        Ok(json!({
            "rootHash": root.to_hex(),
            "hashes": hashes.iter().map(Hash::to_hex).collect::<Vec<_>>(),
        }))
    }
}

fn check_proposal(proposed: Value) -> Result<hashedrekord::Checked, String> {
    let Value::Object(mut obj) = proposed else {
        return Err("proposed entry must be a JSON object".into());
    };
    let kind = obj
        .remove("kind")
        .and_then(|k| k.as_str().map(str::to_owned))
        .ok_or("proposed entry has no `kind`")?;
    let version = obj
        .remove("apiVersion")
        .and_then(|k| k.as_str().map(str::to_owned))
        .ok_or("proposed entry has no `apiVersion`")?;
    let spec = obj.remove("spec").ok_or("proposed entry has no `spec`")?;
    if let Some(extra) = obj.keys().next() {
        return Err(format!("proposed entry has unknown field `{extra}`"));
    }
    match (kind.as_str(), version.as_str()) {
        ("hashedrekord", "0.0.1") => hashedrekord::check(spec),
        ("hashedrekord", v) => Err(format!(
            "unsupported hashedrekord version `{v}` (want 0.0.1)"
        )),
        ("dsse", "0.0.1") => dsse::check(spec),
        ("dsse", v) => Err(format!("unsupported dsse version `{v}` (want 0.0.1)")),
        ("intoto", "0.0.2") => intoto::check(spec),
        ("intoto", v) => Err(format!("unsupported intoto version `{v}` (want 0.0.2)")),
        (k, _) => Err(format!("unknown kind `{k}`")),
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
    use tlog::proof::{MemoryTree, consistency_proof, verify_consistency};

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
