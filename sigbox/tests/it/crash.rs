//! Durability: an entry that got a 2xx survives `kill -9`, and the log after restart is
//! consistent with every checkpoint handed out before the kill.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

use crate::support::Up;

/// A hashedrekord v0.0.1 proposal for `artifact`, signed by `key` (a bare public key, which
/// Rekor accepts in place of a certificate).
pub(crate) fn hashedrekord(key: &SigningKey, artifact: &[u8]) -> serde_json::Value {
    let digest = Sha256::digest(artifact);
    let sig: Signature = key.sign(artifact);
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            "signature": {
                "content": B64.encode(sig.to_der().as_bytes()),
                "publicKey": {"content": B64.encode(pem.as_bytes())}
            }
        }
    })
}

/// The `hashes` of a proof answer (hex strings), parsed; a malformed answer panics.
fn proof_hashes(proof: &serde_json::Value) -> Vec<tlog::Hash> {
    proof["hashes"]
        .as_array()
        .expect("a hashes array")
        .iter()
        .map(|h| tlog::Hash::from_hex(h.as_str().expect("a hex string")).expect("a hash"))
        .collect()
}

/// An acknowledged append: its index, its body as the log answered it, and the checkpoint
/// that came with it.
pub(crate) type Ack = (u64, Vec<u8>, String);

/// One append through the log's API: `None` when the request fails (after the kill: that is
/// the point of these tests); an answer that is not a well-formed acknowledgement panics.
pub(crate) type Append = fn(&reqwest::blocking::Client, &str, &SigningKey, &[u8]) -> Option<Ack>;

