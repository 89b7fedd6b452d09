use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stack::Stack;
use tlog::checkpoint::Checkpoint;
use tlog::note::EcdsaNoteKey;

pub(crate) fn proposal(key: &SigningKey, artifact: &[u8]) -> Value {
    let sig: Signature = key.sign(artifact);
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(artifact))}},
            "signature": {
                "content": B64.encode(sig.to_der().as_bytes()),
                "publicKey": {"content": B64.encode(pem)}
            }
        }
    })
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn tree_size(client: &reqwest::Client, url: &str) -> u64 {
    let info = get_json(client, &format!("{url}/api/v1/log")).await;
    info["treeSize"].as_u64().unwrap()
}

async fn log_key(client: &reqwest::Client, url: &str) -> VerifyingKey {
    let pem = client
        .get(format!("{url}/api/v1/log/publicKey"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    VerifyingKey::from_public_key_pem(&pem).unwrap()
}

#[tokio::test]
async fn entry_set_and_inclusion_proof_verify() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let log_key = log_key(&client, &url).await;
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    for n in 0..5u8 {
        let resp = client
            .post(format!("{url}/api/v1/log/entries"))
            .json(&proposal(&key, &[n; 10]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        let body: Value = resp.json().await.unwrap();
        let (uuid, entry) = body.as_object().unwrap().iter().next().unwrap();
        assert_eq!(uuid.len(), 80, "tree ID + leaf hash");
        assert!(location.ends_with(uuid.as_str()));
        // The SET: ECDSA over the canonical JSON of body, integratedTime, logID, logIndex.
        let payload = serde_json::to_vec(&json!({
            "body": entry["body"],
            "integratedTime": entry["integratedTime"],
            "logID": entry["logID"],
            "logIndex": entry["logIndex"],
        }))
        .unwrap();
        let set = B64
            .decode(
                entry["verification"]["signedEntryTimestamp"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        log_key
            .verify(&payload, &DerSignature::try_from(set.as_slice()).unwrap())
            .expect("SET verifies against the log key");
        assert_eq!(
            entry["logID"].as_str().unwrap(),
            hex::encode(Sha256::digest(
                log_key.to_public_key_der().unwrap().as_bytes()
            ))
        );
        // The inclusion proof against the signed checkpoint.
        let proof = &entry["verification"]["inclusionProof"];
        // Named by the host alone, no port, as Rekor names itself (its hostname) and
        // sigstore-java matches (`getBaseUrl().getHost()`): origin and signature line.
        let text = proof["checkpoint"].as_str().unwrap();
        let origin = stack.rekor().origin().to_owned();
        let tree_id = origin.strip_prefix("127.0.0.1 - ").unwrap();
        assert!(tree_id.parse::<u64>().is_ok(), "{text}");
        assert!(text.contains("\n\n\u{2014} 127.0.0.1 "), "{text}");
        let note = EcdsaNoteKey::rekor_v1_verifier("127.0.0.1", log_key);
        let cp = Checkpoint::open(
            proof["checkpoint"].as_str().unwrap(),
            &note,
            stack.rekor().origin(),
        )
        .unwrap();
        assert_eq!(cp.size, proof["treeSize"].as_u64().unwrap());
        assert_eq!(cp.root.to_hex(), proof["rootHash"].as_str().unwrap());
        let hashes: Vec<tlog::Hash> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| tlog::Hash::from_hex(h.as_str().unwrap()).unwrap())
            .collect();
        let body_bytes = B64.decode(entry["body"].as_str().unwrap()).unwrap();
        assert_eq!(&uuid[16..], tlog::leaf_hash(&body_bytes).to_hex());
        tlog::proof::verify_inclusion(
            &tlog::leaf_hash(&body_bytes),
            proof["logIndex"].as_u64().unwrap(),
            cp.size,
            &hashes,
            &cp.root,
        )
        .unwrap();
    }
    // Consistency proofs between any two sizes verify.
    let roots: Vec<tlog::Hash> = (1..=5)
        .map(|n| tlog::proof::root_at(&RootsVia(&stack), n).unwrap())
        .collect();
    for first in 1..=5u64 {
        for last in first..=5u64 {
            let p: Value = client
                .get(format!(
                    "{url}/api/v1/log/proof?firstSize={first}&lastSize={last}"
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let hashes: Vec<tlog::Hash> = p["hashes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| tlog::Hash::from_hex(h.as_str().unwrap()).unwrap())
                .collect();
            tlog::proof::verify_consistency(
                first,
                last,
                &hashes,
                &roots[first as usize - 1],
                &roots[last as usize - 1],
            )
            .unwrap();
        }
    }
    // Search by artifact hash.
    let found: Vec<String> = client
        .post(format!("{url}/api/v1/index/retrieve"))
        .json(&json!({"hash": format!("sha256:{}", hex::encode(Sha256::digest([2u8; 10])))}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    // Search by the signing key: all five entries.
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let by_key: Vec<String> = client
        .post(format!("{url}/api/v1/index/retrieve"))
        .json(&json!({"publicKey": {"format": "x509", "content": B64.encode(pem)}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_key.len(), 5);
}

/// Roots read back through the API (entry bodies), independent of the server's own nodes.
struct RootsVia<'a>(&'a Stack);

impl tlog::proof::NodeReader for RootsVia<'_> {
    fn node(&self, level: u8, index: u64) -> Result<tlog::Hash, tlog::store::StoreError> {
        let mut tree = tlog::proof::MemoryTree::new();
        for i in 0..self.0.rekor().tree_size().unwrap() {
            let e = self.0.rekor().entry_by_index(i).unwrap().unwrap();
            tree.push(tlog::leaf_hash(&e.entry.body));
        }
        tree.node(level, index)
    }
}

#[tokio::test]
async fn concurrent_duplicates_make_one_entry_and_409s() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let body = proposal(&SigningKey::from_slice(&[9; 32]).unwrap(), b"same artifact");
    let sends = (0..16).map(|_| {
        client
            .post(format!("{url}/api/v1/log/entries"))
            .json(&body)
            .send()
    });
    let statuses: Vec<u16> = futures_join(sends).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        15,
        "{statuses:?}"
    );
    assert_eq!(tree_size(&client, &url).await, 1);
    let dup = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    assert!(
        dup.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/log/entries/")
    );
}

async fn futures_join(
    sends: impl Iterator<
        Item = impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
    >,
) -> Vec<u16> {
    let handles: Vec<_> = sends.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().unwrap().status().as_u16());
    }
    out
}

#[tokio::test]
async fn hostile_entries_are_refused_and_change_nothing() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let key = SigningKey::from_slice(&[5; 32]).unwrap();
    let good = proposal(&key, b"artifact");
    let mut bad_sig = good.clone();
    bad_sig["spec"]["data"]["hash"]["value"] = json!(hex::encode(Sha256::digest(b"other")));
    let mut short_digest = good.clone();
    short_digest["spec"]["data"]["hash"]["value"] = json!("abcd");
    let mut unknown_kind = good.clone();
    unknown_kind["kind"] = json!("rpm");
    let mut bad_version = good.clone();
    bad_version["apiVersion"] = json!("9.9.9");
    let mut extra_field = good.clone();
    extra_field["spec"]["extra"] = json!(1);
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let duplicate_kind = good.to_string().replacen(
        "\"kind\":\"hashedrekord\"",
        "\"kind\":\"hashedrekord\",\"kind\":\"dsse\"",
        1,
    );
    assert!(duplicate_kind.contains("\"kind\":\"dsse\""));
    // A lone UTF-16 surrogate: JSON that Go and serde decode differently (Go substitutes U+FFFD).
    let lone_surrogate = good.to_string().replacen(
        "\"kind\":\"hashedrekord\"",
        "\"kind\":\"hashedrekord\\ud800\"",
        1,
    );
    let mut long_digest = good.clone();
    long_digest["spec"]["data"]["hash"]["value"] = json!("ab".repeat(33));
    let mut sha512_len_as_sha256 = good.clone();
    sha512_len_as_sha256["spec"]["data"]["hash"]["algorithm"] = json!("sha512");
    let mut md5 = good.clone();
    md5["spec"]["data"]["hash"]["algorithm"] = json!("md5");
    let mut not_hex = good.clone();
    not_hex["spec"]["data"]["hash"]["value"] = json!("zz".repeat(32));
    let mut not_pem = good.clone();
    not_pem["spec"]["signature"]["publicKey"]["content"] = json!(B64.encode("not a key"));
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "bad signature",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&bad_sig),
            400,
            "does not verify",
        ),
        (
            "short digest",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&short_digest),
            400,
            "hex digits",
        ),
        (
            "unknown kind",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&unknown_kind),
            400,
            "unknown kind",
        ),
        (
            "bad version",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&bad_version),
            400,
            "version",
        ),
        (
            "extra field",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&extra_field),
            400,
            "unknown field",
        ),
        (
            "long digest",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&long_digest),
            400,
            "hex digits",
        ),
        (
            "sha256-length digest called sha512",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&sha512_len_as_sha256),
            400,
            "128 hex digits",
        ),
        (
            "unknown digest algorithm",
            client.post(format!("{url}/api/v1/log/entries")).json(&md5),
            400,
            "md5",
        ),
        (
            "digest not hex",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&not_hex),
            400,
            "not hex",
        ),
        (
            "key not PEM",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .json(&not_pem),
            400,
            "PEM",
        ),
        (
            "duplicate JSON key",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .body(duplicate_kind),
            400,
            "duplicate key `kind`",
        ),
        (
            "lone surrogate",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .body(lone_surrogate),
            400,
            "malformed JSON",
        ),
        (
            "deep nesting",
            client.post(format!("{url}/api/v1/log/entries")).body(deep),
            400,
            "nested deeper",
        ),
        (
            "not JSON",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .body("hello"),
            400,
            "malformed JSON",
        ),
        (
            "oversized",
            client
                .post(format!("{url}/api/v1/log/entries"))
                .body(vec![b'{'; 2 << 20]),
            413,
            "over the limit",
        ),
    ];
    for (name, req, status, needle) in cases {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{name}");
        let err: Value = resp.json().await.unwrap();
        let msg = err["message"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{name}: {msg}");
        assert_eq!(tree_size(&client, &url).await, 0, "{name} changed the log");
    }
    let ok = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
}

