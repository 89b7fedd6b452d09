//! The trust material and its TUF repository: deterministic from the seed and a frozen clock,
//! served under `/tuf/`, and accepted by a stock TUF client (python-tuf's ngclient).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use stack::Stack;
use stack::clock::Clock;
use time::OffsetDateTime;

use crate::support::{python, python_script};

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

/// A stack whose clock stood still a month ago: its 7-day timestamp has long expired.
async fn frozen_a_month_ago() -> Stack {
    let month_ago = time::OffsetDateTime::from_unix_timestamp(Clock::system().unix()).unwrap()
        - time::Duration::days(30);
    Stack::builder()
        .seed("frozen")
        .clock(Clock::frozen(month_ago))
        .start()
        .await
        .unwrap()
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
    let frozen = frozen_a_month_ago().await;
    copy_dir(&frozen.state_dir().join("tuf"), &expired);
    std::fs::write(
        dir.path().join("expired-root.json"),
        frozen.trust().bootstrap_root_json(),
    )
    .unwrap();
    let paths: Vec<String> = [&old, &new, &newer, &dir.path().join("root.json"), &expired]
        .into_iter()
        .map(|p| p.to_str().unwrap().to_owned())
        .chain([dir
            .path()
            .join("expired-root.json")
            .to_str()
            .unwrap()
            .to_owned()])
        .collect();
    let (ok, text) = tokio::task::block_in_place(|| {
        let args: Vec<&str> = paths.iter().map(String::as_str).collect();
        python_script("tuf_attacks.py", &args)
    });
    assert!(ok, "an attack got through: {text}");
    // An old file under a new name is caught by the length or the hash the newer metadata
    // records: which one depends on whether the old file is longer.
    let mismatch: &[&str] = &["LengthOrHashMismatchError", "DownloadLengthMismatchError"];
    for (attack, reasons) in [
        ("timestamp rollback", &["BadVersionNumberError"][..]),
        ("snapshot rollback", mismatch),
        ("targets rollback", mismatch),
        ("mix-and-match snapshot", mismatch),
        ("root signed below threshold", &["UnsignedMetadataError"]),
        ("oversized timestamp", &["DownloadLengthMismatchError"]),
        ("expired timestamp (freeze)", &["ExpiredMetadataError"]),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("refused {attack}:")))
            .unwrap_or_else(|| panic!("no verdict for {attack}: {text}"));
        assert!(reasons.iter().any(|r| line.contains(r)), "{attack}: {line}");
    }
    assert!(text.contains("honest root version 2"), "{text}");
}

/// Serves `dir` as static files on a loopback port until the returned sender fires.
async fn serve_dir(dir: &Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (url, tx)
}

fn version(repo: &Path, role: &str) -> u64 {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join(format!("{role}.json"))).unwrap()).unwrap();
    v["signed"]["version"].as_u64().unwrap()
}

