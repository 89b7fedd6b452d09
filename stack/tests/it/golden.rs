//! Golden files: the bytes users see, under one seed, a frozen clock and one advertised URL,
//! checked byte for byte against `tests/golden/`. They pin every wire format across a
//! refactor: a change that moves one byte of a trust file, a certificate, a log entry, a
//! timestamp or a bundle fails here. A change that means to move them reruns the test with
//! `SIGBOX_BLESS=1`, which rewrites the directory, and the diff is the review.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::Encode;
use fake_oidc::MintRequest;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stack::Stack;

use crate::support::manifest_dir;

const SEED: &str = "golden";
/// 2026-01-01T00:00:00Z.
const AT: i64 = 1_767_225_600;
/// In every URL, issuer and checkpoint origin, whatever port the OS gives the listener.
const PUBLIC_URL: &str = "http://sigbox.test:8080";
/// Logged by hand.
const ARTIFACT: &[u8] = b"a golden artifact\n";
/// Signed by our client (another artifact: the same key over the same bytes would be a
/// duplicate entry).
const BUNDLED: &[u8] = b"a golden artifact, signed by sigbox's client\n";
/// An in-toto statement whose subject is [`BUNDLED`].
const STATEMENT: &[u8] = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"golden","digest":{"sha256":"7f1ac6d36b8e28ad305cc2dd0316ad80497cffbde982aeefda99ae0a36e45b80"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#;
/// An in-toto statement whose subject is [`ARTIFACT`], logged by hand.
const STATEMENT_BY_HAND: &[u8] = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"golden","digest":{"sha256":"fe090f40289cd4f16f44432a6efdb857474fadf826d9e3293de8466301be9281"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#;

/// The signer's key, from a fixed scalar, signing with RFC 6979 nonces: the one source of
/// randomness a client brings, made deterministic.
struct SeededKey {
    key: SigningKey,
    spki: Vec<u8>,
}

impl SeededKey {
    fn new(label: &[u8]) -> Self {
        let key = SigningKey::from_slice(&Sha256::digest(label)).unwrap();
        let spki = key.verifying_key().to_public_key_der().unwrap().into_vec();
        Self { key, spki }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: DerSignature = self.key.sign(message);
        sig.to_bytes().to_vec()
    }

    fn pem(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }
}

impl client::sign::Signer for SeededKey {
    fn public_key_der(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, client::sign::SignError> {
        Ok(SeededKey::sign(self, message))
    }

    fn timestamp_nonce(&self) -> Result<[u8; 8], client::sign::SignError> {
        Ok(*b"\x01golden!")
    }
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    /// The body of `GET path`, which must answer 200.
    async fn get(&self, path: &str) -> Vec<u8> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.bytes().await.unwrap().to_vec()
    }

    /// The body of `POST path`, which must answer `status`.
    async fn post(&self, path: &str, content_type: &str, body: Vec<u8>, status: u16) -> Vec<u8> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let got = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap().to_vec();
        assert_eq!(
            got,
            status,
            "POST {path}: {}",
            String::from_utf8_lossy(&bytes)
        );
        bytes
    }

    async fn post_json(&self, path: &str, body: &Value, status: u16) -> Vec<u8> {
        self.post(
            path,
            "application/json",
            body.to_string().into_bytes(),
            status,
        )
        .await
    }
}

/// A DER TimeStampReq over SHA-256 of `data`, with a fixed nonce, asking for the certificate.
fn timestamp_request(data: &[u8]) -> Vec<u8> {
    let req = x509_tsp::TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: formats::oid::ID_SHA_256,
                parameters: None,
            },
            hashed_message: der::asn1::OctetString::new(Sha256::digest(data).to_vec()).unwrap(),
        },
        req_policy: None,
        nonce: Some(der::asn1::Int::new(&[0x01, 0x23, 0x45, 0x67]).unwrap()),
        cert_req: true,
        extensions: None,
    };
    req.to_der().unwrap()
}

