//! The runner: starts a stack, runs every scenario for every client, collects the cases.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use sha2::{Digest, Sha256};
use stack::Stack;
use stack::faults::Fault;
use stack::generations::Kind;

use crate::adapter::{Client, Outcome, SignKind, SignRequest, VerifyRequest};
use crate::expect::Expectations;
use crate::report::{Case, Report, Status, Want};
use crate::tamper;

/// The identity every token carries (the fake issuer's default email).
const IDENTITY: &str = fake_oidc::DEFAULT_EMAIL;
/// An identity no bundle has.
const WRONG_IDENTITY: &str = "mallory@example.com";
const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// How many requests a TUF fault is armed for in its case: every `timestamp.json` the client
/// fetches then is the faulty one, retries included (the fault is cleared after the case).
const TUF_FAULT_ARMED: u32 = 1000;

/// What to run.
#[derive(Debug)]
pub struct Config {
    /// The clients under test.
    pub clients: Vec<Box<dyn Client>>,
    /// Known gaps.
    pub expectations: Expectations,
    /// The rotations of scenario `rotate/*`, in order (default: every kind).
    pub rotations: Vec<Kind>,
    /// A progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// The signing config offers Rekor v2 (the tile-based log), so clients that pick their
    /// services from it sign there; the faults only Rekor v1 serves are skipped.
    pub rekor_v2: bool,
}

impl Config {
    /// `clients` with the built-in expectations, every rotation, progress on a terminal.
    pub fn new(clients: Vec<Box<dyn Client>>) -> Self {
        Self {
            clients,
            expectations: Expectations::built_in(),
            rotations: Kind::ALL.to_vec(),
            progress: true,
            rekor_v2: false,
        }
    }

    /// The same run signing to Rekor v2, with the gaps known there
    /// (`conformance/expectations-rekor-v2.json`).
    pub fn rekor_v2(mut self) -> Self {
        self.rekor_v2 = true;
        self.expectations = Expectations::built_in_rekor_v2();
        self
    }
}

/// The trust files of one stack generation.
#[derive(Debug, Clone)]
struct TrustFiles {
    trusted_root: PathBuf,
    signing_config: PathBuf,
    trust_config: PathBuf,
    tuf_root: PathBuf,
}

fn write_trust(stack: &Stack, dir: &Path) -> anyhow::Result<TrustFiles> {
    std::fs::create_dir_all(dir)?;
    let t = stack.trust();
    let files = TrustFiles {
        trusted_root: dir.join("trusted_root.json"),
        signing_config: dir.join("signing_config.v0.2.json"),
        trust_config: dir.join("trust_config.json"),
        tuf_root: dir.join("root.json"),
    };
    std::fs::write(&files.trusted_root, t.trusted_root_json())?;
    std::fs::write(&files.signing_config, t.signing_config_json())?;
    std::fs::write(&files.trust_config, t.client_trust_config_json())?;
    std::fs::write(&files.tuf_root, t.bootstrap_root_json())?;
    Ok(files)
}

/// The run's state: stack, files, cases so far.
struct Run<'a> {
    config: &'a Config,
    stack: &'a Stack,
    dir: PathBuf,
    trust: TrustFiles,
    artifact: PathBuf,
    intoto: SignKind,
    cases: Vec<Case>,
    scratch: usize,
    progress: bool,
    /// Cases the run will have, for the progress bar.
    planned: usize,
}

/// The faults armed at signing time (section (e)); the TUF faults are section (d)'s.
fn signing_faults() -> impl Iterator<Item = Fault> {
    Fault::ALL.into_iter().filter(|f| {
        !matches!(
            f,
            Fault::TufRolledBackTimestamp | Fault::TufExpiredTimestamp
        )
    })
}