/// DSSE's pre-authentication encoding, written out here independently of the server's.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    [
        format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            payload.len()
        )
        .as_bytes(),
        payload,
    ]
    .concat()
}

fn dsse_proposal(key: &SigningKey, payload_type: &str, statement: &[u8], sign_pae: bool) -> Value {
    let pae = pae(payload_type, statement);
    let signed: &[u8] = if sign_pae { &pae } else { statement };
    let sig: Signature = key.sign(signed);
    let envelope = json!({
        "payload": B64.encode(statement),
        "payloadType": payload_type,
        "signatures": [{"sig": B64.encode(sig.to_der().as_bytes())}],
    });
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope.to_string(),
            "verifiers": [B64.encode(pem)],
        }}
    })
}

#[tokio::test]
async fn dsse_entries_store_hashes_and_refuse_bad_envelopes() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let key = SigningKey::from_slice(&[11; 32]).unwrap();
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"aa"}}],"predicateType":"x","predicate":{}}"#;
    let intoto = "application/vnd.in-toto+json";
    for (name, body, needle) in [
        (
            "signature over the payload, not PAE",
            dsse_proposal(&key, intoto, statement, false),
            "does not verify",
        ),
        (
            "PAE signed with another payload type",
            {
                let mut p = dsse_proposal(&key, "text/plain", statement, true);
                let env = p["spec"]["proposedContent"]["envelope"].as_str().unwrap();
                let swapped = env.replace("text/plain", intoto);
                p["spec"]["proposedContent"]["envelope"] = json!(swapped);
                p
            },
            "does not verify",
        ),
        (
            "no verifiers",
            {
                let mut p = dsse_proposal(&key, intoto, statement, true);
                p["spec"]["proposedContent"]["verifiers"] = json!([]);
                p
            },
            "verifiers",
        ),
    ] {
        let resp = client
            .post(format!("{url}/api/v1/log/entries"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{name}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["message"].as_str().unwrap().contains(needle),
            "{name}: {err}"
        );
    }
    assert_eq!(tree_size(&client, &url).await, 0);
    // sigstore-python's pydantic models send the output fields as null: Rekor ignores them.
    let mut proposal = dsse_proposal(&key, intoto, statement, true);
    for field in ["signatures", "envelopeHash", "payloadHash"] {
        proposal["spec"][field] = Value::Null;
    }
    let ok = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&proposal)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    let v: Value = ok.json().await.unwrap();
    let (_, entry) = v.as_object().unwrap().iter().next().unwrap();
    let body: Value =
        serde_json::from_slice(&B64.decode(entry["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(body["kind"], "dsse");
    assert_eq!(
        body["spec"]["payloadHash"]["value"],
        hex::encode(Sha256::digest(statement))
    );
    assert!(body["spec"]["signatures"][0]["verifier"].is_string());
    assert!(
        body["spec"].get("proposedContent").is_none(),
        "the envelope is not stored"
    );
    // The statement's subject digest is searchable.
    let found: Vec<String> = client
        .post(format!("{url}/api/v1/index/retrieve"))
        .json(&json!({"hash": "sha256:aa"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    // Rekor's dsse kind takes any payload type (it indexes in-toto subjects only).
    let other = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&dsse_proposal(&key, "text/plain", b"hello", true))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 201);
    assert_eq!(tree_size(&client, &url).await, 2);
}

/// A dsse proposal whose envelope carries one signature over the PAE by each of `signers`,
/// naming `verifiers` as the keys.
fn dsse_multi(signers: &[SigningKey], verifiers: &[SigningKey], statement: &[u8]) -> Value {
    let payload_type = "application/vnd.in-toto+json";
    let pae = pae(payload_type, statement);
    let sigs: Vec<Value> = signers
        .iter()
        .map(|k| {
            let sig: Signature = k.sign(&pae);
            json!({"sig": B64.encode(sig.to_der().as_bytes())})
        })
        .collect();
    let envelope =
        json!({"payload": B64.encode(statement), "payloadType": payload_type, "signatures": sigs});
    let pems: Vec<String> = verifiers
        .iter()
        .map(|k| B64.encode(k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap()))
        .collect();
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {"envelope": envelope.to_string(), "verifiers": pems}},
    })
}

