//! The state directory: where the logs, the TUF repository and the trust files live.
//!
//! ```text
//! DIR/stack.json          the seed and settings the state was made with (checked on restart)
//! DIR/rekor/              RocksDB, one per log shard
//! DIR/ctlog/              RocksDB
//! DIR/tuf/                the TUF repository, served as plain files
//! DIR/trust_config.json   sigstore-python's ClientTrustConfig
//! DIR/ready.json          the running stack's URL and admin token, for `sigbox token` & co.
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

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

/// Writes `bytes` to `path` through a synced temporary file and a rename, so a reader (or a
/// crash) sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
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
