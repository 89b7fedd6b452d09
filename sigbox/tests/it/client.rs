//! `sigbox sign-bundle` / `verify-bundle` (the sigstore-conformance CLI protocol) against a
//! running `sigbox up`, crossed with sigstore-python and sigstore-js: each verifies the other's bundles, and
//! every refusal names its reason.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::support::{Up, python, sigbox};

const IDENTITY: &str = "alice@example.com";

fn sigstore_python(home: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(python())
        .args(["-m", "sigstore"])
        .args(args)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .expect("running sigstore-python");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// sigstore-js through the same driver script the stack's tests use.
fn sigstore_js(args: &[&str]) -> (bool, String) {
    let root =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("..");
    let out = Command::new("node")
        .arg(root.join("stack/tests/it/js/client.js"))
        .args(args)
        .env("SIGBOX_JS_DIR", root.join("tools/js"))
        .output()
        .expect("running node");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn token(url: &str) -> String {
    let (ok, out) = sigbox(&["token", "--url", url]);
    assert!(ok, "{out}");
    out.trim().to_owned()
}

#[test]
fn sigbox_and_sigstore_python_sign_and_verify_each_other() {
    let up = Up::start(&["--ephemeral"]);
    let url = up.url();
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let (ok, out) = sigbox(&["export", "--url", &url, "--out", &p("trust")]);
    assert!(ok, "{out}");
    let trusted_root = p("trust/trusted_root.json");
    let signing_config = p("trust/signing_config.v0.2.json");
    let trust_config = p("trust/trust_config.json");
    let artifact = b"signed by sigbox, checked by everyone\n";
    std::fs::write(p("a.txt"), artifact).unwrap();
    std::fs::write(p("b.txt"), b"something else\n").unwrap();
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a.txt", "digest": {"sha256": hex::encode(Sha256::digest(artifact))}}],
        "predicateType": "https://sigbox.test/predicate/v1",
        "predicate": {},
    });
    std::fs::write(p("statement.json"), statement.to_string()).unwrap();
    let home = dir.path().join("py");

    // Our client signs a message and a statement through the conformance protocol.
    let t = token(&url);
    let (ok, out) = sigbox(&[
        "sign-bundle",
        "--identity-token",
        &t,
        "--bundle",
        &p("ours.json"),
        "--signing-config",
        &signing_config,
        "--trusted-root",
        &trusted_root,
        &p("a.txt"),
    ]);
    assert!(ok, "sigbox sign-bundle: {out}");
    let t = token(&url);
    let (ok, out) = sigbox(&[
        "sign-bundle",
        "--in-toto",
        "--identity-token",
        &t,
        "--bundle",
        &p("ours.dsse.json"),
        "--signing-config",
        &signing_config,
        &p("statement.json"),
    ]);
    assert!(ok, "sigbox sign-bundle --in-toto: {out}");
    // sigstore-python signs too.
    let t = token(&url);
    let (ok, out) = sigstore_python(
        &home,
        &[
            "--trust-config",
            &trust_config,
            "sign",
            "--identity-token",
            &t,
            "--bundle",
            &p("py.json"),
            &p("a.txt"),
        ],
    );
    assert!(ok, "sigstore-python sign: {out}");
    // ... and sigstore-js.
    let t = token(&url);
    let (ok, out) = sigstore_js(&["sign", &url, &t, &p("a.txt"), &p("js.json")]);
    assert!(ok, "sigstore-js sign: {out}");

    let digest = format!("sha256:{}", hex::encode(Sha256::digest(artifact)));
    let verify = |bundle: &str, subject: &str, identity: &str| {
        sigbox(&[
            "verify-bundle",
            "--bundle",
            bundle,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            &url,
            "--trusted-root",
            &trusted_root,
            subject,
        ])
    };
    // We verify ours, sigstore-python's and sigstore-js's, by path and by digest.
    for bundle in ["ours.json", "py.json", "js.json"] {
        for subject in [p("a.txt"), digest.clone()] {
            let (ok, out) = verify(&p(bundle), &subject, IDENTITY);
            assert!(ok, "sigbox verify-bundle {bundle} {subject}: {out}");
        }
        let (ok, out) = verify(&p(bundle), &p("b.txt"), IDENTITY);
        assert!(!ok, "{bundle} verified over another artifact: {out}");
        assert!(
            out.contains("does not match the artifact"),
            "reason for a changed artifact: {out}"
        );
        assert_eq!(out.trim().lines().count(), 1, "one line: {out}");
        let (ok, out) = verify(&p(bundle), &p("a.txt"), "mallory@example.com");
        assert!(!ok, "{bundle} verified for a wrong identity: {out}");
        assert!(
            out.contains("alice@example.com") && out.contains("mallory@example.com"),
            "reason for a wrong identity: {out}"
        );
    }
    let (ok, out) = verify(&p("ours.dsse.json"), &p("a.txt"), IDENTITY);
    assert!(ok, "sigbox verify-bundle DSSE: {out}");

    // Regular-expression policies (unanchored, as cosign's): a match, a miss and a bad one.
    let regexp = |san: &str, issuer: &str| {
        sigbox(&[
            "verify-bundle",
            "--bundle",
            &p("ours.json"),
            "--certificate-identity-regexp",
            san,
            "--certificate-oidc-issuer-regexp",
            issuer,
            "--trusted-root",
            &trusted_root,
            &p("a.txt"),
        ])
    };
    let (ok, out) = regexp(r"^alice@example\.com$", r"^http://127\.0\.0\.1:\d+$");
    assert!(ok, "regexp policy: {out}");
    let (ok, out) = regexp("^mallory@", "127.0.0.1");
    assert!(!ok && out.contains("a match for /^mallory@/"), "{out}");
    let (ok, out) = regexp("alice", "^https://");
    assert!(!ok && out.contains("OIDC issuer"), "{out}");
    let (ok, out) = regexp("(", ".");
    assert!(!ok && out.contains("invalid regular expression"), "{out}");

    // Our client can take its trust root through the stack's TUF repository instead.
    let tuf = format!("{url}/tuf");
    let (ok, out) = sigbox(&[
        "verify-bundle",
        "--bundle",
        &p("ours.json"),
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        &url,
        "--tuf-url",
        &tuf,
        "--tuf-root",
        &p("trust/root.json"),
        &p("a.txt"),
    ]);
    assert!(ok, "sigbox verify-bundle through TUF: {out}");

    // sigstore-python and sigstore-js verify ours.
    for bundle in ["ours.json", "ours.dsse.json"] {
        let (ok, out) = sigstore_python(
            &home,
            &[
                "--trust-config",
                &trust_config,
                "verify",
                "identity",
                "--bundle",
                &p(bundle),
                "--cert-identity",
                IDENTITY,
                "--cert-oidc-issuer",
                &url,
                &p("a.txt"),
            ],
        );
        assert!(ok, "sigstore-python verifying sigbox's {bundle}: {out}");
        let cache = tempfile::tempdir().unwrap();
        let (ok, out) = sigstore_js(&[
            "verify",
            &url,
            &p("trust/root.json"),
            cache.path().to_str().unwrap(),
            &p(bundle),
            &p("a.txt"),
            IDENTITY,
            &url,
        ]);
        assert!(ok, "sigstore-js verifying sigbox's {bundle}: {out}");
    }
}
