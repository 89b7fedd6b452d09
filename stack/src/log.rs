//! One transparency log as every service runs it: the store of a state-directory log (RocksDB,
//! its last tree head kept beside it, see [`crate::state::open_log`]), the sequencer that
//! batches appends to it, and the wait for an append to be durable.
//!
//! The CT log and both Rekors are each this plus their own keys and formats: what an entry's
//! bytes mean, how it is deduplicated (by leaf in the sequencer, or by an index key the service
//! looks up first) and how a failure maps to a status stay theirs. So every method answers the
//! `tlog` error its service maps today. Not a service: no routes, no keys, no formats.

use std::path::Path;
use std::sync::Arc;

use tlog::Hash;
use tlog::proof::{ProofError, consistency_proof, inclusion_proof, root_at, verify_inclusion};
use tlog::sequencer::{Appended, SequenceError, Sequencer};
use tlog::store::{Entry, Guarded, LogStore, NodeReader, RocksStore, StoreError, StoredEntry};

use crate::state::LogName;

/// Largest batch the sequencer commits in one synced write.
const MAX_BATCH: usize = 256;

/// One log's store and sequencer. Dropping it shuts the log down: the sequencer commits what
/// was queued and answers its callers before the store closes.
#[derive(Debug)]
pub(crate) struct Log {
    store: Arc<Guarded<RocksStore>>,
    sequencer: Sequencer<Guarded<RocksStore>>,
}

/// The inclusion proof of one entry and the root of the tree it is in, checked against each
/// other before anyone sees them.
#[derive(Debug)]
pub(crate) struct Inclusion {
    /// The root of the tree the proof is in.
    pub(crate) root: Hash,
    /// The audit path, leaf-most hash first.
    pub(crate) hashes: Vec<Hash>,
}

/// Why [`Log::prove`] failed: each service maps these to its own variants.
#[derive(Debug)]
pub(crate) enum ProveError {
    /// Reading the root failed.
    Store(StoreError),
    /// Building the proof failed.
    Proof(ProofError),
    /// The log's own proof does not verify against its own root: our bug.
    DoesNotVerify {
        /// The entry's index.
        index: u64,
        /// Why.
        source: ProofError,
    },
}

impl Log {
    /// Opens (or creates) `name`'s store in `dir`, refusing one that lost entries since it last
    /// handed out a tree head, and starts its sequencer.
    pub(crate) fn open(name: LogName, dir: &Path) -> anyhow::Result<Self> {
        let store = crate::state::open_log(name, dir)?;
        let sequencer = Sequencer::new(store.clone(), MAX_BATCH);
        Ok(Self { store, sequencer })
    }

    /// Appends `entry` through the sequencer and waits until its batch is durable: an `Ok` is
    /// the commit point, after which a crash never loses the entry. A leaf already in the log
    /// is [`SequenceError::Duplicate`] with its index.
    pub(crate) async fn append(&self, entry: Entry) -> Result<Appended, SequenceError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.sequencer.submit(
            entry,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        // The sequencer answers every submission; one dropped unanswered means it is gone.
        rx.await.unwrap_or(Err(SequenceError::Closed))
    }

    /// Entries in the log: the kept head's size, the tree every read sees.
    pub(crate) fn size(&self) -> Result<u64, StoreError> {
        self.store.tree_size()
    }

    /// The entry at `index`, or `None` beyond the tree.
    pub(crate) fn entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError> {
        self.store.entry(index)
    }

    /// The index of the first entry whose leaf hash is `leaf`.
    pub(crate) fn leaf_index(&self, leaf: &Hash) -> Result<Option<u64>, StoreError> {
        self.store.leaf_index(leaf)
    }

    /// The indexes of the entries appended with the index key `key`, ascending.
    pub(crate) fn lookup(&self, key: &[u8]) -> Result<Vec<u64>, StoreError> {
        self.store.lookup(key)
    }

    /// The root of the tree of the first `size` entries.
    pub(crate) fn root(&self, size: u64) -> Result<Hash, StoreError> {
        root_at(&*self.store, size)
    }

