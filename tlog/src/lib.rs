//! The transparency-log core of sigbox.
//!
//! What it is: RFC 6962 Merkle hashing and proofs (building and verifying), C2SP signed notes
//! and tlog checkpoints, C2SP tlog-tiles paths, the [`store::LogStore`] contract with an
//! in-memory store and (feature `rocksdb`) a RocksDB store, [`store::Guarded`], which keeps each
//! log's last tree head beside it and refuses to open a store that lost entries, and a batching
//! [`sequencer::Sequencer`] that makes every acknowledged append durable.
//!
//! What it is not: no HTTP, no async runtime, no Sigstore types. It builds for clients too:
//! without the `rocksdb` feature it has no C++ dependency.
#![warn(missing_docs)]

pub mod check;
pub mod checkpoint;
pub mod hash;
pub mod note;
pub mod proof;
pub mod sequencer;
pub mod store;
pub mod tile;

pub use hash::{Hash, empty_root, leaf_hash, node_hash};
