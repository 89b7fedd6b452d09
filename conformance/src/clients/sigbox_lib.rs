//! sigbox's client library, in this process.

use std::path::Path;

use anyhow::Context;

use super::{Client, Outcome, SignKind, SignRequest, VerifyRequest};

/// sigbox's client library, in this process (what `sigbox sign` / `verify` run), for tests
/// that have no `sigbox` binary at hand.
#[derive(Debug, Clone, Copy, Default)]
pub struct SigboxLib;

impl SigboxLib {
    fn try_sign(req: &SignRequest) -> anyhow::Result<String> {
        use client::sign::{Payload, Services, sign};
        let config = std::fs::read(&req.signing_config)?;
        let services = Services::from_signing_config(&config, stack::Clock::system().now())?;
        let data = match &req.kind {
            SignKind::Message => std::fs::read(&req.artifact)?,
            SignKind::InToto { statement, .. } => std::fs::read(statement)?,
        };
        let payload = match req.kind {
            SignKind::Message => Payload::Message(&data),
            SignKind::InToto { .. } => Payload::InToto(&data),
        };
        let bundle = sign(&services, &req.token, payload)?;
        std::fs::write(&req.bundle, serde_json::to_string_pretty(&bundle)? + "\n")?;
        Ok(format!("bundle written to {}", req.bundle.display()))
    }

    /// The trusted root through TUF (`client::tuf`, what `sigbox verify --tuf-url` runs), on a
    /// runtime of its own in a thread of its own (the caller may be on an async worker).
    fn try_load_tuf(req: &VerifyRequest, cache: &Path) -> anyhow::Result<Vec<u8>> {
        let root = std::fs::read(&req.tuf_root)
            .with_context(|| format!("reading {}", req.tuf_root.display()))?;
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .context("starting an async runtime")?;
                    let trust = runtime.block_on(client::tuf::load(&req.tuf_url, &root, cache))?;
                    Ok(trust.trusted_root)
                })
                .join()
                .map_err(|_| anyhow::anyhow!("the TUF loading panicked"))?
        })
    }

    /// Verifies against `root` (the bytes of a `trusted_root.json`).
    fn try_verify(req: &VerifyRequest, root: &[u8]) -> anyhow::Result<String> {
        use client::{Artifact, Bundle, Pattern, Policy, TrustedRoot, Verifier};
        let root = TrustedRoot::from_json(root)?;
        let bundle = Bundle::from_json(&std::fs::read(&req.bundle)?)?;
        let data = std::fs::read(&req.artifact)?;
        let policy = Policy::IdentityMatching {
            san: Pattern::Exact(req.identity.clone()),
            issuer: Pattern::Exact(req.issuer.clone()),
        };
        let verifier = Verifier::new_at(root, stack::Clock::system().now());
        let verified = verifier.verify(&bundle, Artifact::Bytes(&data), &policy)?;
        Ok(format!("OK: log index {}", verified.log_index))
    }
}

impl Client for SigboxLib {
    fn name(&self) -> &str {
        "sigbox"
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        match Self::try_sign(req) {
            Ok(output) => Outcome {
                passed: true,
                output,
            },
            Err(e) => Outcome::error(format!("error: {e:#}")),
        }
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        let verified = std::fs::read(&req.trusted_root)
            .with_context(|| format!("reading {}", req.trusted_root.display()))
            .and_then(|root| Self::try_verify(req, &root));
        match verified {
            Ok(output) => Outcome {
                passed: true,
                output,
            },
            Err(e) => Outcome::error(format!("error: {e:#}")),
        }
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        match Self::try_load_tuf(req, cache).and_then(|root| Self::try_verify(req, &root)) {
            Ok(output) => Outcome {
                passed: true,
                output: format!("trusted root through TUF; {output}"),
            },
            Err(e) => Outcome::error(format!("error: {e:#}")),
        }
    }
}