/// Our client's own trust loading (`client::tuf`, on tough) gets the trusted root through our
/// repository from root v1, and refuses the same attacks a stock client does.
#[tokio::test(flavor = "multi_thread")]
async fn our_client_loads_trust_through_tuf_and_refuses_attacks() {
    use stack::generations::Kind;
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name);
    let stack = Stack::builder().start().await.unwrap();
    let repo = stack.state_dir().join("tuf");
    let root_v1 = stack.trust().bootstrap_root_json();
    copy_dir(&repo, &d("old"));
    stack.rotate(Kind::TufRoot).unwrap();
    copy_dir(&repo, &d("new"));
    stack.rotate(Kind::Tsa).unwrap();
    copy_dir(&repo, &d("newer"));

    // Honest: from root v1 to v2, the trusted root the stack publishes now.
    let honest = client::tuf::load(
        &format!("{}/tuf", stack.url()),
        &root_v1,
        &d("store-honest"),
    )
    .await
    .unwrap();
    assert_eq!(honest.root_version, 2);
    assert_eq!(
        honest.trusted_root,
        stack.trust().trusted_root_json().into_bytes()
    );
    assert_eq!(
        honest.signing_config.unwrap(),
        stack.trust().signing_config_json().into_bytes()
    );

    // Each attack: a client that has loaded `seen` (if any) loads a doctored copy of `repo`.
    let attack = |name: &'static str,
                  seen: Option<&'static str>,
                  repo: &'static str,
                  doctor: Box<dyn Fn(&Path) + Send>| {
        let dir = dir.path().to_path_buf();
        let root_v1 = root_v1.clone();
        async move {
            let store = dir.join(format!("store-{}", name.replace(' ', "-")));
            if let Some(seen) = seen {
                let (url, stop) = serve_dir(&dir.join(seen)).await;
                client::tuf::load(&url, &root_v1, &store).await.unwrap();
                let _ = stop.send(());
            }
            let served = dir.join(format!("served-{}", name.replace(' ', "-")));
            copy_dir(&dir.join(repo), &served);
            doctor(&served);
            let (url, stop) = serve_dir(&served).await;
            let result = client::tuf::load(&url, &root_v1, &store).await;
            let _ = stop.send(());
            match result {
                Ok(_) => panic!("our client accepted the {name} attack"),
                Err(e) => e.to_string(),
            }
        }
    };
    let (old, newer) = (d("old"), d("newer"));
    let (s_old, s_newer) = (version(&old, "snapshot"), version(&newer, "snapshot"));
    let (t_old, t_newer) = (version(&old, "targets"), version(&newer, "targets"));
    let s_new = version(&d("new"), "snapshot");
    let from_old = |from: String, to: String| -> Box<dyn Fn(&Path) + Send> {
        let old = old.clone();
        Box::new(move |served: &Path| {
            std::fs::copy(old.join(&from), served.join(&to)).unwrap();
        })
    };
    let cases = [
        (
            "timestamp rollback",
            attack(
                "timestamp rollback",
                Some("new"),
                "old",
                Box::new(|_: &Path| {}),
            )
            .await,
            "previously fetched version 2",
        ),
        (
            "snapshot rollback",
            attack(
                "snapshot rollback",
                Some("new"),
                "newer",
                from_old(
                    format!("{s_old}.snapshot.json"),
                    format!("{s_newer}.snapshot.json"),
                ),
            )
            .await,
            "snapshot.json",
        ),
        (
            "targets rollback",
            attack(
                "targets rollback",
                Some("new"),
                "newer",
                from_old(
                    format!("{t_old}.targets.json"),
                    format!("{t_newer}.targets.json"),
                ),
            )
            .await,
            "targets.json",
        ),
        (
            "mix-and-match snapshot",
            attack(
                "mix-and-match snapshot",
                None,
                "new",
                from_old(
                    format!("{s_old}.snapshot.json"),
                    format!("{s_new}.snapshot.json"),
                ),
            )
            .await,
            "snapshot.json",
        ),
        (
            "root below threshold",
            attack(
                "root below threshold",
                None,
                "new",
                Box::new(|served: &Path| {
                    let path = served.join("2.root.json");
                    let mut root: serde_json::Value =
                        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                    let sigs = root["signatures"].as_array_mut().unwrap();
                    assert_eq!(sigs.len(), 2);
                    // The old root's key signs first; keep only the new key's signature.
                    let v1: serde_json::Value =
                        serde_json::from_slice(&std::fs::read(served.join("1.root.json")).unwrap())
                            .unwrap();
                    let old_ids = v1["signed"]["roles"]["root"]["keyids"].clone();
                    sigs.retain(|s| !old_ids.as_array().unwrap().contains(&s["keyid"]));
                    std::fs::write(&path, root.to_string()).unwrap();
                }),
            )
            .await,
            "signature threshold of 1 not met for role root",
        ),
        (
            "oversized timestamp",
            attack(
                "oversized timestamp",
                None,
                "new",
                Box::new(|served: &Path| {
                    let path = served.join("timestamp.json");
                    let mut ts: serde_json::Value =
                        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                    ts["signed"]["padding"] = "x".repeat(2 * 1024 * 1024).into();
                    std::fs::write(&path, ts.to_string()).unwrap();
                }),
            )
            .await,
            "maximum size 1048576",
        ),
    ];
    for (name, reason, needle) in cases {
        assert!(
            reason.to_lowercase().contains(needle),
            "{name}: refused, but the reason does not name {needle:?}: {reason}"
        );
    }

    // Freeze: a month-old frozen stack's timestamp has expired.
    let frozen = frozen_a_month_ago().await;
    let err = client::tuf::load(
        &format!("{}/tuf", frozen.url()),
        &frozen.trust().bootstrap_root_json(),
        &d("store-frozen"),
    )
    .await
    .expect_err("our client accepted an expired timestamp");
    assert!(err.to_string().to_lowercase().contains("expired"), "{err}");
}

