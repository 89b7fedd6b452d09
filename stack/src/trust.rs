//! The stack's trust material, published: `trusted_root.json`, `signing_config.v0.2.json`, the
//! sigstore-python trust config, and the TUF repository that serves the first two.
//!
//! Built from public material only (certificate chains and log keys), by `tuf-repo`; this module
//! decides what goes in (which generations, which URLs, which validity) and where it is written.

use std::path::{Path, PathBuf};

use anyhow::Context;
use time::OffsetDateTime;
use tuf_repo::{
    CertificateAuthority, Expiry, Repository, RoleKeys, Selector, Service, SigningConfigInput,
    TransparencyLog, TrustedRootInput, Validity,
};

use crate::keys::{KeyRing, Role};
use crate::state::write_atomic;

/// The TUF targets: the names sigstore clients ask for.
pub const TRUSTED_ROOT: &str = "trusted_root.json";
/// See [`TRUSTED_ROOT`].
pub const SIGNING_CONFIG: &str = "signing_config.v0.2.json";

/// One generation of public material of every service.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Fulcio's chain, issuing CA first, root last.
    pub fulcio_chain: Vec<Vec<u8>>,
    /// The CT log's DER SubjectPublicKeyInfo.
    pub ctlog_key: Vec<u8>,
    /// The Rekor v1 log's DER SubjectPublicKeyInfo.
    pub rekor_key: Vec<u8>,
    /// The TSA chain, signing certificate first, root last.
    pub tsa_chain: Vec<Vec<u8>>,
    /// When this generation's validity starts.
    pub start: OffsetDateTime,
}

/// Where the published files are.
#[derive(Debug, Clone)]
pub struct Published {
    /// `DIR/trusted_root.json`.
    pub trusted_root: PathBuf,
    /// `DIR/signing_config.v0.2.json`.
    pub signing_config: PathBuf,
    /// `DIR/trust_config.json` (sigstore-python `--trust-config`).
    pub trust_config: PathBuf,
    /// `DIR/tuf/1.root.json`, the root a TUF client starts from.
    pub tuf_root: PathBuf,
    /// `DIR/tuf`, served under `/tuf/`.
    pub tuf_dir: PathBuf,
}

fn trusted_root_input(url: &str, generations: &[Generation]) -> TrustedRootInput {
    let validity = |i: usize| Validity {
        start: generations[i].start,
        end: generations.get(i + 1).map(|next| next.start),
    };
    let log = |key: &[u8], i: usize| TransparencyLog {
        base_url: url.to_owned(),
        hash_algorithm: "SHA2_256",
        public_key_der: key.to_vec(),
        key_details: "PKIX_ECDSA_P256_SHA_256",
        valid_for: validity(i),
        checkpoint_key_id: None,
    };
    let ca = |chain: &[Vec<u8>], i: usize, cn: &str| CertificateAuthority {
        uri: url.to_owned(),
        subject_organization: "sigbox (testing only)".to_owned(),
        subject_common_name: cn.to_owned(),
        chain_der: chain.to_vec(),
        valid_for: validity(i),
    };
    let mut input = TrustedRootInput {
        certificate_authorities: vec![],
        tlogs: vec![],
        ctlogs: vec![],
        timestamp_authorities: vec![],
    };
    for (i, g) in generations.iter().enumerate() {
        input
            .certificate_authorities
            .push(ca(&g.fulcio_chain, i, "sigbox TEST Fulcio"));
        input.tlogs.push(log(&g.rekor_key, i));
        input.ctlogs.push(log(&g.ctlog_key, i));
        input
            .timestamp_authorities
            .push(ca(&g.tsa_chain, i, "sigbox TEST timestamp authority"));
    }
    input
}

fn signing_config_input(url: &str, since: OffsetDateTime) -> SigningConfigInput {
    let service = |major_api_version| Service {
        url: url.to_owned(),
        major_api_version,
        valid_for: Validity {
            start: since,
            end: None,
        },
        operator: "sigbox (testing only)".to_owned(),
    };
    SigningConfigInput {
        ca_urls: vec![service(1)],
        oidc_urls: vec![service(1)],
        rekor_tlog_urls: vec![service(1)],
        tsa_urls: vec![Service {
            url: format!("{url}/api/v1/timestamp"),
            ..service(1)
        }],
        rekor_selector: Selector::Any,
        tsa_selector: Selector::Any,
    }
}

/// The TUF role keys of `generation` (one key per role).
pub fn role_keys(keys: &KeyRing, generation: u32) -> RoleKeys {
    RoleKeys {
        root: vec![keys.signing_key(Role::TufRoot, generation)],
        targets: vec![keys.signing_key(Role::TufTargets, generation)],
        snapshot: vec![keys.signing_key(Role::TufSnapshot, generation)],
        timestamp: vec![keys.signing_key(Role::TufTimestamp, generation)],
    }
}

/// Writes every trust file into `dir` and publishes them through the TUF repository in
/// `dir/tuf` (a new targets version only when their bytes changed).
pub fn publish(
    dir: &Path,
    url: &str,
    keys: &KeyRing,
    generations: &[Generation],
    expiry: Expiry,
    now: OffsetDateTime,
) -> anyhow::Result<Published> {
    let since = generations
        .first()
        .context("publishing trust material needs at least one generation")?
        .start;
    let trusted_root = tuf_repo::trusted_root_json(&trusted_root_input(url, generations));
    let signing_config = tuf_repo::signing_config_json(&signing_config_input(url, since));
    let trust_config = tuf_repo::client_trust_config_json(&trusted_root, &signing_config);
    let published = Published {
        trusted_root: dir.join(TRUSTED_ROOT),
        signing_config: dir.join(SIGNING_CONFIG),
        trust_config: dir.join("trust_config.json"),
        tuf_root: dir.join("tuf").join("1.root.json"),
        tuf_dir: dir.join("tuf"),
    };
    write_atomic(&published.trusted_root, trusted_root.as_bytes())?;
    write_atomic(&published.signing_config, signing_config.as_bytes())?;
    write_atomic(&published.trust_config, trust_config.as_bytes())?;
    let targets: [(&str, &[u8]); 2] = [
        (TRUSTED_ROOT, trusted_root.as_bytes()),
        (SIGNING_CONFIG, signing_config.as_bytes()),
    ];
    Repository::create(
        &published.tuf_dir,
        role_keys(keys, 0),
        expiry,
        now,
        &targets,
    )
    .context("publishing the TUF repository")?;
    Ok(published)
}
