//! sigstore-js: the `sigstore` library through a node script, and `@sigstore/cli`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Client, Outcome, SignKind, SignRequest, VerifyRequest, run};

/// sigstore-js: the `sigstore` library through a node script for message signatures and
/// verification (through the stack's TUF repository, a fresh cache each time but in the TUF
/// cases, which keep one per run), the
/// `@sigstore/cli` `attest` command for DSSE (as a user runs it).
#[derive(Debug, Clone)]
pub struct SigstoreJs {
    /// `tools/js`.
    pub js_dir: PathBuf,
    /// The node script (`sign URL TOKEN FILE OUT`, `verify URL ROOT CACHE BUNDLE FILE ID ISS`).
    pub script: PathBuf,
}

impl SigstoreJs {
    fn node(&self) -> Command {
        let mut cmd = Command::new("node");
        cmd.arg(&self.script).env("SIGBOX_JS_DIR", &self.js_dir);
        cmd
    }
}

impl Client for SigstoreJs {
    fn name(&self) -> &str {
        "sigstore-js"
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        if req.rekor_v2 {
            // @sigstore/sign's bundleBuilderFromSigningConfig (the script's `sign-config`).
            let mut cmd = self.node();
            cmd.arg("sign-config")
                .arg(&req.signing_config)
                .arg(&req.token);
            match &req.kind {
                SignKind::Message => cmd.arg(&req.artifact).arg(&req.bundle),
                SignKind::InToto { statement, .. } => {
                    cmd.arg(statement).arg(&req.bundle).arg("attest")
                }
            };
            return run(cmd);
        }
        match &req.kind {
            SignKind::Message => {
                let mut cmd = self.node();
                cmd.args(["sign", &req.url, &req.token])
                    .arg(&req.artifact)
                    .arg(&req.bundle);
                run(cmd)
            }
            SignKind::InToto { statement, .. } => {
                let mut cmd = Command::new(self.js_dir.join("node_modules/.bin/sigstore"));
                cmd.arg("attest")
                    .arg(statement)
                    .arg("-o")
                    .arg(&req.bundle)
                    .args(["--fulcio-url", &req.url, "--rekor-url", &req.url])
                    .args(["--tsa-server-url", &format!("{}/api/v1/timestamp", req.url)])
                    .env("CI", "true")
                    .env("SIGSTORE_ID_TOKEN", &req.token);
                run(cmd)
            }
        }
    }

    /// Through the stack's TUF repository as well (sigstore-js's `verify` takes no trusted
    /// root file), with a fresh cache.
    fn verify(&self, req: &VerifyRequest) -> Outcome {
        self.verify_via_tuf(req, &req.scratch.join("tuf-cache"))
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    /// The library's `verify` with `tufMirrorURL`, `tufRootPath` and `tufCachePath` (the
    /// script's `verify` mode); `tufRootPath` seeds the cache only while it has no `root.json`.
    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        // The script appends `/tuf` to the stack's URL.
        let url = req.tuf_url.trim_end_matches('/');
        let url = url.strip_suffix("/tuf").unwrap_or(url);
        if let Err(e) = std::fs::create_dir_all(cache) {
            return Outcome::error(format!("creating {}: {e}", cache.display()));
        }
        let mut cmd = self.node();
        cmd.args(["verify", url])
            .arg(&req.tuf_root)
            .arg(cache)
            .arg(&req.bundle)
            .arg(&req.artifact)
            .args([&req.identity, &req.issuer]);
        run(cmd)
    }
}
