//! cosign 3 against a stack started here with nothing but the stack's TUF repository and its
//! first `root.json`: `cosign initialize --mirror {url}/tuf --root root.json`, then `sign-blob`
//! (the signing config comes from TUF) and `verify-blob` (the trusted root too), no trust file
//! on either command line.

use std::path::Path;

use conformance::{Client, Cosign, SignKind, SignRequest, VerifyRequest};
use stack::Stack;

#[test]
fn cosign_v3_signs_and_verifies_through_the_stacks_tuf_alone() {
    let tools = crate::support::tools();
    let bin = tools
        .go_tool("cosign-v3")
        .unwrap_or_else(|e| panic!("{e:#} (run `tools/install`)"));
    let cosign = Cosign::new("cosign-v3", bin, false);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stack = runtime.block_on(Stack::builder().start()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let result = sign_and_verify(&cosign, &stack, dir.path());
    runtime.block_on(stack.shutdown()).unwrap();
    result.unwrap();
}

/// Signs and verifies, then checks what cosign fetched and that the same bundle is refused for
/// another identity through TUF as well.
fn sign_and_verify(cosign: &Cosign, stack: &Stack, dir: &Path) -> Result<(), String> {
    let root = dir.join("root.json");
    std::fs::write(&root, stack.trust().bootstrap_root_json()).unwrap();
    let artifact = dir.join("artifact.txt");
    std::fs::write(&artifact, b"signed by cosign through sigbox's TUF\n").unwrap();
    let tuf_url = format!("{}/tuf", stack.url());
    let tuf_root = dir.join("cache/tuf-root");
    // Trust files that do not exist: had the adapter put either on a command line, cosign
    // would fail to read it.
    let absent = dir.join("absent");
    let token = stack
        .oidc()
        .mint(&fake_oidc::MintRequest::default())
        .unwrap();
    let bundle = dir.join("artifact.sigstore.json");
    let sign = SignRequest {
        kind: SignKind::Message,
        token,
        url: stack.url().to_owned(),
        signing_config: absent.join("signing_config.v0.2.json"),
        trusted_root: absent.join("trusted_root.json"),
        trust_config: absent.join("trust_config.json"),
        artifact: artifact.clone(),
        bundle: bundle.clone(),
        scratch: dir.join("sign"),
        rekor_v2: false,
    };
    let signed = cosign.sign_via_tuf(&sign, &tuf_url, &root, &tuf_root);
    if !signed.passed {
        return Err(format!("sign-blob through TUF failed:\n{}", signed.output));
    }

    // cosign cached the stack's signing config and trusted root as TUF targets, byte for byte.
    let port = stack.addr().port();
    let targets = tuf_root.join(format!("127.0.0.1-{port}-tuf/targets"));
    for (file, want) in [
        (
            "signing_config.v0.2.json",
            stack.trust().signing_config_json(),
        ),
        ("trusted_root.json", stack.trust().trusted_root_json()),
    ] {
        let got = std::fs::read_to_string(targets.join(file))
            .map_err(|e| format!("{file} not in cosign's TUF cache: {e}"))?;
        if got != want {
            return Err(format!("cosign's cached {file} is not the stack's"));
        }
    }
    // It signed with this stack's services: the bundle's log entry is in this stack's Rekor.
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let entries = json["verificationMaterial"]["tlogEntries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if entries.len() != 1 || entries[0]["kindVersion"]["kind"] != "hashedrekord" {
        return Err(format!("want one hashedrekord entry, got {entries:?}"));
    }

    let verify = |identity: &str| {
        let req = VerifyRequest {
            bundle: bundle.clone(),
            artifact: artifact.clone(),
            identity: identity.to_owned(),
            issuer: stack.oidc().issuer_url().to_owned(),
            trusted_root: absent.join("trusted_root.json"),
            trust_config: absent.join("trust_config.json"),
            tuf_url: tuf_url.clone(),
            tuf_root: root.clone(),
            scratch: dir.join("verify"),
        };
        // The TUF cache `sign_via_tuf` initialised: `verify_via_tuf` finds it and does not
        // initialise again.
        cosign.verify_via_tuf(&req, &dir.join("cache"))
    };
    let verified = verify(fake_oidc::DEFAULT_EMAIL);
    if !verified.passed {
        return Err(format!(
            "verify-blob through TUF failed:\n{}",
            verified.output
        ));
    }
    let refused = verify("mallory@example.com");
    if refused.passed {
        return Err(format!(
            "verify-blob through TUF accepted another identity:\n{}",
            refused.output
        ));
    }
    Ok(())
}
