//! The TUF repository: root, targets, snapshot and timestamp metadata (TUF specification 1.0,
//! §4), signed with [`P256Signer`]s, with consistent snapshots, written as plain files.
//!
//! Layout of `dir` (TUF spec §4.4 and §5 with `consistent_snapshot: true`):
//! - `N.root.json` for every root version, and `root.json` (a copy of the newest);
//! - `N.targets.json`, `N.snapshot.json` for every version published, with `targets.json` and
//!   `snapshot.json` copies of the newest (for people; clients fetch the versioned names);
//! - `timestamp.json` (clients always fetch it unversioned);
//! - `targets/<sha256 hex>.<name>` for every target published.
//!
//! The metadata objects are tough's schema types and key IDs are tough's; the bytes are ours:
//! tough's `RepositoryEditor` writes `serde_json::to_vec_pretty` of structs holding `HashMap`s,
//! so key order (and the snapshot/timestamp hashes over those bytes) changes from run to run.
//! Here every file is the canonical JSON (olpc-cjson, sorted keys) re-printed with indentation,
//! and signatures are sorted by key ID, so the same keys, targets and clock give the same bytes.
//!
//! Every role has threshold = its number of keys, and every key of a role signs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use olpc_cjson::CanonicalFormatter;
use p256::ecdsa::SigningKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tough::TargetName;
use tough::schema::{
    Hashes, Metafile, Role, RoleKeys as TufRoleKeys, RoleType, Root, Signature, Signed, Snapshot,
    Target, Targets, Timestamp,
};

use crate::signer::{KeyIds, P256Signer};

/// A target's `custom` metadata (TUF spec §4.5: opaque to TUF, handed to the client), keyed
/// by target name; a target not named has none.
pub type Custom = BTreeMap<String, serde_json::Map<String, serde_json::Value>>;

/// What a published target is: SHA-256 (hex), length and `custom` metadata.
type Published = (String, u64, serde_json::Map<String, serde_json::Value>);

/// The TUF specification version written into every role.
pub const SPEC_VERSION: &str = "1.0.31";

/// Errors of the repository. Nothing is left half-written on a signing or input error: all
/// metadata is built and checked before the first file is written.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An existing metadata file is not what this crate wrote.
    #[error("{path}: not valid TUF metadata: {message}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A role was given no key.
    #[error("role {role} has no signing key")]
    NoKeys {
        /// The role.
        role: &'static str,
    },
    /// The keys given for an existing repository are not the ones its newest root lists.
    #[error("role {role}: root.json lists key IDs {expected:?}, the keys given have {found:?}")]
    KeyMismatch {
        /// The role.
        role: &'static str,
        /// Key IDs in the repository's root.
        expected: Vec<String>,
        /// Key IDs of the keys given.
        found: Vec<String>,
    },
    /// A target name that is not a plain relative file name (TUF spec §4.5 TARGETPATH).
    #[error("target name {name:?} is not a plain file name")]
    TargetName {
        /// The rejected name.
        name: String,
    },
    /// A role's metadata would stay valid for no time, or for longer than [`Expiry::MAX_DAYS`].
    #[error(
        "{role}.json would stay valid for {days} days: give 1 to {max} days",
        max = Expiry::MAX_DAYS
    )]
    Lifetime {
        /// The role.
        role: &'static str,
        /// The span asked for, in whole days.
        days: i64,
    },
    /// The same target name was given twice.
    #[error("target {name:?} given twice")]
    DuplicateTarget {
        /// The name.
        name: String,
    },
    /// `custom` metadata was given for a target that is not published.
    #[error("custom metadata for {name:?}, which is not among the targets")]
    CustomWithoutTarget {
        /// The name.
        name: String,
    },
    /// Our own freshly signed metadata did not verify (a bug, never expected).
    #[error("{role} metadata does not verify against the root: {message}")]
    SelfCheck {
        /// The role.
        role: &'static str,
        /// tough's complaint.
        message: String,
    },
}

