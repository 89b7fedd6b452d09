//! The stack's trust distribution: `trusted_root.json` and `signing_config.v0.2.json` built from
//! the services' key generations, published as the targets of a TUF repository (tuf-repo)
//! written to `STATE/tuf/` and served, as plain files, under `/tuf/`.
//!
//! The layout is the one TUF clients expect of a mirror with consistent snapshots:
//! `/tuf/N.root.json`, `/tuf/timestamp.json`, `/tuf/N.snapshot.json`, `/tuf/N.targets.json`,
//! `/tuf/targets/<sha256>.trusted_root.json`. sigstore-python (`--instance`) and sigstore-js
//! (`--tuf-mirror-url`) both take that URL and a first `root.json`.
//!
//! Beside them, as sigstore/root-signing does, the legacy per-key targets (`fulcio_v1.crt.pem`,
//! `ctfe.pub`, `rekor.pub`, ... with `custom.sigstore` usage and status) that sigstore/sigstore's
//! `pkg/tuf` client reads ([`TrustInputs::legacy_targets`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Router;
use axum::extract::{Path as AxPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use der::Decode;
use der::asn1::{ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use time::OffsetDateTime;
use tower_http::services::ServeDir;
use tuf_repo::{
    CertificateAuthority, Custom, Expiry, LegacyTarget, Repository, RoleKeys, Selector, Service,
    SigningConfigInput, TransparencyLog, TrustedRootInput, Validity,
};
use x509_cert::Certificate;

use crate::faults::{Fault, Faults};
use crate::http::ApiError;
use crate::keys::{KeyRing, Role};
use formats::oid::{ID_AT_COMMON_NAME, ID_AT_ORGANIZATION_NAME};

/// The trusted root's target name.
pub const TRUSTED_ROOT: &str = "trusted_root.json";
/// The signing config's target name (sigstore-python 4 looks for this one).
pub const SIGNING_CONFIG: &str = "signing_config.v0.2.json";
/// sigstore-python's `--trust-config` file name in exports.
pub const CLIENT_TRUST_CONFIG: &str = "trust_config.json";
/// Who runs every service, as `signing_config` names operators.
pub const OPERATOR: &str = "sigbox.test (testing only)";

/// What the trust material is built from: public material of the running services, every
/// generation of each (oldest first) with the span it was in use.
#[derive(Debug, Clone)]
pub struct TrustInputs {
    /// The stack URL (Fulcio, Rekor, CT log, OIDC issuer all answer there).
    pub url: String,
    /// The OIDC issuer URL.
    pub issuer_url: String,
    /// When the state was created: the start of the services' validity in the signing config.
    pub epoch: OffsetDateTime,
    /// Fulcio generations: intermediate then root, DER.
    pub fulcio: Vec<(Vec<Vec<u8>>, Validity)>,
    /// Rekor shards: DER public keys.
    pub rekor: Vec<(Vec<u8>, Validity)>,
    /// The Rekor v2 log (one generation, valid from the epoch on).
    pub rekor_v2: RekorV2Trust,
    /// CT log generations: DER public keys.
    pub ctlog: Vec<(Vec<u8>, Validity)>,
    /// TSA generations: signing certificate then root, DER.
    pub tsa: Vec<(Vec<Vec<u8>>, Validity)>,
}

/// What the trust files say about the Rekor v2 log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekorV2Trust {
    /// Its base URL (clients append `/api/v2/...`).
    pub base_url: String,
    /// Its DER public key.
    pub public_key_der: Vec<u8>,
    /// Whether the signing config lists it (`majorApiVersion` 2), sending clients to it.
    pub signing: bool,
}

fn name_part(cert_der: &[u8], oid: ObjectIdentifier) -> String {
    let Ok(cert) = Certificate::from_der(cert_der) else {
        return String::new();
    };
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| {
            atv.value
                .decode_as::<Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    atv.value
                        .decode_as::<PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .ok()
        })
        .unwrap_or_default()
}

