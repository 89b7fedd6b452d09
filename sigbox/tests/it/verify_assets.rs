//! `sigbox verify-bundle` with no trust flags verifies against the public-good trusted root it
//! ships, as every Sigstore client does: the sigstore-conformance cases without a trusted root
//! of their own (32 of them, 6 that must verify), each by path and by digest, offline.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::support::sigbox;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The assets folder (outside the repository), as `client/tests/conformance_assets.rs` finds it.
fn assets() -> Option<PathBuf> {
    let dir = match std::env::var_os("SIGBOX_CONFORMANCE_ASSETS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance-assets"),
    };
    if dir.join("bundle-verify").is_dir() {
        return Some(dir);
    }
    let msg = format!("no conformance assets at {}", dir.display());
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

#[test]
fn suite_cases_without_a_trusted_root_verify_against_the_shipped_public_good_root() {
    let Some(assets) = assets() else { return };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(assets.join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.join("bundle.sigstore.json").exists() && !p.join("trusted_root.json").exists()
        })
        .collect();
    cases.sort();
    assert_eq!(
        cases.len(),
        32,
        "the suite's cases that rely on the default root"
    );
    let mut verified = 0;
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let artifact = [case.join("artifact"), assets.join("bundle-verify/a.txt")]
            .into_iter()
            .find(|p| p.exists())
            .unwrap();
        let digest = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(std::fs::read(&artifact).unwrap()))
        );
        let bundle = case.join("bundle.sigstore.json");
        for subject in [artifact.to_str().unwrap(), digest.as_str()] {
            let mut args = vec!["verify-bundle", "--bundle", bundle.to_str().unwrap()];
            let key = case.join("key.pub");
            let (identity, issuer);
            if key.exists() {
                args.extend(["--key", key.to_str().unwrap()]);
            } else {
                identity = read_trimmed(&case.join("identity")).unwrap_or_else(|| IDENTITY.into());
                issuer = read_trimmed(&case.join("issuer")).unwrap_or_else(|| ISSUER.into());
                args.extend([
                    "--certificate-identity",
                    &identity,
                    "--certificate-oidc-issuer",
                    &issuer,
                ]);
            }
            args.push(subject);
            let (ok, out) = sigbox(&args);
            let want = !name.ends_with("_fail");
            if ok != want {
                wrong.push(format!("{name} ({subject}): verified={ok}: {}", out.trim()));
            }
            verified += usize::from(ok && want);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(verified, 12, "6 happy cases, by path and by digest");
}

/// Verifying a bundle from the running stack without --stack checks it against the public-good
/// root, and the one-line refusal says so and names the flag.
#[test]
fn a_refusal_against_the_default_root_says_which_root_it_was() {
    let Some(assets) = assets() else { return };
    let case = assets.join("bundle-verify/wrong-material_fail");
    let (ok, out) = sigbox(&[
        "verify-bundle",
        "--bundle",
        case.join("bundle.sigstore.json").to_str().unwrap(),
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
        case.join("artifact").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        out.contains("public-good trusted root") && out.contains("--stack"),
        "{out}"
    );
}