/// The signing keys of the four top-level roles. Every key of a role signs; threshold = count.
#[derive(Clone)]
pub struct RoleKeys {
    /// Root keys.
    pub root: Vec<SigningKey>,
    /// Targets keys.
    pub targets: Vec<SigningKey>,
    /// Snapshot keys.
    pub snapshot: Vec<SigningKey>,
    /// Timestamp keys.
    pub timestamp: Vec<SigningKey>,
    /// How the root keys' IDs are computed (the other roles' are always strict).
    pub root_key_ids: KeyIds,
}

impl fmt::Debug for RoleKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleKeys")
            .field("root", &self.root.len())
            .field("targets", &self.targets.len())
            .field("snapshot", &self.snapshot.len())
            .field("timestamp", &self.timestamp.len())
            .field("root_key_ids", &self.root_key_ids)
            .finish()
    }
}

/// How long each role's metadata stays valid after it is signed.
///
/// Defaults follow the cadence of Sigstore's public-good root-signing repository (root ≈ a year
/// between ceremonies, targets half a year, snapshot three weeks, timestamp a week). Clients
/// check `expires` against *their* clock: a stack whose clock is frozen in the past must pick
/// expiries that reach past the real "now" of its clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry {
    /// root.json: 365 days.
    pub root: Duration,
    /// targets.json: 182 days.
    pub targets: Duration,
    /// snapshot.json: 21 days.
    pub snapshot: Duration,
    /// timestamp.json: 7 days.
    pub timestamp: Duration,
}

impl Expiry {
    /// The longest a role may stay valid: a century, so that an expiry computed from any
    /// instant the stack's clock may show still has a year TUF's timestamps can write.
    pub const MAX_DAYS: i64 = 36_500;

    /// Each role's span is a day or more and at most [`Expiry::MAX_DAYS`].
    pub fn check(&self) -> Result<(), RepoError> {
        for (role, span) in [
            ("root", self.root),
            ("targets", self.targets),
            ("snapshot", self.snapshot),
            ("timestamp", self.timestamp),
        ] {
            if span < Duration::days(1) || span > Duration::days(Self::MAX_DAYS) {
                return Err(RepoError::Lifetime {
                    role,
                    days: span.whole_days(),
                });
            }
        }
        Ok(())
    }
}

impl Default for Expiry {
    fn default() -> Self {
        Self {
            root: Duration::days(365),
            targets: Duration::days(182),
            snapshot: Duration::days(21),
            timestamp: Duration::days(7),
        }
    }
}

struct Signers {
    root: Vec<P256Signer>,
    targets: Vec<P256Signer>,
    snapshot: Vec<P256Signer>,
    timestamp: Vec<P256Signer>,
}

impl Signers {
    fn new(keys: RoleKeys) -> Result<Self, RepoError> {
        let wrap = |role: &'static str, keys: Vec<SigningKey>| {
            if keys.is_empty() {
                return Err(RepoError::NoKeys { role });
            }
            Ok(keys.into_iter().map(P256Signer::new).collect::<Vec<_>>())
        };
        if keys.root.is_empty() {
            return Err(RepoError::NoKeys { role: "root" });
        }
        let ids = keys.root_key_ids;
        Ok(Self {
            root: keys
                .root
                .into_iter()
                .map(|k| P256Signer::with_key_ids(k, ids))
                .collect(),
            targets: wrap("targets", keys.targets)?,
            snapshot: wrap("snapshot", keys.snapshot)?,
            timestamp: wrap("timestamp", keys.timestamp)?,
        })
    }

    fn roles(&self) -> [(RoleType, &'static str, &[P256Signer]); 4] {
        [
            (RoleType::Root, "root", &self.root),
            (RoleType::Targets, "targets", &self.targets),
            (RoleType::Snapshot, "snapshot", &self.snapshot),
            (RoleType::Timestamp, "timestamp", &self.timestamp),
        ]
    }
}