fn authority(uri: String, chain: &[Vec<u8>], valid_for: Validity) -> CertificateAuthority {
    let root = chain.last().map(Vec::as_slice).unwrap_or_default();
    CertificateAuthority {
        uri,
        subject_organization: name_part(root, ID_AT_ORGANIZATION_NAME),
        subject_common_name: name_part(root, ID_AT_COMMON_NAME),
        chain_der: chain.to_vec(),
        valid_for,
    }
}

fn log(base_url: String, key: &[u8], valid_for: Validity) -> TransparencyLog {
    TransparencyLog {
        base_url,
        hash_algorithm: "SHA2_256",
        public_key_der: key.to_vec(),
        key_details: "PKIX_ECDSA_P256_SHA_256",
        valid_for,
        checkpoint_key_id: None,
    }
}

impl TrustInputs {
    fn validity(&self) -> Validity {
        Validity {
            start: self.epoch,
            end: None,
        }
    }

    /// The TSA's URL, as clients post to it.
    pub fn tsa_url(&self) -> String {
        format!("{}/api/v1/timestamp", self.url)
    }

    /// `trusted_root.json`: every generation, each valid for its span.
    pub fn trusted_root_json(&self) -> String {
        tuf_repo::trusted_root_json(&TrustedRootInput {
            certificate_authorities: self
                .fulcio
                .iter()
                .map(|(chain, v)| authority(self.url.clone(), chain, *v))
                .collect(),
            tlogs: self
                .rekor
                .iter()
                .map(|(key, v)| log(self.url.clone(), key, *v))
                // The v2 log always: bundles it logged verify whether or not clients sign to
                // it now.
                .chain(std::iter::once(log(
                    self.rekor_v2.base_url.clone(),
                    &self.rekor_v2.public_key_der,
                    self.validity(),
                )))
                .collect(),
            ctlogs: self
                .ctlog
                .iter()
                .map(|(key, v)| log(self.url.clone(), key, *v))
                .collect(),
            timestamp_authorities: self
                .tsa
                .iter()
                .map(|(chain, v)| authority(self.tsa_url(), chain, *v))
                .collect(),
        })
    }

    /// The per-key targets sigstore's legacy TUF client reads (gitsign; cosign's older paths):
    /// every Fulcio, CT log and Rekor v1 generation, as in `trusted_root.json`.
    pub fn legacy_targets(&self) -> Vec<LegacyTarget> {
        let fulcio: Vec<_> = self
            .fulcio
            .iter()
            .map(|(chain, v)| authority(self.url.clone(), chain, *v))
            .collect();
        let logs = |list: &[(Vec<u8>, Validity)]| -> Vec<_> {
            list.iter()
                .map(|(key, v)| log(self.url.clone(), key, *v))
                .collect()
        };
        tuf_repo::legacy_targets(&fulcio, &logs(&self.ctlog), &logs(&self.rekor))
    }

    /// `signing_config.v0.2.json`.
    pub fn signing_config_json(&self) -> String {
        let versioned = |url: String, major_api_version: u32| Service {
            url,
            major_api_version,
            valid_for: self.validity(),
            operator: OPERATOR.to_owned(),
        };
        let service = |url: String| versioned(url, 1);
        // With v2 signing on, v2 is listed first and under the same operator as v1:
        // sigstore-python takes the highest version per operator, sigstore-js the first of the
        // services that started last (both start at the epoch here, and its sort is stable).
        let mut rekor_tlog_urls = vec![service(self.url.clone())];
        if self.rekor_v2.signing {
            rekor_tlog_urls.insert(0, versioned(self.rekor_v2.base_url.clone(), 2));
        }
        tuf_repo::signing_config_json(&SigningConfigInput {
            ca_urls: vec![service(self.url.clone())],
            oidc_urls: vec![service(self.issuer_url.clone())],
            rekor_tlog_urls,
            tsa_urls: vec![service(self.tsa_url())],
            rekor_selector: Selector::Any,
            tsa_selector: Selector::Any,
        })
    }
}

