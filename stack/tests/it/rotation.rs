//! The rotation cycle: sigstore-python, sigstore-js and our client sign, every kind is rotated
//! in turn, they sign again after each; every bundle verifies with the refreshed trust root in
//! sigstore-python, sigstore-js (through TUF, from root version 1) and our client; a CA's end
//! date is enforced (by sigstore-js and our client; sigstore-python does not, pinned).

use fake_oidc::MintRequest;
use serde_json::Value;
use stack::Stack;
use stack::generations::Kind;

use crate::support::{python_script, sigstore_js, sigstore_python, sigstore_python_verify};

const IDENTITY: &str = "alice@example.com";

#[tokio::test(flavor = "multi_thread")]
async fn every_rotation_keeps_old_and_new_bundles_verifying() {
    // System clock: the clients check times against their own.
    let stack = Stack::builder().start().await.unwrap();
    let url = stack.url().to_owned();
    let issuer = stack.oidc().issuer_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let first_root = stack.trust().bootstrap_root_json();
    std::fs::write(p("root.json"), &first_root).unwrap();
    std::fs::write(p("a.txt"), b"signed across rotations\n").unwrap();
    let home = dir.path().join("py");
    let before = stack.trust().versions();

    // Sign with sigstore-python and our client, from the trust material current at the time.
    let mut bundles: Vec<(String, &str)> = Vec::new();
    let sign_round = |round: &str, bundles: &mut Vec<(String, &str)>| {
        let tc = p(&format!("trust-{round}.json"));
        std::fs::write(&tc, stack.trust().client_trust_config_json()).unwrap();
        let token = stack.oidc().mint(&MintRequest::default()).unwrap();
        let py = p(&format!("py-{round}.json"));
        let (ok, out) = tokio::task::block_in_place(|| {
            sigstore_python(
                &home,
                &[
                    "--trust-config",
                    &tc,
                    "sign",
                    "--identity-token",
                    &token,
                    "--bundle",
                    &py,
                    &p("a.txt"),
                ],
            )
        });
        assert!(ok, "sigstore-python sign after {round}: {out}");
        bundles.push((py, "sigstore-python"));
        let token = stack.oidc().mint(&MintRequest::default()).unwrap();
        let services = client::sign::Services::from_signing_config(
            stack.trust().signing_config_json().as_bytes(),
            stack.clock().now(),
        )
        .unwrap();
        let ours = p(&format!("ours-{round}.json"));
        let bundle = tokio::task::block_in_place(|| {
            client::sign::sign(
                &services,
                &token,
                client::sign::Payload::Message(b"signed across rotations\n"),
            )
        })
        .unwrap_or_else(|e| panic!("our client signing after {round}: {e}"));
        std::fs::write(&ours, bundle.encode()).unwrap();
        bundles.push((ours, "sigbox"));
        let token = stack.oidc().mint(&MintRequest::default()).unwrap();
        let js = p(&format!("js-{round}.json"));
        let (ok, out) =
            tokio::task::block_in_place(|| sigstore_js(&["sign", &url, &token, &p("a.txt"), &js]));
        assert!(ok, "sigstore-js sign after {round}: {out}");
        bundles.push((js, "sigstore-js"));
    };
    sign_round("start", &mut bundles);
    for kind in Kind::ALL {
        let generation = stack.rotate(kind).unwrap();
        assert_eq!(generation, 1, "{kind:?}");
        sign_round(kind.as_str(), &mut bundles);
    }

    // Every rotation published new targets, snapshot and timestamp; tuf-root a new root.
    let after = stack.trust().versions();
    assert_eq!(
        after[0],
        before[0] + 1,
        "one root rotation: {before:?} -> {after:?}"
    );
    for role in 1..4 {
        assert!(
            after[role] >= before[role] + Kind::ALL.len() as u64,
            "role {role}: {before:?} -> {after:?}"
        );
    }
    let root: Value = serde_json::from_str(&stack.trust().trusted_root_json()).unwrap();
    for (field, n) in [
        ("certificateAuthorities", 2),
        ("tlogs", 2),
        ("ctlogs", 2),
        ("timestampAuthorities", 2),
    ] {
        // The Rekor v2 log is listed too, at its one generation: not part of this count.
        let list: Vec<&Value> = root[field]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| {
                !l["baseUrl"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("/rekor-v2"))
            })
            .collect();
        assert_eq!(list.len(), n, "{field}");
        let valid = |i: usize| {
            if field.ends_with("logs") {
                list[i]["publicKey"]["validFor"].clone()
            } else {
                list[i]["validFor"].clone()
            }
        };
        assert!(
            valid(0)["end"].is_string(),
            "{field}: the old generation has an end"
        );
        let t = |v: &Value| {
            time::OffsetDateTime::parse(
                v.as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
        };
        assert_eq!(
            t(&valid(0)["end"]) - t(&valid(1)["start"]),
            time::Duration::seconds(1),
            "{field}: the old one ends a second after the new one starts"
        );
        assert!(
            valid(1)["end"].is_null(),
            "{field}: the current one has no end"
        );
    }

    // With the refreshed trust root, every bundle verifies in every client.
    let tc = p("trust-final.json");
    std::fs::write(&tc, stack.trust().client_trust_config_json()).unwrap();
    let trusted =
        client::TrustedRoot::from_json(stack.trust().trusted_root_json().as_bytes()).unwrap();
    let verifier = client::Verifier::new_at(trusted, stack.clock().now());
    let policy = client::Policy::Identity {
        san: IDENTITY.into(),
        issuer: issuer.clone(),
    };
    for (bundle, signer) in &bundles {
        let (ok, out) = tokio::task::block_in_place(|| {
            let trust = ["--trust-config", tc.as_str()];
            sigstore_python_verify(&home, trust, bundle, &p("a.txt"), IDENTITY, &issuer)
        });
        assert!(ok, "sigstore-python refused {signer}'s {bundle}: {out}");
        // sigstore-js starts from root version 1 and walks to the newest root.
        let cache = tempfile::tempdir().unwrap();
        let (ok, out) = tokio::task::block_in_place(|| {
            sigstore_js(&[
                "verify",
                &url,
                &p("root.json"),
                cache.path().to_str().unwrap(),
                bundle,
                &p("a.txt"),
                IDENTITY,
                &issuer,
            ])
        });
        assert!(ok, "sigstore-js refused {signer}'s {bundle}: {out}");
        let b = client::Bundle::from_json(&std::fs::read(bundle).unwrap()).unwrap();
        verifier
            .verify(
                &b,
                client::Artifact::Bytes(b"signed across rotations\n"),
                &policy,
            )
            .unwrap_or_else(|e| panic!("our client refused {signer}'s {bundle}: {e}"));
    }

    // sigstore-python through TUF from root version 1, too.
    let tuf = format!("{url}/tuf");
    let (ok, out) = tokio::task::block_in_place(|| {
        sigstore_python(
            &home,
            &["--instance", &tuf, "trust-instance", &p("root.json")],
        )
    });
    assert!(ok, "{out}");
    let (ok, out) = tokio::task::block_in_place(|| {
        let trust = ["--instance", tuf.as_str()];
        sigstore_python_verify(&home, trust, &bundles[0].0, &p("a.txt"), IDENTITY, &issuer)
    });
    assert!(ok, "sigstore-python via TUF after a root rotation: {out}");
    // python-tuf's ngclient walks 1.root.json -> 2.root.json.
    let meta = dir.path().join("ngclient");
    std::fs::create_dir_all(&meta).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        let root = p("root.json");
        python_script(
            "ngclient_refresh.py",
            &[meta.to_str().unwrap(), &tuf, &root],
        )
    });
    assert!(ok && out.contains("root version 2"), "{out}");

    // A CA's end date holds: with the first CA's span moved to before the first bundle was
    // signed, the certificate it issued then is refused.
    let mut root: Value = serde_json::from_str(&stack.trust().trusted_root_json()).unwrap();
    root["certificateAuthorities"][0]["validFor"] =
        serde_json::json!({"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"});
    let mut config: Value =
        serde_json::from_str(&stack.trust().client_trust_config_json()).unwrap();
    config["trustedRoot"] = root.clone();
    std::fs::write(p("retired.json"), config.to_string()).unwrap();
    let (ok, out) = tokio::task::block_in_place(|| {
        let retired = p("retired.json");
        let trust = ["--trust-config", retired.as_str()];
        sigstore_python_verify(&home, trust, &bundles[0].0, &p("a.txt"), IDENTITY, &issuer)
    });
    // A client difference, pinned: sigstore-python 4.5.1 takes every CA in the trusted root
    // as an anchor whatever its validFor ("Return expired certificates too"), so it accepts.
    assert!(
        ok,
        "sigstore-python now enforces a CA's validFor: update docs/status.md: {out}"
    );
    // sigstore-js with a trusted root given as a file, over the first bundle.
    let js_with_root = |root: &str| {
        tokio::task::block_in_place(|| {
            sigstore_js(&[
                "verify-with-root",
                root,
                &bundles[0].0,
                &p("a.txt"),
                IDENTITY,
                &issuer,
            ])
        })
    };
    std::fs::write(p("retired_root.json"), root.to_string()).unwrap();
    let (ok, out) = js_with_root(&p("retired_root.json"));
    assert!(
        !ok,
        "sigstore-js accepted a certificate from a CA past its end: {out}"
    );
    assert!(out.contains("Failed to verify certificate chain"), "{out}");
    // The same root unmodified: sigstore-js accepts, so the refusal above is the CA's span.
    std::fs::write(p("current_root.json"), stack.trust().trusted_root_json()).unwrap();
    let (ok, out) = js_with_root(&p("current_root.json"));
    assert!(ok, "sigstore-js with the trusted root as a file: {out}");
    let retired = client::TrustedRoot::from_json(root.to_string().as_bytes()).unwrap();
    let b = client::Bundle::from_json(&std::fs::read(&bundles[0].0).unwrap()).unwrap();
    let err = client::Verifier::new_at(retired, stack.clock().now())
        .verify(
            &b,
            client::Artifact::Bytes(b"signed across rotations\n"),
            &policy,
        )
        .expect_err("our client accepted a certificate from a CA past its end");
    assert!(
        err.to_string().contains("is not valid at"),
        "our client's reason: {err}"
    );
}
