//! Rekor v2 over HTTP (`{url}/rekor-v2/api/v2/...`): appends of both kinds answered with
//! inclusion proofs against a checkpoint signed by the key the served trusted root lists; the
//! C2SP tiles reproduce the checkpoint's root; hostile requests are refused and change nothing;
//! the tree survives a restart; and sigstore-python signs to it from the signing config.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use fake_oidc::MintRequest;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stack::Stack;
use tlog::checkpoint::Checkpoint;
use tlog::note::{EcdsaNoteKey, SignedNote};
use tlog::{Hash, leaf_hash};

use crate::support::{sigstore_js, sigstore_python, sigstore_python_verify, write_client_trust};

/// A signing key for tests only (a fixed scalar, never a real key).
fn test_key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn spki_b64(key: &SigningKey) -> String {
    B64.encode(key.verifying_key().to_public_key_der().unwrap().as_bytes())
}

/// A `hashedRekordRequestV002` over `artifact`'s SHA-256, signed by `key` (a public key
/// verifier).
pub(crate) fn hashed_rekord(key: &SigningKey, artifact: &[u8]) -> Value {
    let digest = Sha256::digest(artifact);
    let sig: p256::ecdsa::Signature = key.sign_prehash(&digest).unwrap();
    json!({"hashedRekordRequestV002": {
        "digest": B64.encode(digest),
        "signature": {
            "content": B64.encode(sig.to_der().as_bytes()),
            "verifier": {
                "publicKey": {"rawBytes": spki_b64(key)},
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            },
        },
    }})
}

/// A `dsseRequestV002`: an in-toto statement in an envelope signed by `key`.
fn dsse(key: &SigningKey, statement: &[u8]) -> Value {
    let payload_type = "application/vnd.in-toto+json";
    let mut pae = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        statement.len()
    )
    .into_bytes();
    pae.extend_from_slice(statement);
    let sig: DerSignature = key.sign(&pae);
    json!({"dsseRequestV002": {
        "envelope": {
            "payload": B64.encode(statement),
            "payloadType": payload_type,
            "signatures": [{"sig": B64.encode(sig.as_bytes()), "keyid": ""}],
        },
        "verifiers": [{
            "publicKey": {"rawBytes": spki_b64(key)},
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        }],
    }})
}