/// The TUF keys: root of `root_generation`, the other roles' of generation 0; one each, from
/// the seed. `legacy_key_ids`: the root key's ID is the legacy one
/// ([`crate::generations::Shape::LegacyKeyIds`]).
pub fn role_keys(keys: &KeyRing, root_generation: u32, legacy_key_ids: bool) -> RoleKeys {
    RoleKeys {
        root_key_ids: if legacy_key_ids {
            tuf_repo::KeyIds::Legacy
        } else {
            tuf_repo::KeyIds::Strict
        },
        root: vec![keys.signing_key(Role::TufRoot, root_generation)],
        targets: vec![keys.signing_key(Role::TufTargets, 0)],
        snapshot: vec![keys.signing_key(Role::TufSnapshot, 0)],
        timestamp: vec![keys.signing_key(Role::TufTimestamp, 0)],
    }
}

/// The published trust material and the repository that signs it.
pub struct Trust {
    files: Mutex<Files>,
    expiry: Expiry,
    repo: Mutex<Repository>,
    dir: PathBuf,
    /// Every `timestamp.json` published since the stack started, oldest first (for the
    /// rolled-back timestamp fault).
    timestamps: Mutex<Vec<Vec<u8>>>,
}

/// The published files and what they were built from.
#[derive(Debug, Clone)]
struct Files {
    inputs: TrustInputs,
    trusted_root: String,
    signing_config: String,
    legacy: Vec<LegacyTarget>,
}

impl Files {
    fn new(inputs: TrustInputs) -> Self {
        Self {
            trusted_root: inputs.trusted_root_json(),
            signing_config: inputs.signing_config_json(),
            legacy: inputs.legacy_targets(),
            inputs,
        }
    }

    fn targets(&self) -> Vec<(&str, &[u8])> {
        [
            (TRUSTED_ROOT, self.trusted_root.as_bytes()),
            (SIGNING_CONFIG, self.signing_config.as_bytes()),
        ]
        .into_iter()
        .chain(
            self.legacy
                .iter()
                .map(|t| (t.name.as_str(), t.bytes.as_slice())),
        )
        .collect()
    }

    fn custom(&self) -> Custom {
        self.legacy
            .iter()
            .map(|t| (t.name.clone(), t.custom.clone()))
            .collect()
    }

    /// Publishes these files as `repo`'s new targets.
    fn publish(&self, repo: &mut Repository, now: OffsetDateTime) -> anyhow::Result<()> {
        repo.publish_targets_with_custom(now, &self.targets(), &self.custom())
            .context("publishing the TUF targets")
    }
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Trust {
    /// Builds the files and creates (or continues) the repository in `dir`.
    pub fn open(
        inputs: TrustInputs,
        keys: RoleKeys,
        expiry: Expiry,
        now: OffsetDateTime,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let files = Files::new(inputs);
        let repo = Repository::create_with_custom(
            dir,
            keys,
            expiry,
            now,
            &files.targets(),
            &files.custom(),
        )
        .with_context(|| format!("TUF repository in {}", dir.display()))?;
        let trust = Self {
            files: Mutex::new(files),
            expiry,
            repo: Mutex::new(repo),
            dir: dir.to_path_buf(),
            timestamps: Mutex::new(Vec::new()),
        };
        trust.remember_timestamp()?;
        Ok(trust)
    }

    fn remember_timestamp(&self) -> anyhow::Result<()> {
        let path = self.dir.join("timestamp.json");
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        self.timestamps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(bytes);
        Ok(())
    }

    /// The `timestamp.json` published before the current one, if any.
    pub fn previous_timestamp(&self) -> Option<Vec<u8>> {
        let all = self.timestamps.lock().unwrap_or_else(|e| e.into_inner());
        all.len().checked_sub(2).map(|i| all[i].clone())
    }

    /// A `timestamp.json` like the current one but expired at `at` (served, never written).
    pub fn expired_timestamp(&self, at: OffsetDateTime) -> anyhow::Result<Vec<u8>> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        Ok(repo.expired_timestamp(at)?)
    }

