//! Rekor's sharded log, as the public instance runs it: one active shard takes new entries;
//! rotation freezes it and opens a new one (new tree ID and key). Reads reach every shard:
//! global log indexes continue across shards, UUIDs carry their shard's tree ID, and `GET
//! /api/v1/log` lists the frozen shards as `inactiveShards`.

use std::sync::Arc;

use formats::rekor_v1::{ConsistencyProof, LogEntry, LogEntryAnon, LogInfo, ProposedEntry};

use super::{Error, Rekor};
use crate::faults::{Fault, Faults};
use crate::generations::Set;
use crate::keys::{IMPOSTOR_SEED, KeyRing, Role};

/// Every shard, oldest first; the last is active.
#[derive(Debug)]
pub struct Shards {
    set: Set<Rekor>,
    faults: Arc<Faults>,
    /// Appends hold it shared from choosing the active shard until their entry is durable; a
    /// rotation holds it exclusively from reading the active shard's final size (the next
    /// shard's offset) until the next shard is active. So no append lands in a shard after
    /// the offset that follows it was fixed, and global indexes never repeat.
    gate: tokio::sync::RwLock<()>,
}

impl Shards {
    /// The shards opened so far (at least one), oldest first.
    pub fn new(shards: Vec<Arc<Rekor>>, faults: Arc<Faults>) -> Self {
        Self {
            set: Set::new(shards),
            faults,
            gate: tokio::sync::RwLock::new(()),
        }
    }

    /// Every shard, oldest first.
    pub fn all(&self) -> Vec<Arc<Rekor>> {
        self.set.all()
    }

    /// The shard that takes new entries.
    pub fn active(&self) -> Arc<Rekor> {
        self.set.current()
    }

    /// Makes `shard` the active one (the previous one takes no more entries).
    pub fn push(&self, shard: Arc<Rekor>) {
        self.set.push(shard);
    }

    /// Waits for the appends in flight and holds new ones back until the guard drops: what a
    /// rotation needs between [`Self::next_offset`] and [`Self::push`]. Blocks the calling
    /// thread; on a current-thread runtime, where waiting would stop the appends it waits
    /// for, it refuses instead when an append is in flight.
    pub fn exclusive(&self) -> anyhow::Result<tokio::sync::RwLockWriteGuard<'_, ()>> {
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current() {
            Err(_) => Ok(self.gate.blocking_write()),
            Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
                Ok(tokio::task::block_in_place(|| self.gate.blocking_write()))
            }
            Ok(_) => self.gate.try_write().map_err(|_| {
                anyhow::anyhow!(
                    "Rekor has appends in flight: rotate it from a blocking thread, not from a \
                     current-thread runtime"
                )
            }),
        }
    }

    /// The global index the next shard would start at. A failed read fails the rotation
    /// rather than give an offset that would repeat global log indexes.
    pub fn next_offset(&self) -> Result<u64, Error> {
        let active = self.active();
        Ok(active.offset() + active.tree_size()?)
    }

    /// Appends to the active shard. An armed Rekor fault doctors the answer (the log itself
    /// stays honest).
    pub async fn create(&self, proposed: ProposedEntry) -> Result<LogEntry, Error> {
        let _open = self.gate.read().await;
        let shard = self.active();
        let mut entry = shard.create(proposed).await?;
        let global = entry.entry.log_index;
        if global > 0 && self.faults.take(Fault::RekorOtherArtifact) {
            // A real, verifiable entry: the one before, for another artifact.
            if let Ok(Some(other)) = self.entry_by_index(global - 1) {
                entry = other;
            }
        }
        self.doctor(&shard, &mut entry.entry);
        Ok(entry)
    }

    /// Applies the armed faults to an honest answer: each one lies in one place and keeps the
    /// rest valid.
    fn doctor(&self, shard: &Rekor, e: &mut LogEntryAnon) {
        let faults = &self.faults;
        let global = e.log_index;
        if faults.take(Fault::RekorWrongProof) {
            // A path with a stranger's hash in it: it no longer leads to the root.
            let hashes = &mut e.verification.inclusion_proof.hashes;
            let stranger = tlog::leaf_hash(b"another leaf").0;
            match hashes.first_mut() {
                Some(h) => *h = stranger,
                None => hashes.push(stranger),
            }
        }
        if faults.take(Fault::RekorSplitView) {
            let proof = &e.verification.inclusion_proof;
            match shard.forked_view(proof.log_index, proof.tree_size) {
                Ok(forked) => e.verification.inclusion_proof = forked,
                Err(e) => tracing::error!(error = %e, "building the split view"),
            }
        }
        let proof = &mut e.verification.inclusion_proof;
        let (size, root) = (proof.tree_size, tlog::Hash(proof.root_hash));
        if faults.take(Fault::RekorCheckpointWrongKey) {
            let impostor = KeyRing::new(IMPOSTOR_SEED).signing_key(Role::Rekor, 0);
            proof.checkpoint = shard.forged_checkpoint(size, &root, None, Some(impostor));
        }
        if faults.take(Fault::RekorCheckpointWrongOrigin) {
            proof.checkpoint =
                shard.forged_checkpoint(size, &root, Some("impostor.example - 1"), None);
        }
        if faults.take(Fault::RekorSetOverOtherBytes) {
            e.verification.signed_entry_timestamp =
                shard.sign_set(b"{\"other\":\"bytes\"}", e.integrated_time, global);
        }
        if faults.take(Fault::RekorIntegratedTimeOutside) {
            // An hour earlier, before the certificate existed, under a valid SET: only the
            // certificate-validity check at the integrated time catches it.
            e.integrated_time -= 3600;
            e.verification.signed_entry_timestamp =
                shard.sign_set(&e.body, e.integrated_time, global);
        }
    }

    /// The entry at global index `index`, from whichever shard holds it.
    pub fn entry_by_index(&self, index: u64) -> Result<Option<LogEntry>, Error> {
        for shard in self.all() {
            if index >= shard.offset() && index < shard.offset() + shard.tree_size()? {
                return shard.entry_by_index(index - shard.offset());
            }
        }
        Ok(None)
    }

    /// The entry with this UUID in any shard.
    pub fn entry_by_uuid(&self, uuid: &str) -> Result<Option<LogEntry>, Error> {
        for shard in self.all().iter().rev() {
            if let Some(e) = shard.entry_by_uuid(uuid)? {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    /// UUIDs of entries with this search key, in every shard.
    pub fn lookup(&self, key: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for shard in self.all() {
            out.extend(shard.lookup(key)?);
        }
        Ok(out)
    }

    /// `GET /api/v1/log`: the active shard, with the frozen ones as `inactiveShards`.
    pub fn log_info(&self) -> Result<LogInfo, Error> {
        let all = self.all();
        let (active, frozen) = all.split_last().expect("at least one shard");
        let inactive = frozen
            .iter()
            .map(|s| s.head())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LogInfo::active(active.head()?, inactive))
    }

    /// The active shard's public key.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.active().public_key_der()
    }

    /// A consistency proof in the shard with `tree_id`, by default the active one.
    pub fn consistency(
        &self,
        first: u64,
        last: u64,
        tree_id: Option<u64>,
    ) -> Result<ConsistencyProof, Error> {
        let shard = match tree_id {
            None => self.active(),
            Some(tree_id) => self
                .all()
                .into_iter()
                .find(|s| s.tree_id() == tree_id)
                .ok_or(Error::UnknownTree { tree_id })?,
        };
        shard.consistency(first, last)
    }
}
