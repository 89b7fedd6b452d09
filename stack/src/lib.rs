//! The sigbox stack: every Sigstore service, in one process, on one port, for testing.
//!
//! [`Stack::builder`] starts a stack on a loopback port and hands back its URL; the `sigbox up`
//! command is a thin wrapper over it. The stack is a test instrument: its keys derive from a
//! seed that is not secret, its certificates say they are for testing, and it listens on
//! 127.0.0.1 unless told otherwise. It is not, and must never be used as, a real Sigstore.

pub mod clock;
pub mod ctlog;
pub mod faults;
pub mod fulcio;
pub mod generations;
pub mod http;
pub mod keys;
mod log;
mod outage;
mod pubkey;
pub mod rekor;
pub mod rekor_v2;
mod rotation;
mod router;
mod sct;
pub mod state;
pub mod tsa;
pub mod tuf;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use http::ApiError;
pub use keys::{KeyRing, Role};
pub use state::StateDir;

/// The default seed.
pub const DEFAULT_SEED: &str = "sigbox";

/// The default listen address (loopback only: this is a test instrument).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7860";

/// What every service shares.
#[derive(Debug)]
pub(crate) struct Services {
    pub(crate) clock: Clock,
    pub(crate) admin_token: String,
    pub(crate) oidc: fake_oidc::Issuer,
    pub(crate) fulcio: Arc<fulcio::Fulcio>,
    /// Every CT log generation; Fulcio logs to the current one (see [`fulcio::CertificateLog`]).
    pub(crate) ctlogs: Arc<ctlog::CtLogs>,
    pub(crate) rekor: Arc<rekor::Shards>,
    pub(crate) rekor_v2: Arc<rekor_v2::RekorV2>,
    /// Whether the signing config offers the v2 log (the trusted root always lists it).
    pub(crate) rekor_v2_signing: bool,
    pub(crate) tsa: Arc<tsa::Authorities>,
    pub(crate) trust: Arc<tuf::Trust>,
    pub(crate) faults: Arc<faults::Faults>,
    /// What rotation needs to open the next generation.
    pub(crate) seed: String,
    pub(crate) url: String,
    pub(crate) state_dir: PathBuf,
    pub(crate) epoch: i64,
    pub(crate) generations: std::sync::Mutex<generations::Generations>,
}

/// The admin token a stack uses when none is given: derived from the seed, so anyone who knows
/// the seed (the default one above all) knows it too. Fine on loopback, not beyond it.
pub fn derived_admin_token(seed: &str) -> String {
    format!(
        "sigbox-admin-{}",
        hex::encode(&KeyRing::new(seed).secret(Role::Admin, 0)[..16])
    )
}

/// A base URL given with [`StackBuilder::public_url`], and the host Rekor names itself by.
struct PublicUrl {
    url: String,
    /// Rekor names itself in checkpoints by its hostname, without a port
    /// (`rekor_server.hostname`; rekor-tiles' `--hostname`): clients match the URL's host,
    /// sigstore-java `getBaseUrl().getHost()`, sigstore-go `url.Hostname()` (an IPv6 address
    /// without its brackets).
    host: String,
}

impl PublicUrl {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let bad = |why: &str| anyhow::anyhow!("public URL {url:?}: {why}");
        let uri: ::http::Uri = url.parse().map_err(|e| bad(&format!("not a URL: {e}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(bad("the scheme must be http or https"));
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad(
                "the services are served at the root: give no path or query",
            ));
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(bad("give no user or password"));
        }
        // `http::Uri` takes any digits as a port (and then reports none): check the text.
        if let Some((_, port)) = uri.authority().and_then(|a| a.as_str().rsplit_once(':'))
            && !port.contains(']')
            && !port.parse::<u16>().is_ok_and(|p| p > 0)
        {
            return Err(bad("the port must be 1 to 65535"));
        }
        if url.contains('#') {
            return Err(bad("give no fragment"));
        }
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        })
    }
}

/// Configures and starts a [`Stack`].
#[derive(Debug, Clone)]
pub struct StackBuilder {
    seed: String,
    listen: SocketAddr,
    state: Option<PathBuf>,
    clock: Clock,
    admin_token: Option<String>,
    sct_mode: fulcio::SctMode,
    tuf_expiry: tuf_repo::Expiry,
    rekor_v2_signing: bool,
    connections: http::ConnectionLimits,
    public_url: Option<String>,
}

