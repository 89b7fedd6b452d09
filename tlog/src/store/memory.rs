//! The in-memory store: the reference implementation of the contract, with injected faults.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{Entry, LogStore, NodeReader, StoreError, StoredEntry, new_nodes};
use crate::hash::{Hash, leaf_hash};

/// What the next append does wrong (Sunlight's fault names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Fail, and persist nothing.
    FailCommitAndNotPersist,
    /// Fail after the commit point: the batch is there, but the caller sees an error.
    FailCommitButPersist,
}

#[derive(Debug, Default)]
struct Inner {
    entries: Vec<StoredEntry>,
    nodes: HashMap<(u8, u64), Hash>,
    leaf_index: HashMap<Hash, u64>,
    keys: BTreeMap<Vec<u8>, Vec<u64>>,
    meta: HashMap<String, Vec<u8>>,
    fault: Option<FaultKind>,
}

/// A [`LogStore`] in memory, for tests. Not durable across processes, by nature.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next [`append`](LogStore::append) fail in the given way.
    pub fn fail_next_append(&self, fault: FaultKind) {
        self.lock().fault = Some(fault);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Snapshot<'a>(&'a Inner);

impl NodeReader for Snapshot<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        self.0
            .nodes
            .get(&(level, index))
            .copied()
            .ok_or(StoreError::MissingNode {
                level,
                index,
                size: self.0.entries.len() as u64,
            })
    }
}

impl NodeReader for MemoryStore {
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        Snapshot(&self.lock()).node(level, index)
    }
}

impl LogStore for MemoryStore {
    fn tree_size(&self) -> Result<u64, StoreError> {
        Ok(self.lock().entries.len() as u64)
    }

    fn append(&self, batch: &[Entry]) -> Result<u64, StoreError> {
        let mut inner = self.lock();
        let start = inner.entries.len() as u64;
        let fault = inner.fault.take();
        if fault == Some(FaultKind::FailCommitAndNotPersist) {
            return Err(StoreError::Injected("append failed and persisted nothing"));
        }
        let leaves: Vec<Hash> = batch.iter().map(|e| leaf_hash(&e.leaf)).collect();
        let nodes = new_nodes(&Snapshot(&inner), start, &leaves)?;
        for (offset, (entry, leaf)) in batch.iter().zip(&leaves).enumerate() {
            let index = start + offset as u64;
            inner.entries.push(StoredEntry {
                leaf: entry.leaf.clone(),
                extra: entry.extra.clone(),
            });
            inner.leaf_index.entry(*leaf).or_insert(index);
            for key in &entry.index_keys {
                let list = inner.keys.entry(key.clone()).or_default();
                if list.last() != Some(&index) {
                    list.push(index);
                }
            }
        }
        for (level, index, hash) in nodes {
            inner.nodes.insert((level, index), hash);
        }
        if fault == Some(FaultKind::FailCommitButPersist) {
            return Err(StoreError::Injected(
                "append persisted but reported failure",
            ));
        }
        Ok(start)
    }

    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError> {
        let inner = self.lock();
        Ok(usize::try_from(index)
            .ok()
            .and_then(|i| inner.entries.get(i).cloned()))
    }

    fn leaf_index(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        Ok(self.lock().leaf_index.get(leaf_hash).copied())
    }

    fn lookup(&self, key: &[u8]) -> Result<Vec<u64>, StoreError> {
        Ok(self.lock().keys.get(key).cloned().unwrap_or_default())
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.lock().meta.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().meta.get(key).cloned())
    }
}
