//! The kept head: the last tree head a log handed out, kept in a file beside its store, so a
//! store that lost entries (a truncated write-ahead log, a removed directory) is caught when it
//! is opened instead of serving a smaller tree than the checkpoints it already signed.
//!
//! # The file
//!
//! `<store dir>.head`: for the log in `rekor/0/`, `rekor/0.head`. It sits outside the store's
//! own directory, so removing that directory or truncating its write-ahead log leaves it.
//! Three lines of text, what a checkpoint or an STH commits to:
//!
//! ```text
//! sigbox tree head v1
//! 150
//! 5b3f...c2 (the root hash of the tree of that size, 64 lowercase hex digits)
//! ```
//!
//! It is replaced with [`write_atomic`] (temporary file, fsync, rename, fsync of the directory).
//!
//! # The guarantee
//!
//! [`Guarded`] wraps a [`LogStore`] and is the one place every log keeps its head:
//!
//! - after an append that grew the tree is durable, and before `append` returns, the head of
//!   the new tree is written; only then do readers see the new size (the guarded
//!   [`tree_size`](LogStore::tree_size) *is* the kept head's size). Every acknowledgement and
//!   every checkpoint or STH is built from what a reader sees, so none is ever handed out
//!   beyond the kept head, and reading an unchanged head writes nothing.
//! - [`Guarded::open`] refuses a store that is shorter than its kept head, whose root at the
//!   kept size differs from the kept root, or whose directory is gone while the head file is
//!   there ([`GuardError`] names the log, its directory, both sizes and the missing range).
//!   `sigbox fsck` runs the same check through [`open_checked`].
//!
//! A crash between the store's commit and the head write leaves the head behind the store:
//! harmless (no one saw the larger tree), and the next open catches the head up.
//!
//! Known limit: a store removed together with its head file (or a state from before kept
//! heads) opens as a new, empty log; nothing is left to compare it with.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Entry, LogStore, NodeReader, StoreError, StoredEntry};
use crate::hash::Hash;
use crate::proof::root_at;

/// The first line of a head file, naming its format.
const MAGIC: &str = "sigbox tree head v1";

/// A tree head: what a checkpoint or an STH commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeHead {
    /// The number of entries.
    pub size: u64,
    /// The root hash of the tree of `size` entries.
    pub root: Hash,
}

impl TreeHead {
    /// The head of `store`'s tree of `size` entries.
    pub fn of(store: &impl NodeReader, size: u64) -> Result<Self, StoreError> {
        Ok(Self {
            size,
            root: root_at(store, size)?,
        })
    }

    /// The file's bytes (see the module docs).
    pub fn encode(&self) -> String {
        format!("{MAGIC}\n{}\n{}\n", self.size, self.root.to_hex())
    }

    /// Parses what [`Self::encode`] wrote, and nothing else.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text
            .strip_suffix('\n')
            .ok_or("no final newline")?
            .split('\n');
        if lines.next() != Some(MAGIC) {
            return Err(format!("first line is not `{MAGIC}`"));
        }
        let size = lines.next().ok_or("no size line")?;
        // Plain decimal only: `parse` alone would take a leading `+`.
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("size {size:?} is not a decimal number"));
        }
        let size = size.parse().map_err(|e| format!("size {size:?}: {e}"))?;
        let root = lines.next().ok_or("no root line")?;
        let hex = root.len() == 64 && root.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let root = hex
            .then(|| Hash::from_hex(root))
            .flatten()
            .ok_or_else(|| format!("root {root:?} is not 64 lowercase hex digits"))?;
        if lines.next().is_some() {
            return Err("more than three lines".into());
        }
        Ok(Self { size, root })
    }
}

/// The file a log's head is kept in, beside its store's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadFile {
    path: PathBuf,
}

