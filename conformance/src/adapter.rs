//! Clients under test: the [`Client`] trait and its adapters (sigbox's CLI or library,
//! sigstore-python, sigstore-js, sigstore-rs (verifying only: sigstore-rs 0.15 cannot sign
//! against a private stack), any CLI speaking the sigstore-conformance protocol).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// What a client did: whether it succeeded, and what it printed (stdout then stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The client exited 0 (signed, or accepted the bundle).
    pub passed: bool,
    /// Its output, for the report.
    pub output: String,
}

impl Outcome {
    /// An outcome that never reached the client (a setup problem), as a failure.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            passed: false,
            output: message.into(),
        }
    }
}

/// What to sign.
#[derive(Debug, Clone)]
pub enum SignKind {
    /// A message signature over the artifact.
    Message,
    /// A DSSE envelope over an in-toto statement about the artifact. Clients that build the
    /// statement themselves (sigstore-python) take the predicate; the others the statement.
    InToto {
        /// The in-toto statement (subject: the artifact's name and SHA-256).
        statement: PathBuf,
        /// Its predicate alone.
        predicate: PathBuf,
        /// Its predicate type.
        predicate_type: String,
    },
}

/// A signing request.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// Message or DSSE.
    pub kind: SignKind,
    /// The OIDC identity token.
    pub token: String,
    /// The stack's URL (for clients configured with service URLs, not a signing config).
    pub url: String,
    /// `signing_config.v0.2.json`.
    pub signing_config: PathBuf,
    /// `trusted_root.json`.
    pub trusted_root: PathBuf,
    /// The ClientTrustConfig (trusted root + signing config), as sigstore-python takes it.
    pub trust_config: PathBuf,
    /// The artifact.
    pub artifact: PathBuf,
    /// Where the bundle goes.
    pub bundle: PathBuf,
    /// A fresh directory the client may use for caches.
    pub scratch: PathBuf,
}

/// A verification request: identity policy, exact SAN and issuer.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// The bundle.
    pub bundle: PathBuf,
    /// The artifact (for DSSE bundles: the statement's subject).
    pub artifact: PathBuf,
    /// The certificate identity (email SAN).
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
    /// `trusted_root.json`.
    pub trusted_root: PathBuf,
    /// The ClientTrustConfig.
    pub trust_config: PathBuf,
    /// The stack's TUF repository (`<url>/tuf`).
    pub tuf_url: String,
    /// The TUF `root.json` to start from.
    pub tuf_root: PathBuf,
    /// A fresh directory the client may use for caches.
    pub scratch: PathBuf,
}

/// A client under test.
pub trait Client: std::fmt::Debug + Send + Sync {
    /// Its name in reports and in `expectations.json`.
    fn name(&self) -> &str;
    /// Signs; the bundle is at `req.bundle` when it passed.
    fn sign(&self, req: &SignRequest) -> Outcome;
    /// Whether it signs at all (a verify-only client's signing cases are skipped).
    fn can_sign(&self) -> bool {
        true
    }
    /// Verifies.
    fn verify(&self, req: &VerifyRequest) -> Outcome;
}

/// Where the third-party clients are installed.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The Python with the pinned `sigstore`.
    pub python: PathBuf,
    /// `tools/js` (its `node_modules` holds `sigstore` and `@sigstore/cli`).
    pub js_dir: PathBuf,
    /// The script that drives the sigstore-js library.
    pub js_script: PathBuf,
}