/// Every golden file's name and the bytes the stack (and our signer) give for it now.
async fn produce() -> BTreeMap<String, Vec<u8>> {
    let at = time::OffsetDateTime::from_unix_timestamp(AT).unwrap();
    let stack = Stack::builder()
        .seed(SEED)
        .frozen_clock(at)
        .public_url(PUBLIC_URL)
        .start()
        .await
        .unwrap();
    assert_eq!(stack.url(), PUBLIC_URL);
    let base = format!("http://{}", stack.addr());
    let api = Api {
        base: base.clone(),
        http: reqwest::Client::new(),
    };
    let mut out = BTreeMap::new();
    let mut put = |name: &str, bytes: Vec<u8>| {
        assert!(out.insert(name.to_owned(), bytes).is_none(), "{name} twice");
    };

    // The trust files `sigbox up` writes, and the TUF metadata it serves.
    let files = stack.ready().trust_files;
    for path in [
        &files.trusted_root,
        &files.signing_config,
        &files.trust_config,
    ] {
        let name = path.file_name().unwrap().to_str().unwrap();
        put(&format!("trust/{name}"), std::fs::read(path).unwrap());
    }
    let timestamp = api.get("/tuf/timestamp.json").await;
    let version = |meta: &[u8], file: &str| {
        serde_json::from_slice::<Value>(meta).unwrap()["signed"]["meta"][file]["version"]
            .as_u64()
            .unwrap()
    };
    let snapshot = api
        .get(&format!(
            "/tuf/{}.snapshot.json",
            version(&timestamp, "snapshot.json")
        ))
        .await;
    let targets = api
        .get(&format!(
            "/tuf/{}.targets.json",
            version(&snapshot, "targets.json")
        ))
        .await;
    put("tuf/1.root.json", api.get("/tuf/1.root.json").await);
    put("tuf/timestamp.json", timestamp);
    put("tuf/snapshot.json", snapshot);
    put("tuf/targets.json", targets);

    // Fulcio: a certificate for the default identity and a seeded key, with its SCT.
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let key = SeededKey::new(b"golden signer");
    let subject = client::sign::token_subject(&token).unwrap();
    let cert = api
        .post_json(
            "/api/v2/signingCert",
            &json!({
                "credentials": {"oidcIdentityToken": token},
                "publicKeyRequest": {
                    "publicKey": {"algorithm": "ECDSA", "content": key.pem()},
                    "proofOfPossession": B64.encode(key.sign(subject.as_bytes())),
                }
            }),
            200,
        )
        .await;
    let leaf_pem = serde_json::from_slice::<Value>(&cert).unwrap()["signedCertificateEmbeddedSct"]
        ["chain"]["certificates"][0]
        .as_str()
        .unwrap()
        .to_owned();
    put("fulcio/signing_cert.json", cert);
    put(
        "fulcio/trust_bundle.json",
        api.get("/api/v2/trustBundle").await,
    );
    put("ctlog/get-sth.json", api.get("/ct/v1/get-sth").await);

    // Rekor v1: a hashedrekord and a dsse entry, and the log's head after them.
    let digest = Sha256::digest(ARTIFACT);
    let hashedrekord = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            "signature": {
                "content": B64.encode(key.sign(ARTIFACT)),
                "publicKey": {"content": B64.encode(&leaf_pem)},
            }
        }
    });
    put(
        "rekor-v1/hashedrekord.json",
        api.post_json("/api/v1/log/entries", &hashedrekord, 201)
            .await,
    );
    let envelope = json!({
        "payload": B64.encode(STATEMENT_BY_HAND),
        "payloadType": "application/vnd.in-toto+json",
        "signatures": [{"sig": B64.encode(key.sign(&formats::dsse::pae("application/vnd.in-toto+json", STATEMENT_BY_HAND)))}],
    });
    let dsse = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope.to_string(),
            "verifiers": [B64.encode(&leaf_pem)],
        }}
    });
    put(
        "rekor-v1/dsse.json",
        api.post_json("/api/v1/log/entries", &dsse, 201).await,
    );
    put("rekor-v1/log.json", api.get("/api/v1/log").await);

    // Rekor v2: a hashedrekord 0.0.2 entry and the checkpoint after it.
    let leaf_der = der::pem::decode_vec(leaf_pem.as_bytes()).unwrap().1;
    let v2 = json!({"hashedRekordRequestV002": {
        "digest": B64.encode(digest),
        "signature": {
            "content": B64.encode(key.sign(ARTIFACT)),
            "verifier": {
                "x509Certificate": {"rawBytes": B64.encode(&leaf_der)},
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            },
        },
    }});
    let v2_path = stack::rekor_v2::PATH_PREFIX;
    put(
        "rekor-v2/hashedrekord.json",
        api.post_json(&format!("{v2_path}/api/v2/log/entries"), &v2, 201)
            .await,
    );
    put(
        "rekor-v2/checkpoint",
        api.get(&format!("{v2_path}/api/v2/checkpoint")).await,
    );

    // The TSA: a DER response and the chain it is verified with.
    put(
        "tsa/response.tsr",
        api.post(
            "/api/v1/timestamp",
            "application/timestamp-query",
            timestamp_request(ARTIFACT),
            201,
        )
        .await,
    );
    put(
        "tsa/certchain.pem",
        api.get("/api/v1/timestamp/certchain").await,
    );

    // Bundles from our signer, as `sigbox sign-bundle` writes them: a message signature and a
    // DSSE statement on Rekor v1, a message signature on Rekor v2; each verifies.
    let services = |rekor: String, rekor_api| client::sign::Services {
        fulcio: base.clone(),
        rekor,
        rekor_api,
        tsa: Some(format!("{base}/api/v1/timestamp")),
    };
    let bundles = [
        (
            "bundles/message.sigstore.json",
            services(base.clone(), 1),
            client::sign::Payload::Message(BUNDLED),
        ),
        (
            "bundles/dsse.sigstore.json",
            services(base.clone(), 1),
            client::sign::Payload::InToto(STATEMENT),
        ),
        (
            "bundles/message-rekor-v2.sigstore.json",
            services(format!("{base}{v2_path}"), 2),
            client::sign::Payload::Message(BUNDLED),
        ),
    ];
    let root =
        client::TrustedRoot::from_json(stack.trust().trusted_root_json().as_bytes()).unwrap();
    let policy = client::Policy::Identity {
        san: "alice@example.com".into(),
        issuer: PUBLIC_URL.into(),
    };
    for (name, services, payload) in bundles {
        let bundle = tokio::task::block_in_place(|| {
            client::sign::sign_with(&services, &token, payload, &key)
        })
        .unwrap();
        let text = serde_json::to_string_pretty(&bundle).unwrap() + "\n";
        let parsed = client::Bundle::from_json(text.as_bytes()).unwrap();
        // The statement's subject is the artifact, so both kinds verify over it.
        client::Verifier::new_at(root.clone(), at)
            .verify(&parsed, client::Artifact::Bytes(BUNDLED), &policy)
            .unwrap_or_else(|e| panic!("{name} does not verify: {e}"));
        put(name, text.into_bytes());
    }
    stack.shutdown().await.unwrap();
    out
}

