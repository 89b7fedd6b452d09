//! Recompute and verify a whole store: every leaf hash, every node, the root.

use crate::hash::{Hash, leaf_hash};
use crate::proof::root_at;
use crate::store::{LogStore, StoreError};

/// What a check found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Reading failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// An entry below the tree size is missing.
    #[error("entry {0} is missing")]
    MissingEntry(u64),
    /// A stored node differs from the one recomputed from the leaves.
    #[error("node at level {level} index {index} is {stored}, recomputed {computed}")]
    NodeMismatch {
        /// Level.
        level: u8,
        /// Index.
        index: u64,
        /// What the store has.
        stored: Hash,
        /// What the leaves give.
        computed: Hash,
    },
}

/// Recomputes every complete subtree from the stored leaves and compares it with the stored
/// node; returns the tree size and root.
pub fn verify_store(store: &impl LogStore) -> Result<(u64, Hash), CheckError> {
    let size = store.tree_size()?;
    let mut level_hashes: Vec<Hash> = Vec::with_capacity(size as usize);
    for index in 0..size {
        let entry = store.entry(index)?.ok_or(CheckError::MissingEntry(index))?;
        level_hashes.push(leaf_hash(&entry.leaf));
    }
    let mut level = 0u8;
    while !level_hashes.is_empty() {
        for (index, computed) in level_hashes.iter().enumerate() {
            let stored = store.node(level, index as u64)?;
            if stored != *computed {
                return Err(CheckError::NodeMismatch {
                    level,
                    index: index as u64,
                    stored,
                    computed: *computed,
                });
            }
        }
        level_hashes = level_hashes
            .chunks_exact(2)
            .map(|p| crate::hash::node_hash(&p[0], &p[1]))
            .collect();
        level += 1;
    }
    Ok((size, root_at(store, size)?))
}
