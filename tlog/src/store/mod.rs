//! Log storage: the [`LogStore`] contract, an in-memory store that enforces it, (feature
//! `rocksdb`) the RocksDB store the stack runs on, and [`Guarded`], which keeps each log's
//! last tree head beside it and refuses a store that lost entries (see [`head`]).

pub mod head;
mod memory;
#[cfg(feature = "rocksdb")]
mod rocks;

pub use head::{GuardError, Guarded, HeadFile, TreeHead, write_atomic};
pub use memory::{FaultKind, MemoryStore};
#[cfg(feature = "rocksdb")]
pub use rocks::RocksStore;

use crate::hash::Hash;

/// Reads complete-subtree hashes: `node(level, index)` is the root of the 2^level leaves
/// starting at leaf `index << level`, and must only be asked for subtrees that are complete.
pub trait NodeReader {
    /// The hash of the complete subtree at (`level`, `index`).
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError>;
}

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// The bytes whose [`leaf_hash`](crate::leaf_hash) is the Merkle leaf (e.g. Rekor's
    /// canonical body).
    pub leaf: Vec<u8>,
    /// Opaque data stored beside the leaf (e.g. the integrated time). Not hashed.
    pub extra: Vec<u8>,
    /// Search keys that map to this entry's index (multi-valued: many entries per key).
    pub index_keys: Vec<Vec<u8>>,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// See [`Entry::leaf`].
    pub leaf: Vec<u8>,
    /// See [`Entry::extra`].
    pub extra: Vec<u8>,
}

/// Why storage failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The underlying store failed (I/O, corruption); the message says how.
    #[error("log store: {0}")]
    Backend(String),
    /// A node was asked for that the tree does not have (a bug in the caller).
    #[error("log store has no node at level {level} index {index} (tree size {size})")]
    MissingNode {
        /// Level asked for.
        level: u8,
        /// Index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// An injected fault (tests only).
    #[error("injected fault: {0}")]
    Injected(&'static str),
}

/// Storage for one append-only Merkle log.
///
/// # Contract
///
/// Every implementation must guarantee:
///
/// 1. **Durability.** When [`append`](Self::append) returns `Ok`, the whole batch is durable:
///    a crash (power loss, `kill -9`) after that point never loses it. Callers acknowledge
///    entries to clients only after `append` returned.
/// 2. **Atomicity.** A batch is appended whole or not at all. After an `Err`, the store is as
///    it was before the call (tree size, entries, nodes, index keys), or, if the failure came
///    after the commit point, as if the call had succeeded; never in between.
/// 3. **Order.** Entries get consecutive indices from the tree size before the call, in batch
///    order. Nothing is ever rewritten or removed.
/// 4. **Nodes.** After an append, [`node`](NodeReader::node) answers for every complete subtree
///    of the new tree (level `l`, index `i` with `(i + 1) << l <= tree_size`), so proofs and
///    roots cost O(log n) reads. Asking for an incomplete subtree is an error.
/// 5. **Lookups.** [`leaf_index`](Self::leaf_index) returns the first index whose leaf hash is
///    the one asked (the store does not refuse duplicates: deduplication is the sequencer's
///    job); [`lookup`](Self::lookup) returns every index whose `index_keys` had the key, in
///    ascending order.
/// 6. **Metadata.** [`put_meta`](Self::put_meta) is durable on return, like `append`.
/// 7. **Concurrency.** Methods take `&self` and may be called from many threads; appends are
///    serialised by the caller (one sequencer per log) but reads may run during an append and
///    see the tree before or after it, never a mix.
pub trait LogStore: NodeReader + Send + Sync {
    /// The number of entries.
    fn tree_size(&self) -> Result<u64, StoreError>;
    /// Appends `batch` at indices `tree_size..`; returns the first index assigned. Durable and
    /// atomic (see the contract).
    fn append(&self, batch: &[Entry]) -> Result<u64, StoreError>;
    /// The entry at `index`, or `None` beyond the tree.
    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError>;
    /// The first index whose leaf hash is `leaf_hash`.
    fn leaf_index(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError>;
    /// Every index whose entry listed `key` among its index keys, ascending.
    fn lookup(&self, key: &[u8]) -> Result<Vec<u64>, StoreError>;
    /// Stores a metadata value (durable on return).
    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// A metadata value.
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// The complete-subtree nodes that appending `leaves` at `start` creates, given a reader of the
/// nodes that exist already: `(level, index, hash)` for every new complete subtree, leaves
/// (level 0) included. Shared by every store so they agree on the shape of the tree.
pub(crate) fn new_nodes(
    existing: &impl NodeReader,
    start: u64,
    leaves: &[Hash],
) -> Result<Vec<(u8, u64, Hash)>, StoreError> {
    use std::collections::HashMap;
    let mut fresh: HashMap<(u8, u64), Hash> = HashMap::new();
    let mut out = Vec::new();
    for (offset, leaf) in leaves.iter().enumerate() {
        let index = start + offset as u64;
        fresh.insert((0, index), *leaf);
        out.push((0u8, index, *leaf));
        // Each leaf completes the subtrees whose last leaf it is: climb while the node is a
        // right child.
        let (mut level, mut i, mut hash) = (0u8, index, *leaf);
        while i & 1 == 1 {
            let sibling = match fresh.get(&(level, i - 1)) {
                Some(h) => *h,
                None => existing.node(level, i - 1)?,
            };
            hash = crate::hash::node_hash(&sibling, &hash);
            level += 1;
            i >>= 1;
            fresh.insert((level, i), hash);
            out.push((level, i, hash));
        }
    }
    Ok(out)
}