/// One signed metadata file: the object and the exact bytes written.
struct File<T> {
    signed: Signed<T>,
    bytes: Vec<u8>,
}

impl<T> File<T> {
    fn metafile(&self, version: NonZeroU64) -> Metafile {
        Metafile {
            length: Some(self.bytes.len() as u64),
            hashes: Some(hashes(&self.bytes)),
            version,
            _extra: HashMap::new(),
        }
    }
}

/// A TUF repository on disk, kept in step with the files it wrote.
pub struct Repository {
    dir: PathBuf,
    signers: Signers,
    expiry: Expiry,
    first_root: Vec<u8>,
    root: File<Root>,
    targets: File<Targets>,
    snapshot: File<Snapshot>,
    timestamp: File<Timestamp>,
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("dir", &self.dir)
            .field("root", &self.root.signed.signed.version)
            .field("targets", &self.targets.signed.signed.version)
            .field("snapshot", &self.snapshot.signed.signed.version)
            .field("timestamp", &self.timestamp.signed.signed.version)
            .finish_non_exhaustive()
    }
}

impl Repository {
    /// Creates the repository in `dir` (root version 1 and targets/snapshot/timestamp version 1
    /// holding `targets`), or, when `dir/root.json` exists, loads it and continues: the keys must
    /// be the ones its newest root lists, and if `targets` differ from the published set a new
    /// targets/snapshot/timestamp version is published.
    pub fn create(
        dir: &Path,
        keys: RoleKeys,
        expiry: Expiry,
        now: OffsetDateTime,
        targets: &[(&str, &[u8])],
    ) -> Result<Self, RepoError> {
        Self::create_with_custom(dir, keys, expiry, now, targets, &Custom::new())
    }

    /// [`Repository::create`], the targets carrying `custom` metadata (a change of it alone
    /// publishes a new version too).
    pub fn create_with_custom(
        dir: &Path,
        keys: RoleKeys,
        expiry: Expiry,
        now: OffsetDateTime,
        targets: &[(&str, &[u8])],
        custom: &Custom,
    ) -> Result<Self, RepoError> {
        expiry.check()?;
        let signers = Signers::new(keys)?;
        let wanted = wanted_targets(targets, custom)?;
        if dir.join("root.json").exists() {
            let mut repo = Self::load(dir, signers, expiry)?;
            if repo.published_targets() != wanted {
                repo.publish_targets_with_custom(now, targets, custom)?;
            }
            return Ok(repo);
        }
        let one = NonZeroU64::MIN;
        let root = build_root(&signers, one, tuf_time(now + expiry.root));
        let root = sign(root, &signers.root.iter().collect::<Vec<_>>())?;
        check(&root.signed.signed, &root.signed, "root")?;
        let (targets_file, snapshot, timestamp) = build_top(
            &signers,
            &root.signed.signed,
            &expiry,
            now,
            &wanted,
            [one; 3],
        )?;
        let repo = Self {
            dir: dir.to_path_buf(),
            signers,
            expiry,
            first_root: root.bytes.clone(),
            root,
            targets: targets_file,
            snapshot,
            timestamp,
        };
        repo.write_root()?;
        repo.write_top(targets)?;
        Ok(repo)
    }

    /// Publishes `targets` as the new complete target set: targets, snapshot and timestamp each
    /// get a new version. Target files already published stay on disk (consistent snapshots).
    pub fn publish_targets(
        &mut self,
        now: OffsetDateTime,
        targets: &[(&str, &[u8])],
    ) -> Result<(), RepoError> {
        self.publish_targets_with_custom(now, targets, &Custom::new())
    }