impl Tools {
    /// The workspace's `.venv` and `tools/js` under `workspace`, overridden by `$SIGBOX_PYTHON`
    /// and `$SIGBOX_JS_DIR`.
    pub fn from_workspace(workspace: &Path) -> Self {
        // Absolute: the node script resolves `SIGBOX_JS_DIR` as a module path.
        let workspace = &std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.into());
        let python = std::env::var_os("SIGBOX_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join(".venv/bin/python"));
        let js_dir = std::env::var_os("SIGBOX_JS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("tools/js"));
        Self {
            python,
            js_dir,
            js_script: workspace.join("stack/tests/it/js/client.js"),
        }
    }
}

/// Builds a client from a `--client` value: `sigbox` (the binary at `sigbox_bin`),
/// `sigbox-lib` (the client library in this process), `sigstore-python`, `sigstore-js`,
/// `sigstore-rs` (verifying only), or `cmd:<path>` (a CLI speaking the sigstore-conformance
/// protocol).
pub fn client_from_spec(
    spec: &str,
    tools: &Tools,
    sigbox_bin: Option<&Path>,
) -> anyhow::Result<Box<dyn Client>> {
    Ok(match spec {
        "sigbox" => {
            let bin = sigbox_bin.context("no sigbox binary to drive")?;
            Box::new(CliProtocol::new("sigbox", bin))
        }
        "sigbox-lib" => Box::new(SigboxLib),
        "sigstore-rs" => Box::new(SigstoreRs),
        "sigstore-python" => {
            if !tools.python.exists() {
                bail!(
                    "sigstore-python: no {} (run `just tools`, or set SIGBOX_PYTHON)",
                    tools.python.display()
                );
            }
            Box::new(SigstorePython {
                python: tools.python.clone(),
            })
        }
        "sigstore-js" => {
            if !tools.js_dir.join("node_modules/sigstore").exists() {
                bail!(
                    "sigstore-js: not installed in {} (run `just tools`, or set SIGBOX_JS_DIR)",
                    tools.js_dir.display()
                );
            }
            Box::new(SigstoreJs {
                js_dir: tools.js_dir.clone(),
                script: tools.js_script.clone(),
            })
        }
        other => match other.strip_prefix("cmd:") {
            Some(path) if !path.is_empty() => {
                let name = Path::new(path)
                    .file_name()
                    .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned());
                Box::new(CliProtocol::new(format!("cmd:{name}"), Path::new(path)))
            }
            _ => bail!(
                "unknown client {other:?}: want sigbox, sigbox-lib, sigstore-python, \
                 sigstore-js, sigstore-rs or cmd:<path>"
            ),
        },
    })
}

/// Runs `cmd`, collecting stdout then stderr.
fn run(mut cmd: Command) -> Outcome {
    match cmd.output() {
        Ok(out) => Outcome {
            passed: out.status.success(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        },
        Err(e) => Outcome::error(format!("starting {:?}: {e}", cmd.get_program())),
    }
}

/// A CLI speaking the sigstore-conformance protocol (`sign-bundle` / `verify-bundle`), as
/// `sigbox` does.
#[derive(Debug, Clone)]
pub struct CliProtocol {
    name: String,
    program: PathBuf,
}

impl CliProtocol {
    /// `program`, reported as `name`.
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            program: program.into(),
        }
    }
}

impl Client for CliProtocol {
    fn name(&self) -> &str {
        &self.name
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        let mut cmd = Command::new(&self.program);
        cmd.arg("sign-bundle");
        let file = match &req.kind {
            SignKind::Message => &req.artifact,
            SignKind::InToto { statement, .. } => {
                cmd.arg("--in-toto");
                statement
            }
        };
        cmd.args(["--identity-token", &req.token])
            .arg("--bundle")
            .arg(&req.bundle)
            .arg("--signing-config")
            .arg(&req.signing_config)
            .arg("--trusted-root")
            .arg(&req.trusted_root)
            .arg(file);
        run(cmd)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        let mut cmd = Command::new(&self.program);
        cmd.arg("verify-bundle")
            .arg("--bundle")
            .arg(&req.bundle)
            .args(["--certificate-identity", &req.identity])
            .args(["--certificate-oidc-issuer", &req.issuer])
            .arg("--trusted-root")
            .arg(&req.trusted_root)
            .arg(&req.artifact);
        run(cmd)
    }
}

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

    fn try_verify(req: &VerifyRequest) -> anyhow::Result<String> {
        use client::{Artifact, Bundle, Pattern, Policy, TrustedRoot, Verifier};
        let root = TrustedRoot::from_json(&std::fs::read(&req.trusted_root)?)?;
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
        match Self::try_verify(req) {
            Ok(output) => Outcome {
                passed: true,
                output,
            },
            Err(e) => Outcome::error(format!("error: {e:#}")),
        }
    }
}

/// sigstore-rs (the `sigstore` crate), verifying in this process against the trusted root
/// file.
///
/// It does not sign: sigstore-rs 0.15's signing flow cannot be pointed at a private stack. A
/// `bundle::sign::SigningContext` comes from `production()` (the public-good Fulcio, Rekor and
/// TUF repository, fixed) or from `new(fulcio, rekor, ctfe_keyring)`, whose CT keyring type
/// (`crypto::keyring::Keyring`) is crate-private: nothing outside the crate can build one
/// (sigstore/sigstore-rs#562). Composing its lower-level Fulcio and Rekor clients by hand would
/// test our composition, not sigstore-rs's flow (which also checks the SCT before logging). So
/// [`Client::can_sign`] is false and its signing cases are skipped.
#[derive(Debug, Clone, Copy)]
pub struct SigstoreRs;

