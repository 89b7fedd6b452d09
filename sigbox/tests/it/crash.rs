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

/// An acknowledged append: its index, its body as the log answered it, and the checkpoint
/// that came with it.
type Ack = (u64, Vec<u8>, String);

/// One append through the log's API: `None` when the request fails (after the kill: that is
/// the point of these tests); an answer that is not a well-formed acknowledgement panics.
type Append = fn(&reqwest::blocking::Client, &str, &SigningKey, &[u8]) -> Option<Ack>;

/// Eight writers append through `append` to the log at `url` until at least 300 appends are
/// acknowledged; then `up` is killed with SIGKILL, mid-stream. Every acknowledgement.
fn acked_until_kill9(up: Up, url: &str, append: Append) -> Vec<Ack> {
    let acked = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8u8)
        .map(|w| {
            let (url, acked, stop) = (url.to_owned(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                let key = SigningKey::from_slice(&[w + 1; 32]).unwrap();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let artifact = format!("writer {w} artifact {n}");
                    let Some(ack) = append(&client, &url, &key, artifact.as_bytes()) else {
                        break;
                    };
                    acked.lock().unwrap().push(ack);
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 300 {
        std::thread::sleep(Duration::from_millis(5));
    }
    up.kill9();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!("{} appends acknowledged before SIGKILL", acked.len());
    acked
}

fn append_v1(
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

fn checkpoint_size_and_root(note: &str) -> (u64, tlog::Hash) {
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
    let acked = acked_until_kill9(up, &url, append_v1);

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
    let hashes: Vec<tlog::Hash> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| tlog::Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
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

fn append_v2(
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

    let acked = acked_until_kill9(up, &v2, append_v2);

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
    // Every entry, from the entry bundles.
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
    assert_eq!(entries.len() as u64, size);
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