/// Each dsse signature is tried against each verifier: the log bounds both as rekor-tiles
/// does (10 each), so a 1 MiB proposal cannot cost a million verifications and stall the
/// workers. The intoto kind's signatures are bounded the same way.
#[tokio::test]
async fn dsse_and_intoto_work_per_request_is_bounded() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let keys: Vec<SigningKey> = (1..=12u8)
        .map(|i| SigningKey::from_slice(&[i; 32]).unwrap())
        .collect();
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}"#;
    // The issue's stall: ~1 MiB of signatures and verifiers, none of them checked now.
    let many: Vec<SigningKey> = (0..2000).map(|i| keys[i % keys.len()].clone()).collect();
    let stall = dsse_multi(&many[..1000], &many, statement);
    assert!(stall.to_string().len() > 500_000);
    for (name, body, needle) in [
        (
            "11 signatures",
            dsse_multi(&keys[..11], &keys[..10], statement),
            "too many DSSE signatures: 11, max allowed: 10",
        ),
        (
            "11 verifiers",
            dsse_multi(&keys[..10], &keys[..11], statement),
            "too many verifiers: 11, max allowed: 10",
        ),
        (
            "1000 signatures x 2000 verifiers",
            stall,
            "too many DSSE signatures: 1000",
        ),
        (
            "intoto with 11 signatures",
            {
                let mut p = intoto_proposal(&keys[0], statement, false);
                let sigs = &mut p["spec"]["content"]["envelope"]["signatures"];
                let one = sigs[0].clone();
                *sigs = Value::Array(vec![one; 11]);
                p
            },
            "too many signatures: 11, max allowed: 10",
        ),
    ] {
        let resp = client
            .post(format!("{url}/api/v1/log/entries"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{name}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["message"].as_str().unwrap().contains(needle),
            "{name}: {err}"
        );
    }
    assert_eq!(
        tree_size(&client, &url).await,
        0,
        "refused proposals log nothing"
    );
    // At the bound, every signature is checked and logged with its verifier.
    let resp = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&dsse_multi(&keys[..10], &keys[..10], statement))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    let (_, entry) = v.as_object().unwrap().iter().next().unwrap();
    let body: Value =
        serde_json::from_slice(&B64.decode(entry["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(body["spec"]["signatures"].as_array().unwrap().len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_certificate_entries_by_email() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .expect("the openssl binary (apt: openssl)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-subj",
        "/CN=sigbox test",
        "-addext",
        "subjectAltName=email:Alice@Example.com",
    ]);
    std::fs::write(d.join("artifact"), b"signed with a certificate").unwrap();
    run(&[
        "dgst", "-sha256", "-sign", "key.pem", "-out", "sig.der", "artifact",
    ]);
    let cert = std::fs::read(d.join("cert.pem")).unwrap();
    let sig = std::fs::read(d.join("sig.der")).unwrap();
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(b"signed with a certificate"))}},
            "signature": {"content": B64.encode(sig), "publicKey": {"content": B64.encode(cert)}}
        }
    });
    let resp = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    for email in ["alice@example.com", "ALICE@example.com"] {
        let found: Vec<String> = client
            .post(format!("{url}/api/v1/index/retrieve"))
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{email}");
    }
}

