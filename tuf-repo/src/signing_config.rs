//! `signing_config.v0.2.json` (protobuf-specs `SigningConfig`,
//! `application/vnd.dev.sigstore.signingconfig.v0.2+json`) and the `ClientTrustConfig` that
//! sigstore-python's `--trust-config` reads
//! (`application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`: `trustedRoot` + `signingConfig`).

use serde::Serialize;

use crate::wire::{TimeRangeJson, Validity, pretty};

/// The media type of the signing config this module writes.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// The media type of the client trust config.
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SigningConfigJson<'a> {
    media_type: &'static str,
    ca_urls: Vec<ServiceJson<'a>>,
    oidc_urls: Vec<ServiceJson<'a>>,
    rekor_tlog_urls: Vec<ServiceJson<'a>>,
    rekor_tlog_config: SelectorJson,
    tsa_urls: Vec<ServiceJson<'a>>,
    tsa_config: SelectorJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceJson<'a> {
    url: &'a str,
    major_api_version: u32,
    valid_for: TimeRangeJson,
    operator: &'a str,
}

#[derive(Serialize)]
struct SelectorJson {
    selector: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u32>,
}

impl From<Selector> for SelectorJson {
    fn from(s: Selector) -> Self {
        match s {
            Selector::All => Self {
                selector: "ALL",
                count: None,
            },
            Selector::Any => Self {
                selector: "ANY",
                count: None,
            },
            Selector::Exact(n) => Self {
                selector: "EXACT",
                count: Some(n),
            },
        }
    }
}

fn services(list: &[Service]) -> Vec<ServiceJson<'_>> {
    list.iter()
        .map(|s| ServiceJson {
            url: &s.url,
            major_api_version: s.major_api_version,
            valid_for: (&s.valid_for).into(),
            operator: &s.operator,
        })
        .collect()
}

/// `signing_config.v0.2.json`: pretty JSON in `.proto` field order with a trailing newline.
pub fn signing_config_json(input: &SigningConfigInput) -> String {
    pretty(&SigningConfigJson {
        media_type: SIGNING_CONFIG_MEDIA_TYPE,
        ca_urls: services(&input.ca_urls),
        oidc_urls: services(&input.oidc_urls),
        rekor_tlog_urls: services(&input.rekor_tlog_urls),
        rekor_tlog_config: input.rekor_selector.into(),
        tsa_urls: services(&input.tsa_urls),
        tsa_config: input.tsa_selector.into(),
    })
}

/// A `ClientTrustConfig` holding the two documents as they are (their bytes are embedded, only
/// re-indented), for `python -m sigstore --trust-config FILE`. Both arguments must be JSON
/// objects, e.g. the output of [`crate::trusted_root_json`] and [`signing_config_json`].
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