    /// [`Repository::publish_targets`], the targets carrying `custom` metadata.
    pub fn publish_targets_with_custom(
        &mut self,
        now: OffsetDateTime,
        targets: &[(&str, &[u8])],
        custom: &Custom,
    ) -> Result<(), RepoError> {
        let wanted = wanted_targets(targets, custom)?;
        let versions = [
            next(self.targets.signed.signed.version),
            next(self.snapshot.signed.signed.version),
            next(self.timestamp.signed.signed.version),
        ];
        let (t, s, ts) = build_top(
            &self.signers,
            &self.root.signed.signed,
            &self.expiry,
            now,
            &wanted,
            versions,
        )?;
        self.targets = t;
        self.snapshot = s;
        self.timestamp = ts;
        self.write_top(targets)
    }

    /// Signs a new `timestamp.json` (next version, new expiry) over the current snapshot.
    pub fn refresh_timestamp(&mut self, now: OffsetDateTime) -> Result<(), RepoError> {
        let ts = build_timestamp(
            &self.signers,
            &self.root.signed.signed,
            &self.snapshot,
            next(self.timestamp.signed.signed.version),
            tuf_time(now + self.expiry.timestamp),
        )?;
        write_atomic(&self.dir.join("timestamp.json"), &ts.bytes)?;
        self.timestamp = ts;
        Ok(())
    }