pub(crate) fn intoto_proposal(key: &SigningKey, statement: &[u8], tamper: bool) -> Value {
    let payload_type = "application/vnd.in-toto+json";
    let pae = pae(payload_type, statement);
    let sig: Signature = key.sign(&pae);
    let mut sig_b64 = B64.encode(sig.to_der().as_bytes());
    if tamper {
        sig_b64 = B64.encode(
            Signature::from_slice(&[7u8; 64])
                .unwrap()
                .to_der()
                .as_bytes(),
        );
    }
    let envelope = json!({
        "payload": B64.encode(statement),
        "payloadType": payload_type,
        "signatures": [{"sig": sig_b64}],
    })
    .to_string();
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    json!({
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {"content": {
            "envelope": {
                "payload": B64.encode(B64.encode(statement)),
                "payloadType": payload_type,
                "signatures": [{"sig": B64.encode(&sig_b64), "publicKey": B64.encode(pem)}],
            },
            "hash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(envelope.as_bytes()))},
        }}
    })
}

#[tokio::test]
async fn intoto_entries_are_checked_and_canonicalised() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let key = SigningKey::from_slice(&[13; 32]).unwrap();
    let statement = br#"{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":"bb"}}],"predicateType":"x","predicate":{}}"#;
    let bad = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&intoto_proposal(&key, statement, true))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let err: Value = bad.json().await.unwrap();
    assert!(
        err["message"].as_str().unwrap().contains("does not verify"),
        "{err}"
    );
    assert_eq!(tree_size(&client, &url).await, 0);
    // A claimed payload hash (sigstore-js sends one) must be the payload's.
    let mut lying = intoto_proposal(&key, statement, false);
    lying["spec"]["content"]["payloadHash"] =
        json!({"algorithm": "sha256", "value": hex::encode(Sha256::digest(b"other"))});
    let (status, err) = post_entry(&client, &url, &lying).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not the SHA-256 of the envelope payload"),
        "{err}"
    );
    assert_eq!(tree_size(&client, &url).await, 0);
    let mut honest = intoto_proposal(&key, statement, false);
    honest["spec"]["content"]["payloadHash"] =
        json!({"algorithm": "sha256", "value": hex::encode(Sha256::digest(statement))});
    let ok = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&honest)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    let v: Value = ok.json().await.unwrap();
    let (_, entry) = v.as_object().unwrap().iter().next().unwrap();
    let body: Value =
        serde_json::from_slice(&B64.decode(entry["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(body["apiVersion"], "0.0.2");
    let content = &body["spec"]["content"];
    assert_eq!(
        content["payloadHash"]["value"],
        hex::encode(Sha256::digest(statement))
    );
    assert!(
        content["envelope"].get("payload").is_none(),
        "the payload is not logged"
    );
    assert!(content["envelope"]["signatures"][0]["publicKey"].is_string());
}

/// A hashedrekord proposal from parts: `algorithm`, the digest, a DER SPKI and a signature.
fn hashedrekord_of(algorithm: &str, digest: &[u8], spki_der: &[u8], sig: &[u8]) -> Value {
    let pem = der::pem::encode_string("PUBLIC KEY", der::pem::LineEnding::LF, spki_der).unwrap();
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": algorithm, "value": hex::encode(digest)}},
            "signature": {"content": B64.encode(sig), "publicKey": {"content": B64.encode(pem)}}
        }
    })
}

