//! The runner: starts a stack, runs every scenario for every client, collects the cases.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use sha2::{Digest, Sha256};
use stack::Stack;
use stack::faults::{Effect, Fault, Outage, OutageKind, Service};
use stack::generations::{Kind, Rotation, Shape};
use stack::tuf::TrustFiles;

use crate::clients::{Client, Outcome, SignKind, SignRequest, Signs, Tamper, VerifyRequest};
use crate::expect::Expectations;
use crate::report::{Behaviour, Case, Report, Status, Want};

/// The identity every token carries (the fake issuer's default email).
const IDENTITY: &str = fake_oidc::DEFAULT_EMAIL;
/// An identity no bundle has.
const WRONG_IDENTITY: &str = "mallory@example.com";
const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// How many requests a TUF fault is armed for in its case: every `timestamp.json` the client
/// fetches then is the faulty one, retries included (the fault is cleared after the case).
const TUF_FAULT_ARMED: u32 = 1000;

/// How long a client may take over an outage case (`outage/*`) before the runner stops it as
/// hung: past the 30 s timeouts clients commonly set, so a client that times out on its own
/// is told apart from one that waits on.
const OUTAGE_LIMIT: Duration = Duration::from_secs(45);
/// How long a `slow` outage holds an answer back: past [`OUTAGE_LIMIT`].
const SLOW_DELAY: Duration = Duration::from_secs(60);

/// What an outage row arms: one bad answer (the next request is honest), or for `slow` every
/// answer of the service for the row's length.
fn outage_effect(kind: OutageKind) -> Effect {
    match kind {
        OutageKind::RateLimited => Effect::RateLimited {
            retry_after_secs: Effect::DEFAULT_RETRY_AFTER_SECS,
        },
        OutageKind::Unavailable => Effect::Unavailable,
        OutageKind::Reset => Effect::Reset,
        OutageKind::Truncated => Effect::Truncated,
        OutageKind::Slow => Effect::Slow { delay: SLOW_DELAY },
    }
}

/// Whether `b` is how a client should meet an outage of `kind`: through a 429 or a 503 it
/// retries (the next answer is honest, and a 429 says when); a reset, a cut-off answer or a
/// service too slow it survives, by a retry or an error of its own, without hanging or dying.
fn handled(kind: OutageKind, b: Behaviour) -> bool {
    match kind {
        OutageKind::RateLimited | OutageKind::Unavailable => b == Behaviour::Succeeded,
        OutageKind::Reset | OutageKind::Truncated | OutageKind::Slow => {
            matches!(b, Behaviour::Succeeded | Behaviour::Failed)
        }
    }
}

/// What a client's outcome says it did; `time` past the limit is a hang even for a client the
/// runner could not stop (one in process).
fn behaviour(out: &Outcome, time: Duration) -> Behaviour {
    // The runtimes' own reports of an unhandled error: Python, Rust, Go, Java, Node.
    const CRASHES: [&str; 6] = [
        "Traceback (most recent call last)",
        "panicked at",
        "\npanic: ",
        "goroutine 1 [",
        "Exception in thread \"main\"",
        "UnhandledPromiseRejection",
    ];
    if out.output.contains(crate::clients::HUNG) || time >= OUTAGE_LIMIT {
        Behaviour::Hung
    } else if out.output.contains(crate::clients::KILLED)
        || CRASHES.iter().any(|c| out.output.contains(c))
    {
        Behaviour::Crashed
    } else if out.passed {
        Behaviour::Succeeded
    } else {
        Behaviour::Failed
    }
}

/// What to run.
#[derive(Debug)]
pub struct Config {
    /// The clients under test.
    pub clients: Vec<Box<dyn Client>>,
    /// Known gaps.
    pub expectations: Expectations,
    /// The rotations of scenario `rotate/*`, in order (default: [`default_rotations`]).
    pub rotations: Vec<Rotation>,
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
            rotations: default_rotations(),
            progress: true,
            rekor_v2: false,
        }
    }

    /// The same run signing to Rekor v2, with the gaps known there
    /// (`conformance/expectations-rekor-v2.json`).
    pub fn rekor_v2(mut self) -> Self {
        self.rekor_v2 = true;
        // Retiring a Rekor v1 shard strands nothing signed to Rekor v2 (whose own rotation is
        // not built yet), so that row would only measure which log a client picked.
        self.rotations
            .retain(|r| !(r.kind == Kind::Rekor && r.retire));
        self.expectations = Expectations::built_in_rekor_v2();
        self
    }
}