impl HeadFile {
    /// `<dir>.head`, beside `dir` (a trailing `/` on `dir` is ignored).
    pub fn beside(dir: &Path) -> Self {
        let mut path = dir.components().as_path().as_os_str().to_owned();
        path.push(".head");
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kept head, or `None` when there is no file (the log never grew, or it predates
    /// kept heads).
    pub fn read(&self) -> Result<Option<TreeHead>, std::io::Error> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => TreeHead::parse(&text).map(Some).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("corrupt: {e}"))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the kept head with `head`, durably.
    pub fn write(&self, head: &TreeHead) -> Result<(), std::io::Error> {
        write_atomic(&self.path, head.encode().as_bytes())
    }
}

/// Writes `bytes` to `path` so that a reader, or a crash at any point, sees the old file or the
/// new one, never part of one, and the new one survives a crash once this returns: a temporary
/// file beside it, fsync, rename over `path`, fsync of the directory (which makes the rename
/// durable).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    // Unique per process and call, so concurrent writers of one file never share a temporary.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Why a guarded log did not open.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The store has fewer entries than its kept head covers.
    #[error(
        "{log} at {dir} has {found} entries but its last signed checkpoint ({head}) covers \
         {kept}: {missing}; restore the directory or remove the state to start over",
        dir = dir.display(),
        head = HeadFile::beside(dir).path.display(),
        missing = missing(*found, *kept),
    )]
    Shorter {
        /// The log's name, e.g. `rekor shard 0`.
        log: String,
        /// The store's directory (the head file is beside it).
        dir: PathBuf,
        /// The kept head's size.
        kept: u64,
        /// The store's size.
        found: u64,
    },
    /// The store's directory is gone, but its head file is there.
    #[error(
        "{log} at {dir} is gone but its last signed checkpoint ({head}) covers {kept}: \
         {missing}; restore the directory or remove the state to start over",
        dir = dir.display(),
        head = HeadFile::beside(dir).path.display(),
        missing = missing(0, *kept),
    )]
    Gone {
        /// The log's name.
        log: String,
        /// The store's directory (the head file is beside it).
        dir: PathBuf,
        /// The kept head's size.
        kept: u64,
    },
    /// The store's tree at the kept size has another root than the kept head.
    #[error(
        "{log} at {dir} has root {found} at size {size} but its last signed checkpoint \
         ({head}) has root {kept}: the log was rewritten or replaced; restore the directory \
         or remove the state to start over",
        dir = dir.display(),
        head = HeadFile::beside(dir).path.display(),
    )]
    RootMismatch {
        /// The log's name.
        log: String,
        /// The store's directory (the head file is beside it).
        dir: PathBuf,
        /// The kept size.
        size: u64,
        /// The kept root.
        kept: Hash,
        /// The store's root at that size.
        found: Hash,
    },
    /// The head file could not be read, or is not one.
    #[error("{log}: reading its last signed checkpoint {head}: {source}", head = head.display())]
    Head {
        /// The log's name.
        log: String,
        /// The head file.
        head: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The store failed (opening, reading, or writing its head).
    #[error("{log} at {dir}: {source}", dir = dir.display())]
    Store {
        /// The log's name.
        log: String,
        /// The store's directory.
        dir: PathBuf,
        /// Why.
        source: StoreError,
    },
}

/// `entries 75..149 are missing` (both ends included), or `entry 149 is missing`.
fn missing(found: u64, kept: u64) -> String {
    match kept - found {
        1 => format!("entry {found} is missing"),
        _ => format!("entries {found}..{} are missing", kept - 1),
    }
}

/// What [`open_checked`] found.
#[derive(Debug)]
pub struct Opened<S> {
    /// The store.
    pub store: S,
    /// The head kept beside it, if any.
    pub kept: Option<TreeHead>,
    /// The store's own head (its whole tree), at or beyond the kept one.
    pub found: TreeHead,
}