async fn post_entry(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let resp = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn p384_rsa_and_ed25519_keys_as_rekor_takes_them() {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
    use sha2::{Sha384, Sha512};
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let rng = SystemRandom::new();
    let artifact = b"multi-algorithm artifact";

    // P-384 over a SHA-384 digest.
    let p384 = EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_ASN1_SIGNING).unwrap();
    let p384_der = p384.public_key().as_der().unwrap();
    let sig = p384.sign(&rng, artifact).unwrap();
    let body = hashedrekord_of(
        "sha384",
        &Sha384::digest(artifact),
        p384_der.as_ref(),
        sig.as_ref(),
    );
    assert_eq!(
        post_entry(&client, &url, &body).await.0,
        201,
        "P-384/SHA-384"
    );
    // P-384 signature presented with the wrong digest algorithm: refused.
    let body = hashedrekord_of(
        "sha512",
        &Sha512::digest(artifact),
        p384_der.as_ref(),
        sig.as_ref(),
    );
    let (status, err) = post_entry(&client, &url, &body).await;
    assert_eq!(status, 400, "{err}");

    // RSA-2048, PKCS #1 v1.5 over SHA-256.
    let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let mut rsa_sig = vec![0; rsa.public_modulus_len()];
    rsa.sign(&signature::RSA_PKCS1_SHA256, &rng, artifact, &mut rsa_sig)
        .unwrap();
    let rsa_der = rsa.public_key().as_der().unwrap();
    let body = hashedrekord_of(
        "sha256",
        &Sha256::digest(artifact),
        rsa_der.as_ref(),
        &rsa_sig,
    );
    let (status, err) = post_entry(&client, &url, &body).await;
    assert_eq!(status, 201, "RSA: {err}");

    // Ed25519: hashedrekord needs Ed25519ph (refused, saying so); dsse takes plain Ed25519.
    let ed = Ed25519KeyPair::generate().unwrap();
    let ed_der = ed.public_key().as_der().unwrap();
    let ed_sig = ed.sign(artifact);
    let body = hashedrekord_of(
        "sha512",
        &Sha512::digest(artifact),
        ed_der.as_ref(),
        ed_sig.as_ref(),
    );
    let (status, err) = post_entry(&client, &url, &body).await;
    assert_eq!(status, 400);
    assert!(
        err["message"].as_str().unwrap().contains("Ed25519ph"),
        "{err}"
    );
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"e","digest":{"sha256":"ee"}}],"predicateType":"x","predicate":{}}"#;
    let payload_type = "application/vnd.in-toto+json";
    let ed_pem =
        der::pem::encode_string("PUBLIC KEY", der::pem::LineEnding::LF, ed_der.as_ref()).unwrap();
    let envelope = json!({
        "payload": B64.encode(statement),
        "payloadType": payload_type,
        "signatures": [{"sig": B64.encode(ed.sign(&pae(payload_type, statement)))}],
    });
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {"envelope": envelope.to_string(), "verifiers": [B64.encode(&ed_pem)]}}
    });
    let (status, err) = post_entry(&client, &url, &body).await;
    assert_eq!(status, 201, "Ed25519 dsse: {err}");
    // Found by its key, as Rekor's public-key search computes it.
    let found: Vec<String> = client
        .post(format!("{url}/api/v1/index/retrieve"))
        .json(&json!({"publicKey": {"format": "x509", "content": B64.encode(&ed_pem)}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(tree_size(&client, &url).await, 3);
}

#[tokio::test]
async fn non_canonical_json_is_canonicalised_and_deduplicated() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let key = SigningKey::from_slice(&[21; 32]).unwrap();
    let good = proposal(&key, b"canonical");
    // The same entry with the PEM in CRLF lines, the JSON pretty-printed with escaped slashes.
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::CRLF)
        .unwrap();
    let mut crlf = good.clone();
    crlf["spec"]["signature"]["publicKey"]["content"] = json!(B64.encode(pem));
    let pretty = serde_json::to_string_pretty(&crlf)
        .unwrap()
        .replace("hashedrekord", "hashed\\u0072ekord");
    let first = client
        .post(format!("{url}/api/v1/log/entries"))
        .header("content-type", "application/json")
        .body(pretty)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first_location = first.headers()["location"].to_str().unwrap().to_owned();
    let v: Value = first.json().await.unwrap();
    let (_, entry) = v.as_object().unwrap().iter().next().unwrap();
    let body_bytes = B64.decode(entry["body"].as_str().unwrap()).unwrap();
    // The stored body is canonical: keys sorted, no whitespace, the key as an LF PEM.
    let body: Value = serde_json::from_slice(&body_bytes).unwrap();
    assert_eq!(serde_json::to_vec(&body).unwrap(), body_bytes);
    let lf_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    assert_eq!(
        body["spec"]["signature"]["publicKey"]["content"],
        B64.encode(lf_pem)
    );
    // So the compact LF form is the same entry: 409 pointing at it.
    let again = client
        .post(format!("{url}/api/v1/log/entries"))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.headers()["location"].to_str().unwrap(),
        first_location
    );
    assert_eq!(tree_size(&client, &url).await, 1);
}

