//! The RFC 3161 timestamp authority over HTTP: openssl accepts our timestamps against the
//! served chain; the JSON form; determinism; refusals.

use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::{Decode, Encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stack::Stack;

fn openssl(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl binary (apt: openssl) is needed for the TSA tests")
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_verifies_our_timestamps_against_the_served_chain() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("artifact"), b"timestamp me").unwrap();
    let q = openssl(
        &[
            "ts", "-query", "-data", "artifact", "-sha256", "-cert", "-out", "req.tsq",
        ],
        d,
    );
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{url}/api/v1/timestamp"))
        .header("content-type", "application/timestamp-query")
        .body(std::fs::read(d.join("req.tsq")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.headers()["content-type"],
        "application/timestamp-reply"
    );
    std::fs::write(d.join("resp.tsr"), resp.bytes().await.unwrap()).unwrap();
    let chain = client
        .get(format!("{url}/api/v1/timestamp/certchain"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let blocks: Vec<&str> = chain
        .split_inclusive("-----END CERTIFICATE-----\n")
        .collect();
    assert_eq!(blocks.len(), 2, "leaf and root");
    std::fs::write(d.join("leaf.pem"), blocks[0]).unwrap();
    std::fs::write(d.join("root.pem"), blocks[1]).unwrap();
    let verify = openssl(
        &[
            "ts",
            "-verify",
            "-data",
            "artifact",
            "-in",
            "resp.tsr",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "leaf.pem",
        ],
        d,
    );
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success() && out.contains("Verification: OK"),
        "{out}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // The same timestamp does not vouch for other data.
    std::fs::write(d.join("other"), b"something else").unwrap();
    let wrong = openssl(
        &[
            "ts",
            "-verify",
            "-data",
            "other",
            "-in",
            "resp.tsr",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "leaf.pem",
        ],
        d,
    );
    assert!(!wrong.status.success());
    // The signing certificate: critical EKU, timeStamping only.
    let leaf = x509_cert::Certificate::from_der(&stack.tsa().chain_der()[0]).unwrap();
    let eku = leaf
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id.to_string() == "2.5.29.37")
        .expect("an EKU extension");
    assert!(eku.critical);
    let usages =
        x509_cert::ext::pkix::ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).unwrap();
    assert_eq!(usages.0.len(), 1);
    assert_eq!(usages.0[0].to_string(), "1.3.6.1.5.5.7.3.8");
    let subject = leaf.tbs_certificate.subject.to_string();
    assert!(subject.contains("TEST"), "{subject}");
}

fn json_request(digest: &[u8], nonce: u64) -> Value {
    json!({"artifactHash": B64.encode(digest), "hashAlgorithm": "sha256", "nonce": nonce, "certificates": true})
}

#[tokio::test]
async fn json_form_and_deterministic_responses() {
    let at = time::macros::datetime!(2026-01-01 00:00 UTC);
    let a = Stack::builder()
        .seed("tsa")
        .frozen_clock(at)
        .start()
        .await
        .unwrap();
    let b = Stack::builder()
        .seed("tsa")
        .frozen_clock(at)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let digest = Sha256::digest(b"artifact");
    let mut bodies = Vec::new();
    for stack in [&a, &b] {
        let resp = client
            .post(format!("{}/api/v1/timestamp", stack.url()))
            .json(&json_request(&digest, 42))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        bodies.push(resp.bytes().await.unwrap());
    }
    assert_eq!(
        bodies[0], bodies[1],
        "same seed, epoch, clock and request: same bytes"
    );
    let resp = x509_tsp::TimeStampResp::from_der(&bodies[0]).unwrap();
    assert_eq!(resp.status.status, cmpv2::status::PkiStatus::Accepted);
    let token = resp.time_stamp_token.unwrap();
    let signed = token
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .unwrap();
    assert_eq!(
        signed.certificates.as_ref().map(|c| c.0.len()),
        Some(1),
        "certReq honoured"
    );
    let econtent = signed.encap_content_info.econtent.unwrap();
    let tst = x509_tsp::TstInfo::from_der(econtent.value()).unwrap();
    assert_eq!(
        tst.message_imprint.hashed_message.as_bytes(),
        digest.as_slice()
    );
    assert_eq!(
        tst.nonce.as_ref().unwrap().as_bytes(),
        &[42u8][..],
        "nonce echoed"
    );
    assert_eq!(
        tst.gen_time.to_unix_duration().as_secs() as i64,
        at.unix_timestamp()
    );
    assert!(tst.to_der().is_ok());
}

#[tokio::test]
async fn malformed_requests_get_clear_400s() {
    let stack = Stack::builder().start().await.unwrap();
    // Armed faults wait for a request the TSA would stamp: a refused one leaves them armed.
    stack.faults().arm(stack::faults::Fault::TsaOtherDigest, 1);
    stack.faults().arm(stack::faults::Fault::TsaUnknownKey, 1);
    let armed = stack.faults().armed();
    let url = format!("{}/api/v1/timestamp", stack.url());
    let client = reqwest::Client::new();
    let der_short = {
        let req = x509_tsp::TimeStampReq {
            version: x509_tsp::TspVersion::V1,
            message_imprint: x509_tsp::MessageImprint {
                hash_algorithm: spki::AlgorithmIdentifierOwned {
                    oid: der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"),
                    parameters: None,
                },
                hashed_message: der::asn1::OctetString::new(vec![1u8; 20]).unwrap(),
            },
            req_policy: None,
            nonce: None,
            cert_req: false,
            extensions: None,
        };
        req.to_der().unwrap()
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, &str)> = vec![
        ("garbage", client.post(&url).header("content-type", "application/timestamp-query").body("not DER"), "not a DER TimeStampReq"),
        ("empty", client.post(&url).header("content-type", "application/timestamp-query").body(""), "not a DER TimeStampReq"),
        ("short digest", client.post(&url).header("content-type", "application/timestamp-query").body(der_short), "does not fit SHA-256"),
        ("md5", client.post(&url).json(&json!({"artifactHash": B64.encode([0u8; 16]), "hashAlgorithm": "md5"})), "unsupported hashAlgorithm"),
        ("bad base64", client.post(&url).json(&json!({"artifactHash": "!!", "hashAlgorithm": "sha256"})), "not base64"),
        ("bad JSON", client.post(&url).header("content-type", "application/json").body("{"), "malformed JSON"),
        ("foreign policy", client.post(&url).json(&json!({"artifactHash": B64.encode([0u8; 32]), "hashAlgorithm": "sha256", "tsaPolicyOID": "1.2.3.4"})), "policy"),
    ];
    for (name, req, needle) in cases {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 400, "{name}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["message"].as_str().unwrap().contains(needle),
            "{name}: {err}"
        );
        assert_eq!(stack.faults().armed(), armed, "{name} spent an armed fault");
    }
}
