//! The sigstore-conformance `bundle-verify` cases, run against this crate's verifier.
//!
//! The assets live outside the repository, at `$CARGO_MANIFEST_DIR/../../shared/conformance-assets`
//! (or wherever `SIGBOX_CONFORMANCE_ASSETS` says). When they are absent the tests fail, unless
//! `SIGBOX_ALLOW_MISSING_ASSETS=1`, which makes them say so and pass.
//!
//! Each case runs twice: the artifact as bytes and as its SHA-256 digest. A case whose name ends
//! in `_fail` must be rejected, every other case must verify. Cases this verifier cannot meet are
//! listed in `tests/expectations.json` (name, or `name@bytes` / `name@digest` for one form, with
//! a reason); a listed case that behaves correctly fails the test too, so the list stays honest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use client::{Artifact, Bundle, Policy, TrustedRoot, Verifier, VerifyError};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The assets folder, or `None` (after saying why) when the test may pass without it.
fn assets() -> Option<PathBuf> {
    // Runtime, not env!(): a warm target dir may hold a binary built from another clone path.
    let dir = match std::env::var_os("SIGBOX_CONFORMANCE_ASSETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../../shared/conformance-assets"),
    };
    if dir.join("bundle-verify").is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "no conformance assets found at {} (expected bundle-verify/ there)",
        dir.display()
    );
    if std::env::var("SIGBOX_ALLOW_MISSING_ASSETS").as_deref() == Ok("1") {
        eprintln!("{msg}; SIGBOX_ALLOW_MISSING_ASSETS=1, so passing without running any case");
        return None;
    }
    panic!("{msg}; set SIGBOX_ALLOW_MISSING_ASSETS=1 to skip");
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Bytes,
    Digest,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Self::Bytes => "bytes",
            Self::Digest => "digest",
        }
    }
}

/// Runs one case in one form: `Ok` if it verified, else the rejection.
fn run_case(assets: &Path, case: &Path, form: Form) -> Result<(), VerifyError> {
    run_case_with(assets, case, form, None, |p| p)
}

/// [`run_case`] at a chosen "now" and with the policy rewritten by `policy`.
fn run_case_with(
    assets: &Path,
    case: &Path,
    form: Form,
    now: Option<OffsetDateTime>,
    rewrite: impl FnOnce(Policy) -> Policy,
) -> Result<(), VerifyError> {
    let root_path = if case.join("trusted_root.json").exists() {
        case.join("trusted_root.json")
    } else {
        assets.join("production_trusted_root.json")
    };
    let root = TrustedRoot::from_json(&std::fs::read(root_path).expect("read trusted root"))?;
    let artifact_path = if case.join("artifact").exists() {
        case.join("artifact")
    } else {
        case.join("../a.txt")
    };
    let artifact = std::fs::read(artifact_path).expect("read artifact");
    let policy = match std::fs::read_to_string(case.join("key.pub")) {
        Ok(pem) => Policy::Key(pem),
        Err(_) => Policy::Identity {
            san: read_trimmed(&case.join("identity")).unwrap_or_else(|| DEFAULT_IDENTITY.into()),
            issuer: read_trimmed(&case.join("issuer")).unwrap_or_else(|| DEFAULT_ISSUER.into()),
        },
    };
    let policy = rewrite(policy);
    let bundle =
        Bundle::from_json(&std::fs::read(case.join("bundle.sigstore.json")).expect("read bundle"))?;
    let digest: [u8; 32] = Sha256::digest(&artifact).into();
    let artifact = match form {
        Form::Bytes => Artifact::Bytes(&artifact),
        Form::Digest => Artifact::Digest(digest),
    };
    let verifier = match now {
        Some(now) => Verifier::new_at(root, now),
        None => Verifier::new(root),
    };
    verifier.verify(&bundle, artifact, &policy).map(|_| ())
}

fn cases(assets: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(assets.join("bundle-verify"))
        .expect("list bundle-verify")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("bundle.sigstore.json").exists())
        .collect();
    cases.sort();
    cases
}

fn expectations() -> BTreeMap<String, String> {
    let path = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("tests/expectations.json");
    let text = std::fs::read_to_string(&path).expect("read tests/expectations.json");
    serde_json::from_str(&text).expect("tests/expectations.json is a JSON object of name: reason")
}

