//! sigstore-python (4.x) as the client: its IdentityToken accepts our email token for an unknown
//! issuer, and `Issuer(url).identity_token()` (the interactive flow `python -m sigstore sign`
//! runs without --identity-token) completes with a "browser" that only follows redirects.
//! Needs the project venv (`SIGBOX_PYTHON`, or `<workspace>/.venv/bin/python`); fails with a
//! message when absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use fake_oidc::MintRequest;

use crate::common::{TestClock, start_with};

fn python() -> PathBuf {
    let p = std::env::var_os("SIGBOX_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(
                &std::env::var_os("CARGO_MANIFEST_DIR")
                    .expect("cargo sets CARGO_MANIFEST_DIR when it runs tests"),
            )
            .join("../.venv/bin/python")
        });
    assert!(
        p.exists(),
        "no Python at {}: set SIGBOX_PYTHON or create the venv with sigstore 4.x",
        p.display()
    );
    p
}

#[allow(
    clippy::disallowed_methods,
    reason = "sigstore-python checks token validity against the real time, so this issuer's clock must be it"
)]
fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

const SCRIPT: &str = r#"
import json, sys, threading, webbrowser
import requests
from sigstore.oidc import IdentityToken, Issuer

url, minted = sys.argv[1], sys.argv[2]
direct = IdentityToken(minted)

def browser(u, *args, **kwargs):
    # A browser that follows redirects: sigstore's local server -> /authorize -> callback.
    threading.Thread(target=lambda: requests.get(u, timeout=20), daemon=True).start()
    return True

webbrowser.open = browser
flow = Issuer(url).identity_token()
print(json.dumps({
    "direct": [direct.identity, direct.issuer, direct.federated_issuer],
    "flow": [flow.identity, flow.issuer, str(flow) != ""],
}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigstore_python_accepts_tokens_and_completes_the_interactive_flow() {
    let clock = TestClock::new(0);
    let s = start_with(
        |mut c| {
            c.clock = Arc::new(system_now);
            c
        },
        fake_oidc::ClientPolicy::default(),
        clock,
    )
    .await;
    let minted = s.issuer.mint(&MintRequest::default()).unwrap();
    let url = s.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg("-c")
            .arg(SCRIPT)
            .arg(&url)
            .arg(&minted)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got,
        serde_json::json!({
            "direct": ["alice@example.com", s.url, s.url],
            "flow": ["alice@example.com", s.url, true],
        })
    );
}
