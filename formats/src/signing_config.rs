//! `signing_config.v0.2.json` (protobuf-specs `dev.sigstore.trustroot.v1.SigningConfig`,
//! `application/vnd.dev.sigstore.signingconfig.v0.2+json`): which Fulcio, OIDC issuer, Rekor
//! and TSA to use, with their API versions and validity, and how many logs and TSAs to use.
//!
//! Encoding: fields in `.proto` order, every list written (empty or not), a selector only when
//! there is one. Parsing: the media type must be v0.2; each service needs a `url` and a
//! `validFor` with a start (protobuf-specs: REQUIRED); `majorApiVersion` absent is 0, as
//! protobuf JSON leaves a zero out; `operator` absent is `""`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::encoding::{int64, pretty};
use crate::error::FormatError;
use crate::trusted_root::{RawRange, TimeRange, time_range};

/// The media type of a v0.2 signing config, the only one read and written.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// `Service`: one endpoint. Clients pick, per operator, the highest `majorApiVersion` they
/// support among the services valid now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// The service's URL.
    pub url: String,
    /// Fulcio 1, OIDC 1, Rekor 1 or 2, TSA 1.
    pub major_api_version: u32,
    /// When it is to be used.
    pub valid_for: TimeRange,
    /// Who runs it.
    pub operator: String,
}

/// `ServiceSelector`: how many of the valid services a client uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ServiceSelector {
    /// Every valid service.
    #[serde(rename = "ALL")]
    All,
    /// One of them.
    #[serde(rename = "ANY")]
    Any,
    /// Exactly `count` of them.
    #[serde(rename = "EXACT")]
    Exact,
}

/// `ServiceConfiguration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceConfiguration {
    /// How many to use.
    pub selector: ServiceSelector,
    /// With `EXACT`: how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// A signing config v0.2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningConfig {
    /// [`MEDIA_TYPE`].
    pub media_type: String,
    /// Fulcio instances.
    pub ca_urls: Vec<Service>,
    /// OIDC issuers.
    pub oidc_urls: Vec<Service>,
    /// Rekor v1 and v2 logs.
    pub rekor_tlog_urls: Vec<Service>,
    /// How many logs to sign to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rekor_tlog_config: Option<ServiceConfiguration>,
    /// Timestamp authorities.
    pub tsa_urls: Vec<Service>,
    /// How many TSAs to ask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsa_config: Option<ServiceConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawConfig {
    media_type: Option<String>,
    ca_urls: Option<Vec<RawService>>,
    oidc_urls: Option<Vec<RawService>>,
    rekor_tlog_urls: Option<Vec<RawService>>,
    rekor_tlog_config: Option<RawSelector>,
    tsa_urls: Option<Vec<RawService>>,
    tsa_config: Option<RawSelector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawService {
    url: Option<String>,
    major_api_version: Option<Value>,
    valid_for: Option<RawRange>,
    operator: Option<String>,
}

#[derive(Deserialize)]
struct RawSelector {
    selector: Option<String>,
    count: Option<Value>,
}

/// A protobuf `uint32`: a JSON number or a decimal string.
fn uint32(field: &str, v: &Value) -> Result<u32, FormatError> {
    let n = int64(field, v)?;
    u32::try_from(n).map_err(|_| FormatError::Integer {
        field: field.to_owned(),
        value: n.to_string(),
    })
}

fn services(kind: &str, list: Option<&Vec<RawService>>) -> Result<Vec<Service>, FormatError> {
    list.into_iter()
        .flatten()
        .enumerate()
        .map(|(i, s)| {
            let what = format!("signing config {kind}[{i}]");
            Ok(Service {
                url: s
                    .url
                    .clone()
                    .ok_or_else(|| FormatError::missing(&what, "url"))?,
                major_api_version: s
                    .major_api_version
                    .as_ref()
                    .map(|v| uint32(&format!("{what} majorApiVersion"), v))
                    .transpose()?
                    .unwrap_or(0),
                valid_for: time_range(&what, s.valid_for.as_ref())?,
                operator: s.operator.clone().unwrap_or_default(),
            })
        })
        .collect()
}

fn selector(
    kind: &str,
    raw: Option<&RawSelector>,
) -> Result<Option<ServiceConfiguration>, FormatError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let what = format!("signing config {kind}");
    let selector = match raw.selector.as_deref() {
        Some("ALL") => ServiceSelector::All,
        Some("ANY") => ServiceSelector::Any,
        Some("EXACT") => ServiceSelector::Exact,
        Some(other) => {
            return Err(FormatError::Unsupported {
                field: format!("{what} selector"),
                value: other.to_owned(),
            });
        }
        None => return Err(FormatError::missing(what, "selector")),
    };
    let count = raw
        .count
        .as_ref()
        .map(|c| uint32(&format!("{what} count"), c))
        .transpose()?;
    Ok(Some(ServiceConfiguration { selector, count }))
}

impl SigningConfig {
    /// Parses a signing config v0.2, strictly (see the module's doc).
    pub fn parse(json: &[u8]) -> Result<Self, FormatError> {
        let raw: RawConfig = serde_json::from_slice(json).map_err(|source| FormatError::Json {
            doc: "signing config",
            source,
        })?;
        Self::from_raw(raw)
    }

    pub(crate) fn from_raw(raw: RawConfig) -> Result<Self, FormatError> {
        match raw.media_type.as_deref() {
            Some(MEDIA_TYPE) => {}
            Some(other) => {
                return Err(FormatError::MediaType {
                    doc: "signing config",
                    value: other.to_owned(),
                });
            }
            None => return Err(FormatError::missing("signing config", "mediaType")),
        }
        Ok(Self {
            media_type: MEDIA_TYPE.to_owned(),
            ca_urls: services("caUrls", raw.ca_urls.as_ref())?,
            oidc_urls: services("oidcUrls", raw.oidc_urls.as_ref())?,
            rekor_tlog_urls: services("rekorTlogUrls", raw.rekor_tlog_urls.as_ref())?,
            rekor_tlog_config: selector("rekorTlogConfig", raw.rekor_tlog_config.as_ref())?,
            tsa_urls: services("tsaUrls", raw.tsa_urls.as_ref())?,
            tsa_config: selector("tsaConfig", raw.tsa_config.as_ref())?,
        })
    }

    /// Pretty JSON in `.proto` field order with a trailing newline, as
    /// `signing_config.v0.2.json` is published.
    pub fn encode(&self) -> String {
        pretty(self)
    }
}