/// A state restarted near its metadata's expiry re-signs it at start; one that is not stays
/// as it was (a frozen stack stays byte-identical).
#[tokio::test]
async fn a_restart_near_expiry_re_signs_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = time::OffsetDateTime::from_unix_timestamp(Clock::system().unix()).unwrap();
    // The same port each time: the URLs are in the trusted root.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let start = |at: time::OffsetDateTime| {
        Stack::builder()
            .seed("refresh")
            .clock(Clock::frozen(at))
            .state_dir(dir.path())
            .listen(port)
            .start()
    };
    let a = start(t0).await.unwrap();
    let first = a.trust().versions();
    a.shutdown().await.unwrap();
    let b = start(t0 + time::Duration::hours(1)).await.unwrap();
    assert_eq!(
        b.trust().versions(),
        first,
        "an hour later nothing is stale"
    );
    b.shutdown().await.unwrap();
    let six_days = t0 + time::Duration::days(6);
    let c = start(six_days).await.unwrap();
    let now = c.trust().versions();
    assert_eq!(now[0], first[0], "the root is not touched");
    for role in 1..4 {
        assert_eq!(now[role], first[role] + 1, "{now:?} after {first:?}");
    }
    let ts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("tuf/timestamp.json")).unwrap())
            .unwrap();
    let expires = time::OffsetDateTime::parse(
        ts["signed"]["expires"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires, six_days + time::Duration::days(7));
}

/// A refreshed timestamp is the next version over the same snapshot; the rolled-back timestamp
/// fault serves the one before it (and nothing rolled back while only one was published), as
/// does a root rotation's.
#[tokio::test(flavor = "multi_thread")]
async fn a_refreshed_timestamp_is_the_next_version_and_can_be_rolled_back() {
    use stack::faults::Fault;
    let stack = Stack::builder().start().await.unwrap();
    let url = format!("{}/tuf/timestamp.json", stack.url());
    let served = || async {
        let v: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        v["signed"]["version"].as_u64().unwrap()
    };
    let [root, targets, snapshot, timestamp] = stack.trust().versions();
    // One timestamp so far: nothing to roll back to, the fault waits.
    stack.faults().arm(Fault::TufRolledBackTimestamp, 1);
    assert_eq!(served().await, timestamp);
    stack.faults().clear();

    stack
        .trust()
        .refresh_timestamp(stack.clock().now())
        .unwrap();
    assert_eq!(
        stack.trust().versions(),
        [root, targets, snapshot, timestamp + 1]
    );
    assert_eq!(served().await, timestamp + 1);
    stack.faults().arm(Fault::TufRolledBackTimestamp, 1);
    assert_eq!(served().await, timestamp, "rolled back");
    assert_eq!(served().await, timestamp + 1, "honest again");

    stack.rotate(stack::generations::Kind::TufRoot).unwrap();
    let [_, _, _, rotated] = stack.trust().versions();
    assert_eq!(served().await, rotated);
    stack.faults().arm(Fault::TufRolledBackTimestamp, 1);
    assert_eq!(served().await, rotated - 1, "the one before the rotation's");
}