/// How many cases a run has, section by section: every section records each of its cases,
/// run or skipped, so this is exact (the runner checks it in debug builds).
fn planned_cases(clients: usize, rotations: usize) -> usize {
    let own = 4; // (a) sign message and DSSE, verify each
    let cross = 2 * clients.saturating_sub(1); // (b) message and DSSE of every other client
    let tamper = 4; // (c)
    let tuf = 4; // (d) baseline, two faults, after
    let faults = signing_faults().count(); // (e)
    let rotate = 3 * rotations; // (f) sign, verify old, verify new
    clients * (own + cross + tamper + tuf + faults + rotate)
}

/// `[#####.....]  45/208`: the bar for `done` of `total` cases.
fn bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 24;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(0).min(WIDTH);
    format!(
        "[{}{}] {done:>3}/{total}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    )
}

impl Run<'_> {
    fn scratch(&mut self) -> PathBuf {
        self.scratch += 1;
        let dir = self.dir.join(format!("scratch/{}", self.scratch));
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    fn show(&self, client: &str, scenario: &str) {
        if self.progress {
            let bar = bar(self.cases.len(), self.planned);
            eprint!("\r\x1b[K{bar} {client}: {scenario}");
            let _ = std::io::stderr().flush();
        }
    }

    /// Records a case that ran.
    fn record(&mut self, client: &str, scenario: &str, want: Want, out: Outcome, time: Duration) {
        let did = if out.passed { Want::Pass } else { Want::Fail };
        let gap = self.config.expectations.gap(client, scenario);
        let status = match (did == want, gap) {
            (true, None) => Status::Ok,
            (true, Some(g)) => Status::Fixed(g.reason.clone()),
            (false, Some(g)) => Status::KnownGap(g.reason.clone()),
            (false, None) => Status::Unexpected,
        };
        self.cases.push(Case {
            client: client.to_owned(),
            scenario: scenario.to_owned(),
            want,
            status,
            output: out.output,
            time,
        });
    }

    fn skip(&mut self, client: &str, scenario: &str, want: Want, why: &str) {
        self.cases.push(Case {
            client: client.to_owned(),
            scenario: scenario.to_owned(),
            want,
            status: Status::Skipped(why.to_owned()),
            output: String::new(),
            time: Duration::ZERO,
        });
    }

    /// `client` signs into `bundle`; the bundle's path when it did.
    fn sign(
        &mut self,
        client: &dyn Client,
        scenario: &str,
        kind: SignKind,
        bundle: PathBuf,
    ) -> Option<PathBuf> {
        self.show(client.name(), scenario);
        if !client.can_sign() {
            self.skip(client.name(), scenario, Want::Pass, "a verify-only client");
            return None;
        }
        let token = match self.stack.oidc().mint(&fake_oidc::MintRequest::default()) {
            Ok(t) => t,
            Err(e) => {
                let out = Outcome::error(format!("minting a token: {e}"));
                self.record(client.name(), scenario, Want::Pass, out, Duration::ZERO);
                return None;
            }
        };
        let req = self.sign_request(kind, token, bundle.clone());
        let start = Instant::now();
        let mut out = client.sign(&req);
        if out.passed && !bundle.exists() {
            out.passed = false;
            out.output += "\n(the client succeeded but wrote no bundle)";
        }
        let passed = out.passed;
        self.record(client.name(), scenario, Want::Pass, out, start.elapsed());
        passed.then_some(bundle)
    }

    /// `client` verifies `bundle` over `artifact` for `identity`.
    /// A signing request against the current trust files.
    fn sign_request(&mut self, kind: SignKind, token: String, bundle: PathBuf) -> SignRequest {
        SignRequest {
            kind,
            token,
            url: self.stack.url().to_owned(),
            signing_config: self.trust.signing_config.clone(),
            trusted_root: self.trust.trusted_root.clone(),
            trust_config: self.trust.trust_config.clone(),
            artifact: self.artifact.clone(),
            bundle,
            scratch: self.scratch(),
            rekor_v2: self.config.rekor_v2,
        }
    }

    /// A verification request against the current trust files.
    fn verify_request(&mut self, bundle: &Path, artifact: &Path, identity: &str) -> VerifyRequest {
        VerifyRequest {
            bundle: bundle.to_owned(),
            artifact: artifact.to_owned(),
            identity: identity.to_owned(),
            issuer: self.stack.oidc().issuer_url().to_owned(),
            trusted_root: self.trust.trusted_root.clone(),
            trust_config: self.trust.trust_config.clone(),
            tuf_url: format!("{}/tuf", self.stack.url()),
            tuf_root: self.trust.tuf_root.clone(),
            scratch: self.scratch(),
        }
    }

    /// With `fault` armed, `client` signs a message and verifies its own bundle: the outcome
    /// of the first step that failed, or of the verification (which should have failed).
    fn under_fault(&mut self, client: &dyn Client, fault: Fault, bundle: PathBuf) -> Outcome {
        let token = match self.stack.oidc().mint(&fake_oidc::MintRequest::default()) {
            Ok(t) => t,
            Err(e) => return Outcome::error(format!("minting a token: {e}")),
        };
        let sign = self.sign_request(SignKind::Message, token, bundle.clone());
        self.stack.faults().arm(fault, 1);
        let signed = client.sign(&sign);
        self.stack.faults().clear();
        if !signed.passed || !bundle.exists() {
            return Outcome {
                passed: false,
                output: format!("refused while signing:\n{}", signed.output),
            };
        }
        let artifact = self.artifact.clone();
        let verify = self.verify_request(&bundle, &artifact, IDENTITY);
        let verified = client.verify(&verify);
        Outcome {
            passed: verified.passed,
            output: format!("signed; then verifying:\n{}", verified.output),
        }
    }

    /// `client` verifies `bundle` (over the artifact, for the identity) with its trusted root
    /// through the stack's TUF repository and `cache`, with `fault` armed for the whole case
    /// when there is one; records the case (the output says how often the fault was served)
    /// and returns whether the client accepted.
    fn verify_via_tuf(
        &mut self,
        client: &dyn Client,
        scenario: &str,
        want: Want,
        bundle: &Path,
        cache: &Path,
        fault: Option<Fault>,
    ) -> bool {
        self.show(client.name(), scenario);
        let artifact = self.artifact.clone();
        let req = self.verify_request(bundle, &artifact, IDENTITY);
        let start = Instant::now();
        if let Some(fault) = fault {
            self.stack.faults().arm(fault, TUF_FAULT_ARMED);
        }
        let mut out = client.verify_via_tuf(&req, cache);
        let time = start.elapsed();
        if let Some(fault) = fault {
            let left = self
                .stack
                .faults()
                .armed()
                .get(&fault)
                .copied()
                .unwrap_or(0);
            self.stack.faults().clear();
            let _ = write!(
                out.output,
                "\n({} served {} time(s))",
                fault.as_str(),
                TUF_FAULT_ARMED - left
            );
        }
        let passed = out.passed;
        self.record(client.name(), scenario, want, out, time);
        passed
    }

    fn verify(
        &mut self,
        client: &dyn Client,
        scenario: &str,
        want: Want,
        bundle: &Path,
        artifact: &Path,
        identity: &str,
    ) {
        self.show(client.name(), scenario);
        let req = self.verify_request(bundle, artifact, identity);
        let start = Instant::now();
        let out = client.verify(&req);
        self.record(client.name(), scenario, want, out, start.elapsed());
    }
}

