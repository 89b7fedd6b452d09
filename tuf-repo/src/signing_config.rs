//! `signing_config.v0.2.json` (protobuf-specs `SigningConfig`,
//! `application/vnd.dev.sigstore.signingconfig.v0.2+json`) and the `ClientTrustConfig` that
//! sigstore-python's `--trust-config` reads
//! (`application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`: `trustedRoot` + `signingConfig`).

use formats::signing_config::{ServiceConfiguration, ServiceSelector, SigningConfig};
use formats::trust_config::ClientTrustConfig;
use formats::trusted_root::TrustedRoot;

use crate::wire::Validity;

/// The media type of the signing config this module writes.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = formats::signing_config::MEDIA_TYPE;
/// The media type of the client trust config.
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str = formats::trust_config::MEDIA_TYPE;

/// One service endpoint (`Service`): clients pick, per operator, the highest `majorApiVersion`
/// they support among the services valid now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// The service's URL.
    pub url: String,
    /// `majorApiVersion`: Fulcio 1, OIDC 1, Rekor 1 or 2, TSA 1.
    pub major_api_version: u32,
    /// When the service is (or was) to be used.
    pub valid_for: Validity,
    /// Who runs it; clients use one service per operator.
    pub operator: String,
}

/// `ServiceConfiguration.selector`: how many of the valid services a client uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `ALL`: every valid service.
    All,
    /// `ANY`: one of them.
    Any,
    /// `EXACT` with `count`: exactly that many (a client fails if fewer are valid).
    Exact(u32),
}

/// Everything `signing_config.v0.2.json` lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningConfigInput {
    /// Fulcio (`caUrls`).
    pub ca_urls: Vec<Service>,
    /// OIDC issuers (`oidcUrls`).
    pub oidc_urls: Vec<Service>,
    /// Rekor v1 and/or v2 (`rekorTlogUrls`).
    pub rekor_tlog_urls: Vec<Service>,
    /// Timestamp authorities (`tsaUrls`).
    pub tsa_urls: Vec<Service>,
    /// `rekorTlogConfig`.
    pub rekor_selector: Selector,
    /// `tsaConfig`.
    pub tsa_selector: Selector,
}

impl From<Selector> for ServiceConfiguration {
    fn from(s: Selector) -> Self {
        let (selector, count) = match s {
            Selector::All => (ServiceSelector::All, None),
            Selector::Any => (ServiceSelector::Any, None),
            Selector::Exact(n) => (ServiceSelector::Exact, Some(n)),
        };
        Self { selector, count }
    }
}

fn services(list: &[Service]) -> Vec<formats::signing_config::Service> {
    list.iter()
        .map(|s| formats::signing_config::Service {
            url: s.url.clone(),
            major_api_version: s.major_api_version,
            valid_for: s.valid_for.time_range(),
            operator: s.operator.clone(),
        })
        .collect()
}

impl SigningConfigInput {
    /// The signing config these services make, as the client reads it back.
    pub fn signing_config(&self) -> SigningConfig {
        SigningConfig {
            media_type: SIGNING_CONFIG_MEDIA_TYPE.to_owned(),
            ca_urls: services(&self.ca_urls),
            oidc_urls: services(&self.oidc_urls),
            rekor_tlog_urls: services(&self.rekor_tlog_urls),
            rekor_tlog_config: Some(self.rekor_selector.into()),
            tsa_urls: services(&self.tsa_urls),
            tsa_config: Some(self.tsa_selector.into()),
        }
    }
}

/// `signing_config.v0.2.json`: pretty JSON in `.proto` field order with a trailing newline.
pub fn signing_config_json(input: &SigningConfigInput) -> String {
    input.signing_config().encode()
}

/// The `ClientTrustConfig` of a trusted root and a signing config.
pub fn client_trust_config(trusted_root: TrustedRoot, signing_config: SigningConfig) -> String {
    ClientTrustConfig::new(trusted_root, signing_config).encode()
}

/// A `ClientTrustConfig` holding the two documents as they are (their bytes are embedded, only
/// re-indented), for `python -m sigstore --trust-config FILE`. Both arguments must be JSON
/// objects, e.g. the output of [`crate::trusted_root_json`] and [`signing_config_json`]; then
/// the bytes are [`client_trust_config`]'s (a test checks it). This takes the published text,
/// not the typed values, so that what is served is exactly the two files served beside it.
pub fn client_trust_config_json(trusted_root: &str, signing_config: &str) -> String {
    format!(
        "{{\n  \"mediaType\": \"{CLIENT_TRUST_CONFIG_MEDIA_TYPE}\",\n  \"trustedRoot\": {},\n  \"signingConfig\": {}\n}}\n",
        indent(trusted_root),
        indent(signing_config)
    )
}

/// Re-indents a pretty JSON document by two spaces so it nests one level down. Only whitespace
/// between lines changes, so string values (which never contain a raw newline) are untouched.
fn indent(doc: &str) -> String {
    doc.trim().lines().collect::<Vec<_>>().join("\n  ")
}
