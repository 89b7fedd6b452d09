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
    /// The signing config offers Rekor v2: clients that pick services from it sign there, and
    /// sigstore-js, whose `sign` always uses Rekor v1, signs through its signing-config API.
    pub rekor_v2: bool,
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
    /// Why it cannot get its trusted root through a TUF repository given by URL and first
    /// `root.json` (a verify-via-TUF case is then skipped with this reason); `None` when it can,
    /// through [`Client::verify_via_tuf`].
    fn no_tuf(&self) -> Option<&str> {
        Some("this adapter has no TUF mode")
    }
    /// Verifies as [`Client::verify`] does, but with the trusted root the client fetches itself
    /// from the TUF repository at `req.tuf_url`, starting from `req.tuf_root` (not
    /// `req.trusted_root`), keeping the TUF metadata in `cache`. The runner passes the same
    /// `cache` to all of one client's TUF cases, so a client that has seen timestamp version N
    /// can refuse N-1. Called only when [`Client::no_tuf`] is `None`.
    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        let _ = (req, cache);
        Outcome::error(self.no_tuf().unwrap_or("no TUF mode").to_owned())
    }
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
            Box::new(CliProtocol::new("sigbox", bin).with_tuf_flags())
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
    tuf_flags: bool,
}

/// Where a `verify-bundle` command line gets its trusted root.
enum TrustArgs<'a> {
    /// `--trusted-root FILE` (the protocol's).
    File(&'a Path),
    /// `--tuf-url URL --tuf-root ROOT --tuf-cache DIR` (sigbox's own flags, not the protocol's).
    Tuf(&'a Path),
}

impl CliProtocol {
    /// `program`, reported as `name`.
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            program: program.into(),
            tuf_flags: false,
        }
    }

    /// Its `verify-bundle` also takes sigbox's `--tuf-url`, `--tuf-root` and `--tuf-cache`
    /// (the protocol has no TUF flags), so its TUF cases run.
    pub fn with_tuf_flags(mut self) -> Self {
        self.tuf_flags = true;
        self
    }

    fn verify_command(&self, req: &VerifyRequest, trust: TrustArgs<'_>) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg("verify-bundle")
            .arg("--bundle")
            .arg(&req.bundle)
            .args(["--certificate-identity", &req.identity])
            .args(["--certificate-oidc-issuer", &req.issuer]);
        match trust {
            TrustArgs::File(root) => cmd.arg("--trusted-root").arg(root),
            TrustArgs::Tuf(cache) => cmd
                .args(["--tuf-url", &req.tuf_url])
                .arg("--tuf-root")
                .arg(&req.tuf_root)
                .arg("--tuf-cache")
                .arg(cache),
        };
        cmd.arg(&req.artifact);
        cmd
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
        run(self.verify_command(req, TrustArgs::File(&req.trusted_root)))
    }

    fn no_tuf(&self) -> Option<&str> {
        (!self.tuf_flags).then_some(
            "the sigstore-conformance CLI protocol has no TUF flags (only sigbox's verify-bundle \
             takes --tuf-url, --tuf-root and --tuf-cache)",
        )
    }

    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        run(self.verify_command(req, TrustArgs::Tuf(cache)))
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

    fn no_tuf(&self) -> Option<&str> {
        Some(
            "sigstore-rs 0.15 cannot be pointed at another TUF repository: \
             SigstoreTrustRoot::new fetches from the public-good one only (its URL and root.json \
             are built in, and the constructor over a tough repository is private)",
        )
    }
}

/// sigstore-python's CLI (`python -m sigstore`), with the trust config, its caches and data
/// kept in the request's scratch directory; or, through TUF, with `--instance` and the XDG
/// directories in the runner's TUF cache.
#[derive(Debug, Clone)]
pub struct SigstorePython {
    /// The Python with `sigstore` installed.
    pub python: PathBuf,
}