    /// The audit path of entry `index` in the tree of `size` entries, unchecked.
    pub(crate) fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        inclusion_proof(&*self.store, index, size)
    }

    /// The consistency proof from the tree of `first` entries to the tree of `second`.
    pub(crate) fn consistency_proof(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Vec<Hash>, ProofError> {
        consistency_proof(&*self.store, first, second)
    }

    /// The proof that `leaf` is entry `index` in the tree of `size` entries, with that tree's
    /// root, re-verified as rekor-tiles does before it answers: a bad proof is our bug, never
    /// the client's to discover.
    pub(crate) fn prove(
        &self,
        leaf: &Hash,
        index: u64,
        size: u64,
    ) -> Result<Inclusion, ProveError> {
        let root = self.root(size).map_err(ProveError::Store)?;
        let hashes = self
            .inclusion_proof(index, size)
            .map_err(ProveError::Proof)?;
        verify_inclusion(leaf, index, size, &hashes, &root)
            .map_err(|source| ProveError::DoesNotVerify { index, source })?;
        Ok(Inclusion { root, hashes })
    }
}

/// The log's complete subtrees, for what builds on the tree itself (tiles, a fault's fork).
impl NodeReader for Log {
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        self.store.node(level, index)
    }
}

#[cfg(test)]
mod tests {
    use tlog::leaf_hash;

    use super::*;

    fn entry(i: u8) -> Entry {
        Entry {
            leaf: vec![i],
            extra: vec![i, i],
            index_keys: vec![vec![b'k', i % 2]],
        }
    }

    /// Appends land in order and are readable as soon as `append` returns; a leaf already in
    /// the log is refused with its index; what survives a reopen is what was acknowledged.
    #[tokio::test]
    async fn appends_are_durable_readable_and_deduplicated() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("log");
        {
            let log = Log::open(LogName::RekorV2, &dir).unwrap();
            for i in 0..3u8 {
                let appended = log.append(entry(i)).await.unwrap();
                assert_eq!(appended.index, u64::from(i));
                assert!(appended.tree_size > appended.index);
                assert_eq!(
                    log.entry(appended.index).unwrap().unwrap().extra,
                    vec![i, i]
                );
            }
            assert_eq!(
                log.append(entry(1)).await,
                Err(SequenceError::Duplicate { index: 1 })
            );
            assert_eq!(log.lookup(&[b'k', 0]).unwrap(), vec![0, 2]);
            assert_eq!(log.leaf_index(&leaf_hash(&[2])).unwrap(), Some(2));
        }
        let log = Log::open(LogName::RekorV2, &dir).unwrap();
        assert_eq!(log.size().unwrap(), 3);
        assert_eq!(log.entry(3).unwrap(), None);
    }

    /// Each proof checks out against the root it comes with, and a leaf that is not the entry
    /// is refused as our own bug, naming the index.
    #[tokio::test]
    async fn proofs_verify_and_a_wrong_leaf_does_not() {
        let tmp = tempfile::tempdir().unwrap();
        // Inside the temporary directory: the kept head (`log.head`) sits beside the log.
        let log = Log::open(LogName::Ctlog(0), &tmp.path().join("log")).unwrap();
        for i in 0..5u8 {
            log.append(entry(i)).await.unwrap();
        }
        for index in 0..5u64 {
            let leaf = leaf_hash(&[u8::try_from(index).unwrap()]);
            let proof = log.prove(&leaf, index, 5).unwrap();
            assert_eq!(proof.root, log.root(5).unwrap());
            assert_eq!(proof.hashes, log.inclusion_proof(index, 5).unwrap());
        }
        match log.prove(&leaf_hash(b"stranger"), 3, 5) {
            Err(ProveError::DoesNotVerify { index: 3, .. }) => {}
            other => panic!("want DoesNotVerify at 3, got {other:?}"),
        }
        let proof = log.consistency_proof(2, 5).unwrap();
        tlog::proof::verify_consistency(2, 5, &proof, &log.root(2).unwrap(), &log.root(5).unwrap())
            .unwrap();
    }
}
