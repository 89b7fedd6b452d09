//! The first cycle with published clients, unchanged, against a stack started here:
//! sigstore-python (pinned 4.5.x in `.venv`) and sigstore-js (pinned `sigstore` in `tools/js`)
//! sign with a token from our issuer and verify with an identity policy, getting their trust
//! material from the exported trust config or through our TUF repository; sigstore-rs (the
//! `sigstore` crate) verifies the bundles too. Each client verifies the others' bundles and
//! rejects a changed artifact and a wrong identity. DSSE attestations go through
//! sigstore-python's `attest`, sigstore-js's library and its CLI (`@sigstore/cli`).

use std::path::Path;
use std::process::Command;

use fake_oidc::MintRequest;
use sha2::{Digest, Sha256};
use stack::Stack;

use crate::support::{
    manifest_dir, run, sigstore_js, sigstore_python, sigstore_python_verify, write_client_trust,
};

const IDENTITY: &str = "alice@example.com";

/// sigstore-rs: verifies `bundle` over `artifact` against our trusted root and the policy.
async fn sigstore_rs(
    trusted_root: &str,
    bundle: &Path,
    artifact: &[u8],
    identity: &str,
    issuer: &str,
) -> Result<(), String> {
    use sigstore::bundle::Bundle;
    use sigstore::bundle::verify::{ArtifactDigest, Verifier, policy::Identity};
    use sigstore::trust::sigstore::SigstoreTrustRoot;
    let root = SigstoreTrustRoot::from_trusted_root_json_unchecked(trusted_root.as_bytes())
        .map_err(|e| format!("trusted root: {e}"))?;
    let verifier = Verifier::new(Default::default(), root).map_err(|e| e.to_string())?;
    let bundle: Bundle = serde_json::from_slice(&std::fs::read(bundle).unwrap())
        .map_err(|e| format!("bundle: {e}"))?;
    let digest: [u8; 32] = Sha256::digest(artifact).into();
    verifier
        .verify_digest_with(
            ArtifactDigest::Sha256(digest),
            bundle,
            &Identity::new(identity, issuer),
            true,
        )
        .await
        .map_err(|e| format!("{e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn python_js_and_rust_clients_sign_and_cross_verify() {
    // System clock: the clients check certificate and token times against their own.
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let tuf = format!("{url}/tuf");
    let issuer = stack.oidc().issuer_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    write_client_trust(&stack, dir.path());
    let artifact = b"an artifact signed against sigbox\n".to_vec();
    std::fs::write(p("artifact.txt"), &artifact).unwrap();
    std::fs::write(p("changed.txt"), b"an artifact signed against sigbox!\n").unwrap();
    let py_home = dir.path().join("py-home");
    let trusted_root = stack.trust().trusted_root_json().to_owned();

    // sigstore-python signs with the exported trust config and verifies with it.
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        sigstore_python(
            &py_home,
            &[
                "--trust-config",
                &p("trust_config.json"),
                "sign",
                "--identity-token",
                &token,
                "--bundle",
                &p("py.sigstore.json"),
                &p("artifact.txt"),
            ],
        )
    });
    assert!(ok, "sigstore-python sign: {out}");
    let py_verify = |trust: [&str; 2], bundle: &str, file: &str, identity: &str| {
        tokio::task::block_in_place(|| {
            sigstore_python_verify(&py_home, trust, bundle, file, identity, &issuer)
        })
    };
    let trust_config = p("trust_config.json");
    let tc = ["--trust-config", trust_config.as_str()];
    let (ok, out) = py_verify(tc, &p("py.sigstore.json"), &p("artifact.txt"), IDENTITY);
    assert!(ok, "sigstore-python verify (trust config): {out}");

    // ... and through our TUF repository, bootstrapped with its first root.
    let (ok, out) = tokio::task::block_in_place(|| {
        sigstore_python(
            &py_home,
            &["--instance", &tuf, "trust-instance", &p("root.json")],
        )
    });
    assert!(ok, "sigstore-python trust-instance: {out}");
    let instance = ["--instance", tuf.as_str()];
    let (ok, out) = py_verify(
        instance,
        &p("py.sigstore.json"),
        &p("artifact.txt"),
        IDENTITY,
    );
    assert!(ok, "sigstore-python verify (TUF): {out}");

    // sigstore-js signs (message signature) and verifies through our TUF repository.
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        sigstore_js(&[
            "sign",
            &url,
            &token,
            &p("artifact.txt"),
            &p("js.sigstore.json"),
        ])
    });
    assert!(ok, "sigstore-js sign: {out}");
    let js_verify = |bundle: &str, file: &str, identity: &str| {
        let cache = tempfile::tempdir().unwrap();
        let cache = cache.path().to_str().unwrap().to_owned();
        tokio::task::block_in_place(|| {
            sigstore_js(&[
                "verify",
                &url,
                &p("root.json"),
                &cache,
                bundle,
                file,
                identity,
                &issuer,
            ])
        })
    };
    let (ok, out) = js_verify(&p("js.sigstore.json"), &p("artifact.txt"), IDENTITY);
    assert!(ok, "sigstore-js verify: {out}");

    // Cross-verification: each client accepts the other's bundle ...
    let (ok, out) = py_verify(tc, &p("js.sigstore.json"), &p("artifact.txt"), IDENTITY);
    assert!(ok, "sigstore-python verifying sigstore-js's bundle: {out}");
    let (ok, out) = js_verify(&p("py.sigstore.json"), &p("artifact.txt"), IDENTITY);
    assert!(ok, "sigstore-js verifying sigstore-python's bundle: {out}");
    for bundle in ["py.sigstore.json", "js.sigstore.json"] {
        sigstore_rs(
            &trusted_root,
            Path::new(&p(bundle)),
            &artifact,
            IDENTITY,
            &issuer,
        )
        .await
        .unwrap_or_else(|e| panic!("sigstore-rs verifying {bundle}: {e}"));
    }

    // ... and each rejects a changed artifact and a wrong identity, for the right reason.
    let wrong = "mallory@example.com";
    for bundle in ["py.sigstore.json", "js.sigstore.json"] {
        let cases = [
            (
                "sigstore-python, changed artifact",
                py_verify(tc, &p(bundle), &p("changed.txt"), IDENTITY),
                "message digest mismatch",
            ),
            (
                "sigstore-python, wrong identity",
                py_verify(tc, &p(bundle), &p("artifact.txt"), wrong),
                "SANs do not match",
            ),
            (
                "sigstore-js, changed artifact",
                js_verify(&p(bundle), &p("changed.txt"), IDENTITY),
                "SIGNATURE_ERROR",
            ),
            (
                "sigstore-js, wrong identity",
                js_verify(&p(bundle), &p("artifact.txt"), wrong),
                "certificate identity error",
            ),
        ];
        for (case, (ok, out), reason) in cases {
            assert!(!ok, "{case}: accepted {bundle}: {out}");
            assert!(
                out.contains(reason),
                "{case}: {bundle} refused, but not for {reason:?}: {out}"
            );
        }
        let changed = b"an artifact signed against sigbox!\n";
        let e = sigstore_rs(
            &trusted_root,
            Path::new(&p(bundle)),
            changed,
            IDENTITY,
            &issuer,
        )
        .await
        .expect_err("sigstore-rs accepted a changed artifact");
        assert!(
            e.contains("VerificationFailed"),
            "sigstore-rs, changed artifact, {bundle}: {e}"
        );
        let e = sigstore_rs(
            &trusted_root,
            Path::new(&p(bundle)),
            &artifact,
            wrong,
            &issuer,
        )
        .await
        .expect_err("sigstore-rs accepted a wrong identity");
        assert!(
            e.contains("SubjectAltName"),
            "sigstore-rs, wrong identity, {bundle}: {e}"
        );
    }
}