    fn files(&self) -> Files {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What the files were built from.
    pub fn inputs(&self) -> TrustInputs {
        self.files().inputs
    }

    /// `trusted_root.json`, as published.
    pub fn trusted_root_json(&self) -> String {
        self.files().trusted_root
    }

    /// `signing_config.v0.2.json`, as published.
    pub fn signing_config_json(&self) -> String {
        self.files().signing_config
    }

    /// sigstore-python's `--trust-config` file: both of the above in one `ClientTrustConfig`.
    pub fn client_trust_config_json(&self) -> String {
        let f = self.files();
        tuf_repo::client_trust_config_json(&f.trusted_root, &f.signing_config)
    }

    /// Rebuilds the files from `inputs` and publishes them as new targets, snapshot and
    /// timestamp versions.
    pub fn republish(&self, inputs: TrustInputs, now: OffsetDateTime) -> anyhow::Result<()> {
        let files = Files::new(inputs);
        let mut repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        files.publish(&mut repo, now)?;
        drop(repo);
        *self.files.lock().unwrap_or_else(|e| e.into_inner()) = files;
        self.remember_timestamp()
    }

    /// Re-publishes the same targets (new targets, snapshot and timestamp versions and
    /// expiries) when the first of them expires within half a timestamp lifetime of `now`, as
    /// a repository's timestamp service would; returns whether it did.
    pub fn refresh_if_stale(&self, now: OffsetDateTime) -> anyhow::Result<bool> {
        let files = self.files();
        let mut repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        if repo.earliest_expiry() - now > self.expiry.timestamp / 2 {
            return Ok(false);
        }
        files.publish(&mut repo, now)?;
        drop(repo);
        self.remember_timestamp()?;
        Ok(true)
    }

    /// Signs a new `timestamp.json` (next version, new expiry) over the current snapshot, as a
    /// repository's timestamp service does on its schedule; nothing else changes. A client that
    /// fetches it can then be shown the previous one ([`Fault::TufRolledBackTimestamp`]).
    pub fn refresh_timestamp(&self, now: OffsetDateTime) -> anyhow::Result<()> {
        let mut repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        repo.refresh_timestamp(now)
            .context("signing a new TUF timestamp")?;
        drop(repo);
        self.remember_timestamp()
    }

    /// Replaces the root keys with `keys`' (a new root version signed by the old and the new
    /// keys) and publishes new targets, snapshot and timestamp versions.
    pub fn rotate_root(&self, keys: RoleKeys, now: OffsetDateTime) -> anyhow::Result<()> {
        let files = self.files();
        let mut repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        repo.rotate_root_with(now, keys.root, keys.root_key_ids)
            .context("rotating the TUF root")?;
        files.publish(&mut repo, now)?;
        drop(repo);
        self.remember_timestamp()
    }

    /// Current versions of root, targets, snapshot and timestamp.
    pub fn versions(&self) -> [u64; 4] {
        self.repo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .versions()
    }

    /// Writes what clients are pointed at into `dir` (`trusted_root.json`,
    /// `signing_config.v0.2.json`, `trust_config.json`, and the first TUF `root.json`), each
    /// atomically, as they stand now; their paths.
    pub fn write_files(&self, dir: &Path) -> anyhow::Result<TrustFiles> {
        for name in CLIENT_FILES {
            let bytes = self
                .client_file(name)
                .with_context(|| format!("no client file {name}"))?;
            crate::state::write_atomic(&dir.join(name), &bytes)?;
        }
        Ok(TrustFiles::in_dir(dir))
    }

    /// The client file named `name` (one of [`CLIENT_FILES`]), as it stands now.
    pub fn client_file(&self, name: &str) -> Option<Vec<u8>> {
        Some(match name {
            TRUSTED_ROOT => self.trusted_root_json().into_bytes(),
            SIGNING_CONFIG => self.signing_config_json().into_bytes(),
            CLIENT_TRUST_CONFIG => self.client_trust_config_json().into_bytes(),
            BOOTSTRAP_ROOT => self.bootstrap_root_json(),
            _ => return None,
        })
    }

    /// The first `root.json` (version 1): what a TUF client is bootstrapped with.
    pub fn bootstrap_root_json(&self) -> Vec<u8> {
        self.repo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .root_json()
    }

    /// The newest root.
    pub fn latest_root_json(&self) -> Vec<u8> {
        self.repo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .latest_root_json()
            .to_vec()
    }

    /// The repository directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Where [`Trust::write_files`] put the files clients are pointed at, as the ready object
/// lists them.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct TrustFiles {
    /// `trusted_root.json`.
    pub trusted_root: PathBuf,
    /// `signing_config.v0.2.json`.
    pub signing_config: PathBuf,
    /// The ClientTrustConfig holding both (sigstore-python's `--trust-config`).
    pub trust_config: PathBuf,
    /// The TUF repository's first `root.json`, to bootstrap a TUF client with.
    pub tuf_root: PathBuf,
}

impl TrustFiles {
    /// Their paths in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            trusted_root: dir.join(TRUSTED_ROOT),
            signing_config: dir.join(SIGNING_CONFIG),
            trust_config: dir.join(CLIENT_TRUST_CONFIG),
            tuf_root: dir.join(BOOTSTRAP_ROOT),
        }
    }
}

