//! python-tuf's ngclient and sigstore-python against what we write. Needs the project venv
//! (`SIGBOX_PYTHON`, or `<workspace>/.venv/bin/python`); fails with a message when absent.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::{NOW, build, documents, key, long_expiry};

fn python() -> PathBuf {
    let p = std::env::var_os("SIGBOX_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(
                &std::env::var_os("CARGO_MANIFEST_DIR")
                    .expect("cargo sets CARGO_MANIFEST_DIR when it runs tests"),
            )
            .join("../.venv/bin/python")
        });
    assert!(
        p.exists(),
        "no Python at {}: set SIGBOX_PYTHON or create the venv (`just` / .ci/run install sigstore 4.5 + tuf 7)",
        p.display()
    );
    p
}

fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `python -m http.server` on a free loopback port, killed on drop.
struct Server(Child, String);

impl Server {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(python())
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next());
        let port = port.unwrap_or_else(|| panic!("unexpected http.server banner {line:?}"));
        Self(child, format!("http://127.0.0.1:{port}/"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const NGCLIENT: &str = r#"
import json, os, sys
from tuf.ngclient import Updater
meta_dir, url, target_dir = sys.argv[1:4]
os.makedirs(target_dir, exist_ok=True)
u = Updater(metadata_dir=meta_dir, metadata_base_url=url,
            target_base_url=url + "targets/", target_dir=target_dir, bootstrap=None)
u.refresh()
out = {"root_version": u._trusted_set.root.version, "targets": {}}
for name in sys.argv[4:]:
    info = u.get_targetinfo(name)
    if info is None:
        sys.exit("no target " + name)
    out["targets"][name] = u.download_target(info, os.path.join(target_dir, name))
print(json.dumps(out))
"#;

fn ngclient(meta: &Path, url: &str, targets: &Path, names: &[&str]) -> serde_json::Value {
    let mut args = vec![meta.to_str().unwrap(), url, targets.to_str().unwrap()];
    args.extend_from_slice(names);
    serde_json::from_str(&run_python(NGCLIENT, &args)).unwrap()
}

#[test]
fn python_tuf_ngclient_accepts_repository_and_follows_root_rotation() {
    let repo_dir = tempfile::tempdir().unwrap();
    let client = tempfile::tempdir().unwrap();
    let mut repo = build(repo_dir.path(), long_expiry());
    let server = Server::start(repo_dir.path());

    // The client is bootstrapped with the exported version-1 root only.
    let meta = client.path().join("metadata");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(meta.join("root.json"), repo.root_json()).unwrap();
    let (tr, sc) = documents();
    let names = ["trusted_root.json", "signing_config.v0.2.json"];
    let got = ngclient(&meta, &server.1, &client.path().join("t1"), &names);
    assert_eq!(got["root_version"], 1);
    for (name, want) in names.iter().zip([&tr, &sc]) {
        let path = got["targets"][name].as_str().unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), *want, "{name}");
    }

    // Rotate the root and publish new material: the same client walks 1 -> 2.
    let later = NOW + time::Duration::hours(1);
    repo.rotate_root(later, vec![key(40), key(41)]).unwrap();
    repo.publish_targets(later, &[("trusted_root.json", b"{\"rotated\": true}\n")])
        .unwrap();
    let got = ngclient(
        &meta,
        &server.1,
        &client.path().join("t2"),
        &["trusted_root.json"],
    );
    assert_eq!(got["root_version"], 2);
    let path = got["targets"]["trusted_root.json"].as_str().unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"{\"rotated\": true}\n");
    drop(server);
    let trusted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(meta.join("root.json")).unwrap()).unwrap();
    assert_eq!(trusted["signed"]["version"], 2);
}

const SIGSTORE: &str = r#"
import sys
from pathlib import Path
from sigstore.models import TrustedRoot, SigningConfig, ClientTrustConfig
from sigstore._internal.trust import KeyringPurpose
tr = TrustedRoot.from_file(sys.argv[1])
sc = SigningConfig.from_file(sys.argv[2])
ctc = ClientTrustConfig.from_json(Path(sys.argv[3]).read_text())
assert len(tr.get_fulcio_certs()) == 2
assert len(tr.get_timestamp_authorities()) == 1
tr.rekor_keyring(KeyringPurpose.VERIFY)
tr.ct_keyring(KeyringPurpose.VERIFY)
sc.get_fulcio()
assert len(sc.get_tsas()) == 1
assert sc.get_oidc_url() == "http://127.0.0.1:7860"
assert len(sc.get_tlogs()) == 1
print(len(ctc.trusted_root._inner.tlogs), ctc.signing_config._inner.tsa_config.selector.value)
"#;

#[test]
fn sigstore_python_loads_trusted_root_signing_config_and_trust_config() {
    let d = tempfile::tempdir().unwrap();
    let (tr, sc) = documents();
    let ctc = tuf_repo::client_trust_config_json(&tr, &sc);
    let paths = [
        "trusted_root.json",
        "signing_config.v0.2.json",
        "trust_config.json",
    ]
    .map(|n| d.path().join(n));
    for (p, body) in paths.iter().zip([&tr, &sc, &ctc]) {
        std::fs::write(p, body).unwrap();
    }
    let args = paths.each_ref().map(|p| p.to_str().unwrap());
    assert_eq!(run_python(SIGSTORE, &args).trim(), "3 EXACT");
}

const FROM_TUF: &str = r#"
import sys
from pathlib import Path
from sigstore.models import ClientTrustConfig
ctc = ClientTrustConfig.from_tuf(sys.argv[1], bootstrap_root=Path(sys.argv[2]))
print(ctc.trusted_root._inner.media_type, len(ctc.signing_config._inner.ca_urls))
"#;

/// sigstore-python's own TUF path (`--instance URL trust-instance root.json`): it fetches
/// trusted_root.json and signing_config.v0.2.json through ngclient and parses both.
#[test]
fn sigstore_python_fetches_trust_config_through_tuf() {
    let repo_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let repo = build(repo_dir.path(), long_expiry());
    let root = home.path().join("root.json");
    std::fs::write(&root, repo.root_json()).unwrap();
    let server = Server::start(repo_dir.path());
    let out = Command::new(python())
        .arg("-c")
        .arg(FROM_TUF)
        .arg(server.1.trim_end_matches('/'))
        .arg(&root)
        // sigstore-python keeps its TUF cache under the XDG directories: keep it in the tempdir.
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1 1"
    );
}

/// python-tuf takes keys by the IDs the root gives them and does not recompute them: it walks
/// to a root with legacy key IDs (root-signing#1437: "other clients are fine").
#[test]
fn python_tuf_ngclient_accepts_a_root_with_legacy_key_ids() {
    let repo_dir = tempfile::tempdir().unwrap();
    let client = tempfile::tempdir().unwrap();
    let mut repo = build(repo_dir.path(), long_expiry());
    let server = Server::start(repo_dir.path());
    let meta = client.path().join("metadata");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(meta.join("root.json"), repo.root_json()).unwrap();
    let later = NOW + time::Duration::hours(1);
    repo.rotate_root_with(later, vec![key(40)], tuf_repo::KeyIds::Legacy)
        .unwrap();
    repo.publish_targets(later, &[("trusted_root.json", b"{\"legacy\": true}\n")])
        .unwrap();
    let got = ngclient(
        &meta,
        &server.1,
        &client.path().join("t"),
        &["trusted_root.json"],
    );
    assert_eq!(got["root_version"], 2);
    let path = got["targets"]["trusted_root.json"].as_str().unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"{\"legacy\": true}\n");
}