    /// When the first of targets, snapshot and timestamp expires.
    pub fn earliest_expiry(&self) -> OffsetDateTime {
        let secs = [
            self.targets.signed.signed.expires,
            self.snapshot.signed.signed.expires,
            self.timestamp.signed.signed.expires,
        ]
        .into_iter()
        .map(|t| t.as_second())
        .min()
        .unwrap_or_default();
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// A `timestamp.json` that expired at `expired_at`, signed like the real one but neither
    /// written nor remembered: what a repository frozen in time would serve (for tests of a
    /// client's freeze-attack check).
    pub fn expired_timestamp(&self, expired_at: OffsetDateTime) -> Result<Vec<u8>, RepoError> {
        Ok(build_timestamp(
            &self.signers,
            &self.root.signed.signed,
            &self.snapshot,
            self.timestamp.signed.signed.version,
            tuf_time(expired_at),
        )?
        .bytes)
    }

    /// Replaces the root keys: writes `N+1.root.json` (and `root.json`), signed by every old and
    /// every new root key, so a client holding version N accepts it (TUF spec §5.3.4, §5.3.5).
    pub fn rotate_root(
        &mut self,
        now: OffsetDateTime,
        new_root_keys: Vec<SigningKey>,
    ) -> Result<(), RepoError> {
        self.rotate_root_with(now, new_root_keys, KeyIds::Strict)
    }

    /// [`Self::rotate_root`], the new root keys' IDs computed the `ids` way.
    pub fn rotate_root_with(
        &mut self,
        now: OffsetDateTime,
        new_root_keys: Vec<SigningKey>,
        ids: KeyIds,
    ) -> Result<(), RepoError> {
        let keys = RoleKeys {
            root: new_root_keys,
            root_key_ids: ids,
            targets: self
                .signers
                .targets
                .iter()
                .map(|s| s.signing_key().clone())
                .collect(),
            snapshot: self
                .signers
                .snapshot
                .iter()
                .map(|s| s.signing_key().clone())
                .collect(),
            timestamp: self
                .signers
                .timestamp
                .iter()
                .map(|s| s.signing_key().clone())
                .collect(),
        };
        self.rotate_keys(now, keys)
    }

    /// Replaces any of the four roles' keys through a new root version signed by the old and the
    /// new root keys. When targets, snapshot or timestamp keys change, those roles are re-signed
    /// with the new keys in new versions, since a client that sees their keys change drops its
    /// trusted copies (TUF spec §5.3.11).
    pub fn rotate_keys(&mut self, now: OffsetDateTime, keys: RoleKeys) -> Result<(), RepoError> {
        let new = Signers::new(keys)?;
        let version = next(self.root.signed.signed.version);
        let root = build_root(&new, version, tuf_time(now + self.expiry.root));
        let mut by_id: BTreeMap<String, &P256Signer> = BTreeMap::new();
        for s in self.signers.root.iter().chain(&new.root) {
            by_id.insert(s.key_id_hex(), s);
        }
        let root = sign(root, &by_id.into_values().collect::<Vec<_>>())?;
        // The new root must satisfy the old root's threshold and its own (§5.3.4).
        check(&self.root.signed.signed, &root.signed, "root")?;
        check(&root.signed.signed, &root.signed, "root")?;
        let others_changed = key_ids(&new.targets) != key_ids(&self.signers.targets)
            || key_ids(&new.snapshot) != key_ids(&self.signers.snapshot)
            || key_ids(&new.timestamp) != key_ids(&self.signers.timestamp);
        self.root = root;
        self.signers = new;
        self.write_root()?;
        if others_changed {
            let current: Vec<(String, Vec<u8>)> = self.read_published_targets()?;
            let borrowed: Vec<(&str, &[u8])> = current
                .iter()
                .map(|(n, b)| (n.as_str(), b.as_slice()))
                .collect();
            let custom: Custom = self
                .published_targets()
                .into_iter()
                .filter(|(_, (_, _, c))| !c.is_empty())
                .map(|(name, (_, _, c))| (name, c))
                .collect();
            self.publish_targets_with_custom(now, &borrowed, &custom)?;
        }
        Ok(())
    }

    /// `1.root.json`: the root clients are given to start from (`sigstore trust-instance`).
    pub fn root_json(&self) -> Vec<u8> {
        self.first_root.clone()
    }

    /// The newest root's bytes (`root.json`).
    pub fn latest_root_json(&self) -> &[u8] {
        &self.root.bytes
    }

    /// The directory holding the repository.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Current versions of root, targets, snapshot and timestamp.
    pub fn versions(&self) -> [u64; 4] {
        [
            self.root.signed.signed.version.get(),
            self.targets.signed.signed.version.get(),
            self.snapshot.signed.signed.version.get(),
            self.timestamp.signed.signed.version.get(),
        ]
    }

    /// Path of a published target's file (`targets/<sha256>.<name>`), if `name` is published.
    pub fn target_path(&self, name: &str) -> Option<PathBuf> {
        self.published_targets()
            .get(name)
            .map(|(sha, _, _)| self.dir.join("targets").join(format!("{sha}.{name}")))
    }

    /// Names, SHA-256 (hex), lengths and `custom` of the targets in the current targets.json.
    fn published_targets(&self) -> BTreeMap<String, Published> {
        self.targets
            .signed
            .signed
            .targets
            .iter()
            .map(|(name, t)| {
                (
                    name.raw().to_owned(),
                    (
                        hex::encode(&*t.hashes.sha256),
                        t.length,
                        t.custom.clone().into_iter().collect(),
                    ),
                )
            })
            .collect()
    }

    fn read_published_targets(&self) -> Result<Vec<(String, Vec<u8>)>, RepoError> {
        let mut out = Vec::new();
        for name in self.published_targets().keys() {
            // Every name in published_targets has a path.
            let path = self.target_path(name).expect("published name");
            out.push((name.clone(), read(&path)?));
        }
        Ok(out)
    }

    fn load(dir: &Path, signers: Signers, expiry: Expiry) -> Result<Self, RepoError> {
        let root = load_root(&dir.join("root.json"))?;
        for (role, name, given) in signers.roles() {
            let expected: BTreeSet<String> = root
                .signed
                .signed
                .roles
                .get(&role)
                .map(|r| r.keyids.iter().map(|k| hex::encode(&**k)).collect())
                .unwrap_or_default();
            let found = key_ids(given);
            if expected != found {
                return Err(RepoError::KeyMismatch {
                    role: name,
                    expected: expected.into_iter().collect(),
                    found: found.into_iter().collect(),
                });
            }
        }
        let first_root = read(&dir.join("1.root.json"))?;
        let timestamp: File<Timestamp> = load_file(&dir.join("timestamp.json"))?;
        let meta_version = |meta: &HashMap<String, Metafile>, key: &str, path: &Path| {
            meta.get(key)
                .map(|m| m.version)
                .ok_or_else(|| RepoError::Metadata {
                    path: path.to_path_buf(),
                    message: format!("no {key} in meta"),
                })
        };
        let sv = meta_version(
            &timestamp.signed.signed.meta,
            "snapshot.json",
            &dir.join("timestamp.json"),
        )?;
        let snapshot_path = dir.join(format!("{sv}.snapshot.json"));
        let snapshot: File<Snapshot> = load_file(&snapshot_path)?;
        let tv = meta_version(&snapshot.signed.signed.meta, "targets.json", &snapshot_path)?;
        let targets: File<Targets> = load_file(&dir.join(format!("{tv}.targets.json")))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            signers,
            expiry,
            first_root,
            root,
            targets,
            snapshot,
            timestamp,
        })
    }

    fn write_root(&self) -> Result<(), RepoError> {
        create_dir(&self.dir)?;
        let v = self.root.signed.signed.version;
        write_atomic(&self.dir.join(format!("{v}.root.json")), &self.root.bytes)?;
        write_atomic(&self.dir.join("root.json"), &self.root.bytes)
    }

    /// Writes target files, then targets and snapshot, then timestamp.json last: until the
    /// timestamp is replaced (the commit point) clients see the previous complete version.
    fn write_top(&self, targets: &[(&str, &[u8])]) -> Result<(), RepoError> {
        let tdir = self.dir.join("targets");
        create_dir(&tdir)?;
        for (name, bytes) in targets {
            let sha = hex::encode(Sha256::digest(bytes));
            write_atomic(&tdir.join(format!("{sha}.{name}")), bytes)?;
        }
        let tv = self.targets.signed.signed.version;
        write_atomic(
            &self.dir.join(format!("{tv}.targets.json")),
            &self.targets.bytes,
        )?;
        write_atomic(&self.dir.join("targets.json"), &self.targets.bytes)?;
        let sv = self.snapshot.signed.signed.version;
        write_atomic(
            &self.dir.join(format!("{sv}.snapshot.json")),
            &self.snapshot.bytes,
        )?;
        write_atomic(&self.dir.join("snapshot.json"), &self.snapshot.bytes)?;
        write_atomic(&self.dir.join("timestamp.json"), &self.timestamp.bytes)
    }
}

