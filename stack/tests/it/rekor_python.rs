//! sigstore-python (the pinned 4.5.x in `.venv`) verifies our Rekor entries with its own
//! transparency-log code, and refuses tampered ones.

use std::process::Command;

use stack::Stack;

use crate::support::{python, python_script};

fn run(url: &str, mode: &str) -> (bool, String) {
    python_script("rekor_verify.py", &[url, mode])
}

#[tokio::test(flavor = "multi_thread")]
async fn sigstore_python_verifies_our_entries_and_refuses_tampered_ones() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let (ok, out) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run(&url, "honest")
    })
    .await
    .unwrap();
    assert!(ok, "sigstore-python refused an honest entry: {out}");
    assert!(out.contains("verified hashedrekord logIndex 0"), "{out}");
    // A dsse entry: sigstore-python parses our canonical body with its own schema models.
    let (ok, out) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run(&url, "dsse")
    })
    .await
    .unwrap();
    assert!(ok, "sigstore-python refused a dsse entry: {out}");
    assert!(out.contains("verified dsse logIndex 1"), "{out}");
    for (mode, reason) in [
        ("tamper-set", "SET"),
        ("tamper-proof", "inclusion"),
        ("tamper-checkpoint", "checkpoint"),
    ] {
        let (ok, out) = tokio::task::spawn_blocking({
            let url = url.clone();
            move || run(&url, mode)
        })
        .await
        .unwrap();
        assert!(
            !ok,
            "{mode}: sigstore-python accepted a tampered entry: {out}"
        );
        assert!(
            out.to_lowercase().contains(&reason.to_lowercase()),
            "{mode}: {out}"
        );
    }
}

/// Our intoto v0.0.2 canonical body fits the Rekor schema models sigstore-python ships
/// (`rekor_types`), which are generated from Rekor's own OpenAPI.
#[tokio::test(flavor = "multi_thread")]
async fn intoto_canonical_body_fits_rekor_types() {
    use base64::Engine;
    let stack = Stack::builder().start().await.unwrap();
    let key = p256::ecdsa::SigningKey::from_slice(&[21; 32]).unwrap();
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}"#;
    let resp: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/log/entries", stack.url()))
        .json(&crate::rekor_v1::intoto_proposal(&key, statement, false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, entry) = resp.as_object().unwrap().iter().next().unwrap();
    let body = base64::engine::general_purpose::STANDARD
        .decode(entry["body"].as_str().unwrap())
        .unwrap();
    let script = "import sys\nfrom pydantic import TypeAdapter\nfrom rekor_types import ProposedEntry, Intoto\ne = TypeAdapter(ProposedEntry).validate_json(sys.stdin.buffer.read())\nassert isinstance(e, Intoto), type(e)\nprint('ok', e.api_version)";
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(python())
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&body).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("ok 0.0.2"), "{text}");
}