/// Opens the store in `dir` with `open` and checks it against the head kept beside it: the
/// checks of [`Guarded::open`], which `sigbox fsck` also runs (with a read-only `open`). `log`
/// names the log in errors. Nothing is written.
pub fn open_checked<S: LogStore>(
    log: &str,
    dir: &Path,
    open: impl FnOnce(&Path) -> Result<S, StoreError>,
) -> Result<Opened<S>, GuardError> {
    let file = HeadFile::beside(dir);
    let kept = file.read().map_err(|source| GuardError::Head {
        log: log.to_owned(),
        head: file.path().to_path_buf(),
        source,
    })?;
    if let Some(k) = kept.filter(|k| k.size > 0) {
        // Checked before `open`, which may create an empty store in its place.
        if !dir.exists() {
            return Err(GuardError::Gone {
                log: log.to_owned(),
                dir: dir.to_path_buf(),
                kept: k.size,
            });
        }
    }
    let store_err = |source| GuardError::Store {
        log: log.to_owned(),
        dir: dir.to_path_buf(),
        source,
    };
    let store = open(dir).map_err(store_err)?;
    let size = store.tree_size().map_err(store_err)?;
    if let Some(k) = kept {
        if size < k.size {
            return Err(GuardError::Shorter {
                log: log.to_owned(),
                dir: dir.to_path_buf(),
                kept: k.size,
                found: size,
            });
        }
        let root = root_at(&store, k.size).map_err(store_err)?;
        if root != k.root {
            return Err(GuardError::RootMismatch {
                log: log.to_owned(),
                dir: dir.to_path_buf(),
                size: k.size,
                kept: k.root,
                found: root,
            });
        }
    }
    let found = TreeHead::of(&store, size).map_err(store_err)?;
    Ok(Opened { store, kept, found })
}

/// A [`LogStore`] that keeps its head beside it (see the module docs): readers see exactly the
/// kept head's tree, and an append returns only once the head of the grown tree is kept.
pub struct Guarded<S> {
    inner: S,
    file: HeadFile,
    /// The kept head's size: the tree size readers see. It moves only after the head file is
    /// durable.
    kept: AtomicU64,
    /// Serialises appends with their head writes.
    appending: Mutex<()>,
}

impl<S> std::fmt::Debug for Guarded<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("head", &self.file.path())
            .field("kept", &self.kept.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

impl<S: LogStore> Guarded<S> {
    /// Opens the store in `dir` with `open`, unless it lost entries (see [`open_checked`]);
    /// a store ahead of its head (a crash after a commit, before the head write, or a state
    /// from before kept heads) has its head caught up first.
    pub fn open(
        log: &str,
        dir: &Path,
        open: impl FnOnce(&Path) -> Result<S, StoreError>,
    ) -> Result<Self, GuardError> {
        let Opened { store, kept, found } = open_checked(log, dir, open)?;
        let guarded = Self {
            inner: store,
            file: HeadFile::beside(dir),
            kept: AtomicU64::new(kept.map_or(0, |k| k.size)),
            appending: Mutex::new(()),
        };
        guarded.keep(found).map_err(|source| GuardError::Store {
            log: log.to_owned(),
            dir: dir.to_path_buf(),
            source,
        })?;
        Ok(guarded)
    }

    /// The head file.
    pub fn head_file(&self) -> &HeadFile {
        &self.file
    }

    fn kept_size(&self) -> u64 {
        self.kept.load(Ordering::Acquire)
    }

    /// Writes `head` if it is larger than the kept one, then lets readers see it.
    fn keep(&self, head: TreeHead) -> Result<(), StoreError> {
        if head.size <= self.kept_size() {
            return Ok(());
        }
        self.file.write(&head).map_err(|e| {
            StoreError::Backend(format!("writing {}: {e}", self.file.path().display()))
        })?;
        self.kept.store(head.size, Ordering::Release);
        Ok(())
    }

    fn within(&self, index: u64) -> bool {
        index < self.kept_size()
    }
}

impl<S: LogStore> NodeReader for Guarded<S> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, StoreError> {
        let size = self.kept_size();
        // Only nodes of the kept tree (the store itself may be ahead of it).
        if index
            .checked_add(1)
            .and_then(|n| n.checked_shl(u32::from(level)))
            .is_none_or(|end| end > size)
        {
            return Err(StoreError::MissingNode { level, index, size });
        }
        self.inner.node(level, index)
    }
}

impl<S: LogStore> LogStore for Guarded<S> {
    fn tree_size(&self) -> Result<u64, StoreError> {
        Ok(self.kept_size())
    }

