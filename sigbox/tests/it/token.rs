use std::process::Command;

use crate::support::{Up, python};

fn sigbox_token(url: &str, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .args(["token", "--url", url])
        .args(extra)
        .output()
        .expect("running sigbox token");
    assert!(
        out.status.success(),
        "sigbox token failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn token_is_accepted_by_sigstore_python_identity_token() {
    let up = Up::start(&["--ephemeral"]);
    let url = up.url();
    let token = sigbox_token(&url, &["--email", "alice@example.com"]);
    let script = r#"
import sys
from sigstore.oidc import IdentityToken
t = IdentityToken(sys.argv[1])
print(t.issuer)
print(t.identity)
print(t.in_validity_period())
"#;
    let out = Command::new(python())
        .args(["-c", script, &token])
        .output()
        .expect("running python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sigstore-python refused our token: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], url, "iss is the stack URL");
    assert!(!lines[1].is_empty());
    assert_eq!(lines[2], "True");
}

#[test]
fn sigstore_python_refuses_an_expired_token_from_sigbox_token() {
    let up = Up::start(&["--ephemeral"]);
    let token = sigbox_token(
        &up.url(),
        &["--issued-at", "1000000000", "--lifetime", "60"],
    );
    let out = Command::new(python())
        .args([
            "-c",
            "import sys\nfrom sigstore.oidc import IdentityToken\nIdentityToken(sys.argv[1])",
            &token,
        ])
        .output()
        .expect("running python");
    assert!(!out.status.success(), "an expired token must be refused");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("IdentityError"), "{stderr}");
}

#[test]
fn sigbox_token_reports_a_missing_stack_clearly() {
    let out = Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .args(["token", "--state", "/nonexistent/sigbox-state"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ready.json") && stderr.contains("sigbox up"),
        "{stderr}"
    );
}

#[test]
fn every_preset_mints_through_the_cli() {
    use base64::Engine;
    let up = Up::start(&["--ephemeral"]);
    for (preset, claim) in [
        ("email", "email_verified"),
        ("github-actions", "job_workflow_ref"),
        ("gitlab-ci", "pipeline_source"),
        ("buildkite", "organization_slug"),
        ("kubernetes", "kubernetes.io"),
        ("spiffe", "sub"),
    ] {
        let token = sigbox_token(
            &up.url(),
            &[
                "--preset",
                preset,
                "--claim",
                "extra=yes",
                "--audience",
                "other",
            ],
        );
        let payload = token.split('.').nth(1).expect("a compact JWS");
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert!(
            claims.get(claim).is_some(),
            "{preset} token lacks {claim}: {claims}"
        );
        assert_eq!(claims["extra"], "yes");
        assert_eq!(claims["aud"], "other");
        assert_eq!(claims["iss"], up.url().as_str());
    }
}