/// Why [`SigstoreRs`] does not sign.
const SIGSTORE_RS_CANNOT_SIGN: &str = "sigstore-rs 0.15 cannot sign against a private stack: \
    its SigningContext is built by production() (the public-good services) or by new(), whose CT \
    keyring argument (crypto::keyring::Keyring) is crate-private (sigstore/sigstore-rs#562)";

impl SigstoreRs {
    fn try_verify(req: &VerifyRequest) -> anyhow::Result<String> {
        use sigstore::bundle::Bundle;
        use sigstore::bundle::verify::blocking::Verifier;
        use sigstore::bundle::verify::{ArtifactDigest, policy::Identity};
        use sigstore::trust::sigstore::SigstoreTrustRoot;
        let root =
            SigstoreTrustRoot::from_trusted_root_json_unchecked(&std::fs::read(&req.trusted_root)?)
                .map_err(|e| anyhow::anyhow!("trusted root: {e}"))?;
        let bundle: Bundle = serde_json::from_slice(&std::fs::read(&req.bundle)?)
            .map_err(|e| anyhow::anyhow!("bundle: {e}"))?;
        let digest: [u8; 32] = Sha256::digest(std::fs::read(&req.artifact)?).into();
        let policy = Identity::new(req.identity.clone(), req.issuer.clone());
        // The blocking verifier runs its own runtime: keep it off any async worker.
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let verifier = Verifier::new(Default::default(), root)
                        .map_err(|e| anyhow::anyhow!("verifier: {e}"))?;
                    verifier
                        .verify_digest_with(ArtifactDigest::Sha256(digest), bundle, &policy, true)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))
                })
                .join()
                .map_err(|_| anyhow::anyhow!("sigstore-rs panicked"))?
        })?;
        Ok("OK".to_owned())
    }
}

impl Client for SigstoreRs {
    fn name(&self) -> &str {
        "sigstore-rs"
    }

    fn can_sign(&self) -> bool {
        false
    }

    fn sign(&self, _req: &SignRequest) -> Outcome {
        Outcome::error(SIGSTORE_RS_CANNOT_SIGN)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        match Self::try_verify(req) {
            Ok(output) => Outcome {
                passed: true,
                output,
            },
            Err(e) => Outcome::error(format!("error: {e:#}")),
        }
    }
}

/// sigstore-python's CLI (`python -m sigstore`), with the trust config; its caches and data
/// kept in the request's scratch directory.
#[derive(Debug, Clone)]
pub struct SigstorePython {
    /// The Python with `sigstore` installed.
    pub python: PathBuf,
}

impl SigstorePython {
    fn command(&self, scratch: &Path, trust_config: &Path) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.args(["-m", "sigstore", "--trust-config"])
            .arg(trust_config)
            .env("XDG_CACHE_HOME", scratch.join("cache"))
            .env("XDG_DATA_HOME", scratch.join("data"));
        cmd
    }
}

impl Client for SigstorePython {
    fn name(&self) -> &str {
        "sigstore-python"
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        let mut cmd = self.command(&req.scratch, &req.trust_config);
        match &req.kind {
            SignKind::Message => {
                cmd.arg("sign");
            }
            SignKind::InToto {
                predicate,
                predicate_type,
                ..
            } => {
                cmd.args(["attest", "--predicate"])
                    .arg(predicate)
                    .args(["--predicate-type", predicate_type]);
            }
        }
        cmd.args(["--identity-token", &req.token])
            .arg("--bundle")
            .arg(&req.bundle)
            .arg(&req.artifact);
        run(cmd)
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        let mut cmd = self.command(&req.scratch, &req.trust_config);
        cmd.args(["verify", "identity", "--bundle"])
            .arg(&req.bundle)
            .args(["--cert-identity", &req.identity])
            .args(["--cert-oidc-issuer", &req.issuer])
            .arg(&req.artifact);
        run(cmd)
    }
}

/// sigstore-js: the `sigstore` library through a node script for message signatures and
/// verification (through the stack's TUF repository, a fresh cache each time), the
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

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        // The script appends `/tuf` to the stack's URL.
        let url = req.tuf_url.trim_end_matches('/');
        let url = url.strip_suffix("/tuf").unwrap_or(url);
        let cache = req.scratch.join("tuf-cache");
        if let Err(e) = std::fs::create_dir_all(&cache) {
            return Outcome::error(format!("creating {}: {e}", cache.display()));
        }
        let mut cmd = self.node();
        cmd.args(["verify", url])
            .arg(&req.tuf_root)
            .arg(&cache)
            .arg(&req.bundle)
            .arg(&req.artifact)
            .args([&req.identity, &req.issuer]);
        run(cmd)
    }
}