/// Writers append, each through its `Append` to its URL (distinct artifacts, named after
/// `tag`), until at least `at_least` appends are acknowledged; then `up` is killed with
/// SIGKILL, mid-stream. Every acknowledgement, with the number of the writer that got it.
fn acked_until_kill9(
    up: Up,
    writers: &[(String, Append)],
    tag: &str,
    at_least: usize,
) -> Vec<(usize, Ack)> {
    let acked = Arc::new(Mutex::new(Vec::<(usize, Ack)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = writers
        .iter()
        .cloned()
        .enumerate()
        .map(|(w, (url, append))| {
            let (acked, stop, tag) = (acked.clone(), stop.clone(), tag.to_owned());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                let key = SigningKey::from_slice(&[w as u8 + 1; 32]).unwrap();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let artifact = format!("{tag} writer {w} artifact {n}");
                    let Some(ack) = append(&client, &url, &key, artifact.as_bytes()) else {
                        break;
                    };
                    acked.lock().unwrap().push((w, ack));
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < at_least {
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {at_least} appends acknowledged in a minute"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    up.kill9();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!("{} appends acknowledged before SIGKILL", acked.len());
    acked
}

/// Eight writers to one log until 300 acknowledgements, then SIGKILL.
fn acked_by_eight_until_kill9(up: Up, url: &str, append: Append) -> Vec<Ack> {
    let writers = vec![(url.to_owned(), append); 8];
    acked_until_kill9(up, &writers, "", 300)
        .into_iter()
        .map(|(_, ack)| ack)
        .collect()
}

pub(crate) fn append_v1(
    client: &reqwest::blocking::Client,
    url: &str,
    key: &SigningKey,
    artifact: &[u8],
) -> Option<Ack> {
    let sent = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&hashedrekord(key, artifact))
        .send();
    let resp = sent.ok().filter(|r| r.status() == 201)?;
    let v: serde_json::Value = resp.json().ok()?;
    let (_, entry) = v.as_object().unwrap().iter().next().unwrap();
    Some((
        entry["logIndex"].as_u64().unwrap(),
        entry["body"].as_str().unwrap().as_bytes().to_vec(),
        entry["verification"]["inclusionProof"]["checkpoint"]
            .as_str()
            .unwrap()
            .to_owned(),
    ))
}

pub(crate) fn checkpoint_size_and_root(note: &str) -> (u64, tlog::Hash) {
    let mut lines = note.lines();
    lines.next().expect("origin line");
    let size = lines.next().expect("size line").parse().expect("size");
    let root = B64
        .decode(lines.next().expect("root line"))
        .expect("base64 root");
    (size, tlog::Hash::from_slice(&root).expect("32-byte root"))
}

#[test]
fn log_survives_kill_during_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let state = state.to_str().unwrap().to_owned();
    let up = Up::start(&["--state", &state]);
    let url = up.url();
    let acked = acked_by_eight_until_kill9(up, &url, append_v1);

    let up = Up::start(&["--state", &state]);
    let url = up.url();
    let client = reqwest::blocking::Client::new();
    for (index, body, _) in &acked {
        let got: serde_json::Value = client
            .get(format!("{url}/api/v1/log/entries?logIndex={index}"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let (_, entry) = got.as_object().unwrap().iter().next().unwrap();
        assert_eq!(
            entry["body"].as_str().unwrap().as_bytes(),
            body,
            "entry {index}"
        );
    }
    let info: serde_json::Value = client
        .get(format!("{url}/api/v1/log"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let (new_size, new_root) = checkpoint_size_and_root(info["signedTreeHead"].as_str().unwrap());
    let max_acked = acked.iter().map(|(index, _, _)| *index).max().unwrap();
    assert!(
        new_size > max_acked,
        "tree size {new_size} lost entry {max_acked}"
    );
    // Every checkpoint handed out before the kill is a prefix of the log after restart.
    let (old_size, old_root) = acked
        .iter()
        .map(|(_, _, c)| checkpoint_size_and_root(c))
        .max_by_key(|(s, _)| *s)
        .unwrap();
    let proof: serde_json::Value = client
        .get(format!(
            "{url}/api/v1/log/proof?firstSize={old_size}&lastSize={new_size}"
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let hashes = proof_hashes(&proof);
    tlog::proof::verify_consistency(old_size, new_size, &hashes, &old_root, &new_root)
        .expect("the log after restart is consistent with the last checkpoint before the kill");
}

/// A Rekor v2 `hashedRekordRequestV002` for `artifact`, signed by `key` (a public key
/// verifier).
fn hashed_rekord_v2(key: &SigningKey, artifact: &[u8]) -> serde_json::Value {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let digest = Sha256::digest(artifact);
    let sig: Signature = key.sign_prehash(&digest).unwrap();
    let spki = key.verifying_key().to_public_key_der().unwrap();
    serde_json::json!({"hashedRekordRequestV002": {
        "digest": B64.encode(digest),
        "signature": {
            "content": B64.encode(sig.to_der().as_bytes()),
            "verifier": {
                "publicKey": {"rawBytes": B64.encode(spki.as_bytes())},
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            },
        },
    }})
}

pub(crate) fn append_v2(
    client: &reqwest::blocking::Client,
    url: &str,
    key: &SigningKey,
    artifact: &[u8],
) -> Option<Ack> {
    let sent = client
        .post(format!("{url}/api/v2/log/entries"))
        .json(&hashed_rekord_v2(key, artifact))
        .send();
    let resp = sent.ok().filter(|r| r.status() == 201)?;
    let e: serde_json::Value = resp.json().ok()?;
    Some((
        e["logIndex"].as_str().unwrap().parse().unwrap(),
        B64.decode(e["canonicalizedBody"].as_str().unwrap())
            .unwrap(),
        e["inclusionProof"]["checkpoint"]["envelope"]
            .as_str()
            .unwrap()
            .to_owned(),
    ))
}

/// The first `size` entries of the Rekor v2 log at `v2`, from its entry bundles.
fn v2_entries(client: &reqwest::blocking::Client, v2: &str, size: u64) -> Vec<Vec<u8>> {
    let mut entries = Vec::new();
    for n in 0..size.div_ceil(256) {
        let width = (size - n * 256).min(256);
        let tile = tlog::tile::Tile {
            level: tlog::tile::Tile::DATA,
            index: n,
            width: width as u16,
        };
        let bytes = client
            .get(format!("{v2}/api/v2/{}", tile.path()))
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            entries.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
    }
    assert_eq!(entries.len() as u64, size, "entries in the bundles");
    entries
}

/// The same for Rekor v2 (`sigbox up --rekor-v2`): every acknowledged entry is in the entry
/// bundles after a `kill -9`, and the tiles after the restart reproduce the root of every
/// checkpoint handed out before it.
#[test]
fn rekor_v2_survives_kill_during_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let state = state.to_str().unwrap().to_owned();
    let up = Up::start(&["--state", &state, "--rekor-v2"]);
    let url = up.url();
    let config: serde_json::Value =
        reqwest::blocking::get(format!("{url}/trust/signing_config.v0.2.json"))
            .unwrap()
            .json()
            .unwrap();
    let v2 = format!("{url}/rekor-v2");
    assert_eq!(
        config["rekorTlogUrls"][0]["url"],
        v2.as_str(),
        "--rekor-v2 offers v2"
    );
    assert_eq!(config["rekorTlogUrls"][0]["majorApiVersion"], 2);

    let acked = acked_by_eight_until_kill9(up, &v2, append_v2);

    let up = Up::start(&["--state", &state, "--rekor-v2"]);
    let v2 = format!("{}/rekor-v2", up.url());
    let client = reqwest::blocking::Client::new();
    let note = client
        .get(format!("{v2}/api/v2/checkpoint"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let (size, root) = checkpoint_size_and_root(&note);
    let entries = v2_entries(&client, &v2, size);
    for (index, body, _) in &acked {
        assert_eq!(&entries[*index as usize], body, "entry {index}");
    }
    let mut tree = tlog::proof::MemoryTree::new();
    for e in &entries {
        tree.push(tlog::leaf_hash(e));
    }
    assert_eq!(tlog::proof::root_at(&tree, size).unwrap(), root);
    for (_, _, cp) in &acked {
        let (old_size, old_root) = checkpoint_size_and_root(cp);
        assert_eq!(
            tlog::proof::root_at(&tree, old_size).unwrap(),
            old_root,
            "the checkpoint of size {old_size} handed out before the kill"
        );
    }
}

/// One step of a crash case.
#[derive(Debug, Clone)]
enum Step {
    /// Appends to Rekor v1, one after another.
    AppendV1(u8),
    /// Appends to Rekor v2.
    AppendV2(u8),
    /// A rotation through the admin API (`rekor` opens a new shard).
    Rotate(&'static str),
    /// Writers to both logs in flight; SIGKILL once `acks` of them are acknowledged; restart;
    /// check.
    Kill9 { acks: u8 },
}

/// Which log the end of a case damages (its write-ahead log cut to half, the stack stopped).
#[derive(Debug, Clone, Copy)]
enum Damage {
    ActiveRekorShard,
    RekorV2,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (1u8..6).prop_map(Step::AppendV1),
        3 => (1u8..6).prop_map(Step::AppendV2),
        2 => proptest::sample::select(&["rekor", "rekor", "ctlog", "fulcio", "tsa", "tuf-root"][..])
            .prop_map(Step::Rotate),
        2 => (0u8..12).prop_map(|acks| Step::Kill9 { acks }),
    ]
}

/// What a case has seen: every acknowledged entry and every checkpoint handed out.
struct Seen {
    state: std::path::PathBuf,
    up: Option<Up>,
    v1: Vec<Ack>,
    v2: Vec<Ack>,
    /// Rekor v1 checkpoints (each names its shard's tree ID in its origin).
    v1_checkpoints: Vec<String>,
    v2_checkpoints: Vec<String>,
    rekor_shards: usize,
    /// Distinct artifact names across the case.
    tag: u64,
}

impl Seen {
    fn url(&self) -> String {
        self.up.as_ref().expect("a running stack").url()
    }

    fn record(&mut self, v1: Vec<Ack>, v2: Vec<Ack>) {
        self.v1_checkpoints.extend(v1.iter().map(|a| a.2.clone()));
        self.v2_checkpoints.extend(v2.iter().map(|a| a.2.clone()));
        self.v1.extend(v1);
        self.v2.extend(v2);
    }

    fn apply(&mut self, step: &Step) {
        self.tag += 1;
        let tag = format!("step {}", self.tag);
        let url = self.url();
        let v2_url = format!("{url}/rekor-v2");
        match step {
            Step::AppendV1(n) => {
                let acks = crate::loss::appends(&url, append_v1, &tag, u64::from(*n));
                self.record(acks, vec![]);
            }
            Step::AppendV2(n) => {
                let acks = crate::loss::appends(&v2_url, append_v2, &tag, u64::from(*n));
                self.record(vec![], acks);
            }
            Step::Rotate(service) => {
                let up = self.up.as_ref().expect("a running stack");
                let r = reqwest::blocking::Client::new()
                    .post(format!("{url}/admin/rotate"))
                    .bearer_auth(up.ready["admin_token"].as_str().unwrap())
                    .json(&serde_json::json!({ "service": service }))
                    .send()
                    .unwrap();
                assert_eq!(r.status(), 200, "rotating {service}: {}", r.text().unwrap());
                if *service == "rekor" {
                    self.rekor_shards += 1;
                }
            }
            Step::Kill9 { acks } => {
                let up = self.up.take().expect("a running stack");
                let writers: Vec<(String, Append)> = vec![
                    (url.clone(), append_v1),
                    (v2_url.clone(), append_v2),
                    (url, append_v1),
                    (v2_url, append_v2),
                ];
                let acked = acked_until_kill9(up, &writers, &tag, usize::from(*acks));
                let (v1, v2): (Vec<_>, Vec<_>) = acked.into_iter().partition(|(w, _)| w % 2 == 0);
                self.record(
                    v1.into_iter().map(|(_, a)| a).collect(),
                    v2.into_iter().map(|(_, a)| a).collect(),
                );
                self.up = Some(crate::loss::up(&self.state));
                self.check();
            }
        }
    }

    /// The crash promise, against the running stack.
    fn check(&mut self) {
        let url = self.url();
        let client = reqwest::blocking::Client::new();
        let get = |u: String| -> serde_json::Value {
            let r = client.get(&u).send().unwrap();
            assert!(r.status().is_success(), "GET {u}: {}", r.status());
            r.json().unwrap()
        };
        // Rekor v1: every shard's current tree, by tree ID.
        let info = get(format!("{url}/api/v1/log"));
        let mut shards = std::collections::HashMap::new();
        for shard in std::iter::once(&info).chain(info["inactiveShards"].as_array().unwrap()) {
            let id: u64 = shard["treeID"].as_str().unwrap().parse().unwrap();
            let (size, root) = checkpoint_size_and_root(shard["signedTreeHead"].as_str().unwrap());
            shards.insert(id, (size, root));
        }
        assert_eq!(shards.len(), self.rekor_shards, "shards: {info}");
        let tree_id = |note: &str| -> u64 {
            let origin = note.lines().next().unwrap();
            origin.rsplit(" - ").next().unwrap().parse().unwrap()
        };
        for (index, body, checkpoint) in &self.v1 {
            let got = get(format!("{url}/api/v1/log/entries?logIndex={index}"));
            let (_, entry) = got.as_object().unwrap().iter().next().unwrap();
            assert_eq!(
                entry["body"].as_str().unwrap().as_bytes(),
                body,
                "v1 entry {index}"
            );
            let proof = &entry["verification"]["inclusionProof"];
            let id = tree_id(checkpoint);
            let (size, root) = shards[&id];
            assert_eq!(
                proof["treeSize"], size,
                "v1 entry {index}: proof in the current tree"
            );
            assert_eq!(
                proof["rootHash"],
                root.to_hex().as_str(),
                "v1 entry {index}"
            );
            let hashes = proof_hashes(proof);
            let leaf = tlog::leaf_hash(&B64.decode(body).unwrap());
            let local = proof["logIndex"].as_u64().unwrap();
            tlog::proof::verify_inclusion(&leaf, local, size, &hashes, &root)
                .unwrap_or_else(|e| panic!("v1 entry {index}: inclusion: {e}"));
        }
        for note in &self.v1_checkpoints {
            let id = tree_id(note);
            let (old_size, old_root) = checkpoint_size_and_root(note);
            let (size, root) = shards[&id];
            assert!(
                old_size <= size,
                "shard {id} shrank from {old_size} to {size}"
            );
            if old_size == 0 {
                // Every tree extends the empty one (RFC 6962 has no proof from size 0).
                assert_eq!(old_root, tlog::empty_root(), "shard {id}: the empty tree");
                continue;
            }
            if old_size == size {
                assert_eq!(old_root, root, "shard {id} forked at size {size}");
                continue;
            }
            let proof = get(format!(
                "{url}/api/v1/log/proof?firstSize={old_size}&lastSize={size}&treeID={id}"
            ));
            let hashes = proof_hashes(&proof);
            tlog::proof::verify_consistency(old_size, size, &hashes, &old_root, &root)
                .unwrap_or_else(|e| panic!("shard {id}: {old_size} -> {size}: {e}"));
        }
        self.v1_checkpoints
            .push(info["signedTreeHead"].as_str().unwrap().to_owned());

        // Rekor v2: the tree from its entry bundles against its signed checkpoint.
        let v2 = format!("{url}/rekor-v2");
        let note = client
            .get(format!("{v2}/api/v2/checkpoint"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let (size, root) = checkpoint_size_and_root(&note);
        let entries = v2_entries(&client, &v2, size);
        let mut tree = tlog::proof::MemoryTree::new();
        for e in &entries {
            tree.push(tlog::leaf_hash(e));
        }
        assert_eq!(tlog::proof::root_at(&tree, size).unwrap(), root, "v2 root");
        for (index, body, _) in &self.v2 {
            let i = *index;
            assert!(i < size, "v2 entry {i} beyond the tree of {size}");
            assert_eq!(&entries[i as usize], body, "v2 entry {i}");
            let hashes = tlog::proof::inclusion_proof(&tree, i, size).unwrap();
            tlog::proof::verify_inclusion(&tlog::leaf_hash(body), i, size, &hashes, &root)
                .unwrap_or_else(|e| panic!("v2 entry {i}: inclusion: {e}"));
        }
        for old in &self.v2_checkpoints {
            let (old_size, old_root) = checkpoint_size_and_root(old);
            assert!(old_size <= size, "v2 shrank from {old_size} to {size}");
            if old_size == size || old_size == 0 {
                assert_eq!(tlog::proof::root_at(&tree, old_size).unwrap(), old_root);
                continue;
            }
            let proof = tlog::proof::consistency_proof(&tree, old_size, size).unwrap();
            tlog::proof::verify_consistency(old_size, size, &proof, &old_root, &root)
                .unwrap_or_else(|e| panic!("v2: {old_size} -> {size}: {e}"));
        }
        self.v2_checkpoints.push(note);
    }

    /// Stops the stack, cuts a log's write-ahead log to half, and starts again: the stack
    /// refuses, naming the log and what it lost, or it lost nothing acknowledged.
    fn damage(&mut self, which: Damage) {
        assert!(
            self.up
                .take()
                .expect("a running stack")
                .terminate()
                .success()
        );
        let (dir, name) = match which {
            Damage::ActiveRekorShard => {
                let g = self.rekor_shards - 1;
                (
                    self.state.join(format!("rekor/{g}")),
                    format!("rekor shard {g}"),
                )
            }
            Damage::RekorV2 => (self.state.join("rekor-v2/0"), "rekor v2 log".to_owned()),
        };
        let has_wal = std::fs::read_dir(&dir).unwrap().any(|e| {
            let p = e.unwrap().path();
            p.extension().is_some_and(|x| x == "log") && std::fs::metadata(&p).unwrap().len() > 0
        });
        if has_wal {
            crate::loss::truncate_wal_to_half(&dir);
        }
        let state = self.state.to_str().unwrap().to_owned();
        let args = ["up", "--json", "--listen", "127.0.0.1:0", "--state", &state];
        let (code, text) = crate::loss::run(&args);
        eprintln!(
            "{name}: write-ahead log {}; sigbox up {}",
            if has_wal {
                "cut to half"
            } else {
                "empty, left"
            },
            if code.is_some() { "refused" } else { "started" }
        );
        if code.is_some() {
            assert_eq!(code, Some(1), "{text}");
            assert!(
                text.contains(&format!("error: {name} at {}", dir.display()))
                    && text.contains("missing"),
                "a refusal names the log and what is missing: {text}"
            );
            return;
        }
        // It started: then nothing acknowledged may be gone.
        self.up = Some(crate::loss::up(&self.state));
        self.check();
    }
}

fn run_case(steps: &[Step], damage: Option<Damage>) {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let mut seen = Seen {
        up: Some(crate::loss::up(&state)),
        state,
        v1: vec![],
        v2: vec![],
        v1_checkpoints: vec![],
        v2_checkpoints: vec![],
        rekor_shards: 1,
        tag: 0,
    };
    for step in steps.iter().chain([&Step::Kill9 { acks: 4 }]) {
        seen.apply(step);
    }
    match damage {
        Some(which) => {
            // RocksDB replays its write-ahead log into a table at open, so the restart above
            // left it empty: give it something to lose.
            seen.apply(&Step::AppendV1(4));
            seen.apply(&Step::AppendV2(4));
            seen.damage(which);
        }
        None => {
            // A stopped state that kept its promise passes fsck.
            assert!(seen.up.take().unwrap().terminate().success());
            let (code, report) =
                crate::loss::run(&["fsck", "--state", seen.state.to_str().unwrap()]);
            assert_eq!(code, Some(0), "{report}");
        }
    }
}

/// The crash promise as a property: random interleavings of appends to Rekor v1 and v2,
/// rotations and `kill -9` (each case ends with one, then perhaps a write-ahead log cut to
/// half). After every restart each acknowledged entry is at its index with its body, its
/// inclusion proof verifies against the current root, and every checkpoint handed out before
/// is consistent with the current tree; a damaged log refuses to start instead.
/// `PROPTEST_CASES` sets the number of cases (default 16, some seconds).
#[test]
fn acknowledged_entries_survive_random_crashes_and_rotations() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(16);
    let mut runner = TestRunner::new(Config {
        cases,
        // Each case starts stacks: shrinking a failure would take minutes, and the failing
        // case is printed whole anyway.
        max_shrink_iters: 0,
        failure_persistence: None,
        ..Config::default()
    });
    let damage = prop_oneof![
        Just(None),
        Just(Some(Damage::ActiveRekorShard)),
        Just(Some(Damage::RekorV2)),
    ];
    runner
        .run(
            &(proptest::collection::vec(step(), 2..7), damage),
            |(steps, damage)| {
                eprintln!("case: {steps:?}, then {damage:?}");
                run_case(&steps, damage);
                Ok(())
            },
        )
        .unwrap();
}