/// The TUF repository's first root, as `/trust/` and the trust files name it.
pub const BOOTSTRAP_ROOT: &str = "root.json";
/// The files clients are pointed at: what `/trust/` serves and [`Trust::write_files`] writes.
pub const CLIENT_FILES: [&str; 4] = [
    TRUSTED_ROOT,
    SIGNING_CONFIG,
    CLIENT_TRUST_CONFIG,
    BOOTSTRAP_ROOT,
];

/// `/tuf/...`: the repository directory as static files; `/trust/...`: the same material
/// unwrapped, for clients configured with files rather than TUF (`sigbox export` reads these).
pub fn routes(trust: Arc<Trust>, faults: Arc<Faults>) -> Router {
    let files = ServeDir::new(trust.dir());
    Router::new()
        .route("/trust/{file}", get(trust_file))
        .with_state(trust.clone())
        .route(
            "/tuf/timestamp.json",
            get(move || timestamp(trust.clone(), faults.clone())),
        )
        .nest_service("/tuf", files)
        .layer(axum::middleware::from_fn(refuse_long_names))
}

/// A file name over 255 bytes cannot be on the disk (the file system refuses to look it up,
/// which the file service would answer as a 500): no such file.
async fn refuse_long_names(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    const NAME_MAX: usize = 255;
    let path = request.uri().path();
    if path.split('/').any(|name| name.len() > NAME_MAX) {
        let message = format!("no such file: a name in {path:.80}... is over {NAME_MAX} bytes");
        return ApiError::not_found(message).into_response();
    }
    next.run(request).await
}

/// `timestamp.json`, or what an armed TUF fault serves instead.
async fn timestamp(trust: Arc<Trust>, faults: Arc<Faults>) -> Response {
    let json = |body: Vec<u8>| ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(old) = trust.previous_timestamp()
        && faults.take(Fault::TufRolledBackTimestamp)
    {
        return json(old);
    }
    if faults.take(Fault::TufExpiredTimestamp) {
        // Long expired for any client, whatever the stack's clock says (tests skew it).
        return match trust.expired_timestamp(OffsetDateTime::UNIX_EPOCH + time::Duration::days(1)) {
            Ok(bytes) => json(bytes),
            Err(e) => ApiError::internal(format!("{e:#}")).into_response(),
        };
    }
    match std::fs::read(trust.dir().join("timestamp.json")) {
        Ok(bytes) => json(bytes),
        Err(e) => ApiError::internal(format!("reading timestamp.json: {e}")).into_response(),
    }
}

async fn trust_file(State(trust): State<Arc<Trust>>, AxPath(file): AxPath<String>) -> Response {
    match trust.client_file(&file) {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "no {file:?} here: /trust/ serves {}",
                CLIENT_FILES.join(", ")
            ),
        )
        .into_response(),
    }
}
