//! The protobuf-specs `TrustedRoot` (JSON): certificate authorities, transparency logs, CT logs
//! and timestamp authorities, each with its validity period.

use serde::Deserialize;

use crate::cert::Cert;
use crate::error::{Result, VerifyError, bail, ensure};
use crate::keys::PublicKey;
use crate::wire::{b64, parse_rfc3339};

const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.trustedroot";

/// A closed time interval `[start, end]` in Unix seconds; `end` may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validity {
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
}

impl Validity {
    pub(crate) fn contains(&self, t: i64) -> bool {
        self.start <= t && self.end.is_none_or(|end| t <= end)
    }
}

/// A transparency log (Rekor) or CT log.
#[derive(Debug, Clone)]
pub(crate) struct LogInstance {
    pub(crate) base_url: String,
    pub(crate) key: PublicKey,
    pub(crate) log_id: Vec<u8>,
    pub(crate) checkpoint_key_id: Option<Vec<u8>>,
    pub(crate) valid_for: Validity,
}

/// A certificate authority (Fulcio) or timestamp authority: a chain, leaf or intermediate
/// first, root last.
#[derive(Debug, Clone)]
pub(crate) struct Authority {
    pub(crate) uri: String,
    pub(crate) chain: Vec<Cert>,
    pub(crate) valid_for: Validity,
}

/// A Sigstore trusted root.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub(crate) tlogs: Vec<LogInstance>,
    pub(crate) ctlogs: Vec<LogInstance>,
    pub(crate) cas: Vec<Authority>,
    pub(crate) tsas: Vec<Authority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Option<Vec<RawLog>>,
    #[serde(default)]
    certificate_authorities: Option<Vec<RawAuthority>>,
    #[serde(default)]
    ctlogs: Option<Vec<RawLog>>,
    #[serde(default)]
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
struct RawRange {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    uri: Option<String>,
    cert_chain: Option<RawChain>,
    valid_for: Option<RawRange>,
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

fn validity(what: &str, range: Option<&RawRange>) -> Result<Validity> {
    let range = range.ok_or_else(|| VerifyError::new(format!("{what} has no validFor")))?;
    let start = range
        .start
        .as_deref()
        .ok_or_else(|| VerifyError::new(format!("{what} validFor has no start")))?;
    let start = parse_rfc3339(&format!("{what} validFor.start"), start)?;
    let end = range
        .end
        .as_deref()
        .map(|e| parse_rfc3339(&format!("{what} validFor.end"), e))
        .transpose()?;
    if let Some(end) = end {
        ensure!(end >= start, "{what} validFor ends before it starts");
    }
    Ok(Validity { start, end })
}

fn log(kind: &str, i: usize, raw: &RawLog) -> Result<LogInstance> {
    let what = format!("trusted root {kind}[{i}]");
    if let Some(h) = raw.hash_algorithm.as_deref() {
        ensure!(
            h == "SHA2_256",
            "{what} hash algorithm {h} is not supported"
        );
    }
    let pk = raw
        .public_key
        .as_ref()
        .ok_or_else(|| VerifyError::new(format!("{what} has no publicKey")))?;
    let der = b64(
        &format!("{what} publicKey.rawBytes"),
        pk.raw_bytes
            .as_deref()
            .ok_or_else(|| VerifyError::new(format!("{what} publicKey has no rawBytes")))?,
    )?;
    // `PKCS1_*` key details mean the bytes are a PKCS#1 RSAPublicKey, not an SPKI.
    let key = if pk
        .key_details
        .as_deref()
        .is_some_and(|d| d.starts_with("PKCS1_RSA"))
    {
        PublicKey::from_pkcs1_rsa(&der)
    } else {
        PublicKey::from_spki_der(&der)
    }
    .map_err(|e| VerifyError::new(format!("{what}: {e}")))?;
    let valid_for = validity(&what, pk.valid_for.as_ref())?;
    let log_id = raw
        .log_id
        .as_ref()
        .and_then(|l| l.key_id.as_deref())
        .ok_or_else(|| VerifyError::new(format!("{what} has no logId")))?;
    let log_id = b64(&format!("{what} logId"), log_id)?;
    let checkpoint_key_id = raw
        .checkpoint_key_id
        .as_ref()
        .and_then(|l| l.key_id.as_deref())
        .map(|k| b64(&format!("{what} checkpointKeyId"), k))
        .transpose()?;
    Ok(LogInstance {
        base_url: raw.base_url.clone().unwrap_or_default(),
        key,
        log_id,
        checkpoint_key_id,
        valid_for,
    })
}

fn authority(kind: &str, i: usize, raw: &RawAuthority) -> Result<Authority> {
    let what = format!("trusted root {kind}[{i}]");
    let certs = raw
        .cert_chain
        .as_ref()
        .and_then(|c| c.certificates.as_ref())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| VerifyError::new(format!("{what} has no certificates")))?;
    let chain = certs
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let der = b64(
                &format!("{what} certificate {j}"),
                c.raw_bytes.as_deref().unwrap_or_default(),
            )?;
            Cert::from_der(&der).map_err(|e| VerifyError::new(format!("{what}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Authority {
        uri: raw.uri.clone().unwrap_or_default(),
        chain,
        valid_for: validity(&what, raw.valid_for.as_ref())?,
    })
}

/// The public-good instance's trusted root (Fulcio, Rekor v1 and the 2025 v2 shard, its CT logs
/// and TSA), as the sigstore-conformance suite ships it (commit a73de49): what a verifier uses
/// when it is given no trust material, as every Sigstore client does. Offline: refreshing it is
/// a TUF fetch the caller asks for (`--tuf-url`, `--tuf-root`).
pub const PUBLIC_GOOD_TRUSTED_ROOT: &[u8] = include_bytes!("../data/public_good_trusted_root.json");

impl TrustedRoot {
    /// [`PUBLIC_GOOD_TRUSTED_ROOT`], parsed.
    pub fn public_good() -> Self {
        Self::from_json(PUBLIC_GOOD_TRUSTED_ROOT)
            .expect("the embedded public-good trusted root parses (a unit test checks it)")
    }