/// The targets the caller asked for, as name -> (sha256 hex, length, custom), with names
/// checked; `custom` may name only those targets.
fn wanted_targets(
    targets: &[(&str, &[u8])],
    custom: &Custom,
) -> Result<BTreeMap<String, Published>, RepoError> {
    if let Some(name) = custom.keys().find(|n| !targets.iter().any(|(t, _)| t == n)) {
        return Err(RepoError::CustomWithoutTarget { name: name.clone() });
    }
    let mut out = BTreeMap::new();
    for (name, bytes) in targets {
        // Plain file names only: they become `targets/<sha>.<name>` on disk and in URLs.
        let plain = !name.is_empty()
            && *name != "."
            && *name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !plain {
            return Err(RepoError::TargetName {
                name: (*name).to_owned(),
            });
        }
        let entry = (
            hex::encode(Sha256::digest(bytes)),
            bytes.len() as u64,
            custom.get(*name).cloned().unwrap_or_default(),
        );
        if out.insert((*name).to_owned(), entry).is_some() {
            return Err(RepoError::DuplicateTarget {
                name: (*name).to_owned(),
            });
        }
    }
    Ok(out)
}

fn next(v: NonZeroU64) -> NonZeroU64 {
    v.saturating_add(1)
}

fn key_ids(signers: &[P256Signer]) -> BTreeSet<String> {
    signers.iter().map(P256Signer::key_id_hex).collect()
}