fn walk(dir: &Path, into: &mut BTreeMap<String, Vec<u8>>, root: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, into, root);
        } else {
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            into.insert(name, std::fs::read(&path).unwrap());
        }
    }
}

/// Where two byte strings first differ, for the failure message: the line for text.
fn first_difference(golden: &[u8], now: &[u8]) -> String {
    let at = golden
        .iter()
        .zip(now)
        .position(|(a, b)| a != b)
        .unwrap_or(golden.len().min(now.len()));
    match (std::str::from_utf8(golden), std::str::from_utf8(now)) {
        (Ok(g), Ok(n)) => {
            let line = g[..at].matches('\n').count();
            format!(
                "line {}: golden {:?}, now {:?}",
                line + 1,
                g.lines().nth(line).unwrap_or(""),
                n.lines().nth(line).unwrap_or("")
            )
        }
        _ => format!("byte {at} of {} (now {} bytes)", golden.len(), now.len()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bytes_users_see_match_the_golden_files() {
    let dir = manifest_dir().join("tests/golden");
    let now = produce().await;
    if std::env::var_os("SIGBOX_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        for (name, bytes) in &now {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let mut golden = BTreeMap::new();
    walk(&dir, &mut golden, &dir);
    let mut problems = Vec::new();
    for (name, bytes) in &now {
        match golden.get(name) {
            None => problems.push(format!("{name}: no golden file")),
            Some(g) if g != bytes => {
                problems.push(format!("{name}: {}", first_difference(g, bytes)))
            }
            Some(_) => {}
        }
    }
    for name in golden.keys().filter(|n| !now.contains_key(*n)) {
        problems.push(format!("{name}: golden file the stack no longer produces"));
    }
    assert!(
        problems.is_empty(),
        "the bytes differ from tests/golden/:\n{}\nIf the change is meant, rerun with \
         SIGBOX_BLESS=1 and review the diff",
        problems.join("\n")
    );
}