/// Where sigstore-python gets its trust material.
enum Instance<'a> {
    /// `--trust-config FILE`.
    TrustConfig(&'a Path),
    /// `--instance URL`: the TUF repository at URL, trusted through the metadata kept in the
    /// XDG data directory (`trust-instance ROOT` puts the first root there).
    Tuf(&'a str),
}

impl SigstorePython {
    /// `python -m sigstore` with its trust from `instance`, its XDG cache and data directories
    /// (TUF metadata and targets) under `dirs`.
    fn command(&self, dirs: &Path, instance: Instance<'_>) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.args(["-m", "sigstore"]);
        match instance {
            Instance::TrustConfig(file) => cmd.arg("--trust-config").arg(file),
            Instance::Tuf(url) => cmd.args(["--instance", url]),
        };
        cmd.env("XDG_CACHE_HOME", dirs.join("cache"))
            .env("XDG_DATA_HOME", dirs.join("data"));
        cmd
    }

    /// `verify identity` of `req`'s bundle, trust from `instance`, directories under `dirs`.
    fn verify_command(&self, req: &VerifyRequest, dirs: &Path, instance: Instance<'_>) -> Command {
        let mut cmd = self.command(dirs, instance);
        cmd.args(["verify", "identity", "--bundle"])
            .arg(&req.bundle)
            .args(["--cert-identity", &req.identity])
            .args(["--cert-oidc-issuer", &req.issuer])
            .arg(&req.artifact);
        cmd
    }
}

impl Client for SigstorePython {
    fn name(&self) -> &str {
        "sigstore-python"
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        let mut cmd = self.command(&req.scratch, Instance::TrustConfig(&req.trust_config));
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
        let trust = Instance::TrustConfig(&req.trust_config);
        run(self.verify_command(req, &req.scratch, trust))
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    /// As a user of another instance does: `trust-instance ROOT` once (the cache has no data
    /// directory yet), then `--instance URL verify identity`, which refreshes the TUF metadata
    /// from what the data directory holds before it verifies.
    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        let mut output = String::new();
        if !cache.join("data").exists() {
            let mut cmd = self.command(cache, Instance::Tuf(&req.tuf_url));
            cmd.arg("trust-instance").arg(&req.tuf_root);
            let trusted = run(cmd);
            if !trusted.passed {
                return Outcome {
                    passed: false,
                    output: format!("trust-instance failed:\n{}", trusted.output),
                };
            }
            output = trusted.output;
        }
        // `--verbose`: its one-line refusal ("Failed to refresh TUF metadata") hides why; the
        // traceback names the python-tuf exception, repeated last.
        let mut cmd = self.verify_command(req, cache, Instance::Tuf(&req.tuf_url));
        cmd.arg("--verbose");
        let verified = run(cmd);
        let why: Vec<&str> = verified
            .output
            .lines()
            .filter(|l| l.starts_with("tuf.api.exceptions."))
            .collect();
        let why = if why.is_empty() {
            String::new()
        } else {
            format!("\n{}", why.join("\n"))
        };
        Outcome {
            passed: verified.passed,
            output: output + &verified.output + &why,
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> VerifyRequest {
        VerifyRequest {
            bundle: "/b.json".into(),
            artifact: "/a.txt".into(),
            identity: "alice@example.com".into(),
            issuer: "http://127.0.0.1:1".into(),
            trusted_root: "/trusted_root.json".into(),
            trust_config: "/trust_config.json".into(),
            tuf_url: "http://127.0.0.1:1/tuf".into(),
            tuf_root: "/root.json".into(),
            scratch: "/scratch".into(),
        }
    }

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn env(cmd: &Command, key: &str) -> Option<PathBuf> {
        cmd.get_envs()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.map(PathBuf::from))
    }

    #[test]
    fn which_clients_verify_through_tuf() {
        let tools = Tools {
            python: "/nonexistent/python".into(),
            js_dir: "/nonexistent/js".into(),
            js_script: "/nonexistent/client.js".into(),
        };
        let client = |spec| client_from_spec(spec, &tools, Some(Path::new("/bin/sigbox"))).unwrap();
        assert!(client("sigbox").no_tuf().is_none());
        assert!(client("sigbox-lib").no_tuf().is_none());
        assert!(
            client("sigstore-rs")
                .no_tuf()
                .unwrap()
                .contains("sigstore-rs 0.15")
        );
        assert!(
            client("cmd:/bin/other")
                .no_tuf()
                .unwrap()
                .contains("no TUF flags")
        );
    }

    #[test]
    fn sigbox_verify_bundle_takes_its_tuf_flags_instead_of_the_trusted_root() {
        let req = request();
        let cli = CliProtocol::new("sigbox", "/bin/sigbox").with_tuf_flags();
        let common = [
            "verify-bundle",
            "--bundle",
            "/b.json",
            "--certificate-identity",
            "alice@example.com",
            "--certificate-oidc-issuer",
            "http://127.0.0.1:1",
        ];
        let tuf = cli.verify_command(&req, TrustArgs::Tuf(Path::new("/cache")));
        let mut want = common.to_vec();
        want.extend([
            "--tuf-url",
            "http://127.0.0.1:1/tuf",
            "--tuf-root",
            "/root.json",
            "--tuf-cache",
            "/cache",
            "/a.txt",
        ]);
        assert_eq!(args(&tuf), want);
        let file = cli.verify_command(&req, TrustArgs::File(&req.trusted_root));
        let mut want = common.to_vec();
        want.extend(["--trusted-root", "/trusted_root.json", "/a.txt"]);
        assert_eq!(args(&file), want);
    }

    #[test]
    fn sigstore_python_uses_the_instance_with_its_dirs_in_the_cache() {
        let py = SigstorePython {
            python: "/bin/python".into(),
        };
        let req = request();
        let cmd = py.verify_command(&req, Path::new("/cache"), Instance::Tuf(&req.tuf_url));
        assert_eq!(
            args(&cmd)[..8],
            [
                "-m",
                "sigstore",
                "--instance",
                "http://127.0.0.1:1/tuf",
                "verify",
                "identity",
                "--bundle",
                "/b.json"
            ]
        );
        assert!(!args(&cmd).iter().any(|a| a == "--offline"));
        assert_eq!(env(&cmd, "XDG_DATA_HOME"), Some("/cache/data".into()));
        assert_eq!(env(&cmd, "XDG_CACHE_HOME"), Some("/cache/cache".into()));
        let cmd = py.verify_command(&req, &req.scratch, Instance::TrustConfig(&req.trust_config));
        assert_eq!(args(&cmd)[2..4], ["--trust-config", "/trust_config.json"]);
        assert_eq!(env(&cmd, "XDG_DATA_HOME"), Some("/scratch/data".into()));
    }
}