/// Serves `rekor` on a loopback port until the returned sender is dropped or fired.
async fn serve(
    rekor: std::sync::Arc<stack::rekor::Rekor>,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            stack::rekor::routes(std::sync::Arc::new(stack::rekor::Shards::new(
                vec![rekor],
                Default::default(),
            ))),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (url, tx, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn log_survives_restart_with_the_same_tree_and_checkpoint() {
    use stack::rekor::Rekor;
    use std::sync::Arc;
    let tmp = tempfile::tempdir().unwrap();
    // Inside the temporary directory: the log's kept head (`0.head`) sits beside it.
    let dir = tmp.path().join("0");
    let keys = stack::KeyRing::new("restart-test");
    let clock = stack::Clock::system();
    let client = reqwest::Client::new();
    let key = SigningKey::from_slice(&[31; 32]).unwrap();

    let rekor = Arc::new(Rekor::open(&keys, 0, 0, clock.clone(), &dir, "rekor.test").unwrap());
    let tree_id = rekor.tree_id();
    let (url, stop, task) = serve(rekor.clone()).await;
    let mut uuids = Vec::new();
    for n in 0..7u8 {
        let (status, v) = post_entry(&client, &url, &proposal(&key, &[n; 3])).await;
        assert_eq!(status, 201);
        uuids.push(v.as_object().unwrap().keys().next().unwrap().clone());
    }
    let before: Value = client
        .get(format!("{url}/api/v1/log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = stop.send(());
    task.await.unwrap();
    drop(rekor);

    let rekor = Arc::new(Rekor::open(&keys, 0, 0, clock, &dir, "rekor.test").unwrap());
    assert_eq!(rekor.tree_id(), tree_id);
    assert_eq!(rekor.tree_size().unwrap(), 7);
    let (url, _stop, _task) = serve(rekor.clone()).await;
    let after: Value = client
        .get(format!("{url}/api/v1/log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        before, after,
        "same size, root, tree ID and signed checkpoint"
    );
    // Old entries are still there, by UUID, with proofs that verify against the same root.
    for (i, uuid) in uuids.iter().enumerate() {
        let v: Value = client
            .get(format!("{url}/api/v1/log/entries/{uuid}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entry = &v[uuid];
        assert_eq!(entry["logIndex"], i as u64);
        let proof = &entry["verification"]["inclusionProof"];
        assert_eq!(proof["rootHash"], after["rootHash"]);
        let hashes: Vec<tlog::Hash> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| tlog::Hash::from_hex(h.as_str().unwrap()).unwrap())
            .collect();
        let leaf = tlog::leaf_hash(&B64.decode(entry["body"].as_str().unwrap()).unwrap());
        tlog::proof::verify_inclusion(
            &leaf,
            i as u64,
            7,
            &hashes,
            &tlog::Hash::from_hex(after["rootHash"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
    }
    // A duplicate of an old entry is still a duplicate; new entries extend the same tree.
    assert_eq!(
        post_entry(&client, &url, &proposal(&key, &[0; 3])).await.0,
        409
    );
    assert_eq!(
        post_entry(&client, &url, &proposal(&key, &[9; 3])).await.0,
        201
    );
    let p: Value = client
        .get(format!("{url}/api/v1/log/proof?firstSize=7&lastSize=8"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hashes: Vec<tlog::Hash> = p["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| tlog::Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    tlog::proof::verify_consistency(
        7,
        8,
        &hashes,
        &tlog::Hash::from_hex(before["rootHash"].as_str().unwrap()).unwrap(),
        &tlog::Hash::from_hex(p["rootHash"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
}

#[tokio::test]
async fn a_uuid_with_a_multibyte_character_is_a_400_not_a_panic() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    // 80 bytes, with a two-byte character across byte 16, where the tree ID ends.
    let uuid = format!("{}\u{e9}{}", "0".repeat(15), "0".repeat(63));
    assert_eq!(uuid.len(), 80);
    assert!(!uuid.is_char_boundary(16));
    let by_uuid = client.get(format!("{url}/api/v1/log/entries/{uuid}"));
    let retrieve = client
        .post(format!("{url}/api/v1/log/entries/retrieve"))
        .json(&json!({"entryUUIDs": [uuid]}));
    for request in [by_uuid, retrieve] {
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), 400);
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["message"], "entry UUID is not hex");
    }
    // The stack still answers.
    let resp = client
        .get(format!("{url}/api/v1/log"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn entries_by_index_uuid_and_retrieve_agree() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let key = SigningKey::from_slice(&[41; 32]).unwrap();
    let mut created = Vec::new();
    for n in 0..3u8 {
        let (status, v) = post_entry(&client, &url, &proposal(&key, &[n; 4])).await;
        assert_eq!(status, 201);
        created.push(v);
    }
    let get = |path: String| {
        let client = client.clone();
        async move {
            let resp = client.get(path).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    for (i, c) in created.iter().enumerate() {
        let uuid = c.as_object().unwrap().keys().next().unwrap();
        let (status, by_index) = get(format!("{url}/api/v1/log/entries?logIndex={i}")).await;
        assert_eq!(status, 200);
        let (status, by_uuid) = get(format!("{url}/api/v1/log/entries/{uuid}")).await;
        assert_eq!(status, 200);
        // The leaf hash alone (no tree ID) finds it too, as Rekor's v1 API allows.
        let (status, by_leaf) = get(format!("{url}/api/v1/log/entries/{}", &uuid[16..])).await;
        assert_eq!(status, 200);
        assert_eq!(by_index, by_uuid);
        assert_eq!(by_uuid, by_leaf);
        assert_eq!(by_index[uuid]["body"], c[uuid]["body"]);
        assert_eq!(by_index[uuid]["integratedTime"], c[uuid]["integratedTime"]);
        assert_eq!(
            by_index[uuid]["verification"]["inclusionProof"]["treeSize"],
            3
        );
    }
    let uuid0 = created[0]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let found: Vec<Value> = client
        .post(format!("{url}/api/v1/log/entries/retrieve"))
        .json(&json!({"entryUUIDs": [uuid0], "logIndexes": [2, 7]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 2, "index 7 does not exist");
    assert!(found[0].get(&uuid0).is_some());
    assert_eq!(
        found[1].as_object().unwrap().values().next().unwrap()["logIndex"],
        2
    );
    for (path, status) in [
        (format!("{url}/api/v1/log/entries?logIndex=3"), 404),
        (format!("{url}/api/v1/log/entries?logIndex=-1"), 400),
        (format!("{url}/api/v1/log/entries/{}", "0".repeat(80)), 404),
        (format!("{url}/api/v1/log/entries/xyz"), 400),
        (
            format!("{url}/api/v1/log/proof?firstSize=3&lastSize=2"),
            400,
        ),
        (
            format!("{url}/api/v1/log/proof?firstSize=1&lastSize=4"),
            400,
        ),
    ] {
        let (got, err) = get(path.clone()).await;
        assert_eq!(got, status, "{path}: {err}");
        assert!(err["message"].is_string(), "{path}: {err}");
    }
    let too_many = client
        .post(format!("{url}/api/v1/log/entries/retrieve"))
        .json(&json!({"logIndexes": (0..11).collect::<Vec<u64>>()}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), 400);
    let pem = client
        .get(format!("{url}/api/v1/log/publicKey"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let der = VerifyingKey::from_public_key_pem(&pem)
        .unwrap()
        .to_public_key_der()
        .unwrap();
    assert_eq!(der.as_bytes(), stack.rekor().public_key_der());
}

/// sigstore-rs 0.15's Rekor client (`rekor::apis::entries_api`) does not parse the entry
/// response as JSON: it cuts the UUID and the entry out at fixed offsets and drops the last two
/// bytes, which works on Rekor's bytes (compact JSON, an 80-character UUID, a trailing newline
/// from Go's `json.Encoder`). So the entry responses must be byte-shaped like Rekor's.
#[tokio::test]
async fn sigstore_rs_rekor_client_reads_our_entries() {
    use sigstore::rekor::apis::configuration::Configuration;
    use sigstore::rekor::apis::entries_api;
    use sigstore::rekor::models::ProposedEntry;

    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let key = SigningKey::from_slice(&[43; 32]).unwrap();
    let config = Configuration {
        base_path: url.clone(),
        ..Default::default()
    };
    let proposed: ProposedEntry =
        serde_json::from_value(proposal(&key, b"for sigstore-rs")).unwrap();
    let created = entries_api::create_log_entry(&config, proposed)
        .await
        .expect("sigstore-rs reads the created entry");
    let uuid = created.uuid.clone().expect("the UUID");
    assert_eq!(uuid.len(), 80);
    assert_eq!(created.log_index, 0);
    let by_index = entries_api::get_log_entry_by_index(&config, 0)
        .await
        .expect("sigstore-rs reads the entry by index");
    let by_uuid = entries_api::get_log_entry_by_uuid(&config, &uuid)
        .await
        .expect("sigstore-rs reads the entry by UUID");
    for entry in [&by_index, &by_uuid] {
        assert_eq!(entry.uuid.as_deref(), Some(uuid.as_str()));
        assert_eq!(entry.body, created.body);
        assert_eq!(entry.integrated_time, created.integrated_time);
    }
    // The bytes themselves: compact, one line, ending in a newline as Rekor's do.
    let raw = reqwest::get(format!("{url}/api/v1/log/entries/{uuid}"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(raw.starts_with(format!("{{\"{uuid}\":{{").as_bytes()));
    assert!(raw.ends_with(b"}}\n"), "{}", String::from_utf8_lossy(&raw));
    assert_eq!(raw.iter().filter(|b| **b == b'\n').count(), 1);
}

/// Appends racing Rekor rotations: every entry gets a global index of its own, and each index
/// reads back as that entry, from whichever shard holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_racing_rekor_rotations_keep_their_own_indexes() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let client = reqwest::Client::new();
    let key = SigningKey::from_slice(&[43; 32]).unwrap();
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4u8 {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        writers.spawn(async move {
            let mut mine = Vec::new();
            for n in 0..25u8 {
                let (status, v) = post_entry(&client, &url, &proposal(&key, &[w, n])).await;
                assert_eq!(status, 201, "{v}");
                let (_, e) = v.as_object().unwrap().iter().next().unwrap();
                mine.push((e["logIndex"].as_u64().unwrap(), e["body"].clone()));
            }
            mine
        });
    }
    // Rotations while the writers run (blocking this worker, as the admin endpoint's
    // spawn_blocking does).
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        tokio::task::block_in_place(|| stack.rotate(stack::generations::Kind::Rekor)).unwrap();
    }
    let mut all = Vec::new();
    while let Some(mine) = writers.join_next().await {
        all.extend(mine.unwrap());
    }
    all.sort_by_key(|(index, _)| *index);
    let indexes: Vec<u64> = all.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        indexes,
        (0..100).collect::<Vec<u64>>(),
        "indexes repeat or skip"
    );
    for (index, body) in &all {
        let got = get_json(
            &client,
            &format!("{url}/api/v1/log/entries?logIndex={index}"),
        )
        .await;
        let (_, e) = got.as_object().unwrap().iter().next().unwrap();
        assert_eq!(&e["body"], body, "entry {index}");
    }
    let info = get_json(&client, &format!("{url}/api/v1/log")).await;
    assert_eq!(info["inactiveShards"].as_array().unwrap().len(), 3);
    // A shard opened by a rotation names itself by the host alone too, as the first one.
    let sth = info["signedTreeHead"].as_str().unwrap();
    assert!(sth.starts_with("127.0.0.1 - "), "{sth}");
    assert!(sth.contains("\n\n\u{2014} 127.0.0.1 "), "{sth}");
}
