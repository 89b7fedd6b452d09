//! The trust material and its TUF repository: deterministic from the seed and a frozen clock,
//! served under `/tuf/`, and accepted by a stock TUF client (python-tuf's ngclient).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use stack::Stack;
use stack::clock::Clock;
use time::OffsetDateTime;

use crate::rekor_python::python;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let rel = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        out.insert(rel, std::fs::read(&entry).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn same_seed_and_frozen_clock_give_identical_trust_material() {
    let at = OffsetDateTime::from_unix_timestamp(Clock::system().unix()).unwrap();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The URLs are in the files, so the second run takes the first one's port.
    let a = Stack::builder()
        .seed("determinism")
        .clock(Clock::frozen(at))
        .state_dir(a_dir.path())
        .start()
        .await
        .unwrap();
    let addr = a.addr();
    let a_root = a.trust().trusted_root_json().to_owned();
    let a_config = a.trust().signing_config_json().to_owned();
    a.shutdown().await.unwrap();
    let b = Stack::builder()
        .seed("determinism")
        .clock(Clock::frozen(at))
        .state_dir(b_dir.path())
        .listen(addr)
        .start()
        .await
        .unwrap();
    assert_eq!(a_root, b.trust().trusted_root_json());
    assert_eq!(a_config, b.trust().signing_config_json());
    let (fa, fb) = (
        files(&a_dir.path().join("tuf")),
        files(&b_dir.path().join("tuf")),
    );
    assert!(
        fa.contains_key("1.root.json") && fa.contains_key("timestamp.json"),
        "{:?}",
        fa.keys()
    );
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert_eq!(bytes, &fb[name], "{name} differs between runs");
    }
    // The served target is the file itself, under its hash-prefixed name.
    let targets: serde_json::Value = serde_json::from_slice(&fa["targets.json"]).unwrap();
    let sha = targets["signed"]["targets"]["trusted_root.json"]["hashes"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let served = reqwest::get(format!("{}/tuf/targets/{sha}.trusted_root.json", b.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(served, a_root);
    // And a different seed gives different material.
    let c = Stack::builder().seed("another").start().await.unwrap();
    assert_ne!(
        c.trust().bootstrap_root_json(),
        b.trust().bootstrap_root_json()
    );
}

/// python-tuf's ngclient, from the exported root, walks our repository and downloads both
/// targets, whose bytes are the ones the stack publishes.
#[tokio::test(flavor = "multi_thread")]
async fn python_tuf_ngclient_accepts_the_repository() {
    let stack = Stack::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let metadata = dir.path().join("metadata");
    let targets = dir.path().join("targets");
    std::fs::create_dir_all(&metadata).unwrap();
    std::fs::create_dir_all(&targets).unwrap();
    std::fs::write(
        metadata.join("root.json"),
        stack.trust().bootstrap_root_json(),
    )
    .unwrap();
    let script = "\
import sys
from tuf.ngclient import Updater
meta, tuf_url, out = sys.argv[1:4]
u = Updater(metadata_dir=meta, metadata_base_url=tuf_url, target_base_url=tuf_url + '/targets/', target_dir=out, bootstrap=open(meta + '/root.json', 'rb').read())
u.refresh()
for name in ('trusted_root.json', 'signing_config.v0.2.json'):
    info = u.get_targetinfo(name)
    assert info is not None, name
    print('downloaded', u.download_target(info))
print('root version', u._trusted_set.root.version)
";
    let url = format!("{}/tuf", stack.url());
    let out = tokio::task::block_in_place(|| {
        Command::new(python())
            .args(["-c", script])
            .arg(&metadata)
            .arg(&url)
            .arg(&targets)
            .output()
            .unwrap()
    });
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ngclient refused our repository: {text}"
    );
    assert!(text.contains("root version 1"), "{text}");
    let got = std::fs::read_to_string(targets.join("trusted_root.json")).unwrap();
    assert_eq!(got, stack.trust().trusted_root_json());
    let got = std::fs::read_to_string(targets.join("signing_config.v0.2.json")).unwrap();
    assert_eq!(got, stack.trust().signing_config_json());
}

fn copy_dir(from: &Path, to: &Path) {
    for file in walk(from) {
        let dest = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&file, dest).unwrap();
    }
}

/// A stock TUF client (python-tuf's ngclient) refuses each attack on our repository: rollback
/// of timestamp, snapshot and targets, mix-and-match snapshot, a root signed below threshold,
/// an oversized timestamp, and a frozen (expired) timestamp from a stack whose clock stood
/// still a month ago. The honest repository is accepted.
#[tokio::test(flavor = "multi_thread")]
async fn tuf_attacks_are_refused_by_a_stock_client() {
    use stack::generations::Kind;
    let dir = tempfile::tempdir().unwrap();
    let (old, new, newer, expired) = (
        dir.path().join("old"),
        dir.path().join("new"),
        dir.path().join("newer"),
        dir.path().join("expired"),
    );
    let stack = Stack::builder().start().await.unwrap();
    let repo = stack.state_dir().join("tuf");
    copy_dir(&repo, &old);
    stack.rotate(Kind::TufRoot).unwrap();
    copy_dir(&repo, &new);
    stack.rotate(Kind::Tsa).unwrap();
    copy_dir(&repo, &newer);
    std::fs::write(
        dir.path().join("root.json"),
        stack.trust().bootstrap_root_json(),
    )
    .unwrap();
    // A month-old frozen clock: everything it signed with a 7-day timestamp has expired.
    let month_ago = time::OffsetDateTime::from_unix_timestamp(Clock::system().unix()).unwrap()
        - time::Duration::days(30);
    let frozen = Stack::builder()
        .seed("frozen")
        .clock(Clock::frozen(month_ago))
        .start()
        .await
        .unwrap();
    copy_dir(&frozen.state_dir().join("tuf"), &expired);
    std::fs::write(
        dir.path().join("expired-root.json"),
        frozen.trust().bootstrap_root_json(),
    )
    .unwrap();
    let script = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap())
        .join("tests/it/python/tuf_attacks.py");
    let out = tokio::task::block_in_place(|| {
        Command::new(python())
            .arg(script)
            .args([&old, &new, &newer, &dir.path().join("root.json"), &expired])
            .arg(dir.path().join("expired-root.json"))
            .output()
            .unwrap()
    });
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "an attack got through: {text}");
    for (attack, reason) in [
        ("timestamp rollback", "BadVersionNumberError"),
        ("snapshot rollback", "LengthOrHashMismatchError"),
        ("targets rollback", "LengthOrHashMismatchError"),
        ("mix-and-match snapshot", "LengthOrHashMismatchError"),
        ("root signed below threshold", "UnsignedMetadataError"),
        ("oversized timestamp", "DownloadLengthMismatchError"),
        ("expired timestamp (freeze)", "ExpiredMetadataError"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("refused {attack}:")))
            .unwrap_or_else(|| panic!("no verdict for {attack}: {text}"));
        assert!(line.contains(reason), "{attack}: {line}");
    }
    assert!(text.contains("honest root version 2"), "{text}");
}
