//! `trusted_root.json` (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`): the CAs, logs
//! and TSAs a verifier trusts, each with its validity period; and the `sigstore_common.proto`
//! messages the other formats share (`TimeRange`, `LogId`, `X509Certificate`, ...).
//!
//! Encoding: fields in `.proto` order (as sigstore_models, which sigstore-python 4.5 reads with
//! `extra="forbid"`, declares them); a log's validity lives in `publicKey.validFor`, a CA's in
//! `validFor`. Every list is written, empty or not.
//!
//! Parsing is as strict as the sigbox verifier: every log needs a key, a log ID and a
//! `validFor` with a start; every authority a non-empty chain and a `validFor` with a start;
//! a log's hash algorithm, when given, is SHA2_256. Unknown fields are ignored (newer
//! protobuf-specs add some, e.g. `operator`), and so they do not survive a round trip.

use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

use crate::encoding::{format_rfc3339, parse_rfc3339, pretty, ser_b64, unb64};
use crate::error::FormatError;

/// The media type this crate writes; any `application/vnd.dev.sigstore.trustedroot…` is read.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.trustedroot";

/// A `google.protobuf.Timestamp`, written as RFC 3339 in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// `t`, kept in UTC.
    pub fn new(t: OffsetDateTime) -> Self {
        Self(t.to_offset(time::UtcOffset::UTC))
    }

    /// The time.
    pub fn time(self) -> OffsetDateTime {
        self.0
    }

    /// Seconds since 1970-01-01T00:00:00Z (the floor, for times before it).
    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Parses an RFC 3339 `date-time` (any offset).
    pub fn parse_rfc3339(field: &str, s: &str) -> Result<Self, FormatError> {
        parse_rfc3339(s)
            .map(Self)
            .map_err(|reason| FormatError::Time {
                field: field.to_owned(),
                value: s.to_owned(),
                reason,
            })
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_rfc3339(self.0))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `TimeRange`: from `start`, until `end` if there is one (both inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    /// When it became valid.
    pub start: Timestamp,
    /// When it stopped being valid; `None` while it is current.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

/// `LogId`: a log's ID, SHA-256 of its DER public key for RFC 6962 logs and Rekor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// The ID's bytes.
    #[serde(serialize_with = "ser_b64")]
    pub key_id: Vec<u8>,
}

/// `X509Certificate`: one DER certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct X509Certificate {
    /// The DER bytes.
    #[serde(serialize_with = "ser_b64")]
    pub raw_bytes: Vec<u8>,
}

/// `X509CertificateChain`: leaf-most first, the root last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct X509CertificateChain {
    /// The certificates.
    pub certificates: Vec<X509Certificate>,
}

/// `PublicKey`: a log's key and when it is valid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    /// DER SubjectPublicKeyInfo (or a PKCS#1 RSAPublicKey, per `key_details`).
    #[serde(serialize_with = "ser_b64")]
    pub raw_bytes: Vec<u8>,
    /// `PublicKeyDetails`, e.g. `PKIX_ECDSA_P256_SHA_256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_details: Option<String>,
    /// When the key is valid.
    pub valid_for: TimeRange,
}

/// `TransparencyLogInstance`: a Rekor or CT log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogInstance {
    /// The log's URL (`""` when absent).
    pub base_url: String,
    /// The Merkle tree's hash, `SHA2_256` when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_algorithm: Option<String>,
    /// The log's key.
    pub public_key: PublicKey,
    /// The log's ID.
    pub log_id: LogId,
    /// The key ID its checkpoints carry, when not the log ID's first bytes (Rekor v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_key_id: Option<LogId>,
}

/// `DistinguishedName`: a CA's subject, for people; verifiers do not read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DistinguishedName {
    /// `O`.
    pub organization: String,
    /// `CN`.
    pub common_name: String,
}

/// `CertificateAuthority`: a Fulcio or TSA generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAuthority {
    /// The chain root's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<DistinguishedName>,
    /// Where it answers (`""` when absent).
    pub uri: String,
    /// Its chain: never empty.
    pub cert_chain: X509CertificateChain,
    /// When it is valid.
    pub valid_for: TimeRange,
}

