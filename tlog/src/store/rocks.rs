//! The RocksDB store: one database per log, one synced write batch per append.
//!
//! Key layout (one keyspace, a one-byte prefix per table; big-endian integers so iteration is
//! in index order):
//!
//! ```text
//! b"s"                          tree size (u64 BE)          written in every append batch
//! b"e" index                    extra-length (u32 BE) || extra || leaf
//! b"n" level index              node hash (32 bytes)
//! b"h" leaf_hash                first index with this leaf (u64 BE)
//! b"k" len(key) key index       empty: a search key of an entry
//! b"m" name                     metadata value
//! ```

use std::path::Path;
use std::sync::{Mutex, RwLock};

use rocksdb::{DB, Direction, IteratorMode, Options, WriteBatch, WriteOptions};

use super::{Entry, LogStore, NodeReader, StoreError, StoredEntry, new_nodes};
use crate::hash::{Hash, leaf_hash};

/// A [`LogStore`] on RocksDB.
pub struct RocksStore {
    db: DB,
    /// The tree size readers see; it moves only after a batch is durable, so a reader never
    /// sees a half-appended tree (the contract's point 7), and readers never wait for an fsync.
    size: RwLock<u64>,
    /// Serialises appends (the sequencer already does; this makes the store safe without it).
    appending: Mutex<()>,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

fn backend(e: rocksdb::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn entry_key(index: u64) -> [u8; 9] {
    let mut k = [b'e'; 9];
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
}

fn node_key(level: u8, index: u64) -> [u8; 10] {
    let mut k = [b'n'; 10];
    k[1] = level;
    k[2..].copy_from_slice(&index.to_be_bytes());
    k
}

fn hash_key(hash: &Hash) -> [u8; 33] {
    let mut k = [b'h'; 33];
    k[1..].copy_from_slice(hash.as_bytes());
    k
}

fn search_prefix(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(5 + key.len() + 8);
    k.push(b'k');
    k.extend_from_slice(&(key.len() as u32).to_be_bytes());
    k.extend_from_slice(key);
    k
}

fn meta_key(name: &str) -> Vec<u8> {
    let mut k = vec![b'm'];
    k.extend_from_slice(name.as_bytes());
    k
}

fn u64_of(bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Backend(format!("corrupt integer of {} bytes", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

impl RocksStore {
    /// Opens (or creates) the store in `path`; a reopened store resumes at its last durable
    /// append.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        Self::with_db(DB::open(&opts, path).map_err(backend)?)
    }

    /// Opens the existing store in `path` read-only, for checking it (`sigbox fsck`): nothing
    /// on disk changes, and RocksDB's lock is not taken, so it works beside a running stack,
    /// on the store as its write-ahead log stands at the moment of opening. Appends fail.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let opts = Options::default();
        Self::with_db(DB::open_for_read_only(&opts, path, false).map_err(backend)?)
    }

    fn with_db(db: DB) -> Result<Self, StoreError> {
        let size = match db.get(b"s").map_err(backend)? {
            Some(v) => u64_of(&v)?,
            None => 0,
        };
        Ok(Self {
            db,
            size: RwLock::new(size),
            appending: Mutex::new(()),
        })
    }

    fn size(&self) -> u64 {
        *self.size.read().unwrap_or_else(|p| p.into_inner())
    }

    fn synced() -> WriteOptions {
        let mut w = WriteOptions::default();
        w.set_sync(true);
        w
    }

    fn read_node(&self, level: u8, index: u64, size: u64) -> Result<Hash, StoreError> {
        let missing = StoreError::MissingNode { level, index, size };
        if index
            .checked_add(1)
            .and_then(|n| n.checked_shl(u32::from(level)))
            .is_none_or(|end| end > size)
        {
            return Err(missing);
        }
        let v = self
            .db
            .get_pinned(node_key(level, index))
            .map_err(backend)?;
        v.and_then(|v| Hash::from_slice(&v)).ok_or(missing)
    }
}

impl NodeReader for RocksStore {
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        self.read_node(level, index, self.size())
    }
}

/// Reads nodes of the durable tree while a batch is being built.
struct Durable<'a>(&'a RocksStore, u64);

impl NodeReader for Durable<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        self.0.read_node(level, index, self.1)
    }
}