/// DSSE attestations: sigstore-python's `attest` and sigstore-js's CLI (`@sigstore/cli`
/// `attest` / `verify`, as a user runs them) each sign an in-toto statement about the artifact,
/// and each verifies the other's bundle.
#[tokio::test(flavor = "multi_thread")]
async fn python_and_js_cli_attest_and_cross_verify() {
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let tuf = format!("{url}/tuf");
    let issuer = stack.oidc().issuer_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    write_client_trust(&stack, dir.path());
    let artifact = b"an artifact attested against sigbox\n";
    std::fs::write(p("artifact.txt"), artifact).unwrap();
    std::fs::write(p("changed.txt"), b"another artifact\n").unwrap();
    let predicate = serde_json::json!({
        "buildDefinition": {
            "buildType": "https://sigbox.test/build/v1",
            "externalParameters": {},
        },
        "runDetails": {"builder": {"id": "https://sigbox.test/builder"}},
    });
    std::fs::write(p("predicate.json"), predicate.to_string()).unwrap();
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.txt", "digest": {"sha256": hex::encode(Sha256::digest(artifact))}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": predicate,
    });
    std::fs::write(p("statement.json"), statement.to_string()).unwrap();
    let py_home = dir.path().join("py-home");

    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        sigstore_python(
            &py_home,
            &[
                "--trust-config",
                &p("trust_config.json"),
                "attest",
                "--predicate",
                &p("predicate.json"),
                "--predicate-type",
                "https://slsa.dev/provenance/v1",
                "--identity-token",
                &token,
                "--bundle",
                &p("py.dsse.json"),
                &p("artifact.txt"),
            ],
        )
    });
    assert!(ok, "sigstore-python attest: {out}");

    // The CLI logs an intoto v0.0.2 entry; the library's attest a dsse v0.0.1 one.
    let cli = manifest_dir().join("../tools/js/node_modules/.bin/sigstore");
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        let mut cmd = Command::new(&cli);
        cmd.args(["attest", &p("statement.json"), "-o", &p("js.intoto.json")])
            .args(["--fulcio-url", &url, "--rekor-url", &url])
            .args(["--tsa-server-url", &format!("{url}/api/v1/timestamp")])
            .env("CI", "true")
            .env("SIGSTORE_ID_TOKEN", &token);
        run(cmd)
    });
    assert!(ok, "sigstore-js CLI attest: {out}");
    let token = stack.oidc().mint(&MintRequest::default()).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        sigstore_js(&[
            "attest",
            &url,
            &token,
            &p("statement.json"),
            &p("js.dsse.json"),
        ])
    });
    assert!(ok, "sigstore-js attest: {out}");

    let js_cli_verify = |bundle: &str, identity: &str| {
        let cache = tempfile::tempdir().unwrap();
        tokio::task::block_in_place(|| {
            let mut cmd = Command::new(&cli);
            cmd.args(["verify", bundle, "--tuf-mirror-url", &tuf])
                .args(["--tuf-root-path", &p("root.json")])
                .arg("--tuf-cache-path")
                .arg(cache.path())
                .args(["--certificate-identity-email", identity])
                .args(["--certificate-issuer", &issuer]);
            run(cmd)
        })
    };
    let trust_config = p("trust_config.json");
    let py_verify = |bundle: &str, file: &str, identity: &str| {
        let trust = ["--trust-config", trust_config.as_str()];
        tokio::task::block_in_place(|| {
            sigstore_python_verify(&py_home, trust, bundle, file, identity, &issuer)
        })
    };
    for bundle in ["py.dsse.json", "js.dsse.json", "js.intoto.json"] {
        let (ok, out) = js_cli_verify(&p(bundle), IDENTITY);
        assert!(ok, "sigstore-js CLI verify {bundle}: {out}");
        let (ok, out) = js_cli_verify(&p(bundle), "mallory@example.com");
        assert!(
            !ok,
            "sigstore-js CLI accepted {bundle} for a wrong identity: {out}"
        );
        assert!(out.contains("certificate identity error"), "{out}");
    }
    for bundle in ["py.dsse.json", "js.dsse.json"] {
        let (ok, out) = py_verify(&p(bundle), &p("artifact.txt"), IDENTITY);
        assert!(ok, "sigstore-python verify {bundle}: {out}");
        let (ok, out) = py_verify(&p(bundle), &p("changed.txt"), IDENTITY);
        assert!(
            !ok,
            "sigstore-python accepted {bundle} for another artifact: {out}"
        );
    }
    // A real difference between the clients, not ours: sigstore-python 4.5 takes a log's
    // integrated time only from dsse/hashedrekord 0.0.1 entries, so it refuses what the
    // sigstore-js CLI logs (intoto 0.0.2, as the public Rekor records it too).
    let (ok, out) = py_verify(&p("js.intoto.json"), &p("artifact.txt"), IDENTITY);
    assert!(
        !ok,
        "sigstore-python now accepts intoto 0.0.2 bundles: update docs/status.md: {out}"
    );
    assert!(out.contains("Integrated time only supported"), "{out}");
    // The DSSE bundles name their payload type.
    let js: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p("js.dsse.json")).unwrap()).unwrap();
    assert_eq!(
        js["dsseEnvelope"]["payloadType"],
        "application/vnd.in-toto+json"
    );
}