    fn append(&self, batch: &[Entry]) -> Result<u64, StoreError> {
        let _appending = self.appending.lock().unwrap_or_else(|p| p.into_inner());
        let kept = self.kept_size();
        let size = self.inner.tree_size()?;
        if size != kept {
            // An earlier append committed but failed to keep its head: its entries are
            // durable but were never acknowledged. Keep their head now and refuse this batch,
            // whose caller numbered it from the kept size.
            let head = TreeHead::of(&self.inner, size)?;
            self.keep(head)?;
            return Err(StoreError::Backend(format!(
                "the kept head was {kept} entries behind the log's {size}: caught up, retry"
            )));
        }
        if batch.is_empty() {
            return Ok(kept);
        }
        let start = self.inner.append(batch)?;
        // The batch is durable here (the store's commit point). The head comes next, and only
        // after it does anyone see the batch: from here a crash leaves the head behind the
        // store, which the next open repairs.
        let head = TreeHead::of(&self.inner, start + batch.len() as u64)?;
        self.keep(head)?;
        Ok(start)
    }

    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError> {
        if !self.within(index) {
            return Ok(None);
        }
        self.inner.entry(index)
    }

    fn leaf_index(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        Ok(self
            .inner
            .leaf_index(leaf_hash)?
            .filter(|i| self.within(*i)))
    }

    fn lookup(&self, key: &[u8]) -> Result<Vec<u64>, StoreError> {
        let mut found = self.inner.lookup(key)?;
        found.retain(|i| self.within(*i));
        Ok(found)
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.put_meta(key, value)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.meta(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FaultKind, MemoryStore};

    fn entry(i: u64) -> Entry {
        Entry {
            leaf: format!("leaf {i}").into_bytes(),
            ..Entry::default()
        }
    }

    fn filled(n: u64, tag: &str) -> MemoryStore {
        let store = MemoryStore::new();
        let batch: Vec<Entry> = (0..n)
            .map(|i| Entry {
                leaf: format!("{tag} {i}").into_bytes(),
                ..Entry::default()
            })
            .collect();
        if n > 0 {
            store.append(&batch).unwrap();
        }
        store
    }

    #[test]
    fn head_file_round_trips_and_refuses_anything_else() {
        let head = TreeHead::of(&filled(5, "leaf"), 5).unwrap();
        assert_eq!(TreeHead::parse(&head.encode()).unwrap(), head);
        let text = head.encode();
        for (name, bad) in [
            ("no-final-newline", text.trim_end().to_owned()),
            ("other-magic", text.replace("v1", "v2")),
            ("plus-size", text.replace("\n5\n", "\n+5\n")),
            ("empty-size", text.replace("\n5\n", "\n\n")),
            (
                "upper-hex",
                text.to_uppercase().replace("SIGBOX TREE HEAD V1", MAGIC),
            ),
            (
                "short-root",
                text.replace(&head.root.to_hex(), &head.root.to_hex()[2..]),
            ),
            ("trailing-line", format!("{text}extra\n")),
        ] {
            assert!(TreeHead::parse(&bad).is_err(), "{name} parsed: {bad:?}");
        }
    }

    #[test]
    fn head_file_sits_beside_the_directory() {
        for dir in ["state/rekor/0", "state/rekor/0/"] {
            assert_eq!(
                HeadFile::beside(Path::new(dir)).path(),
                Path::new("state/rekor/0.head")
            );
        }
    }

    #[test]
    fn append_keeps_the_grown_head_before_returning() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("0");
        std::fs::create_dir(&dir).unwrap();
        let log = Guarded::open("test log", &dir, |_| Ok(MemoryStore::new())).unwrap();
        assert_eq!(log.head_file().read().unwrap(), None, "nothing kept for 0");
        assert_eq!(log.append(&[entry(0), entry(1), entry(2)]).unwrap(), 0);
        let kept = log.head_file().read().unwrap().unwrap();
        assert_eq!(kept, TreeHead::of(&log, 3).unwrap());
        assert_eq!(log.tree_size().unwrap(), 3);
    }

