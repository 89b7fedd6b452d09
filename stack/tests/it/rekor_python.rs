//! sigstore-python (the pinned 4.5.x in `.venv`) verifies our Rekor entries with its own
//! transparency-log code, and refuses tampered ones.

use std::path::PathBuf;
use std::process::Command;

use stack::Stack;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SIGBOX_PYTHON") {
        return p.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with sigstore installed: run `.ci/run` or `just tools` (or set SIGBOX_PYTHON)"
    );
    venv
}

fn run(url: &str, mode: &str) -> (bool, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/python/rekor_verify.py"
    );
    let out = Command::new(python())
        .args([script, url, mode])
        .output()
        .expect("running python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
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