/// The targets sigstore/sigstore's legacy TUF client reads (gitsign, cosign's older paths), by
/// root-signing's names and `custom.sigstore` metadata, beside `trusted_root.json`: each the PEM
/// of a key or certificate the trusted root carries; a rotated-out generation stays, `Expired`.
#[tokio::test]
async fn legacy_targets_follow_root_signing_across_rotations() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use stack::generations::Kind;

    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let tuf = |name: String| {
        let url = format!("{url}/tuf/{name}");
        async move {
            reqwest::get(&url)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec()
        }
    };
    // Every legacy target: name -> (status, usage, uri, DER of its PEM blocks).
    let legacy = || async {
        let ts: serde_json::Value =
            serde_json::from_slice(&tuf("timestamp.json".into()).await).unwrap();
        let sv = ts["signed"]["meta"]["snapshot.json"]["version"]
            .as_u64()
            .unwrap();
        let snap: serde_json::Value =
            serde_json::from_slice(&tuf(format!("{sv}.snapshot.json")).await).unwrap();
        let tv = snap["signed"]["meta"]["targets.json"]["version"]
            .as_u64()
            .unwrap();
        let targets: serde_json::Value =
            serde_json::from_slice(&tuf(format!("{tv}.targets.json")).await).unwrap();
        let mut out = BTreeMap::new();
        for (name, t) in targets["signed"]["targets"].as_object().unwrap() {
            let Some(s) = t.get("custom").map(|c| &c["sigstore"]) else {
                assert!(name.ends_with(".json"), "{name} has no custom metadata");
                continue;
            };
            let sha = t["hashes"]["sha256"].as_str().unwrap();
            let pem = String::from_utf8(tuf(format!("targets/{sha}.{name}")).await).unwrap();
            let der: Vec<Vec<u8>> = pem
                .split("-----END ")
                .filter_map(|b| b.split_once("-----\n").map(|(_, body)| body))
                .filter_map(|body| body.rsplit_once("\n").map(|(b, _)| b.replace('\n', "")))
                .filter(|b| !b.is_empty())
                .map(|b| STANDARD.decode(b).unwrap())
                .collect();
            let field = |k: &str| s[k].as_str().unwrap().to_owned();
            out.insert(
                name.clone(),
                (field("status"), field("usage"), field("uri"), der),
            );
        }
        out
    };
    let root = || -> serde_json::Value {
        serde_json::from_str(&stack.trust().trusted_root_json()).unwrap()
    };
    let b64 = |v: &serde_json::Value| STANDARD.decode(v.as_str().unwrap()).unwrap();

    let first = legacy().await;
    let names: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "ctfe.pub",
            "fulcio_intermediate_v1.crt.pem",
            "fulcio_v1.crt.pem",
            "rekor.pub"
        ]
    );
    let tr = root();
    let chain = &tr["certificateAuthorities"][0]["certChain"]["certificates"];
    let want = |status: &str, usage: &str, der: Vec<Vec<u8>>| {
        (status.to_owned(), usage.to_owned(), url.clone(), der)
    };
    assert_eq!(
        first["fulcio_v1.crt.pem"],
        want("Active", "Fulcio", vec![b64(&chain[1]["rawBytes"])])
    );
    assert_eq!(
        first["fulcio_intermediate_v1.crt.pem"],
        want("Active", "Fulcio", vec![b64(&chain[0]["rawBytes"])])
    );
    assert_eq!(
        first["ctfe.pub"],
        want(
            "Active",
            "CTFE",
            vec![b64(&tr["ctlogs"][0]["publicKey"]["rawBytes"])]
        )
    );
    // The Rekor v1 log; the v2 log (in the trusted root too) has no legacy target.
    let v1 = tr["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| !t["baseUrl"].as_str().unwrap().ends_with("/rekor-v2"))
        .unwrap();
    assert_eq!(
        first["rekor.pub"],
        want("Active", "Rekor", vec![b64(&v1["publicKey"]["rawBytes"])])
    );

    for kind in [Kind::Fulcio, Kind::Ctlog, Kind::Rekor] {
        stack.rotate(kind).unwrap();
    }
    let after = legacy().await;
    let names: Vec<&str> = after.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "ctfe.pub",
            "ctfe_v2.pub",
            "fulcio_intermediate_v1.crt.pem",
            "fulcio_intermediate_v2.crt.pem",
            "fulcio_v1.crt.pem",
            "fulcio_v2.crt.pem",
            "rekor.pub",
            "rekor_v2.pub"
        ]
    );
    for (name, (status, usage, _, der)) in &first {
        // The old generation keeps its bytes and is now Expired.
        assert_eq!(
            after[name],
            ("Expired".into(), usage.clone(), url.clone(), der.clone())
        );
        assert_eq!(status, "Active");
    }
    let tr = root();
    let chain = &tr["certificateAuthorities"][1]["certChain"]["certificates"];
    assert_eq!(
        after["fulcio_v2.crt.pem"],
        want("Active", "Fulcio", vec![b64(&chain[1]["rawBytes"])])
    );
    assert_eq!(
        after["ctfe_v2.pub"],
        want(
            "Active",
            "CTFE",
            vec![b64(&tr["ctlogs"][1]["publicKey"]["rawBytes"])]
        )
    );
    assert_eq!(after["rekor_v2.pub"].0, "Active");
    // The trusted root holds the same two Fulcio generations.
    assert_eq!(tr["certificateAuthorities"].as_array().unwrap().len(), 2);
}