impl Default for StackBuilder {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state: None,
            clock: Clock::system(),
            admin_token: None,
            sct_mode: fulcio::SctMode::default(),
            tuf_expiry: tuf_repo::Expiry::default(),
            rekor_v2_signing: false,
            connections: http::ConnectionLimits::from_process(),
            public_url: None,
        }
    }
}

impl StackBuilder {
    /// The seed every key derives from.
    pub fn seed(mut self, seed: impl Into<String>) -> Self {
        self.seed = seed.into();
        self
    }

    /// Where to listen (port 0 picks a free port). Default `127.0.0.1:0` for the library.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Keep state in `dir` (created if missing). Without it the stack is ephemeral.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state = Some(dir.into());
        self
    }

    /// Use a temporary state directory, removed when the stack is dropped (the default).
    pub fn ephemeral(mut self) -> Self {
        self.state = None;
        self
    }

    /// Use `clock` (e.g. [`Clock::frozen`]).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Freeze the clock at `at`.
    pub fn frozen_clock(self, at: time::OffsetDateTime) -> Self {
        self.clock(Clock::frozen(at))
    }

    /// The admin bearer token. By default it derives from the seed, like every other secret.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Whether Fulcio embeds SCTs in certificates (the default) or returns them beside.
    pub fn sct_mode(mut self, mode: fulcio::SctMode) -> Self {
        self.sct_mode = mode;
        self
    }

    /// How long each TUF role's metadata stays valid after it is signed.
    pub fn tuf_expiry(mut self, expiry: tuf_repo::Expiry) -> Self {
        self.tuf_expiry = expiry;
        self
    }

    /// Whether the signing config sends clients to the Rekor v2 log (default off: they sign to
    /// Rekor v1). The trusted root lists the v2 log either way, so its entries verify.
    pub fn rekor_v2_signing(mut self, on: bool) -> Self {
        self.rekor_v2_signing = on;
        self
    }

    /// How many connections to hold open and how long a request head may take (default: from
    /// the process's open-file limit, [`http::ConnectionLimits::from_process`]).
    pub fn connection_limits(mut self, limits: http::ConnectionLimits) -> Self {
        self.connections = limits;
        self
    }

    /// Opens the state, binds the listener and serves until [`Stack::shutdown`] or drop.
    /// The base URL the stack names itself by (in the trust material, tokens and checkpoint
    /// origins), where clients reach it through a proxy, a port forward or a name of its own
    /// rather than at the listener: `http[s]://HOST[:PORT]`, no path. By default
    /// `http://<the bound address>`.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    pub async fn start(self) -> anyhow::Result<Stack> {
        let public = self
            .public_url
            .as_deref()
            .map(PublicUrl::parse)
            .transpose()?;
        let state = match &self.state {
            Some(dir) => StateDir::open(dir, &self.seed, self.clock.unix())?,
            None => StateDir::ephemeral(&self.seed, self.clock.unix())?,
        };
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("listening on {}", self.listen))?;
        let addr = listener.local_addr()?;
        let (url, log_host) = match public {
            Some(p) => (p.url, p.host),
            None => (format!("http://{addr}"), addr.ip().to_string()),
        };
        let keys = KeyRing::new(&self.seed);
        let admin_token = self
            .admin_token
            .unwrap_or_else(|| derived_admin_token(&self.seed));
        let gens = generations::Generations::load(state.path(), state.epoch())?;
        let faults = Arc::new(faults::Faults::default());
        let at = |kind: generations::Kind, g: usize| gens.of(kind)[g].start;
        let oidc = {
            let clock = self.clock.clone();
            // Every generation's key stays in the JWKS; the last one signs.
            fake_oidc::Issuer::new(fake_oidc::IssuerConfig {
                issuer_url: url.clone(),
                keys: (0..gens.oidc.len())
                    .map(|g| {
                        fake_oidc::IssuerKey::with_thumbprint_kid(
                            keys.signing_key(Role::Oidc, g as u32),
                        )
                    })
                    .collect(),
                clock: Arc::new(move || clock.unix()),
                default_identity: fake_oidc::MintRequest::default(),
            })
        };
        let mut shards = Vec::new();
        for (g, span) in gens.rekor.iter().enumerate() {
            shards.push(Arc::new(rekor::Rekor::open(
                &keys,
                g as u32,
                span.offset,
                self.clock.clone(),
                &state.path().join("rekor").join(g.to_string()),
                &log_host,
            )?));
        }
        let rekor = Arc::new(rekor::Shards::new(shards, faults.clone()));
        let rekor_v2 = Arc::new(rekor_v2::RekorV2::open(
            &keys,
            &state.path().join("rekor-v2").join("0"),
            &log_host,
            faults.clone(),
        )?);
        let mut tsas = Vec::new();
        for g in 0..gens.tsa.len() {
            tsas.push(Arc::new(tsa::Tsa::new(
                &keys,
                g as u32,
                self.clock.clone(),
                at(generations::Kind::Tsa, g),
            )?));
        }
        let tsa = Arc::new(tsa::Authorities::new(tsas));
        let mut ctlogs = Vec::new();
        for g in 0..gens.ctlog.len() {
            ctlogs.push(Arc::new(ctlog::CtLog::open(
                &keys,
                g as u32,
                self.clock.clone(),
                &state.path().join("ctlog").join(g.to_string()),
            )?));
        }
        let mut cas = Vec::new();
        for g in 0..gens.fulcio.len() {
            let base = gens.fulcio_base(g);
            cas.push(fulcio::CaGeneration::beside(
                &keys,
                g as u32,
                at(generations::Kind::Fulcio, g),
                (base as u32, at(generations::Kind::Fulcio, base)),
            )?);
        }
        let ctlogs = Arc::new(ctlog::CtLogs::new(ctlogs));
        let fulcio = Arc::new(fulcio::Fulcio::new(
            cas,
            ctlogs.clone(),
            oidc.clone(),
            self.clock.clone(),
            self.sct_mode,
            faults.clone(),
        ));
        let trust = Arc::new(tuf::Trust::open(
            rotation::trust_inputs(
                &url,
                oidc.issuer_url(),
                state.epoch(),
                &gens,
                rotation::Certificates {
                    fulcio: &fulcio,
                    ctlogs: &ctlogs,
                },
                rotation::RekorLogs {
                    v1: &rekor,
                    v2: &rekor_v2,
                    v2_signing: self.rekor_v2_signing,
                },
                &tsa,
            )?,
            tuf::role_keys(
                &keys,
                gens.current(generations::Kind::TufRoot),
                gens.tuf_root.last().map(|s| s.shape) == Some(generations::Shape::LegacyKeyIds),
            ),
            self.tuf_expiry,
            self.clock.now(),
            &state.path().join("tuf"),
        )?);
        let services = Arc::new(Services {
            clock: self.clock,
            admin_token,
            oidc,
            fulcio,
            ctlogs,
            rekor,
            rekor_v2,
            rekor_v2_signing: self.rekor_v2_signing,
            tsa,
            trust,
            seed: self.seed.clone(),
            url: url.clone(),
            state_dir: state.path().to_path_buf(),
            epoch: state.epoch(),
            generations: std::sync::Mutex::new(gens),
            faults,
        });
        // A restarted state may hold metadata near its expiry: re-sign it now, then check
        // hourly, as a TUF repository's timestamp service would (a frozen clock never moves,
        // so frozen stacks stay byte-identical).
        services.trust.refresh_if_stale(services.clock.now())?;
        let refresher = {
            let services = services.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    if let Err(e) = services.trust.refresh_if_stale(services.clock.now()) {
                        tracing::warn!(error = %format!("{e:#}"), "TUF refresh failed");
                    }
                }
            })
        };
        let app = router::router(services.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let connections = self.connections;
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stop_rx.await;
            };
            http::serve::serve(listener, app, connections, stopped).await;
        });
        let stack = Stack {
            url,
            addr,
            seed: self.seed,
            state,
            services,
            stop: Some(stop_tx),
            task: Some(task),
            refresher,
        };
        stack.write_ready_file()?;
        Ok(stack)
    }
}

