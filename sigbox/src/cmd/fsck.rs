//! `sigbox fsck --state DIR`: checks a state directory offline, and changes nothing in it.
//!
//! - Every log (each Rekor v1 shard, the Rekor v2 log, each CT log generation): its tree against
//!   the tree head kept beside it (`<dir>.head`: size and root, the same check `sigbox up` makes
//!   before it serves), then every node and the root recomputed from the stored leaves.
//! - The TUF repository (`DIR/tuf`): the root chain (each `N.root.json` signed by its
//!   predecessor's keys and its own, TUF spec §5.3.4), timestamp, snapshot and targets signed
//!   with the newest root's keys (§5.4–5.6), each file the one its parent names (length and
//!   SHA-256), and every target file the length and SHA-256 `targets.json` gives it (§5.7.3).
//!   Expiry is not checked: a stale timestamp is no damage (`sigbox up` re-signs it).
//!
//! It starts no stack and takes no port. Each log is opened read-only (RocksDB's lock is not
//! taken), so it also runs beside a stack serving the directory: it then checks each log as
//! its write-ahead log stands at that moment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::bail;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use stack::generations::Generations;
use stack::state::LogName;
use tlog::store::RocksStore;
use tlog::store::head::{HeadFile, open_checked};
use tough::schema::{Hashes, Role, Root, Signed, Snapshot, Targets, Timestamp};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// State directory to check.
    #[arg(long, env = "SIGBOX_STATE", default_value = ".sigbox")]
    state: PathBuf,
}

/// One line of the report: what was checked, and what was found.
type Finding = Result<String, String>;

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let state = &args.state;
    if !state.join("stack.json").is_file() {
        bail!(
            "{} is not a sigbox state directory (it has no stack.json)",
            state.display()
        );
    }
    // Without generations.json (no rotation yet) there is one generation of everything; the
    // epoch is not needed here.
    let gens = Generations::load(state, 0)?;
    let mut findings: Vec<Finding> = LogName::all(&gens)
        .into_iter()
        .map(|log| check_log(state, log))
        .collect();
    findings.extend(check_tuf(&state.join("tuf")));
    let failed = findings.iter().filter(|f| f.is_err()).count();
    for finding in &findings {
        match finding {
            Ok(line) => println!("ok    {line}"),
            Err(line) => println!("FAIL  {line}"),
        }
    }
    println!(
        "{}: {} checked, {} ok, {failed} failed",
        state.display(),
        findings.len(),
        findings.len() - failed
    );
    if failed > 0 {
        bail!("{failed} of {} checks failed", findings.len());
    }
    Ok(())
}

/// The log against its kept head, then recomputed whole.
fn check_log(state: &Path, log: LogName) -> Finding {
    let dir = log.dir(state);
    let at = format!("{log} at {}", dir.display());
    if !dir.exists() && !HeadFile::beside(&dir).path().exists() {
        return Ok(format!("{at}: never written (no directory, no kept head)"));
    }
    let opened = open_checked(&log.to_string(), &dir, RocksStore::open_read_only)
        .map_err(|e| e.to_string())?;
    let (size, root) =
        tlog::check::verify_store(&opened.store).map_err(|e| format!("{at}: {e}"))?;
    let kept = match opened.kept {
        Some(k) if k.size == size => format!("its last signed checkpoint covers all {size}"),
        Some(k) => format!(
            "its last signed checkpoint covers {} (the {} after it were never handed out)",
            k.size,
            size - k.size
        ),
        None => "no kept head (nothing handed out yet, or a state from before kept heads)".into(),
    };
    Ok(format!(
        "{at}: {size} entries, root {root} recomputed from the leaves; {kept}"
    ))
}

/// A metadata file: its bytes and what they parse to.
struct Meta<T> {
    path: PathBuf,
    bytes: Vec<u8>,
    signed: Signed<T>,
}

fn read_meta<T: DeserializeOwned>(path: PathBuf) -> Result<Meta<T>, String> {
    let bytes =
        std::fs::read(&path).map_err(|e| format!("tuf: reading {}: {e}", path.display()))?;
    let signed = serde_json::from_slice(&bytes)
        .map_err(|e| format!("tuf: {} is not TUF metadata: {e}", path.display()))?;
    Ok(Meta {
        path,
        bytes,
        signed,
    })
}

/// Checks signatures of `meta` with `root`'s keys for its role.
fn verify<T: Role + serde::Serialize>(root: &Root, meta: &Meta<T>) -> Result<(), String> {
    root.verify_role(&meta.signed)
        .map_err(|e| format!("tuf: {}: signatures: {e}", meta.path.display()))
}

/// The metadata file at `path` that its parent lists with `length` and `hashes`: read,
/// matched against them, and its signatures verified against `root`.
fn listed_file<T: Role + serde::Serialize + DeserializeOwned>(
    root: &Root,
    path: PathBuf,
    length: Option<u64>,
    hashes: Option<&Hashes>,
) -> Result<Meta<T>, String> {
    let meta: Meta<T> = read_meta(path)?;
    matches(&meta.path, &meta.bytes, length, hashes)?;
    verify(root, &meta)?;
    Ok(meta)
}