/// Every kind, then the rotations that change the trust's shape: a Fulcio intermediate with
/// the old one's subject name (sigstore-rust#154), a TUF root with legacy key IDs
/// (root-signing#1437), then Fulcio and Rekor generations retired from the trusted root (last,
/// so the bundles they strand were signed under the generations they drop).
pub fn default_rotations() -> Vec<Rotation> {
    let shaped = |kind, shape, retire| Rotation {
        kind,
        shape,
        retire,
    };
    let mut all: Vec<Rotation> = Kind::ALL.into_iter().map(Rotation::from).collect();
    all.extend([
        shaped(Kind::Fulcio, Shape::SameSubject, false),
        shaped(Kind::TufRoot, Shape::LegacyKeyIds, false),
        shaped(Kind::Fulcio, Shape::Plain, true),
        shaped(Kind::Rekor, Shape::Plain, true),
    ]);
    all
}

/// The run's state: stack, files, cases so far.
struct Run<'a> {
    config: &'a Config,
    stack: &'a Stack,
    dir: PathBuf,
    /// The trust files of the current generation.
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
    let outages = stack::faults::Outage::all().count(); // (f)
    let rotate = 3 * rotations; // (g) sign, verify old, verify new
    clients * (own + cross + tamper + tuf + faults + rotate + outages)
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
            behaviour: None,
        });
    }

    fn skip(&mut self, client: &str, scenario: &str, want: Want, why: &str) {
        self.not_run(client, scenario, want, Status::Skipped(why.to_owned()));
    }

    fn not_run(&mut self, client: &str, scenario: &str, want: Want, status: Status) {
        self.cases.push(Case {
            client: client.to_owned(),
            scenario: scenario.to_owned(),
            want,
            status,
            output: String::new(),
            time: Duration::ZERO,
            behaviour: None,
        });
    }

    /// Records `scenario` as not applicable when `client` says it has no meaning for it
    /// (`true`: recorded, do not run it).
    fn not_applicable(&mut self, client: &dyn Client, scenario: &str, want: Want) -> bool {
        match client.not_applicable(scenario) {
            Some(why) => {
                self.not_run(client.name(), scenario, want, Status::NotApplicable(why));
                true
            }
            None => false,
        }
    }

    /// Skips `scenario` for `why`, or records it as not applicable when it is.
    fn skip_unless_na(&mut self, client: &dyn Client, scenario: &str, want: Want, why: &str) {
        if !self.not_applicable(client, scenario, want) {
            self.skip(client.name(), scenario, want, why);
        }
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
        if self.not_applicable(client, scenario, Want::Pass) {
            return None;
        }
        if let Some(why) = client.verify_only() {
            let status = Status::NotApplicable(format!("a verify-only client: {why}"));
            self.not_run(client.name(), scenario, Want::Pass, status);
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
    /// of the first step that failed, or of the verification (which should have failed), and
    /// the bundle when the signing went through.
    fn under_fault(
        &mut self,
        client: &dyn Client,
        fault: Fault,
        bundle: PathBuf,
    ) -> (Outcome, Option<PathBuf>) {
        let token = match self.stack.oidc().mint(&fake_oidc::MintRequest::default()) {
            Ok(t) => t,
            Err(e) => return (Outcome::error(format!("minting a token: {e}")), None),
        };
        let sign = self.sign_request(SignKind::Message, token, bundle.clone());
        self.stack.faults().arm(fault, 1);
        let signed = client.sign(&sign);
        self.stack.faults().clear();
        if !signed.passed || !bundle.exists() {
            let refused = Outcome {
                passed: false,
                output: format!("refused while signing:\n{}", signed.output),
            };
            return (refused, None);
        }
        let artifact = self.artifact.clone();
        let verify = self.verify_request(&bundle, &artifact, IDENTITY);
        let verified = client.verify(&verify);
        let out = Outcome {
            passed: verified.passed,
            output: format!("signed; then verifying:\n{}", verified.output),
        };
        (out, Some(bundle))
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

    /// A verify-only client verifies `bundle`, which `signer` signed, for `scenario`; the
    /// output names the signer.
    fn verify_theirs(
        &mut self,
        client: &dyn Client,
        scenario: &str,
        want: Want,
        (signer, bundle): (&str, &Path),
    ) {
        self.show(client.name(), scenario);
        let artifact = self.artifact.clone();
        let req = self.verify_request(bundle, &artifact, IDENTITY);
        let start = Instant::now();
        let mut out = client.verify(&req);
        out.output = format!("verifying the bundle {signer} signed:\n{}", out.output);
        self.record(client.name(), scenario, want, out, start.elapsed());
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
        if self.not_applicable(client, scenario, want) {
            return;
        }
        let req = self.verify_request(bundle, artifact, identity);
        let start = Instant::now();
        let out = client.verify(&req);
        self.record(client.name(), scenario, want, out, start.elapsed());
    }
}

impl Run<'_> {
    /// A rotation row's verification of `bundle` (which `signer` signed, for a verify-only
    /// client): with the trust files, or with `cache` (a TUF root rotation) through TUF where
    /// the client has a TUF mode.
    fn verify_rotated(
        &mut self,
        client: &dyn Client,
        scenario: &str,
        want: Want,
        bundle: &Path,
        cache: Option<&Path>,
        signer: Option<&str>,
    ) {
        match (cache, signer) {
            (Some(cache), _) if client.no_tuf().is_none() => {
                if !self.not_applicable(client, scenario, want) {
                    self.verify_via_tuf(client, scenario, want, bundle, cache, None);
                }
            }
            (_, Some(signer)) => self.verify_theirs(client, scenario, want, (signer, bundle)),
            (_, None) => {
                let artifact = self.artifact.clone();
                self.verify(client, scenario, want, bundle, &artifact, IDENTITY);
            }
        }
    }

    /// One outage row, `outage/<service>-<kind>`: with it armed, each signing client signs a
    /// message (a TUF outage: each client with a TUF mode verifies its message bundle through
    /// TUF, from a cache of its own that starts empty). One bad answer is armed per client and
    /// the clients take turns; a `slow` service is slow for all of them at once, which run
    /// side by side (each waits up to [`OUTAGE_LIMIT`]). The cell says what the client did
    /// and how long it took; a client that never called the service is not applicable.
    fn outage_row(&mut self, clients: &[&dyn Client], outage: Outage, bases: &[Option<PathBuf>]) {
        let scenario = format!("outage/{outage}");
        let v2 = self.config.rekor_v2;
        let unused = match outage.service {
            Service::Rekor if v2 => Some("this run signs to Rekor v2"),
            Service::RekorV2 if !v2 => Some("this run signs to Rekor v1"),
            _ => None,
        };
        // What each client will do: (position, request), or recorded as not run.
        let mut jobs: Vec<(usize, Job)> = Vec::new();
        for (i, client) in clients.iter().enumerate() {
            let na = |why: &str| Status::NotApplicable(why.to_owned());
            if let Some(why) = unused {
                self.not_run(client.name(), &scenario, Want::Pass, na(why));
                continue;
            }
            if self.not_applicable(*client, &scenario, Want::Pass) {
                continue;
            }
            if outage.service == Service::Tuf {
                if let Some(why) = client.no_tuf() {
                    self.skip(client.name(), &scenario, Want::Pass, why);
                    continue;
                }
                let Some(base) = &bases[i] else {
                    self.skip(
                        client.name(),
                        &scenario,
                        Want::Pass,
                        "no client signed a message",
                    );
                    continue;
                };
                let baseline = self
                    .cases
                    .iter()
                    .find(|c| c.client == client.name() && c.scenario == "tuf/verify");
                if !baseline.is_some_and(|c| matches!(c.status, Status::Ok | Status::Fixed(_))) {
                    let why = "its TUF baseline (tuf/verify) did not pass";
                    self.skip(client.name(), &scenario, Want::Pass, why);
                    continue;
                }
                let cache = self.scratch();
                let artifact = self.artifact.clone();
                jobs.push((
                    i,
                    Job::Tuf(self.verify_request(base, &artifact, IDENTITY), cache),
                ));
                continue;
            }
            if let Some(why) = client.verify_only() {
                let why = format!("a verify-only client signs nothing: {why}");
                self.not_run(client.name(), &scenario, Want::Pass, na(&why));
                continue;
            }
            let token = match self.stack.oidc().mint(&fake_oidc::MintRequest::default()) {
                Ok(t) => t,
                Err(e) => {
                    let out = Outcome::error(format!("minting a token: {e}"));
                    self.record(client.name(), &scenario, Want::Pass, out, Duration::ZERO);
                    continue;
                }
            };
            let bundle = self
                .dir
                .join(format!("bundles/{i}-outage-{outage}.sigstore.json"));
            let req = self.sign_request(SignKind::Message, token, bundle);
            jobs.push((i, Job::Sign(req)));
        }
        let effect = outage_effect(outage.kind);
        let faults = self.stack.faults();
        let before = crate::clients::set_limit(OUTAGE_LIMIT);
        let results: Vec<(usize, Outcome, Duration, u32)> = if outage.kind == OutageKind::Slow {
            // Slow for everyone at once; how many answers each held back is not told apart.
            faults.arm_outage(outage.service, effect, u32::MAX);
            let results = std::thread::scope(|scope| {
                let running: Vec<_> = jobs
                    .iter()
                    .map(|(i, job)| {
                        let client = clients[*i];
                        scope.spawn(move || {
                            let start = Instant::now();
                            let out = job.run(client);
                            (*i, out, start.elapsed())
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .filter_map(|t| t.join().ok())
                    .collect::<Vec<_>>()
            });
            let left = armed_count(faults, outage);
            faults.clear_outages();
            let served = u32::MAX - left;
            results
                .into_iter()
                .map(|(i, out, time)| (i, out, time, served))
                .collect()
        } else {
            jobs.iter()
                .map(|(i, job)| {
                    self.show(clients[*i].name(), &scenario);
                    faults.arm_outage(outage.service, effect, 1);
                    let start = Instant::now();
                    let out = job.run(clients[*i]);
                    let time = start.elapsed();
                    let served = 1 - armed_count(faults, outage);
                    faults.clear_outages();
                    (*i, out, time, served)
                })
                .collect()
        };
        crate::clients::set_limit(before);
        // Under `slow` the clients ran side by side, so whose requests were held back is not
        // told apart: one that did not call the service under a 429 did not now either.
        let rate_limited = format!("outage/{}-rate-limited", outage.service.as_str());
        for (i, mut out, time, served) in results {
            let client = clients[i];
            let uncalled = outage.kind == OutageKind::Slow
                && self.cases.iter().any(|c| {
                    c.client == client.name()
                        && c.scenario == rate_limited
                        && matches!(&c.status, Status::NotApplicable(why) if why.contains("did not call"))
                });
            if served == 0 || uncalled {
                let why = format!(
                    "{} did not call {} in this case",
                    client.name(),
                    outage.service.as_str()
                );
                self.not_run(
                    client.name(),
                    &scenario,
                    Want::Pass,
                    Status::NotApplicable(why),
                );
                continue;
            }
            let b = behaviour(&out, time);
            out.output = format!(
                "{} in {:.1} s under {outage}:\n{}",
                b.as_str(),
                time.as_secs_f64(),
                out.output
            );
            out.passed = handled(outage.kind, b);
            self.record(client.name(), &scenario, Want::Pass, out, time);
            if let Some(last) = self.cases.last_mut() {
                last.behaviour = Some(b);
            }
        }
    }
}

/// How many more requests `outage` is armed for.
fn armed_count(faults: &stack::faults::Faults, outage: Outage) -> u32 {
    faults.outages().get(&outage).map_or(0, |a| a.count)
}

/// A client's part in an outage row.
enum Job {
    Sign(SignRequest),
    /// Verify through TUF with this cache.
    Tuf(VerifyRequest, PathBuf),
}

impl Job {
    fn run(&self, client: &dyn Client) -> Outcome {
        match self {
            Self::Sign(req) => {
                let mut out = client.sign(req);
                if out.passed && !req.bundle.exists() {
                    out.passed = false;
                    out.output += "\n(the client succeeded but wrote no bundle)";
                }
                out
            }
            Self::Tuf(req, cache) => client.verify_via_tuf(req, cache),
        }
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
    let trust = stack.trust().write_files(&dir.join("trust/0"))?;
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
                None if client.verify_only().is_some() => {
                    let why = "a verify-only client has no bundle of its own (it verifies the \
                               others': cross/*)";
                    let status = Status::NotApplicable(why.to_owned());
                    run.not_run(client.name(), &scenario, Want::Pass, status);
                }
                None => run.skip_unless_na(*client, &scenario, Want::Pass, "its signing failed"),
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
                if let Some(why) = cross_not_applicable(*verifier, *signer, what) {
                    let status = Status::NotApplicable(why);
                    run.not_run(verifier.name(), &scenario, Want::Pass, status);
                    continue;
                }
                match b {
                    Some(b) => run.verify(*verifier, &scenario, Want::Pass, b, &artifact, IDENTITY),
                    None => run.skip(verifier.name(), &scenario, Want::Pass, "signing failed"),
                }
            }
        }
    }

    // (c) Tampered at verify time: each client must refuse its own message bundle (or, if it
    // could not sign, the first one there is of what it verifies) for another artifact or
    // identity, with a flipped signature, or with a certificate from another bundle.
    let any_message = |kind: Signs| {
        signed
            .iter()
            .zip(&clients)
            .filter(|(_, c)| c.signs() == kind)
            .find_map(|(s, _)| s.message.clone())
    };
    for (i, client) in clients.iter().enumerate() {
        let scenarios = [
            "tamper/artifact",
            "tamper/identity",
            "tamper/signature",
            "tamper/certificate",
        ];
        let Some(base) = signed[i]
            .message
            .clone()
            .or_else(|| any_message(client.signs()))
        else {
            for s in scenarios {
                run.skip_unless_na(*client, s, Want::Fail, "no client signed a message");
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
        let path = bundle(i, "tampered-sig");
        match client.tamper(Tamper::Signature, &base, &path) {
            Ok(()) => run.verify(
                *client,
                scenarios[2],
                Want::Fail,
                &path,
                &artifact,
                IDENTITY,
            ),
            Err(e) => run.skip_unless_na(*client, scenarios[2], Want::Fail, &format!("{e:#}")),
        }
        // The donor: another signer's message bundle, else any other bundle, of what this
        // client verifies; last, another kind's (a commit can carry a bundle's certificate).
        let same_kind = |s: &usize| clients[*s].signs() == client.signs();
        let other_kind = |s: &usize| !same_kind(s);
        let donors = (0..clients.len())
            .filter(|s| *s != i && same_kind(s))
            .filter_map(|s| signed[s].message.clone())
            .chain(
                (0..clients.len())
                    .filter(same_kind)
                    .filter_map(|s| signed[s].dsse.clone()),
            )
            .chain(
                (0..clients.len())
                    .filter(other_kind)
                    .filter_map(|s| signed[s].message.clone()),
            )
            .filter(|d| *d != base);
        let path = bundle(i, "tampered-cert");
        let swapped = (|| -> anyhow::Result<()> {
            for donor in donors {
                if client
                    .tamper(Tamper::Certificate(&donor), &base, &path)
                    .is_ok()
                {
                    return Ok(());
                }
            }
            anyhow::bail!("no bundle with another certificate to swap in")
        })();
        match swapped {
            Ok(()) => run.verify(
                *client,
                scenarios[3],
                Want::Fail,
                &path,
                &artifact,
                IDENTITY,
            ),
            Err(e) => run.skip_unless_na(*client, scenarios[3], Want::Fail, &format!("{e:#}")),
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
                run.skip_unless_na(*client, s, want, why);
            }
        };
        if let Some(why) = client.no_tuf() {
            skip_all(&mut run, why);
            continue;
        }
        let Some(base) = signed[i]
            .message
            .clone()
            .or_else(|| any_message(client.signs()))
        else {
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
    // Then each verify-only client verifies the bundle the first signing client of its kind got
    // under the fault (one that refused while signing leaves none); it must refuse it.
    for fault in signing_faults() {
        let scenario = format!("fault/{}", fault.as_str());
        let mut faulty: Vec<(Signs, String, PathBuf)> = Vec::new();
        for i in signers_first(&clients) {
            let client = clients[i];
            if config.rekor_v2 && fault.rekor_v1_only() {
                let why = "Rekor v2 has no SET, integrated time or consistency proof to fault";
                let status = Status::NotApplicable(why.to_owned());
                run.not_run(client.name(), &scenario, Want::Fail, status);
                continue;
            }
            if run.not_applicable(client, &scenario, Want::Fail) {
                continue;
            }
            if client.verify_only().is_some() {
                match faulty.iter().find(|(kind, ..)| *kind == client.signs()) {
                    Some((_, signer, b)) => {
                        let theirs = (signer.as_str(), b.as_path());
                        run.verify_theirs(client, &scenario, Want::Fail, theirs);
                    }
                    None => {
                        let why = "every signing client refused while signing under this \
                                   fault: there is no bundle to verify";
                        run.skip(client.name(), &scenario, Want::Fail, why);
                    }
                }
                continue;
            }
            run.show(client.name(), &scenario);
            let start = Instant::now();
            let (out, signed) = run.under_fault(
                client,
                fault,
                bundle(i, &format!("fault-{}", fault.as_str())),
            );
            run.record(client.name(), &scenario, Want::Fail, out, start.elapsed());
            if let Some(b) = signed {
                faulty.push((client.signs(), client.name().to_owned(), b));
            }
        }
    }

    // (f) Outages, each a row for every client (see `Run::outage_row`); a TUF outage's client
    // verifies its own message bundle, or the first of its kind.
    let bases: Vec<Option<PathBuf>> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| signed[i].message.clone().or_else(|| any_message(c.signs())))
        .collect();
    for outage in stack::faults::Outage::all() {
        run.outage_row(&clients, outage, &bases);
    }

    // (g) Rotations: after each, every client signs again and verifies an older bundle and
    // the new one with the refreshed trust material. The older one is its first, which must
    // still verify; after a `retire` rotation it is the newest it signed before, which must
    // not (its generation left the trusted root). After a TUF root rotation the client
    // verifies through TUF where it has a TUF mode, from a fresh cache: it walks from the
    // first root to the new one.
    let mut latest: Vec<Option<PathBuf>> = signed.iter().map(|s| s.message.clone()).collect();
    for (r, rotation) in config.rotations.iter().enumerate() {
        stack
            .rotate_with(*rotation)
            .with_context(|| format!("rotating {}", rotation.label()))?;
        run.trust = stack
            .trust()
            .write_files(&dir.join(format!("trust/{}", r + 1)))?;
        let k = rotation.label();
        let want_old = if rotation.retire {
            Want::Fail
        } else {
            Want::Pass
        };
        let cache = |i: usize| -> anyhow::Result<Option<PathBuf>> {
            if rotation.kind != Kind::TufRoot {
                return Ok(None);
            }
            let cache = dir.join(format!("tuf-cache/rot-{r}/{i}"));
            std::fs::create_dir_all(&cache)
                .with_context(|| format!("creating {}", cache.display()))?;
            Ok(Some(cache))
        };
        // The signing clients first: a verify-only client verifies the first one's bundles of
        // its kind, the older and this one.
        let mut fresh: Vec<(Signs, String, PathBuf, PathBuf)> = Vec::new();
        for i in signers_first(&clients) {
            let client = clients[i];
            let cache = cache(i)?;
            let new = run.sign(
                client,
                &format!("rotate/{k}/sign"),
                SignKind::Message,
                bundle(i, &format!("rot-{r}-{k}")),
            );
            let old = if rotation.retire {
                latest[i].clone()
            } else {
                signed[i].message.clone()
            };
            if let Some(b) = &new {
                latest[i] = Some(b.clone());
            }
            if client.verify_only().is_some() {
                let theirs = fresh.iter().find(|(kind, ..)| *kind == client.signs());
                for (what, want, pick) in
                    [("verify-old", want_old, 0), ("verify-new", Want::Pass, 1)]
                {
                    let scenario = format!("rotate/{k}/{what}");
                    match theirs {
                        Some((_, signer, old, new)) => {
                            let b = if pick == 0 { old } else { new };
                            let from = Some(signer.as_str());
                            run.verify_rotated(client, &scenario, want, b, cache.as_deref(), from);
                        }
                        None => run.skip(
                            client.name(),
                            &scenario,
                            want,
                            "no signing client signed before and after the rotation",
                        ),
                    }
                }
                continue;
            }
            if let (Some(old), Some(new)) = (&old, &new) {
                fresh.push((
                    client.signs(),
                    client.name().to_owned(),
                    old.clone(),
                    new.clone(),
                ));
            }
            for (what, want, b) in [
                ("verify-old", want_old, &old),
                ("verify-new", Want::Pass, &new),
            ] {
                let scenario = format!("rotate/{k}/{what}");
                match b {
                    Some(b) => {
                        run.verify_rotated(client, &scenario, want, b, cache.as_deref(), None)
                    }
                    None => {
                        run.skip_unless_na(client, &scenario, want, "its signing failed");
                    }
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

/// The clients' positions, the signing clients first, then the verify-only ones (which verify
/// what the first of them signed).
fn signers_first(clients: &[&dyn Client]) -> Vec<usize> {
    let (signers, verifiers): (Vec<usize>, Vec<usize>) =
        (0..clients.len()).partition(|i| clients[*i].verify_only().is_none());
    [signers, verifiers].concat()
}

/// Why `verifier` cannot take part in `cross/<signer>/<what>`: it verifies another kind of
/// signature than `signer` signs, or the scenario (or `signer`'s signing of it) has no
/// meaning for one of them.
fn cross_not_applicable(verifier: &dyn Client, signer: &dyn Client, what: &str) -> Option<String> {
    let kind = |c: &dyn Client| match c.signs() {
        Signs::Bundles => "Sigstore bundles",
        Signs::GitCommits => "git commits",
    };
    if let Some(why) = signer.verify_only() {
        return Some(format!(
            "{} signs nothing (a verify-only client: {why})",
            signer.name()
        ));
    }
    if verifier.signs() != signer.signs() {
        return Some(format!(
            "{} signs {}, {} verifies {}",
            signer.name(),
            kind(signer),
            verifier.name(),
            kind(verifier)
        ));
    }
    verifier
        .not_applicable(&format!("verify/own-{what}"))
        .or_else(|| signer.not_applicable(&format!("sign/{what}")))
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

    /// A client of `kind` that says nothing about DSSE, or (commits) that it signs none.
    #[derive(Debug)]
    struct Fake(&'static str, Signs);

    impl Client for Fake {
        fn name(&self) -> &str {
            self.0
        }
        fn sign(&self, _: &SignRequest) -> Outcome {
            Outcome::error("not run")
        }
        fn verify(&self, _: &VerifyRequest) -> Outcome {
            Outcome::error("not run")
        }
        fn signs(&self) -> Signs {
            self.1
        }
        fn not_applicable(&self, scenario: &str) -> Option<String> {
            (self.1 == Signs::GitCommits && scenario.ends_with("dsse")).then(|| "no DSSE".into())
        }
    }

    #[test]
    fn cross_rows_between_kinds_do_not_apply() {
        let (a, b) = (Fake("a", Signs::Bundles), Fake("b", Signs::Bundles));
        let (g, h) = (Fake("g", Signs::GitCommits), Fake("h", Signs::GitCommits));
        assert_eq!(cross_not_applicable(&a, &b, "message"), None);
        assert_eq!(cross_not_applicable(&a, &b, "dsse"), None);
        assert_eq!(
            cross_not_applicable(&a, &g, "message").as_deref(),
            Some("g signs git commits, a verifies Sigstore bundles")
        );
        assert_eq!(
            cross_not_applicable(&g, &a, "message").as_deref(),
            Some("a signs Sigstore bundles, g verifies git commits")
        );
        assert_eq!(cross_not_applicable(&g, &h, "message"), None);
        assert_eq!(
            cross_not_applicable(&g, &h, "dsse").as_deref(),
            Some("no DSSE")
        );
    }

    #[test]
    fn the_plan_counts_every_section() {
        // One client: 4 own, 4 tamper, 4 TUF, 16 signing faults, 3 per rotation, and 25
        // outages (5 services, 5 kinds).
        assert_eq!(planned_cases(1, 0), 4 + 4 + 4 + 16 + 25);
        // The committed reports: ten clients, ten rotations over Rekor v1 (1010 cases, as
        // docs/conformance.md says), nine over Rekor v2 (980).
        assert_eq!(default_rotations().len(), 10);
        assert_eq!(planned_cases(10, 10), 1010);
        assert_eq!(Config::new(Vec::new()).rekor_v2().rotations.len(), 9);
        assert_eq!(planned_cases(10, 9), 980);
    }
}