/// A running stack.
#[derive(Debug)]
pub struct Stack {
    url: String,
    addr: SocketAddr,
    seed: String,
    state: StateDir,
    services: Arc<Services>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    refresher: JoinHandle<()>,
}

/// What `sigbox up --json` prints and `DIR/ready.json` holds: how to reach the stack.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Ready {
    /// The one URL of every service (also the OIDC issuer).
    pub url: String,
    /// The address the stack listens on (the URL's, unless a public URL was given).
    pub listen: SocketAddr,
    /// The state directory.
    pub state_dir: PathBuf,
    /// Whether the state directory is removed on exit.
    pub ephemeral: bool,
    /// The seed.
    pub seed: String,
    /// The bearer token of `/admin/...`.
    pub admin_token: String,
    /// The TUF repository (mirror URL for sigstore-python `--instance`, sigstore-js
    /// `--tuf-mirror-url`); its first root is at `{url}/trust/root.json`.
    pub tuf_url: String,
    /// PEM public keys of the current generation, by role.
    pub public_keys: std::collections::BTreeMap<String, String>,
    /// The trust files clients are pointed at, written in `<state>/trust/` at start-up and
    /// after each rotation.
    #[serde(default)]
    pub trust_files: tuf::TrustFiles,
}

/// The PEM public keys of each role's current generation, as `Ready` lists them.
pub(crate) fn public_keys(
    seed: &str,
    gens: &generations::Generations,
) -> std::collections::BTreeMap<String, String> {
    use generations::Kind;
    let keys = KeyRing::new(seed);
    [
        (Role::FulcioRoot, Kind::Fulcio),
        (Role::Ctlog, Kind::Ctlog),
        (Role::Rekor, Kind::Rekor),
        (Role::TsaRoot, Kind::Tsa),
        (Role::Oidc, Kind::Oidc),
    ]
    .into_iter()
    .map(|(role, kind)| (role, gens.current(kind)))
    // The Rekor v2 log does not rotate: generation 0 always.
    .chain([(Role::RekorV2, 0)])
    .map(|(role, generation)| {
        let pem = keys
            .signing_key(role, generation)
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default();
        (role.label().replace('/', "-"), pem)
    })
    .collect()
}

