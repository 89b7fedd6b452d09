//! No silent loss: a log found shorter than the last checkpoint it handed out (its write-ahead
//! log truncated, its directory removed) makes `sigbox up` refuse to start with a message that
//! names the missing entries, and `sigbox fsck` reports the same; a healthy state passes fsck.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use p256::ecdsa::SigningKey;

use crate::crash::{Ack, Append, append_v1, append_v2};
use crate::support::{Up, stop};

/// The `sigbox` binary under test: `$SIGBOX_BIN` (e.g. a build from before a fix, to see these
/// tests fail), or the one cargo built.
pub(crate) fn bin() -> PathBuf {
    std::env::var_os("SIGBOX_BIN")
        .filter(|b| !b.is_empty())
        .map_or_else(|| env!("CARGO_BIN_EXE_sigbox").into(), Into::into)
}

/// `sigbox up --json --listen 127.0.0.1:0 --state <state>`, ready.
pub(crate) fn up(state: &Path) -> Up {
    let mut cmd = Command::new(bin());
    cmd.args(["up", "--json", "--listen", "127.0.0.1:0", "--state"])
        .arg(state);
    Up::spawn(cmd)
}

/// `count` appends of distinct artifacts through `append`, each acknowledged.
pub(crate) fn appends(url: &str, append: Append, tag: &str, count: u64) -> Vec<Ack> {
    let client = reqwest::blocking::Client::new();
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    (0..count)
        .map(|n| {
            append(&client, url, &key, format!("{tag} artifact {n}").as_bytes())
                .unwrap_or_else(|| panic!("append {n} to {url} was not acknowledged"))
        })
        .collect()
}

/// A state with `v1` entries in Rekor shard 0 and `v2` in the Rekor v2 log, its stack
/// stopped (SIGTERM).
fn stopped_state(v1: u64, v2: u64) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let up = up(&state);
    let url = up.url();
    assert_eq!(appends(&url, append_v1, "v1", v1).len() as u64, v1);
    let v2_url = format!("{url}/rekor-v2");
    assert_eq!(appends(&v2_url, append_v2, "v2", v2).len() as u64, v2);
    assert!(up.terminate().success());
    (tmp, state)
}

/// Truncates the largest write-ahead log file (`*.log`) of the RocksDB in `dir` to half.
pub(crate) fn truncate_wal_to_half(dir: &Path) -> u64 {
    let wal = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap_or_else(|| panic!("no write-ahead log in {}", dir.display()));
    let len = std::fs::metadata(&wal).unwrap().len();
    assert!(len > 0, "{} is empty", wal.display());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&wal)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    len
}

/// Runs `sigbox <args>` to its end: its exit code and its stdout then stderr. A `sigbox up`
/// that starts (prints its ready line) instead of refusing is stopped, and answers `None`.
pub(crate) fn run(args: &[&str]) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let (out, err) = (tmp.path().join("out"), tmp.path().join("err"));
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        let started = std::fs::read_to_string(&out).unwrap().contains("\"url\"");
        if started || Instant::now() > deadline {
            stop(&mut child, Duration::from_secs(10));
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&out).unwrap() + &std::fs::read_to_string(&err).unwrap();
    (code, text)
}

/// `sigbox up` on `state` refuses (exit 1); its message.
fn up_refuses(state: &Path) -> String {
    let state = state.to_str().unwrap();
    let (code, text) = run(&["up", "--json", "--listen", "127.0.0.1:0", "--state", state]);
    assert!(
        code.is_some(),
        "sigbox up started (printed its ready line) on a state that lost entries"
    );
    assert_eq!(code, Some(1), "{text}");
    let message = text
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| panic!("no error line in:\n{text}"));
    eprintln!("sigbox up refused: {message}");
    message.to_owned()
}

/// `sigbox fsck --state <state>`: exit code and output.
fn fsck(state: &Path) -> (Option<i32>, String) {
    run(&["fsck", "--state", state.to_str().unwrap()])
}

