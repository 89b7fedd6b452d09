//! The state directory: where the logs, the TUF repository and the trust files live.
//!
//! ```text
//! DIR/stack.json          the seed and settings the state was made with (checked on restart)
//! DIR/generations.json    every key generation (see `generations`)
//! DIR/rekor/<g>/          RocksDB, one per Rekor v1 shard; DIR/rekor/<g>.head its kept head
//! DIR/rekor-v2/0/         RocksDB of the Rekor v2 log; DIR/rekor-v2/0.head
//! DIR/ctlog/<g>/          RocksDB, one per CT log generation; DIR/ctlog/<g>.head
//! DIR/tuf/                the TUF repository, served as plain files
//! DIR/trust/              the trust files clients are pointed at
//! DIR/ready.json          the running stack's URL and admin token, for `sigbox token` & co.
//! ```
//!
//! A `.head` file is the last tree head its log handed out (`tlog::store::head` has the
//! format): a log found shorter than it, or with another root at its size, or gone while it is
//! there, does not open (see [`open_log`]), and `sigbox fsck` checks the same offline.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tlog::store::{Guarded, RocksStore};

use crate::generations::Generations;

/// Where a stack keeps its state.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    epoch: i64,
    /// Present for `--ephemeral`: removed when the stack is dropped.
    _temp: Option<tempfile::TempDir>,
}

/// What the state was made with. A restart with another seed would fork every log and trust
/// root, so it is refused.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Identity {
    seed: String,
    /// When the state was made (Unix seconds, from the stack's clock): the start of every
    /// generation-0 validity period, so CA certificates and trust roots are the same bytes on
    /// every restart.
    epoch: i64,
}

impl StateDir {
    /// A persistent directory (created if missing), bound to `seed`.
    /// `now` (Unix seconds) becomes the state's epoch if the directory is new.
    pub fn open(path: &Path, seed: &str, now: i64) -> anyhow::Result<Self> {
        std::fs::create_dir_all(path)
            .with_context(|| format!("creating state directory {}", path.display()))?;
        let mut dir = Self {
            path: path.to_path_buf(),
            epoch: now,
            _temp: None,
        };
        dir.bind(seed)?;
        Ok(dir)
    }

    /// A temporary directory, removed on drop.
    pub fn ephemeral(seed: &str, now: i64) -> anyhow::Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix("sigbox-")
            .tempdir()
            .context("creating an ephemeral state directory")?;
        let mut dir = Self {
            path: temp.path().to_path_buf(),
            epoch: now,
            _temp: Some(temp),
        };
        dir.bind(seed)?;
        Ok(dir)
    }

    fn bind(&mut self, seed: &str) -> anyhow::Result<()> {
        let file = self.path.join("stack.json");
        let want = Identity {
            seed: seed.to_owned(),
            epoch: self.epoch,
        };
        match std::fs::read(&file) {
            Ok(bytes) => {
                let have: Identity = serde_json::from_slice(&bytes)
                    .with_context(|| format!("reading {}", file.display()))?;
                if have.seed != want.seed {
                    bail!(
                        "state directory {} was made with seed `{}`, not `{seed}`: use another \
                         --state, or remove it",
                        self.path.display(),
                        have.seed
                    );
                }
                self.epoch = have.epoch;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_atomic(&file, &serde_json::to_vec_pretty(&want)?)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When the state was made (Unix seconds).
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// Whether it is removed on exit.
    pub fn is_ephemeral(&self) -> bool {
        self._temp.is_some()
    }
}

/// Writes `bytes` to `path` (creating its directory) through a synced temporary file, a rename
/// and a synced directory, so a reader (or a crash) sees the old file or the new one, never
/// half of one: [`tlog::store::write_atomic`], which the logs' head files use too.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    tlog::store::write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// A transparency log of the state directory, by the name errors and `sigbox fsck` give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogName {
    /// CT log generation `g`, in `DIR/ctlog/<g>`.
    Ctlog(u32),
    /// Rekor v1 shard `g`, in `DIR/rekor/<g>`.
    Rekor(u32),
    /// The Rekor v2 log, in `DIR/rekor-v2/0`.
    RekorV2,
}

impl LogName {
    /// Every log a state with these generations has, in the order `sigbox fsck` checks them.
    pub fn all(gens: &Generations) -> Vec<Self> {
        let count = |n: usize| 0..u32::try_from(n).unwrap_or(u32::MAX);
        count(gens.rekor.len())
            .map(Self::Rekor)
            .chain([Self::RekorV2])
            .chain(count(gens.ctlog.len()).map(Self::Ctlog))
            .collect()
    }

    /// The log's RocksDB directory in the state directory `state`.
    pub fn dir(self, state: &Path) -> PathBuf {
        match self {
            Self::Ctlog(g) => state.join("ctlog").join(g.to_string()),
            Self::Rekor(g) => state.join("rekor").join(g.to_string()),
            Self::RekorV2 => state.join("rekor-v2").join("0"),
        }
    }
}

impl fmt::Display for LogName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ctlog(g) => write!(f, "ct log {g}"),
            Self::Rekor(g) => write!(f, "rekor shard {g}"),
            Self::RekorV2 => f.write_str("rekor v2 log"),
        }
    }
}

/// Opens (or creates) the store of `log` in `dir` as every service runs it (RocksDB, its last
/// tree head kept beside it), refusing one that lost entries since it last
/// handed out a tree head: the error names the log, its directory, the kept and found sizes
/// and the missing entries (`tlog::store::GuardError`).
pub fn open_log(log: LogName, dir: &Path) -> anyhow::Result<Arc<Guarded<RocksStore>>> {
    Ok(Arc::new(Guarded::open(
        &log.to_string(),
        dir,
        RocksStore::open,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_state_made_with_another_seed() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(StateDir::open(tmp.path(), "one", 100).unwrap().epoch(), 100);
        assert_eq!(StateDir::open(tmp.path(), "one", 200).unwrap().epoch(), 100);
        let err = StateDir::open(tmp.path(), "two", 300)
            .unwrap_err()
            .to_string();
        assert!(err.contains("seed `one`"), "{err}");
    }
}