impl Stack {
    /// A builder with the defaults: seed `sigbox`, `127.0.0.1:0`, ephemeral, system clock.
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// The base URL clients are given, e.g. `http://127.0.0.1:41234` (or the
    /// [`StackBuilder::public_url`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address (where the URL points, unless a public URL was given).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The stack's routes, for serving in-process: fuzzing, tower tests.
    pub fn router(&self) -> axum::Router {
        router::router(self.services.clone())
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }

    /// The stack's clock (shared with every service: moving it moves them all).
    pub fn clock(&self) -> &Clock {
        &self.services.clock
    }

    /// The fake OIDC issuer (its URL is the stack's URL): mint tokens for tests with it.
    pub fn oidc(&self) -> &fake_oidc::Issuer {
        &self.services.oidc
    }

    /// The Fulcio CA.
    pub fn fulcio(&self) -> &fulcio::Fulcio {
        &self.services.fulcio
    }

    /// The CT log Fulcio's SCTs come from now.
    pub fn ctlog(&self) -> Arc<ctlog::CtLog> {
        self.services.ctlogs.current()
    }

    /// Rotates `kind`: a new key generation (for Rekor, a new shard), the old one retired at
    /// the clock's now, new trust material published.
    pub fn rotate(&self, kind: generations::Kind) -> anyhow::Result<u32> {
        self.services.rotate(kind.into())
    }

    /// Rotates as [`Self::rotate`] does, in `rotation`'s shape (same-subject Fulcio
    /// intermediate, legacy TUF key IDs), and with `retire` drops the older generations from
    /// the trusted root.
    pub fn rotate_with(&self, rotation: generations::Rotation) -> anyhow::Result<u32> {
        self.services.rotate(rotation)
    }

    /// Faults and outages on demand: arm one for the next N requests.
    pub fn faults(&self) -> &faults::Faults {
        &self.services.faults
    }