/// A Sigstore trusted root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRoot {
    /// `application/vnd.dev.sigstore.trustedroot…`.
    pub media_type: String,
    /// Rekor logs.
    pub tlogs: Vec<TransparencyLogInstance>,
    /// Fulcio generations.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// CT logs.
    pub ctlogs: Vec<TransparencyLogInstance>,
    /// Timestamp authorities.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawRoot {
    media_type: Option<String>,
    tlogs: Option<Vec<RawLog>>,
    certificate_authorities: Option<Vec<RawAuthority>>,
    ctlogs: Option<Vec<RawLog>>,
    timestamp_authorities: Option<Vec<RawAuthority>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    base_url: Option<String>,
    hash_algorithm: Option<String>,
    public_key: Option<RawPublicKey>,
    log_id: Option<RawLogId>,
    checkpoint_key_id: Option<RawLogId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawLogId {
    pub(crate) key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPublicKey {
    raw_bytes: Option<String>,
    key_details: Option<String>,
    valid_for: Option<RawRange>,
}

#[derive(Deserialize)]
pub(crate) struct RawRange {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    subject: Option<RawSubject>,
    uri: Option<String>,
    cert_chain: Option<RawChain>,
    valid_for: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSubject {
    organization: Option<String>,
    common_name: Option<String>,
}

#[derive(Deserialize)]
struct RawChain {
    certificates: Option<Vec<RawCertificate>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCertificate {
    raw_bytes: Option<String>,
}

/// A `validFor` that must be there and have a start; `what` names its owner.
pub(crate) fn time_range(what: &str, range: Option<&RawRange>) -> Result<TimeRange, FormatError> {
    let range = range.ok_or_else(|| FormatError::missing(what, "validFor"))?;
    let start = range
        .start
        .as_deref()
        .ok_or_else(|| FormatError::missing(format!("{what} validFor"), "start"))?;
    let start = Timestamp::parse_rfc3339(&format!("{what} validFor.start"), start)?;
    let end = range
        .end
        .as_deref()
        .map(|e| Timestamp::parse_rfc3339(&format!("{what} validFor.end"), e))
        .transpose()?;
    if end.is_some_and(|end| end < start) {
        return Err(FormatError::rule(
            format!("{what} validFor"),
            "ends before it starts",
        ));
    }
    Ok(TimeRange { start, end })
}

fn log(kind: &str, i: usize, raw: &RawLog) -> Result<TransparencyLogInstance, FormatError> {
    let what = format!("trusted root {kind}[{i}]");
    if let Some(h) = raw.hash_algorithm.as_deref()
        && h != "SHA2_256"
    {
        return Err(FormatError::Unsupported {
            field: format!("{what} hashAlgorithm"),
            value: h.to_owned(),
        });
    }
    let pk = raw
        .public_key
        .as_ref()
        .ok_or_else(|| FormatError::missing(&what, "publicKey"))?;
    let raw_bytes = pk
        .raw_bytes
        .as_deref()
        .ok_or_else(|| FormatError::missing(format!("{what} publicKey"), "rawBytes"))?;
    let raw_bytes = unb64(&format!("{what} publicKey.rawBytes"), raw_bytes)?;
    let valid_for = time_range(&what, pk.valid_for.as_ref())?;
    let log_id = raw
        .log_id
        .as_ref()
        .and_then(|l| l.key_id.as_deref())
        .ok_or_else(|| FormatError::missing(&what, "logId"))?;
    let log_id = unb64(&format!("{what} logId"), log_id)?;
    let checkpoint_key_id = raw
        .checkpoint_key_id
        .as_ref()
        .and_then(|l| l.key_id.as_deref())
        .map(|k| unb64(&format!("{what} checkpointKeyId"), k))
        .transpose()?;
    Ok(TransparencyLogInstance {
        base_url: raw.base_url.clone().unwrap_or_default(),
        hash_algorithm: raw.hash_algorithm.clone(),
        public_key: PublicKey {
            raw_bytes,
            key_details: pk.key_details.clone(),
            valid_for,
        },
        log_id: LogId { key_id: log_id },
        checkpoint_key_id: checkpoint_key_id.map(|key_id| LogId { key_id }),
    })
}

fn authority(
    kind: &str,
    i: usize,
    raw: &RawAuthority,
) -> Result<CertificateAuthority, FormatError> {
    let what = format!("trusted root {kind}[{i}]");
    let certs = raw
        .cert_chain
        .as_ref()
        .and_then(|c| c.certificates.as_ref())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| FormatError::missing(&what, "certificates"))?;
    let certificates = certs
        .iter()
        .enumerate()
        .map(|(j, c)| {
            // An absent `rawBytes` is empty bytes, which no certificate parser accepts.
            unb64(
                &format!("{what} certificate {j}"),
                c.raw_bytes.as_deref().unwrap_or_default(),
            )
            .map(|raw_bytes| X509Certificate { raw_bytes })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CertificateAuthority {
        subject: raw.subject.as_ref().map(|s| DistinguishedName {
            organization: s.organization.clone().unwrap_or_default(),
            common_name: s.common_name.clone().unwrap_or_default(),
        }),
        uri: raw.uri.clone().unwrap_or_default(),
        cert_chain: X509CertificateChain { certificates },
        valid_for: time_range(&what, raw.valid_for.as_ref())?,
    })
}

impl TrustedRoot {
    /// Parses a trusted root, strictly (see the module's doc).
    pub fn parse(json: &[u8]) -> Result<Self, FormatError> {
        let raw: RawRoot = serde_json::from_slice(json).map_err(|source| FormatError::Json {
            doc: "trusted root",
            source,
        })?;
        Self::from_raw(raw)
    }

    pub(crate) fn from_raw(raw: RawRoot) -> Result<Self, FormatError> {
        let media_type = match raw.media_type {
            Some(m) if m.starts_with(MEDIA_TYPE_PREFIX) => m,
            Some(m) => {
                return Err(FormatError::MediaType {
                    doc: "trusted root",
                    value: m,
                });
            }
            None => return Err(FormatError::missing("trusted root", "mediaType")),
        };
        let logs = |kind: &str, v: &Option<Vec<RawLog>>| -> Result<Vec<_>, FormatError> {
            v.iter()
                .flatten()
                .enumerate()
                .map(|(i, l)| log(kind, i, l))
                .collect()
        };
        let auths = |kind: &str, v: &Option<Vec<RawAuthority>>| -> Result<Vec<_>, FormatError> {
            v.iter()
                .flatten()
                .enumerate()
                .map(|(i, a)| authority(kind, i, a))
                .collect()
        };
        Ok(Self {
            media_type,
            tlogs: logs("tlogs", &raw.tlogs)?,
            certificate_authorities: auths("certificateAuthorities", &raw.certificate_authorities)?,
            ctlogs: logs("ctlogs", &raw.ctlogs)?,
            timestamp_authorities: auths("timestampAuthorities", &raw.timestamp_authorities)?,
        })
    }

    /// Pretty JSON in `.proto` field order with a trailing newline, as `trusted_root.json` is
    /// published.
    pub fn encode(&self) -> String {
        pretty(self)
    }
}