/// TUF `expires` has whole seconds (python-tuf parses `%Y-%m-%dT%H:%M:%SZ`).
fn tuf_time(t: OffsetDateTime) -> jiff::Timestamp {
    // Any OffsetDateTime's whole-second Unix time is within jiff's range (years -9999..=9999).
    jiff::Timestamp::from_second(t.unix_timestamp()).expect("time within jiff's range")
}

fn hashes(bytes: &[u8]) -> Hashes {
    Hashes {
        sha256: Sha256::digest(bytes).to_vec().into(),
        _extra: HashMap::new(),
    }
}

fn build_root(signers: &Signers, version: NonZeroU64, expires: jiff::Timestamp) -> Root {
    let mut keys = HashMap::new();
    let mut roles = HashMap::new();
    for (role, _, list) in signers.roles() {
        let mut ids: Vec<_> = list.iter().map(|s| s.key_id().clone()).collect();
        ids.sort_by_key(|k| hex::encode(&**k));
        ids.dedup();
        for s in list {
            keys.insert(s.key_id().clone(), s.tuf_key().clone());
        }
        let threshold = NonZeroU64::new(ids.len() as u64).unwrap_or(NonZeroU64::MIN);
        roles.insert(
            role,
            TufRoleKeys {
                keyids: ids,
                threshold,
                _extra: HashMap::new(),
            },
        );
    }
    Root {
        spec_version: SPEC_VERSION.to_owned(),
        consistent_snapshot: true,
        version,
        expires,
        keys,
        roles,
        _extra: HashMap::new(),
    }
}

type Top = (File<Targets>, File<Snapshot>, File<Timestamp>);

fn build_top(
    signers: &Signers,
    root: &Root,
    expiry: &Expiry,
    now: OffsetDateTime,
    wanted: &BTreeMap<String, Published>,
    [tv, sv, tsv]: [NonZeroU64; 3],
) -> Result<Top, RepoError> {
    let mut targets = Targets::new(SPEC_VERSION.to_owned(), tv, tuf_time(now + expiry.targets));
    targets.delegations = None;
    for (name, (sha, length, custom)) in wanted {
        // `wanted` holds only names wanted_targets checked, and hex it wrote.
        let target_name = TargetName::new(name.as_str())
            .map_err(|_| RepoError::TargetName { name: name.clone() })?;
        let sha: Vec<u8> = hex::decode(sha).expect("our own hex");
        targets.targets.insert(
            target_name,
            Target {
                length: *length,
                hashes: Hashes {
                    sha256: sha.into(),
                    _extra: HashMap::new(),
                },
                custom: custom.clone().into_iter().collect(),
                _extra: HashMap::new(),
            },
        );
    }
    let targets = sign(targets, &signers.targets.iter().collect::<Vec<_>>())?;
    check(root, &targets.signed, "targets")?;

    let mut snapshot = Snapshot::new(SPEC_VERSION.to_owned(), sv, tuf_time(now + expiry.snapshot));
    snapshot
        .meta
        .insert("targets.json".to_owned(), targets.metafile(tv));
    let snapshot = sign(snapshot, &signers.snapshot.iter().collect::<Vec<_>>())?;
    check(root, &snapshot.signed, "snapshot")?;

    let timestamp = build_timestamp(
        signers,
        root,
        &snapshot,
        tsv,
        tuf_time(now + expiry.timestamp),
    )?;
    Ok((targets, snapshot, timestamp))
}

fn build_timestamp(
    signers: &Signers,
    root: &Root,
    snapshot: &File<Snapshot>,
    version: NonZeroU64,
    expires: jiff::Timestamp,
) -> Result<File<Timestamp>, RepoError> {
    let mut ts = Timestamp::new(SPEC_VERSION.to_owned(), version, expires);
    ts.meta.insert(
        "snapshot.json".to_owned(),
        snapshot.metafile(snapshot.signed.signed.version),
    );
    let ts = sign(ts, &signers.timestamp.iter().collect::<Vec<_>>())?;
    check(root, &ts.signed, "timestamp")?;
    Ok(ts)
}