    /// Every generation of every rotating service.
    pub fn generations(&self) -> generations::Generations {
        self.services
            .generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The trust material and its TUF repository.
    pub fn trust(&self) -> &tuf::Trust {
        &self.services.trust
    }

    /// The active Rekor v1 shard.
    pub fn rekor(&self) -> Arc<rekor::Rekor> {
        self.services.rekor.active()
    }

    /// Every Rekor v1 shard.
    pub fn rekor_shards(&self) -> &rekor::Shards {
        &self.services.rekor
    }

    /// The Rekor v2 log (served under `{url}/rekor-v2`).
    pub fn rekor_v2(&self) -> Arc<rekor_v2::RekorV2> {
        self.services.rekor_v2.clone()
    }

    /// The Rekor v2 base URL, as the signing config gives it to clients.
    pub fn rekor_v2_url(&self) -> String {
        format!("{}{}", self.url, rekor_v2::PATH_PREFIX)
    }

    /// The RFC 3161 timestamp authority stamping now.
    pub fn tsa(&self) -> Arc<tsa::Tsa> {
        self.services.tsa.current()
    }

    /// The admin bearer token.
    pub fn admin_token(&self) -> &str {
        &self.services.admin_token
    }

    /// How to reach the stack.
    pub fn ready(&self) -> Ready {
        let public_keys = public_keys(&self.seed, &self.generations());
        Ready {
            url: self.url.clone(),
            listen: self.addr,
            state_dir: self.state.path().to_path_buf(),
            ephemeral: self.state.is_ephemeral(),
            seed: self.seed.clone(),
            admin_token: self.services.admin_token.clone(),
            tuf_url: format!("{}/tuf", self.url),
            public_keys,
            trust_files: tuf::TrustFiles::in_dir(&self.trust_dir()),
        }
    }

    /// `<state>/trust/`, where the trust files clients are pointed at are kept current.
    fn trust_dir(&self) -> PathBuf {
        self.state.path().join("trust")
    }

    fn write_ready_file(&self) -> anyhow::Result<()> {
        self.trust().write_files(&self.trust_dir())?;
        let json = serde_json::to_vec_pretty(&self.ready())?;
        state::write_atomic(&self.state.path().join("ready.json"), &json)
    }

    /// Stops serving, lets requests in flight finish, and closes the state.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop_serving().await
    }

    async fn stop_serving(&mut self) -> anyhow::Result<()> {
        self.refresher.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.context("server task panicked")?;
        }
        let _ = std::fs::remove_file(self.state.path().join("ready.json"));
        Ok(())
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.refresher.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Fulcio logs to the current CT log generation; every generation accepts Fulcio's roots.
impl fulcio::CertificateLog for ctlog::CtLogs {
    fn add_root(&self, root_der: Vec<u8>) {
        ctlog::CtLogs::add_root(self, root_der);
    }

    fn log_precertificate<'a>(&'a self, chain: &'a [Vec<u8>]) -> fulcio::ct::Logging<'a> {
        Box::pin(async move { Ok(self.current().add_pre_chain(chain).await?) })
    }

    fn log_certificate<'a>(&'a self, chain: &'a [Vec<u8>]) -> fulcio::ct::Logging<'a> {
        Box::pin(async move { Ok(self.current().add_chain(chain).await?) })
    }

    fn sign_unlogged(&self, entry: &formats::ct::SignedEntry, timestamp: u64) -> formats::ct::Sct {
        self.current().sign_sct(entry, timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::PublicUrl;

    #[test]
    fn a_public_url_is_a_bare_origin() {
        let p = PublicUrl::parse("http://sigbox.test:8080/").unwrap();
        assert_eq!(
            (p.url.as_str(), p.host.as_str()),
            ("http://sigbox.test:8080", "sigbox.test")
        );
        assert_eq!(PublicUrl::parse("https://[::1]:8443").unwrap().host, "::1");
        for (bad, why) in [
            ("sigbox.test:8080", "scheme"),
            ("ftp://sigbox.test", "scheme"),
            ("http://sigbox.test/prefix", "path"),
            ("http://sigbox.test/?q=1", "query"),
            ("http://user:pw@sigbox.test", "password"),
            ("http://", "URL"),
            ("https://sigbox.test:99999", "port"),
            ("http://sigbox.test:0", "port"),
            ("http://sigbox.test#frag", "fragment"),
        ] {
            let e = PublicUrl::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} was taken"))
                .to_string();
            assert!(e.contains(bad) && e.contains(why), "{bad}: {e}");
        }
    }
}