/// The v2 log as the served trusted root lists it: its key and log ID.
async fn v2_log(client: &reqwest::Client, stack: &Stack) -> (VerifyingKey, Vec<u8>) {
    let root: Value = client
        .get(format!("{}/trust/trusted_root.json", stack.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["baseUrl"] == stack.rekor_v2_url().as_str())
        .expect("the trusted root lists the v2 log");
    assert_eq!(log["hashAlgorithm"], "SHA2_256");
    assert_eq!(log["publicKey"]["keyDetails"], "PKIX_ECDSA_P256_SHA_256");
    assert!(log["publicKey"]["validFor"]["start"].is_string());
    let spki = B64
        .decode(log["publicKey"]["rawBytes"].as_str().unwrap())
        .unwrap();
    let log_id = B64.decode(log["logId"]["keyId"].as_str().unwrap()).unwrap();
    assert_eq!(
        log_id,
        Sha256::digest(&spki).to_vec(),
        "logId is SHA-256 of the key"
    );
    (VerifyingKey::from_public_key_der(&spki).unwrap(), log_id)
}

/// Verifies a checkpoint note with the log's key, named by the stack's host; its body.
fn open_checkpoint(stack: &Stack, key: VerifyingKey, note: &str) -> Checkpoint {
    // The host alone, no port: sigstore-go matches origin and name to `url.Hostname()`,
    // sigstore-java the name to `getBaseUrl().getHost()`.
    let name = "127.0.0.1";
    assert_eq!(stack.addr().ip().to_string(), name);
    assert!(note.contains("\n\n\u{2014} 127.0.0.1 "), "{note}");
    let verifier = EcdsaNoteKey::rekor_v1_verifier(name, key);
    let signed = SignedNote::parse(note).unwrap();
    let text = signed.verify(&[&verifier]).unwrap();
    let checkpoint = Checkpoint::parse(text).unwrap();
    assert_eq!(checkpoint.origin, name);
    checkpoint
}

async fn post(
    client: &reqwest::Client,
    stack: &Stack,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    client
        .post(format!("{}/api/v2/log/entries", stack.rekor_v2_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn checkpoint(client: &reqwest::Client, stack: &Stack) -> String {
    let r = client
        .get(format!("{}/api/v2/checkpoint", stack.rekor_v2_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

fn b64_hash(v: &Value) -> Hash {
    Hash(B64.decode(v.as_str().unwrap()).unwrap().try_into().unwrap())
}

/// Checks one `TransparencyLogEntry` answer: its shape, its body, and its proof against its
/// checkpoint.
fn check_entry(stack: &Stack, key: VerifyingKey, log_id: &[u8], e: &Value, kind: &str, index: u64) {
    assert_eq!(e["logIndex"], index.to_string());
    assert_eq!(e["logId"]["keyId"], B64.encode(log_id));
    assert_eq!(e["kindVersion"], json!({"kind": kind, "version": "0.0.2"}));
    assert_eq!(e["integratedTime"], "0", "v2 has no integrated time");
    assert!(e["inclusionPromise"].is_null(), "v2 makes no promise");
    let body = B64
        .decode(e["canonicalizedBody"].as_str().unwrap())
        .unwrap();
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(parsed["kind"], kind);
    assert_eq!(parsed["apiVersion"], "0.0.2");
    assert_eq!(serde_json::to_vec(&parsed).unwrap(), body, "canonical JSON");
    let proof = &e["inclusionProof"];
    assert_eq!(proof["logIndex"], index.to_string());
    let size: u64 = proof["treeSize"].as_str().unwrap().parse().unwrap();
    let cp = open_checkpoint(
        stack,
        key,
        proof["checkpoint"]["envelope"].as_str().unwrap(),
    );
    assert_eq!(cp.size, size);
    assert_eq!(cp.root, b64_hash(&proof["rootHash"]));
    let hashes: Vec<Hash> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(b64_hash)
        .collect();
    tlog::proof::verify_inclusion(&leaf_hash(&body), index, size, &hashes, &cp.root).unwrap();
}

#[tokio::test]
async fn both_kinds_append_with_proofs_to_a_checkpoint_the_trusted_root_verifies() {
    let stack = Stack::builder().start().await.unwrap();
    let client = reqwest::Client::new();
    let (key, log_id) = v2_log(&client, &stack).await;
    let signer = test_key(7);
    for n in 0..3u8 {
        let r = post(
            &client,
            &stack,
            hashed_rekord(&signer, &[n; 10]).to_string(),
        )
        .await;
        assert_eq!(r.status(), 201);
        let e: Value = r.json().await.unwrap();
        check_entry(&stack, key, &log_id, &e, "hashedrekord", u64::from(n));
        let body: Value = serde_json::from_slice(
            &B64.decode(e["canonicalizedBody"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        let spec = &body["spec"]["hashedRekordV002"];
        assert_eq!(spec["data"]["algorithm"], "SHA2_256");
        assert_eq!(spec["data"]["digest"], B64.encode(Sha256::digest([n; 10])));
        assert_eq!(
            spec["signature"]["verifier"]["publicKey"]["rawBytes"],
            spki_b64(&signer)
        );
    }
    for n in 3..5u64 {
        let statement = format!(r#"{{"_type":"https://in-toto.io/Statement/v1","n":{n}}}"#);
        let r = post(
            &client,
            &stack,
            dsse(&signer, statement.as_bytes()).to_string(),
        )
        .await;
        assert_eq!(r.status(), 201);
        let e: Value = r.json().await.unwrap();
        check_entry(&stack, key, &log_id, &e, "dsse", n);
        let body: Value = serde_json::from_slice(
            &B64.decode(e["canonicalizedBody"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        let spec = &body["spec"]["dsseV002"];
        assert_eq!(
            spec["payloadHash"]["digest"],
            B64.encode(Sha256::digest(statement.as_bytes()))
        );
        assert_eq!(spec["signatures"].as_array().unwrap().len(), 1);
    }
    // The same request again: 409 naming the first entry's index; the tree stays at 5.
    let r = post(
        &client,
        &stack,
        hashed_rekord(&signer, &[1; 10]).to_string(),
    )
    .await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["x-log-index"], "1");
    let cp = open_checkpoint(&stack, key, &checkpoint(&client, &stack).await);
    assert_eq!(cp.size, 5);
}

#[tokio::test]
async fn tiles_and_entry_bundles_reproduce_the_checkpoint_root() {
    let stack = Stack::builder().start().await.unwrap();
    let client = reqwest::Client::new();
    let (key, _) = v2_log(&client, &stack).await;
    let signer = test_key(9);
    // One full level-0 tile and a partial one; one partial level-1 tile.
    let n = 260u32;
    for i in 0..n {
        let r = post(
            &client,
            &stack,
            hashed_rekord(&signer, &i.to_be_bytes()).to_string(),
        )
        .await;
        assert_eq!(r.status(), 201);
    }
    let cp = open_checkpoint(&stack, key, &checkpoint(&client, &stack).await);
    assert_eq!(cp.size, u64::from(n));
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}/api/v2/{path}", stack.rekor_v2_url());
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
        }
    };
    let mut leaves = Vec::new();
    let mut entries = Vec::new();
    for tile in tlog::tile::tiles_for_size(cp.size) {
        let (status, bytes) = get(tile.path()).await;
        assert_eq!(status, 200, "{}", tile.path());
        assert_eq!(bytes.len(), usize::from(tile.width) * 32, "{}", tile.path());
        let hashes: Vec<Hash> = bytes
            .chunks(32)
            .map(|c| Hash(c.try_into().unwrap()))
            .collect();
        if tile.level == 0 {
            leaves.extend(hashes);
            let bundle = tlog::tile::Tile {
                level: tlog::tile::Tile::DATA,
                ..tile
            };
            let (status, mut rest) = get(bundle.path()).await;
            assert_eq!(status, 200, "{}", bundle.path());
            while !rest.is_empty() {
                let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
                entries.push(rest[2..2 + len].to_vec());
                rest.drain(..2 + len);
            }
        } else {
            // Level 1, hash 0: the root of the first 256 leaves.
            let mut first = tlog::proof::MemoryTree::new();
            for leaf in &leaves[..256] {
                first.push(*leaf);
            }
            assert_eq!(hashes[0], tlog::proof::root_at(&first, 256).unwrap());
        }
    }
    let mut tree = tlog::proof::MemoryTree::new();
    for leaf in &leaves {
        tree.push(*leaf);
    }
    assert_eq!(tlog::proof::root_at(&tree, cp.size).unwrap(), cp.root);
    assert_eq!(entries.len(), leaves.len());
    for (entry, leaf) in entries.iter().zip(&leaves) {
        assert_eq!(
            leaf_hash(entry),
            *leaf,
            "entry bundles hold the leaves' bodies"
        );
    }
    // Beyond the tree: 404; not a tile path: 400.
    for (path, want) in [
        ("tile/0/002", 404),
        ("tile/0/001.p/5", 404),
        ("tile/entries/001.p/9", 404),
        ("tile/0/1", 400),
        ("tile/0/001.p/0", 400),
    ] {
        assert_eq!(get(path.to_owned()).await.0, want, "{path}");
    }
}

#[tokio::test]
async fn hostile_requests_are_refused_and_change_nothing() {
    let stack = Stack::builder().start().await.unwrap();
    let client = reqwest::Client::new();
    let (key, _) = v2_log(&client, &stack).await;
    let signer = test_key(5);
    let good = hashed_rekord(&signer, b"good");
    let r = post(&client, &stack, good.to_string()).await;
    assert_eq!(r.status(), 201);
    let before = checkpoint(&client, &stack).await;

    let with = |path: &[&str], value: Value| {
        let mut v = hashed_rekord(&signer, b"hostile");
        let mut cur = &mut v;
        for p in &path[..path.len() - 1] {
            cur = &mut cur[*p];
        }
        cur[path[path.len() - 1]] = value;
        v.to_string()
    };
    let hr = "hashedRekordRequestV002";
    let other = test_key(6);
    let p384_details = with(
        &[hr, "signature", "verifier", "keyDetails"],
        json!("PKIX_ECDSA_P384_SHA_384"),
    );
    let mut many = dsse(&signer, b"{}");
    let verifier = many["dsseRequestV002"]["verifiers"][0].clone();
    many["dsseRequestV002"]["verifiers"] = json!(vec![verifier.clone(); 11]);
    let mut twice = dsse(&signer, b"{}");
    twice["dsseRequestV002"]["verifiers"] = json!([verifier.clone(), verifier]);
    let mut wrong_dsse = dsse(&signer, b"{}");
    wrong_dsse["dsseRequestV002"]["envelope"]["payload"] = json!(B64.encode(b"{\"other\":1}"));
    let mut both = hashed_rekord(&signer, b"x");
    both["dsseRequestV002"] = dsse(&signer, b"{}")["dsseRequestV002"].clone();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "malformed JSON",
            "{\"hashedRekordRequestV002\": ".into(),
            "JSON",
        ),
        ("not an object", "[1,2]".into(), "CreateEntryRequest"),
        ("empty request", "{}".into(), "neither"),
        (
            "unknown field",
            json!({"hashedRekordRequestV003": {}}).to_string(),
            "unknown field",
        ),
        ("both kinds", both.to_string(), "both"),
        (
            "digest not base64",
            with(&[hr, "digest"], json!("%%%")),
            "digest is not base64",
        ),
        (
            "signature not base64",
            with(&[hr, "signature", "content"], json!("***")),
            "signature.content is not base64",
        ),
        (
            "signature by another key",
            with(
                &[hr, "signature", "verifier", "publicKey", "rawBytes"],
                json!(spki_b64(&other)),
            ),
            "verifying signature",
        ),
        (
            "digest of the wrong length",
            with(&[hr, "digest"], json!(B64.encode([1u8; 20]))),
            "digest length",
        ),
        ("keyDetails for another curve", p384_details, "does not fit"),
        (
            "unknown keyDetails",
            with(
                &[hr, "signature", "verifier", "keyDetails"],
                json!("PKIX_DSA"),
            ),
            "not a supported key type",
        ),
        (
            "key that is not a key",
            with(
                &[hr, "signature", "verifier", "publicKey", "rawBytes"],
                json!(B64.encode(b"not DER")),
            ),
            "SubjectPublicKeyInfo",
        ),
        (
            "certificate that is not a certificate",
            with(
                &[hr, "signature", "verifier"],
                json!({"x509Certificate": {"rawBytes": B64.encode(b"nope")}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"}),
            ),
            "certificate",
        ),
        (
            "no key in the verifier",
            with(
                &[hr, "signature", "verifier"],
                json!({"keyDetails": "PKIX_ECDSA_P256_SHA_256"}),
            ),
            "either a public key",
        ),
        (
            "DSSE with eleven verifiers",
            many.to_string(),
            "too many verifiers",
        ),
        (
            "DSSE with a verifier twice",
            twice.to_string(),
            "duplicate verifier",
        ),
        (
            "DSSE signature over another payload",
            wrong_dsse.to_string(),
            "does not verify",
        ),
    ];
    for (what, body, reason) in cases {
        let r = post(&client, &stack, body).await;
        assert_eq!(r.status(), 400, "{what}");
        let text = r.text().await.unwrap();
        assert!(text.contains(reason), "{what}: {text}");
    }
    // Over the body limit: refused before it is read.
    let huge = "x".repeat(stack::http::MAX_BODY_BYTES + 1);
    let r = post(&client, &stack, huge).await;
    assert_eq!(r.status(), 413, "oversized");
    // Nothing was appended: the same tree, the same signed checkpoint bytes.
    assert_eq!(checkpoint(&client, &stack).await, before);
    assert_eq!(open_checkpoint(&stack, key, &before).size, 1);
}

#[tokio::test]
async fn a_restart_keeps_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let signer = test_key(3);
    let client = reqwest::Client::new();
    let first = {
        let stack = Stack::builder()
            .state_dir(dir.path())
            .start()
            .await
            .unwrap();
        for n in 0..3u8 {
            let r = post(&client, &stack, hashed_rekord(&signer, &[n]).to_string()).await;
            assert_eq!(r.status(), 201);
        }
        let (key, _) = v2_log(&client, &stack).await;
        let cp = open_checkpoint(&stack, key, &checkpoint(&client, &stack).await);
        stack.shutdown().await.unwrap();
        cp
    };
    let stack = Stack::builder()
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    let (key, _) = v2_log(&client, &stack).await;
    let again = open_checkpoint(&stack, key, &checkpoint(&client, &stack).await);
    assert_eq!((again.size, again.root), (first.size, first.root));
    // Entries from before the restart are still duplicates; new ones continue the tree.
    let r = post(&client, &stack, hashed_rekord(&signer, &[2]).to_string()).await;
    assert_eq!(r.status(), 409);
    let r = post(&client, &stack, hashed_rekord(&signer, &[3]).to_string()).await;
    assert_eq!(r.status(), 201);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["logIndex"], "3");
}

#[tokio::test]
async fn signing_config_offers_v2_only_when_asked() {
    let off = Stack::builder().start().await.unwrap();
    let config: Value = serde_json::from_str(&off.trust().signing_config_json()).unwrap();
    let versions: Vec<u64> = config["rekorTlogUrls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["majorApiVersion"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1]);
    let on = Stack::builder()
        .rekor_v2_signing(true)
        .start()
        .await
        .unwrap();
    let config: Value = serde_json::from_str(&on.trust().signing_config_json()).unwrap();
    let tlogs = config["rekorTlogUrls"].as_array().unwrap();
    assert_eq!(tlogs[0]["majorApiVersion"], 2);
    assert_eq!(tlogs[0]["url"], on.rekor_v2_url().as_str());
    assert_eq!(tlogs[1]["majorApiVersion"], 1);
}

/// A stack that offers Rekor v2 for signing, a directory with what the clients start from
/// (`trust_config.json`, `root.json`, `trusted_root.json`, `signing_config.json`) and where
/// they write, and the three verifiers, each checking a bundle for `alice@example.com`.
struct V2Signing {
    stack: Stack,
    dir: tempfile::TempDir,
    issuer: String,
    trusted: client::TrustedRoot,
}

impl V2Signing {
    async fn start() -> Self {
        let stack = Stack::builder()
            .rekor_v2_signing(true)
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        write_client_trust(&stack, dir.path());
        let trust = stack.trust();
        std::fs::write(
            dir.path().join("trusted_root.json"),
            trust.trusted_root_json(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("signing_config.json"),
            trust.signing_config_json(),
        )
        .unwrap();
        let trusted = client::TrustedRoot::from_json(trust.trusted_root_json().as_bytes()).unwrap();
        let issuer = stack.oidc().issuer_url().to_owned();
        Self {
            stack,
            dir,
            issuer,
            trusted,
        }
    }

    /// `name` in the directory.
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// sigstore-python with the trust config (which holds the signing config).
    fn python(&self, args: &[&str]) -> (bool, String) {
        let trust_config = self.path("trust_config.json");
        let mut all = vec!["--trust-config", trust_config.as_str()];
        all.extend_from_slice(args);
        let home = self.dir.path().join("py-home");
        tokio::task::block_in_place(|| sigstore_python(&home, &all))
    }

    /// The script driving sigstore-js.
    fn js(&self, args: &[&str]) -> (bool, String) {
        tokio::task::block_in_place(|| sigstore_js(args))
    }

    fn python_verifies(&self, bundle: &str) -> (bool, String) {
        let trust_config = self.path("trust_config.json");
        let home = self.dir.path().join("py-home");
        let (bundle, file) = (self.path(bundle), self.path("artifact.txt"));
        tokio::task::block_in_place(|| {
            let trust = ["--trust-config", trust_config.as_str()];
            sigstore_python_verify(
                &home,
                trust,
                &bundle,
                &file,
                "alice@example.com",
                &self.issuer,
            )
        })
    }

    fn js_verifies(&self, bundle: &str) -> (bool, String) {
        self.js(&[
            "verify-with-root",
            &self.path("trusted_root.json"),
            &self.path(bundle),
            &self.path("artifact.txt"),
            "alice@example.com",
            &self.issuer,
        ])
    }

    /// Our client's verdict on `bundle` over `artifact`.
    fn ours_verifies(&self, bundle: &str, artifact: &[u8]) -> Result<(), String> {
        let parsed = client::Bundle::from_json(&std::fs::read(self.path(bundle)).unwrap())
            .map_err(|e| e.to_string())?;
        let policy = client::Policy::Identity {
            san: "alice@example.com".into(),
            issuer: self.issuer.clone(),
        };
        client::Verifier::new(self.trusted.clone())
            .verify(&parsed, client::Artifact::Bytes(artifact), &policy)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// `bundle`'s entry went to the v2 log, as `kind` 0.0.2.
    fn assert_v2_entry(&self, bundle: &str, kind: &str) {
        let json: Value =
            serde_json::from_slice(&std::fs::read(self.path(bundle)).unwrap()).unwrap();
        let entry = &json["verificationMaterial"]["tlogEntries"][0];
        assert_eq!(
            entry["logId"]["keyId"],
            B64.encode(self.stack.rekor_v2().log_id()),
            "{bundle} went to Rekor v2"
        );
        assert_eq!(entry["kindVersion"]["kind"], kind, "{bundle}");
        assert_eq!(entry["kindVersion"]["version"], "0.0.2", "{bundle}");
        assert!(
            json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
                .is_object(),
            "{bundle}: a v2 entry comes with a TSA timestamp"
        );
    }
}

/// An in-toto statement whose subject is `artifact.txt` with these bytes.
fn statement_about(artifact: &[u8]) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.txt", "digest": {"sha256": hex::encode(Sha256::digest(artifact))}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "https://sigbox.test/build/v1"}},
    })
}

/// The acceptance test: sigstore-python 4.5.1, given a signing config that offers Rekor v2,
/// signs to it (a message signature and a DSSE attestation, both as hashedrekord 0.0.2) and
/// verifies its bundles; our client verifies them too.
#[tokio::test(flavor = "multi_thread")]
async fn sigstore_python_signs_to_rekor_v2_and_both_verifiers_accept() {
    let v2 = V2Signing::start().await;
    let p = |name: &str| v2.path(name);
    let artifact = b"an artifact signed to sigbox's Rekor v2\n";
    std::fs::write(p("artifact.txt"), artifact).unwrap();
    let predicate = json!({
        "buildDefinition": {"buildType": "https://sigbox.test/build/v1", "externalParameters": {}},
        "runDetails": {"builder": {"id": "https://sigbox.test/builder"}},
    });
    std::fs::write(p("predicate.json"), predicate.to_string()).unwrap();
    let token = v2.stack.oidc().mint(&MintRequest::default()).unwrap();
    let (ok, out) = v2.python(&[
        "sign",
        "--identity-token",
        &token,
        "--bundle",
        &p("py.v2.json"),
        &p("artifact.txt"),
    ]);
    assert!(ok, "sigstore-python sign: {out}");
    let token = v2.stack.oidc().mint(&MintRequest::default()).unwrap();
    let (ok, out) = v2.python(&[
        "attest",
        "--predicate",
        &p("predicate.json"),
        "--predicate-type",
        "https://slsa.dev/provenance/v1",
        "--identity-token",
        &token,
        "--bundle",
        &p("py.v2.dsse.json"),
        &p("artifact.txt"),
    ]);
    assert!(ok, "sigstore-python attest: {out}");
    for bundle in ["py.v2.json", "py.v2.dsse.json"] {
        v2.assert_v2_entry(bundle, "hashedrekord");
        let (ok, out) = v2.python_verifies(bundle);
        assert!(ok, "sigstore-python verify {bundle}: {out}");
        v2.ours_verifies(bundle, artifact)
            .unwrap_or_else(|e| panic!("our client refused {bundle}: {e}"));
    }
}

/// sigstore-js 5 (`@sigstore/sign` 5.1's `bundleBuilderFromSigningConfig`: `sigstore.sign` in
/// `sigstore` 5.0.1 has no way to reach Rekor v2) signs to Rekor v2 from the signing config: a
/// message signature as hashedrekord 0.0.2, a DSSE attestation as dsse 0.0.2. sigstore-js and
/// our client verify both.
#[tokio::test(flavor = "multi_thread")]
async fn sigstore_js_signs_to_rekor_v2_from_the_signing_config() {
    let v2 = V2Signing::start().await;
    let p = |name: &str| v2.path(name);
    let artifact = b"an artifact sigstore-js signs to sigbox's Rekor v2\n";
    std::fs::write(p("artifact.txt"), artifact).unwrap();
    std::fs::write(p("statement.json"), statement_about(artifact).to_string()).unwrap();
    let sign = |input: &str, bundle: &str, mode: &str| {
        let token = v2.stack.oidc().mint(&MintRequest::default()).unwrap();
        let signing_config = p("signing_config.json");
        let (input, bundle) = (p(input), p(bundle));
        let mut args = vec!["sign-config", &signing_config, &token, &input, &bundle];
        if mode == "attest" {
            args.push("attest");
        }
        let (ok, out) = v2.js(&args);
        assert!(ok, "sigstore-js sign-config {mode}: {out}");
    };
    for (bundle, input, mode, kind) in [
        ("js.v2.json", "artifact.txt", "message", "hashedrekord"),
        ("js.v2.dsse.json", "statement.json", "attest", "dsse"),
    ] {
        sign(input, bundle, mode);
        v2.assert_v2_entry(bundle, kind);
        let (ok, out) = v2.js_verifies(bundle);
        assert!(ok, "sigstore-js verify {bundle}: {out}");
        v2.ours_verifies(bundle, artifact)
            .unwrap_or_else(|e| panic!("our client refused {bundle}: {e}"));
    }
    // A third entry, at index 2: sigstore-python verifies sigstore-js's v2 message bundle.
    sign("artifact.txt", "js.v2.again.json", "message");
    let (ok, out) = v2.python_verifies("js.v2.again.json");
    assert!(ok, "sigstore-python verify js.v2.again.json: {out}");
    // Client differences, pinned so a fixed client shows up here. The entry at logIndex 0:
    // sigstore-js writes its bundle as proto3 JSON, leaving out the zero `logIndex` and the
    // empty `hashes` of a one-leaf tree, which sigstore-python 4.5.1's models require.
    let (ok, out) = v2.python_verifies("js.v2.json");
    assert!(
        !ok && out.contains("logIndex"),
        "sigstore-python on js.v2.json: {out}"
    );
    // And dsse 0.0.2: sigstore-python 4.5.1 takes a v2 DSSE entry only as hashedrekord 0.0.2
    // over the PAE (what it logs itself, and what rekor-tiles now asks for).
    let (ok, out) = v2.python_verifies("js.v2.dsse.json");
    assert!(
        !ok && out.contains("Unsupported DSSE log entry type: dsse/0.0.2"),
        "sigstore-python on js.v2.dsse.json: {out}"
    );
}

/// Our client signs to Rekor v2 when the signing config offers it (a message signature and an
/// in-toto statement, both as hashedrekord 0.0.2); our verifier, sigstore-python and
/// sigstore-js accept both bundles.
#[tokio::test(flavor = "multi_thread")]
async fn our_client_signs_to_rekor_v2_and_every_verifier_accepts() {
    let v2 = V2Signing::start().await;
    let artifact = b"an artifact our client signs to sigbox's Rekor v2\n";
    std::fs::write(v2.path("artifact.txt"), artifact).unwrap();
    let statement = statement_about(artifact).to_string();
    let services = client::sign::Services::from_signing_config(
        v2.stack.trust().signing_config_json().as_bytes(),
        v2.stack.clock().now(),
    )
    .unwrap();
    assert_eq!(
        (services.rekor.as_str(), services.rekor_api),
        (v2.stack.rekor_v2_url().as_str(), 2)
    );
    for (name, payload) in [
        ("ours.v2.json", client::sign::Payload::Message(artifact)),
        (
            "ours.v2.dsse.json",
            client::sign::Payload::InToto(statement.as_bytes()),
        ),
    ] {
        // The first lands at index 0: the bundle keeps the log's `logIndex` "0" and empty
        // `hashes`, which sigstore-python needs (and sigstore-js leaves out).
        let token = v2.stack.oidc().mint(&MintRequest::default()).unwrap();
        let bundle = tokio::task::block_in_place(|| client::sign::sign(&services, &token, payload))
            .unwrap_or_else(|e| panic!("signing {name}: {e}"));
        std::fs::write(v2.path(name), bundle.encode()).unwrap();
        v2.assert_v2_entry(name, "hashedrekord");
        v2.ours_verifies(name, artifact)
            .unwrap_or_else(|e| panic!("our client refused {name}: {e}"));
        let (ok, out) = v2.python_verifies(name);
        assert!(ok, "sigstore-python verify {name}: {out}");
        let (ok, out) = v2.js_verifies(name);
        assert!(ok, "sigstore-js verify {name}: {out}");
    }
}