/// Canonical JSON (olpc-cjson, as TUF spec §4.2 and tough use) of a role.
fn canonical<T: Serialize>(role: &T) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, CanonicalFormatter::new());
    // tough's schema types hold strings, numbers, maps and vectors: serialising cannot fail.
    role.serialize(&mut ser)
        .expect("TUF metadata always serialises");
    buf
}

/// Signs `role` with every signer (signatures sorted by key ID) and renders the file bytes:
/// canonical JSON, re-printed with two-space indentation and a trailing newline.
fn sign<T: Serialize + DeserializeOwned>(
    role: T,
    signers: &[&P256Signer],
) -> Result<File<T>, RepoError> {
    let msg = canonical(&role);
    let mut signatures: Vec<Signature> = signers
        .iter()
        .map(|s| Signature {
            keyid: s.key_id().clone(),
            sig: s.sign_der(&msg).into(),
        })
        .collect();
    signatures.sort_by_key(|s| hex::encode(&*s.keyid));
    let signed = Signed {
        signed: role,
        signatures,
    };
    let bytes = render(&signed);
    Ok(File { signed, bytes })
}

fn render<T: Serialize>(signed: &Signed<T>) -> Vec<u8> {
    // Canonical JSON itself is not reparsable (OLPC leaves the PEM's newlines raw), so go through
    // a Value and sort every object's keys ourselves: the order then holds whether or not
    // serde_json's `preserve_order` is enabled somewhere in the build.
    let value = sorted(serde_json::to_value(signed).expect("TUF metadata always serialises"));
    let mut bytes = serde_json::to_vec_pretty(&value).expect("a Value always serialises");
    bytes.push(b'\n');
    bytes
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Re-verifies a role we just signed with tough's verifier against `root` (threshold and
/// signatures), before anything is written.
fn check<T: Role + Serialize>(
    root: &Root,
    signed: &Signed<T>,
    role: &'static str,
) -> Result<(), RepoError> {
    root.verify_role(signed).map_err(|e| RepoError::SelfCheck {
        role,
        message: e.to_string(),
    })
}

/// `root.json` as written, whatever its key IDs: tough's `Root` refuses a key whose ID is not
/// its hash while deserialising, so the keys are read one by one beside the rest.
fn load_root(path: &Path) -> Result<File<Root>, RepoError> {
    let bytes = read(path)?;
    let bad = |message: String| RepoError::Metadata {
        path: path.to_path_buf(),
        message,
    };
    let mut value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let keys = value
        .get_mut("signed")
        .and_then(|s| s.get_mut("keys"))
        .map(serde_json::Value::take)
        .ok_or_else(|| bad("no signed.keys".to_owned()))?;
    value["signed"]["keys"] = serde_json::json!({});
    let mut signed: Signed<Root> = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    let keys: HashMap<String, tough::schema::key::Key> =
        serde_json::from_value(keys).map_err(|e| bad(format!("signed.keys: {e}")))?;
    for (id, key) in keys {
        let id = id
            .parse::<tough::schema::decoded::Decoded<tough::schema::decoded::Hex>>()
            .map_err(|e| bad(format!("key ID {id:?}: {e}")))?;
        signed.signed.keys.insert(id, key);
    }
    Ok(File { signed, bytes })
}

fn load_file<T: DeserializeOwned>(path: &Path) -> Result<File<T>, RepoError> {
    let bytes = read(path)?;
    let signed = serde_json::from_slice(&bytes).map_err(|e| RepoError::Metadata {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(File { signed, bytes })
}

fn read(path: &Path) -> Result<Vec<u8>, RepoError> {
    std::fs::read(path).map_err(|source| RepoError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn create_dir(path: &Path) -> Result<(), RepoError> {
    std::fs::create_dir_all(path).map_err(|source| RepoError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes through a temporary file and a rename, so a server never serves half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RepoError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|source| RepoError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| RepoError::Io {
        path: path.to_path_buf(),
        source,
    })
}