/// `bytes` against a length and hashes their parent gives (either may be absent for
/// snapshot-listed files, TUF spec §4.4).
fn matches(
    what: &Path,
    bytes: &[u8],
    length: Option<u64>,
    hashes: Option<&Hashes>,
) -> Result<(), String> {
    if let Some(length) = length.filter(|l| *l != bytes.len() as u64) {
        return Err(format!(
            "tuf: {} is {} bytes, its parent says {length}",
            what.display(),
            bytes.len()
        ));
    }
    if let Some(hashes) = hashes {
        let found = Sha256::digest(bytes);
        if found.as_slice() != &*hashes.sha256 {
            return Err(format!(
                "tuf: {} has SHA-256 {}, its parent says {}",
                what.display(),
                hex::encode(found),
                hex::encode(&*hashes.sha256)
            ));
        }
    }
    Ok(())
}

/// The repository, top-down as a client walks it (TUF spec §5), without the clock.
fn check_tuf(dir: &Path) -> Vec<Finding> {
    let mut out = Vec::new();
    let root = match check_roots(dir) {
        Ok((root, line)) => {
            out.push(Ok(line));
            root
        }
        Err(e) => return vec![Err(e)],
    };
    let root_version = root.version;
    // With consistent snapshots (tuf-repo's choice) snapshot and targets carry their version
    // in their file names.
    let versioned = |version: std::num::NonZeroU64, name: &str| {
        dir.join(if root.consistent_snapshot {
            format!("{version}.{name}")
        } else {
            name.to_owned()
        })
    };
    let chain = (|| {
        let timestamp: Meta<Timestamp> = read_meta(dir.join("timestamp.json"))?;
        verify(&root, &timestamp)?;
        let listed = timestamp
            .signed
            .signed
            .meta
            .get("snapshot.json")
            .ok_or("tuf: timestamp.json lists no snapshot.json")?;
        let snapshot: Meta<Snapshot> = listed_file(
            &root,
            versioned(listed.version, "snapshot.json"),
            listed.length,
            listed.hashes.as_ref(),
        )?;
        let listed = snapshot
            .signed
            .signed
            .meta
            .get("targets.json")
            .ok_or("tuf: the snapshot lists no targets.json")?;
        let targets: Meta<Targets> = listed_file(
            &root,
            versioned(listed.version, "targets.json"),
            listed.length,
            listed.hashes.as_ref(),
        )?;
        Ok::<_, String>((timestamp, snapshot, targets))
    })();
    let (timestamp, snapshot, targets) = match chain {
        Ok(files) => files,
        Err(e) => {
            out.push(Err(e));
            return out;
        }
    };
    out.push(Ok(format!(
        "tuf: timestamp v{} -> snapshot v{} -> targets v{}, each signed with root v{root_version}'s \
         keys and the file its parent names",
        timestamp.signed.signed.version, snapshot.signed.signed.version, targets.signed.signed.version
    )));
    // Sorted, so the report reads the same every run.
    let listed: BTreeMap<&str, _> = targets
        .signed
        .signed
        .targets
        .iter()
        .map(|(name, t)| (name.raw(), t))
        .collect();
    for (name, target) in listed {
        let file = dir.join("targets").join(if root.consistent_snapshot {
            format!("{}.{name}", hex::encode(&*target.hashes.sha256))
        } else {
            name.to_owned()
        });
        out.push(
            std::fs::read(&file)
                .map_err(|e| format!("tuf: target {name}: reading {}: {e}", file.display()))
                .and_then(|bytes| {
                    matches(&file, &bytes, Some(target.length), Some(&target.hashes))?;
                    Ok(format!(
                        "tuf: target {name}: {} bytes and SHA-256 as targets.json says",
                        bytes.len()
                    ))
                }),
        );
    }
    out
}

/// `1.root.json`, `2.root.json`, ...: each signed by the keys of the one before (and the first
/// by its own) and by its own (TUF spec §5.3.4–5.3.5); the newest root and a report line.
fn check_roots(dir: &Path) -> Result<(Root, String), String> {
    let mut trusted: Option<Root> = None;
    let mut version = 1u64;
    loop {
        let path = dir.join(format!("{version}.root.json"));
        if !path.exists() {
            break;
        }
        let next: Meta<Root> = read_meta(path)?;
        if next.signed.signed.version.get() != version {
            return Err(format!(
                "tuf: {} says it is version {}",
                next.path.display(),
                next.signed.signed.version
            ));
        }
        if let Some(previous) = &trusted {
            verify(previous, &next)?;
        }
        verify(&next.signed.signed, &next)?;
        trusted = Some(next.signed.signed);
        version += 1;
    }
    let root = trusted.ok_or_else(|| format!("tuf: {} has no 1.root.json", dir.display()))?;
    let line = match root.version.get() {
        1 => "tuf: root v1, signed by its own keys".to_owned(),
        n => format!("tuf: root v1..v{n}, each signed by its own keys and those of the one before"),
    };
    Ok((root, line))
}