    #[test]
    fn open_refuses_a_store_shorter_than_its_head() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("0");
        std::fs::create_dir(&dir).unwrap();
        HeadFile::beside(&dir)
            .write(&TreeHead::of(&filled(150, "leaf"), 150).unwrap())
            .unwrap();
        let err = Guarded::open("rekor shard 0", &dir, |_| Ok(filled(75, "leaf"))).unwrap_err();
        assert!(matches!(
            err,
            GuardError::Shorter {
                kept: 150,
                found: 75,
                ..
            }
        ));
        let msg = err.to_string();
        for needle in [
            "rekor shard 0 at ",
            "has 75 entries",
            "0.head) covers 150",
            "entries 75..149 are missing",
            "restore the directory or remove the state",
        ] {
            assert!(msg.contains(needle), "{needle:?} not in {msg}");
        }
        let one = Guarded::open("log", &dir, |_| Ok(filled(149, "leaf"))).unwrap_err();
        assert!(one.to_string().contains("entry 149 is missing"), "{one}");
    }

    #[test]
    fn open_refuses_another_tree_of_the_same_size() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("0");
        std::fs::create_dir(&dir).unwrap();
        HeadFile::beside(&dir)
            .write(&TreeHead::of(&filled(10, "leaf"), 10).unwrap())
            .unwrap();
        let err = Guarded::open("log", &dir, |_| Ok(filled(12, "other"))).unwrap_err();
        assert!(
            matches!(err, GuardError::RootMismatch { size: 10, .. }),
            "{err}"
        );
        // The same tree, grown: fine, and the head catches up.
        let log = Guarded::open("log", &dir, |_| Ok(filled(12, "leaf"))).unwrap();
        assert_eq!(log.head_file().read().unwrap().unwrap().size, 12);
    }

    #[test]
    fn open_refuses_a_missing_directory_without_creating_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("0");
        HeadFile::beside(&dir)
            .write(&TreeHead::of(&filled(60, "leaf"), 60).unwrap())
            .unwrap();
        let err = Guarded::open("rekor v2 log", &dir, |_| -> Result<MemoryStore, _> {
            panic!("must not open (and so create) the store")
        })
        .unwrap_err();
        assert!(matches!(err, GuardError::Gone { kept: 60, .. }));
        assert!(
            err.to_string().contains("entries 0..59 are missing"),
            "{err}"
        );
    }

    #[test]
    fn open_refuses_a_corrupt_head() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("0");
        std::fs::write(HeadFile::beside(&dir).path(), "sigbox tree head v1\n1\n").unwrap();
        let err = Guarded::open("log", &dir, |_| Ok(MemoryStore::new())).unwrap_err();
        assert!(matches!(err, GuardError::Head { .. }), "{err}");
    }

    /// A batch committed whose head could not be kept is never seen, and the next append
    /// catches the head up before anything lands after it.
    #[test]
    fn a_failed_head_write_hides_the_batch_until_caught_up() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("0");
        std::fs::create_dir(&dir).unwrap();
        let log = Guarded::open("log", &dir, |_| Ok(MemoryStore::new())).unwrap();
        log.append(&[entry(0)]).unwrap();
        // A directory where the file goes: the rename fails.
        let head = log.head_file().path().to_path_buf();
        std::fs::remove_file(&head).unwrap();
        std::fs::create_dir(&head).unwrap();
        assert!(log.append(&[entry(1)]).is_err());
        assert_eq!(log.tree_size().unwrap(), 1, "the batch is not seen");
        assert_eq!(log.entry(1).unwrap(), None);
        assert_eq!(log.leaf_index(&crate::leaf_hash(b"leaf 1")).unwrap(), None);
        assert!(log.node(0, 1).is_err());
        std::fs::remove_dir(&head).unwrap();
        let err = log.append(&[entry(2)]).unwrap_err();
        assert!(err.to_string().contains("caught up"), "{err}");
        assert_eq!(log.tree_size().unwrap(), 2);
        assert_eq!(log.append(&[entry(2)]).unwrap(), 2);
        assert_eq!(log.head_file().read().unwrap().unwrap().size, 3);
    }

    /// The store's own failure after its commit point: the same.
    #[test]
    fn a_failed_commit_that_persisted_is_caught_up() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("0");
        std::fs::create_dir(&dir).unwrap();
        let store = MemoryStore::new();
        store.fail_next_append(FaultKind::FailCommitButPersist);
        let log = Guarded::open("log", &dir, |_| Ok(store)).unwrap();
        assert!(log.append(&[entry(0)]).is_err());
        assert_eq!(log.tree_size().unwrap(), 0);
        assert!(log.append(&[entry(1)]).is_err());
        assert_eq!(log.append(&[entry(1)]).unwrap(), 1);
        assert_eq!(log.head_file().read().unwrap().unwrap().size, 2);
    }

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f"]);
    }
}