/// What each client signed in the first scenarios.
#[derive(Debug, Default, Clone)]
struct Signed {
    message: Option<PathBuf>,
    dsse: Option<PathBuf>,
}

/// Starts a stack (system clock: the clients check times against their own), runs every
/// scenario for every client, stops the stack.
pub fn run(config: &Config) -> anyhow::Result<Report> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let stack = runtime
        .block_on(Stack::builder().rekor_v2_signing(config.rekor_v2).start())
        .context("starting the stack")?;
    let dir = tempfile::tempdir().context("creating a work directory")?;
    let result = scenarios(config, &stack, dir.path());
    runtime
        .block_on(stack.shutdown())
        .context("stopping the stack")?;
    let cases = result?;
    Ok(Report {
        log: if config.rekor_v2 {
            "Rekor v2"
        } else {
            "Rekor v1"
        }
        .to_owned(),
        clients: config.clients.iter().map(|c| c.name().to_owned()).collect(),
        cases,
        elapsed: started.elapsed(),
    })
}

fn scenarios(config: &Config, stack: &Stack, dir: &Path) -> anyhow::Result<Vec<Case>> {
    let trust = write_trust(stack, &dir.join("trust/0"))?;
    let artifact = dir.join("artifact.txt");
    let data = b"an artifact for the sigbox conformance suite\n";
    std::fs::write(&artifact, data)?;
    let changed = dir.join("changed.txt");
    std::fs::write(&changed, b"an artifact for the sigbox conformance suite!\n")?;
    let predicate = serde_json::json!({
        "buildDefinition": {
            "buildType": "https://sigbox.test/build/v1",
            "externalParameters": {},
        },
        "runDetails": {"builder": {"id": "https://sigbox.test/builder"}},
    });
    let predicate_path = dir.join("predicate.json");
    std::fs::write(&predicate_path, predicate.to_string())?;
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{
            "name": "artifact.txt",
            "digest": {"sha256": hex::encode(Sha256::digest(data))},
        }],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    });
    let statement_path = dir.join("statement.json");
    std::fs::write(&statement_path, statement.to_string())?;
    std::fs::create_dir_all(dir.join("bundles"))?;

    let mut run = Run {
        config,
        stack,
        dir: dir.to_owned(),
        trust,
        artifact: artifact.clone(),
        intoto: SignKind::InToto {
            statement: statement_path,
            predicate: predicate_path,
            predicate_type: PREDICATE_TYPE.to_owned(),
        },
        cases: Vec::new(),
        scratch: 0,
        progress: config.progress && std::io::stderr().is_terminal(),
        planned: planned_cases(config.clients.len(), config.rotations.len()),
    };
    let clients: Vec<&dyn Client> = config.clients.iter().map(AsRef::as_ref).collect();
    // File names from the client's position: names may hold characters unfit for paths.
    let bundle = |i: usize, what: &str| dir.join(format!("bundles/{i}-{what}.sigstore.json"));

    // (a) Each client signs a message and an in-toto statement, and verifies its own bundles.
    let mut signed = vec![Signed::default(); clients.len()];
    for (i, client) in clients.iter().enumerate() {
        signed[i].message = run.sign(*client, "sign/message", SignKind::Message, bundle(i, "msg"));
        let intoto = run.intoto.clone();
        signed[i].dsse = run.sign(*client, "sign/dsse", intoto, bundle(i, "dsse"));
        for (what, b) in [("message", &signed[i].message), ("dsse", &signed[i].dsse)] {
            let scenario = format!("verify/own-{what}");
            match b {
                Some(b) => run.verify(*client, &scenario, Want::Pass, b, &artifact, IDENTITY),
                None => run.skip(client.name(), &scenario, Want::Pass, "its signing failed"),
            }
        }
    }

    // (b) Each client verifies every other client's bundles.
    for (v, verifier) in clients.iter().enumerate() {
        for (s, signer) in clients.iter().enumerate() {
            if s == v {
                continue;
            }
            for (what, b) in [("message", &signed[s].message), ("dsse", &signed[s].dsse)] {
                let scenario = format!("cross/{}/{what}", signer.name());
                match b {
                    Some(b) => run.verify(*verifier, &scenario, Want::Pass, b, &artifact, IDENTITY),
                    None => run.skip(verifier.name(), &scenario, Want::Pass, "signing failed"),
                }
            }
        }
    }

    // (c) Tampered at verify time: each client must refuse its own message bundle (or, if it
    // could not sign, the first one there is) for another artifact or identity, with a flipped
    // signature, or with a certificate from another bundle.
    let any_message = signed.iter().find_map(|s| s.message.clone());
    for (i, client) in clients.iter().enumerate() {
        let scenarios = [
            "tamper/artifact",
            "tamper/identity",
            "tamper/signature",
            "tamper/certificate",
        ];
        let Some(base) = signed[i].message.clone().or_else(|| any_message.clone()) else {
            for s in scenarios {
                run.skip(client.name(), s, Want::Fail, "no client signed a message");
            }
            continue;
        };
        run.verify(*client, scenarios[0], Want::Fail, &base, &changed, IDENTITY);
        run.verify(
            *client,
            scenarios[1],
            Want::Fail,
            &base,
            &artifact,
            WRONG_IDENTITY,
        );
        let flipped = std::fs::read(&base)
            .map_err(anyhow::Error::from)
            .and_then(|b| {
                let path = bundle(i, "tampered-sig");
                std::fs::write(&path, tamper::flip_signature(&b)?)?;
                Ok(path)
            });
        match flipped {
            Ok(p) => run.verify(*client, scenarios[2], Want::Fail, &p, &artifact, IDENTITY),
            Err(e) => run.skip(client.name(), scenarios[2], Want::Fail, &format!("{e:#}")),
        }
        // The donor: another signer's message bundle, else any other bundle.
        let donors = signed
            .iter()
            .enumerate()
            .filter(|(s, _)| *s != i)
            .filter_map(|(_, s)| s.message.clone())
            .chain(signed.iter().filter_map(|s| s.dsse.clone()))
            .filter(|d| *d != base);
        let swapped = (|| -> anyhow::Result<PathBuf> {
            let b = std::fs::read(&base)?;
            for donor in donors {
                if let Ok(t) = tamper::swap_certificate(&b, &std::fs::read(&donor)?) {
                    let path = bundle(i, "tampered-cert");
                    std::fs::write(&path, t)?;
                    return Ok(path);
                }
            }
            anyhow::bail!("no bundle with another certificate to swap in")
        })();
        match swapped {
            Ok(p) => run.verify(*client, scenarios[3], Want::Fail, &p, &artifact, IDENTITY),
            Err(e) => run.skip(client.name(), scenarios[3], Want::Fail, &format!("{e:#}")),
        }
    }

    // (d) Trust through TUF: each client that can be pointed at a TUF repository verifies its
    // own message bundle (or the first there is) with the trusted root it fetches itself from
    // the stack's repository, starting from root v1, its TUF metadata in a cache of its own kept
    // across these cases: honestly, then with each TUF fault armed (it must refuse), then
    // honestly again (a refusal has not poisoned its cache). The signing-time fault section
    // below leaves these two faults out.
    // A second timestamp version, so there is one to roll back to: a client that loads this
    // one must refuse the previous.
    stack
        .trust()
        .refresh_timestamp(stack.clock().now())
        .context("publishing a new TUF timestamp")?;
    for (i, client) in clients.iter().enumerate() {
        let name = client.name();
        let rollback = format!("fault/{}", Fault::TufRolledBackTimestamp.as_str());
        let expired = format!("fault/{}", Fault::TufExpiredTimestamp.as_str());
        let scenarios = [
            ("tuf/verify", Want::Pass),
            (rollback.as_str(), Want::Fail),
            (expired.as_str(), Want::Fail),
            ("tuf/verify-after-faults", Want::Pass),
        ];
        let skip_all = |run: &mut Run<'_>, why: &str| {
            for (s, want) in scenarios {
                run.skip(name, s, want, why);
            }
        };
        if let Some(why) = client.no_tuf() {
            skip_all(&mut run, why);
            continue;
        }
        let Some(base) = signed[i].message.clone().or_else(|| any_message.clone()) else {
            skip_all(&mut run, "no client signed a message");
            continue;
        };
        let cache = dir.join(format!("tuf-cache/{i}"));
        if let Err(e) = std::fs::create_dir_all(&cache) {
            skip_all(&mut run, &format!("creating {}: {e}", cache.display()));
            continue;
        }
        // The baseline: without it a refusal under a fault means nothing.
        if !run.verify_via_tuf(*client, scenarios[0].0, Want::Pass, &base, &cache, None) {
            for (s, want) in &scenarios[1..] {
                run.skip(name, s, *want, "its TUF baseline (tuf/verify) failed");
            }
            continue;
        }
        // It holds the newest timestamp: the fault serves the one before.
        let fault = Some(Fault::TufRolledBackTimestamp);
        run.verify_via_tuf(*client, &rollback, Want::Fail, &base, &cache, fault);
        // The fault serves the current timestamp version, expired. Of a version the client
        // already holds it is no news: TUF clients keep their own copy (python-tuf and tuf-js
        // discard an equal version), which has not expired. So first a version it has not seen.
        stack
            .trust()
            .refresh_timestamp(stack.clock().now())
            .context("publishing a new TUF timestamp")?;
        let fault = Some(Fault::TufExpiredTimestamp);
        run.verify_via_tuf(*client, &expired, Want::Fail, &base, &cache, fault);
        run.verify_via_tuf(*client, scenarios[3].0, Want::Pass, &base, &cache, None);
    }

    // (e) Faults at signing time: with each armed for one request, every client that signs
    // signs a message and verifies its own bundle; it must refuse at one step or the other.
    for fault in signing_faults() {
        let scenario = format!("fault/{}", fault.as_str());
        for (i, client) in clients.iter().enumerate() {
            if config.rekor_v2 && fault.rekor_v1_only() {
                let why = "Rekor v2 has no SET, integrated time or consistency proof to fault";
                run.skip(client.name(), &scenario, Want::Fail, why);
                continue;
            }
            if !client.can_sign() {
                run.skip(client.name(), &scenario, Want::Fail, "a verify-only client");
                continue;
            }
            run.show(client.name(), &scenario);
            let start = Instant::now();
            let out = run.under_fault(
                *client,
                fault,
                bundle(i, &format!("fault-{}", fault.as_str())),
            );
            run.record(client.name(), &scenario, Want::Fail, out, start.elapsed());
        }
    }

    // (f) Rotations: after each, every client signs again and verifies its first bundle and the
    // new one with the refreshed trust material.
    for (r, kind) in config.rotations.iter().enumerate() {
        stack
            .rotate(*kind)
            .with_context(|| format!("rotating {}", kind.as_str()))?;
        run.trust = write_trust(stack, &dir.join(format!("trust/{}", r + 1)))?;
        let k = kind.as_str();
        for (i, client) in clients.iter().enumerate() {
            let new = run.sign(
                *client,
                &format!("rotate/{k}/sign"),
                SignKind::Message,
                bundle(i, &format!("rot-{k}")),
            );
            for (what, b) in [("verify-old", &signed[i].message), ("verify-new", &new)] {
                let scenario = format!("rotate/{k}/{what}");
                match b {
                    Some(b) => run.verify(*client, &scenario, Want::Pass, b, &artifact, IDENTITY),
                    None => run.skip(client.name(), &scenario, Want::Pass, "its signing failed"),
                }
            }
        }
    }
    if run.progress {
        eprint!("\r\x1b[K");
    }
    debug_assert_eq!(run.cases.len(), run.planned, "planned_cases is out of date");
    Ok(run.cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_cases_done() {
        assert_eq!(bar(0, 208), format!("[{}]   0/208", ".".repeat(24)));
        assert_eq!(
            bar(104, 208),
            format!("[{}{}] 104/208", "#".repeat(12), ".".repeat(12))
        );
        assert_eq!(bar(208, 208), format!("[{}] 208/208", "#".repeat(24)));
        assert_eq!(bar(3, 0), format!("[{}]   3/0", ".".repeat(24)));
    }

    #[test]
    fn the_plan_counts_every_section() {
        // One client: 4 own, 4 tamper, 4 TUF, 16 signing faults, 3 per rotation.
        assert_eq!(planned_cases(1, 0), 4 + 4 + 4 + 16);
        // The committed report: four clients, six rotations.
        assert_eq!(planned_cases(4, 6), 208);
    }
}