/// After 150 acknowledged appends, shard 0's write-ahead log cut to half: `up` refuses, naming
/// the shard, its directory, its head file, both sizes and the missing range; fsck says the
/// same and exits 1.
#[test]
fn up_refuses_a_rekor_shard_whose_wal_was_truncated() {
    let (_tmp, state) = stopped_state(150, 0);
    let dir = state.join("rekor/0");
    truncate_wal_to_half(&dir);
    let message = up_refuses(&state);
    let found: u64 = message
        .split(" has ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size found in: {message}"));
    assert!(found < 150, "{message}");
    for needle in [
        format!("rekor shard 0 at {} has {found} entries", dir.display()),
        format!(
            "its last signed checkpoint ({}.head) covers 150",
            dir.display()
        ),
        format!("entries {found}..149 are missing"),
        "restore the directory or remove the state to start over".to_owned(),
    ] {
        assert!(message.contains(&needle), "{needle:?} not in: {message}");
    }
    let (code, report) = fsck(&state);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains(&format!("FAIL  {message}")), "{report}");
    assert!(report.contains("ok    tuf: root"), "{report}");
}

/// `rekor/0` removed after 60 acknowledged appends: refused, entries 0..59 missing.
#[test]
fn up_refuses_a_removed_rekor_shard_directory() {
    let (_tmp, state) = stopped_state(60, 0);
    let dir = state.join("rekor/0");
    std::fs::remove_dir_all(&dir).unwrap();
    let message = up_refuses(&state);
    for needle in [
        format!("rekor shard 0 at {} is gone", dir.display()),
        format!("({}.head) covers 60", dir.display()),
        "entries 0..59 are missing".to_owned(),
    ] {
        assert!(message.contains(&needle), "{needle:?} not in: {message}");
    }
    assert!(
        !dir.exists(),
        "refusing must not create an empty log in its place"
    );
    let (code, report) = fsck(&state);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains(&format!("FAIL  {message}")), "{report}");
}

/// The same for the Rekor v2 log's directory.
#[test]
fn up_refuses_a_removed_rekor_v2_directory() {
    let (_tmp, state) = stopped_state(1, 20);
    let dir = state.join("rekor-v2/0");
    std::fs::remove_dir_all(&dir).unwrap();
    let message = up_refuses(&state);
    for needle in [
        format!("rekor v2 log at {} is gone", dir.display()),
        "entries 0..19 are missing".to_owned(),
    ] {
        assert!(message.contains(&needle), "{needle:?} not in: {message}");
    }
    let (code, report) = fsck(&state);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains(&format!("FAIL  {message}")), "{report}");
    assert!(
        report.contains("ok    rekor shard 0 at"),
        "the intact shard still checks out: {report}"
    );
}

/// A healthy state passes, a stack running on it or not; a tampered TUF target fails.
#[test]
fn fsck_passes_a_healthy_state_and_names_a_tampered_target() {
    let (_tmp, state) = stopped_state(5, 3);
    let (code, report) = fsck(&state);
    assert_eq!(code, Some(0), "{report}");
    for needle in [
        "ok    rekor shard 0 at",
        ": 5 entries, root",
        "its last signed checkpoint covers all 5",
        "ok    rekor v2 log at",
        ": 3 entries, root",
        "ok    ct log 0 at",
        "ok    tuf: timestamp v",
        "ok    tuf: target trusted_root.json",
        " 0 failed",
    ] {
        assert!(report.contains(needle), "{needle:?} not in:\n{report}");
    }
    // Beside a running stack: read-only, so no lock is needed, and no port is taken.
    let running = up(&state);
    let (code, beside) = fsck(&state);
    assert_eq!(code, Some(0), "{beside}");
    drop(running);

    // Every version of trusted_root.json, so whichever targets.json names is hit.
    let tampered: Vec<PathBuf> = std::fs::read_dir(state.join("tuf/targets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".trusted_root.json"))
        .collect();
    for file in &tampered {
        let mut bytes = std::fs::read(file).unwrap();
        bytes[0] ^= 1;
        std::fs::write(file, bytes).unwrap();
    }
    let (code, report) = fsck(&state);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        tampered
            .iter()
            .any(|file| report.contains(&format!("FAIL  tuf: {} has SHA-256 ", file.display()))),
        "no target named in:\n{report}"
    );
    assert!(report.contains(" 1 failed"), "{report}");
}