    /// Parses a trusted root. Strict: every log needs a key, a log ID and a `validFor` with a
    /// start; every authority a non-empty chain and a `validFor` with a start.
    pub fn from_json(json: &[u8]) -> std::result::Result<Self, VerifyError> {
        let raw: RawRoot = serde_json::from_slice(json)
            .map_err(|e| VerifyError::new(format!("trusted root is not valid JSON: {e}")))?;
        match raw.media_type.as_deref() {
            Some(m) if m.starts_with(MEDIA_TYPE_PREFIX) => {}
            Some(m) => bail!("trusted root media type `{m}` is not supported"),
            None => bail!("trusted root has no mediaType"),
        }
        let logs = |kind: &str, v: &Option<Vec<RawLog>>| -> Result<Vec<LogInstance>> {
            v.iter()
                .flatten()
                .enumerate()
                .map(|(i, l)| log(kind, i, l))
                .collect()
        };
        let auths = |kind: &str, v: &Option<Vec<RawAuthority>>| -> Result<Vec<Authority>> {
            v.iter()
                .flatten()
                .enumerate()
                .map(|(i, a)| authority(kind, i, a))
                .collect()
        };
        Ok(Self {
            tlogs: logs("tlogs", &raw.tlogs)?,
            ctlogs: logs("ctlogs", &raw.ctlogs)?,
            cas: auths("certificateAuthorities", &raw.certificate_authorities)?,
            tsas: auths("timestampAuthorities", &raw.timestamp_authorities)?,
        })
    }

    pub(crate) fn tlog(&self, log_id: &[u8]) -> Option<&LogInstance> {
        self.tlogs.iter().find(|l| l.log_id == log_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_public_good_root_is_the_public_instance() {
        let root = TrustedRoot::public_good();
        let uris: Vec<&str> = root.cas.iter().map(|a| a.uri.as_str()).collect();
        assert!(
            uris.iter().all(|u| *u == "https://fulcio.sigstore.dev"),
            "{uris:?}"
        );
        assert_eq!(root.tlogs.len(), 2, "Rekor v1 and the log2025-1 v2 shard");
        assert_eq!(root.tsas.len(), 1);
        assert!(!root.ctlogs.is_empty());
    }

    #[test]
    fn validity_is_a_closed_interval() {
        let v = Validity {
            start: 10,
            end: Some(20),
        };
        assert!(v.contains(10) && v.contains(20) && !v.contains(9) && !v.contains(21));
        let open = Validity {
            start: 10,
            end: None,
        };
        assert!(open.contains(i64::MAX) && !open.contains(9));
    }

    #[test]
    fn rejects_bad_roots() {
        let e = TrustedRoot::from_json(b"{").unwrap_err();
        assert!(e.reason().starts_with("trusted root is not valid JSON"));
        let e = TrustedRoot::from_json(br#"{"mediaType":"application/json"}"#).unwrap_err();
        assert!(e.reason().contains("media type"));
        let empty = TrustedRoot::from_json(
            br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
        )
        .unwrap();
        assert!(empty.tlogs.is_empty() && empty.cas.is_empty());
    }
}