#[test]
fn bundle_verify_cases() {
    let Some(assets) = assets() else {
        return;
    };
    let expected_wrong = expectations();
    let mut used = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    let (mut right, mut wrong) = (0, 0);
    let cases = cases(&assets);
    assert!(!cases.is_empty(), "no cases under {}", assets.display());
    for case in &cases {
        let name = case
            .file_name()
            .expect("case name")
            .to_string_lossy()
            .into_owned();
        let must_fail = name.ends_with("_fail");
        for form in [Form::Bytes, Form::Digest] {
            let result = run_case(&assets, case, form);
            let correct = result.is_ok() != must_fail;
            let label = format!("{name}@{}", form.name());
            let listed = [name.as_str(), label.as_str()]
                .into_iter()
                .find(|k| expected_wrong.contains_key(*k));
            if let Some(k) = listed {
                used.insert(k.to_owned());
            }
            let outcome = match &result {
                Ok(()) => "verified".to_owned(),
                Err(e) => format!("rejected: {e}"),
            };
            println!("{label:70} {outcome}");
            if correct {
                right += 1;
            } else {
                wrong += 1;
            }
            match (correct, listed) {
                (true, None) | (false, Some(_)) => {}
                (false, None) => problems.push(format!(
                    "{label}: {} but should be {}",
                    outcome,
                    if must_fail { "rejected" } else { "verified" }
                )),
                (true, Some(k)) => problems.push(format!(
                    "{label}: now behaves correctly ({outcome}); remove `{k}` from tests/expectations.json"
                )),
            }
        }
    }
    for k in expected_wrong.keys() {
        if !used.contains(k) {
            problems.push(format!(
                "tests/expectations.json lists `{k}`, which is no case"
            ));
        }
    }
    println!(
        "{} cases x 2 forms: {right} correct, {wrong} incorrect ({} listed in expectations)",
        cases.len(),
        expected_wrong.len()
    );
    assert!(
        problems.is_empty(),
        "conformance problems:\n{}",
        problems.join("\n")
    );
}

/// Rejections name their reason, not only fail.
#[test]
fn rejection_reasons() {
    let Some(assets) = assets() else {
        return;
    };
    let want = [
        (
            "bundle-unknown-version_fail",
            "unsupported bundle media type",
        ),
        ("bundle-malformed-json_fail", "bundle is not valid JSON"),
        ("bundle-negative-log-index_fail", "logIndex -1 is negative"),
        ("bundle-with-root-cert_fail", "contains a root certificate"),
        (
            "set-invalid-signature_fail",
            "signed entry timestamp does not verify",
        ),
        (
            "checkpoint-wrong-roothash_fail",
            "checkpoint root hash does not match",
        ),
        (
            "inclusion-proof-corrupted-hash_fail",
            "inclusion proof does not lead to the checkpoint root",
        ),
        (
            "message-digest-mismatch_fail",
            "message digest in the bundle does not match the artifact",
        ),
        (
            "managed-key-no-key_fail",
            "signed with a managed key but no key was given",
        ),
        (
            "trust-root-tlog-missing-validity-start_fail",
            "validFor has no start",
        ),
        ("rekor2-no-timestamp_fail", "no RFC 3161 timestamp"),
        (
            "intoto-set-outside-signing-cert-validity_fail",
            "certificate not valid at integrated time",
        ),
        ("invalid-ct-key_fail", "SCT"),
    ];
    let mut problems = Vec::new();
    for (name, needle) in want {
        let case = assets.join("bundle-verify").join(name);
        match run_case(&assets, &case, Form::Bytes) {
            Ok(()) => problems.push(format!(
                "{name}: verified, want rejection naming `{needle}`"
            )),
            Err(e) if e.reason().contains(needle) && !e.reason().contains('\n') => {}
            Err(e) => problems.push(format!("{name}: rejected with `{e}`, want `{needle}`")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Checks the verifier makes of otherwise good bundles: "now" and the identity policy.
#[test]
fn clock_and_policy_reasons() {
    let Some(assets) = assets() else {
        return;
    };
    let v01 = assets.join("bundle-verify/happy-path-v0.1");
    // happy-path-v0.1 was integrated at 1689177396; a clock one second earlier sees the future.
    let before = OffsetDateTime::from_unix_timestamp(1_689_177_395).expect("time");
    let err = run_case_with(&assets, &v01, Form::Bytes, Some(before), |p| p)
        .expect_err("integrated time after now must be rejected");
    assert!(err.reason().contains("is in the future"), "{err}");
    let at = OffsetDateTime::from_unix_timestamp(1_689_177_396).expect("time");
    run_case_with(&assets, &v01, Form::Digest, Some(at), |p| p)
        .expect("verifies at its integrated time");

    let wrong_san = |p| match p {
        Policy::Identity { issuer, .. } => Policy::Identity {
            san: "https://example.com/other".into(),
            issuer,
        },
        other => other,
    };
    let err = run_case_with(&assets, &v01, Form::Bytes, None, wrong_san).expect_err("wrong SAN");
    assert!(
        err.reason()
            .contains("does not match the expected `https://example.com/other`"),
        "{err}"
    );

    let wrong_issuer = |p| match p {
        Policy::Identity { san, .. } => Policy::Identity {
            san,
            issuer: "https://accounts.google.com".into(),
        },
        other => other,
    };
    let err =
        run_case_with(&assets, &v01, Form::Bytes, None, wrong_issuer).expect_err("wrong issuer");
    assert!(err.reason().contains("OIDC issuer"), "{err}");

    let key = std::fs::read_to_string(assets.join("bundle-verify/managed-key-happy-path/key.pub"))
        .expect("key");
    let err = run_case_with(&assets, &v01, Form::Bytes, None, |_| Policy::Key(key))
        .expect_err("key policy on a keyless bundle");
    assert!(err.reason().contains("managed key was required"), "{err}");
}
