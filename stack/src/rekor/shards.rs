//! Rekor's sharded log, as the public instance runs it: one active shard takes new entries;
//! rotation freezes it and opens a new one (new tree ID and key). Reads reach every shard:
//! global log indexes continue across shards, UUIDs carry their shard's tree ID, and `GET
//! /api/v1/log` lists the frozen shards as `inactiveShards`.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{CreateError, LogEntry, Rekor};
use crate::generations::Set;

/// Every shard, oldest first; the last is active.
#[derive(Debug)]
pub struct Shards(Set<Rekor>);

impl Shards {
    /// The shards opened so far (at least one), oldest first.
    pub fn new(shards: Vec<Arc<Rekor>>) -> Self {
        Self(Set::new(shards))
    }

    /// Every shard, oldest first.
    pub fn all(&self) -> Vec<Arc<Rekor>> {
        self.0.all()
    }

    /// The shard that takes new entries.
    pub fn active(&self) -> Arc<Rekor> {
        self.0.current()
    }

    /// Makes `shard` the active one (the previous one takes no more entries).
    pub fn push(&self, shard: Arc<Rekor>) {
        self.0.push(shard);
    }

    /// The global index the next shard would start at.
    pub fn next_offset(&self) -> u64 {
        let active = self.active();
        active.offset() + active.tree_size()
    }

    /// Appends to the active shard.
    pub async fn create(&self, proposed: Value) -> Result<LogEntry, CreateError> {
        self.active().create(proposed).await
    }

    /// The entry at global index `index`, from whichever shard holds it.
    pub fn entry_by_index(&self, index: u64) -> Result<Option<LogEntry>, String> {
        for shard in self.all() {
            if index >= shard.offset() && index < shard.offset() + shard.tree_size() {
                return shard.entry_by_index(index - shard.offset());
            }
        }
        Ok(None)
    }

    /// The entry with this UUID in any shard.
    pub fn entry_by_uuid(&self, uuid: &str) -> Result<Option<LogEntry>, String> {
        for shard in self.all().iter().rev() {
            if let Some(e) = shard.entry_by_uuid(uuid)? {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    /// UUIDs of entries with this search key, in every shard.
    pub fn lookup(&self, key: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for shard in self.all() {
            out.extend(shard.lookup(key)?);
        }
        Ok(out)
    }

    /// `GET /api/v1/log`: the active shard, with the frozen ones as `inactiveShards`.
    pub fn log_info(&self) -> Result<Value, String> {
        let all = self.all();
        let (active, frozen) = all.split_last().expect("at least one shard");
        let mut info = active.log_info()?;
        let mut inactive = Vec::new();
        for shard in frozen {
            let mut i = shard.log_info()?;
            if let Some(obj) = i.as_object_mut() {
                obj.remove("inactiveShards");
            }
            inactive.push(i);
        }
        info["inactiveShards"] = json!(inactive);
        Ok(info)
    }

    /// The active shard's public key.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.active().public_key_der()
    }

    /// A consistency proof in the active shard.
    pub fn consistency(&self, first: u64, last: u64) -> Result<Value, String> {
        self.active().consistency(first, last)
    }
}