impl LogStore for RocksStore {
    fn tree_size(&self) -> Result<u64, StoreError> {
        Ok(self.size())
    }

    fn append(&self, batch: &[Entry]) -> Result<u64, StoreError> {
        let _appending = self.appending.lock().unwrap_or_else(|p| p.into_inner());
        let start = self.size();
        let leaves: Vec<Hash> = batch.iter().map(|e| leaf_hash(&e.leaf)).collect();
        let nodes = new_nodes(&Durable(self, start), start, &leaves)?;
        let mut wb = WriteBatch::default();
        for (offset, (entry, leaf)) in batch.iter().zip(&leaves).enumerate() {
            let index = start + offset as u64;
            let mut value = Vec::with_capacity(4 + entry.extra.len() + entry.leaf.len());
            value.extend_from_slice(&(entry.extra.len() as u32).to_be_bytes());
            value.extend_from_slice(&entry.extra);
            value.extend_from_slice(&entry.leaf);
            wb.put(entry_key(index), value);
            // First index wins: only write the hash index if no earlier entry (durable or
            // earlier in this batch) has the same leaf.
            let earlier_in_batch = leaves[..offset].contains(leaf);
            if !earlier_in_batch
                && self
                    .db
                    .get_pinned(hash_key(leaf))
                    .map_err(backend)?
                    .is_none()
            {
                wb.put(hash_key(leaf), index.to_be_bytes());
            }
            for key in &entry.index_keys {
                let mut k = search_prefix(key);
                k.extend_from_slice(&index.to_be_bytes());
                wb.put(k, []);
            }
        }
        for (level, index, hash) in nodes {
            wb.put(node_key(level, index), hash.as_bytes());
        }
        let new_size = start + batch.len() as u64;
        wb.put(b"s", new_size.to_be_bytes());
        // COMMIT POINT: once this synced write returns, the batch survives any crash. Before
        // it, nothing of the batch is visible on disk or to readers.
        self.db.write_opt(wb, &Self::synced()).map_err(backend)?;
        // Only now do readers see the new entries (keys beyond the old size were invisible to
        // them until here: every read is bounded by `size`).
        *self.size.write().unwrap_or_else(|p| p.into_inner()) = new_size;
        Ok(start)
    }

    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError> {
        if index >= self.size() {
            return Ok(None);
        }
        let Some(v) = self.db.get_pinned(entry_key(index)).map_err(backend)? else {
            return Err(StoreError::Backend(format!(
                "entry {index} missing below tree size"
            )));
        };
        let corrupt = || StoreError::Backend(format!("entry {index} is corrupt"));
        let len = u32::from_be_bytes(
            v.get(..4)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        ) as usize;
        let extra = v.get(4..4 + len).ok_or_else(corrupt)?.to_vec();
        let leaf = v[4 + len..].to_vec();
        Ok(Some(StoredEntry { leaf, extra }))
    }

    fn leaf_index(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        let size = self.size();
        match self.db.get_pinned(hash_key(leaf_hash)).map_err(backend)? {
            Some(v) => {
                let index = u64_of(&v)?;
                Ok((index < size).then_some(index))
            }
            None => Ok(None),
        }
    }

    fn lookup(&self, key: &[u8]) -> Result<Vec<u64>, StoreError> {
        let size = self.size();
        let prefix = search_prefix(key);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator(IteratorMode::From(&prefix, Direction::Forward))
        {
            let (k, _) = item.map_err(backend)?;
            if !k.starts_with(&prefix) || k.len() != prefix.len() + 8 {
                break;
            }
            let index = u64_of(&k[prefix.len()..])?;
            if index < size {
                out.push(index);
            }
        }
        Ok(out)
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut wb = WriteBatch::default();
        wb.put(meta_key(key), value);
        self.db.write_opt(wb, &Self::synced()).map_err(backend)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .db
            .get_pinned(meta_key(key))
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }
}
