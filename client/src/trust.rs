//! The protobuf-specs `TrustedRoot` (JSON): certificate authorities, transparency logs, CT logs
//! and timestamp authorities, each with its validity period.

use crate::cert::Cert;
use crate::error::{Result, VerifyError};
use crate::keys::PublicKey;

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

fn validity(range: &formats::trusted_root::TimeRange) -> Validity {
    // Whole seconds, as every check compares: a fraction is dropped (the floor).
    Validity {
        start: range.start.unix(),
        end: range.end.map(|e| e.unix()),
    }
}

fn log(
    kind: &str,
    i: usize,
    raw: formats::trusted_root::TransparencyLogInstance,
) -> Result<LogInstance> {
    let what = format!("trusted root {kind}[{i}]");
    let pk = &raw.public_key;
    // `PKCS1_*` key details mean the bytes are a PKCS#1 RSAPublicKey, not an SPKI.
    let key = if pk
        .key_details
        .as_deref()
        .is_some_and(|d| d.starts_with("PKCS1_RSA"))
    {
        PublicKey::from_pkcs1_rsa(&pk.raw_bytes)
    } else {
        PublicKey::from_spki_der(&pk.raw_bytes)
    }
    .map_err(|e| VerifyError::new(format!("{what}: {e}")))?;
    Ok(LogInstance {
        valid_for: validity(&pk.valid_for),
        base_url: raw.base_url,
        key,
        log_id: raw.log_id.key_id,
        checkpoint_key_id: raw.checkpoint_key_id.map(|k| k.key_id),
    })
}

fn authority(
    kind: &str,
    i: usize,
    raw: formats::trusted_root::CertificateAuthority,
) -> Result<Authority> {
    let what = format!("trusted root {kind}[{i}]");
    let chain = raw
        .cert_chain
        .certificates
        .iter()
        .map(|c| Cert::from_der(&c.raw_bytes).map_err(|e| VerifyError::new(format!("{what}: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    Ok(Authority {
        uri: raw.uri,
        chain,
        valid_for: validity(&raw.valid_for),
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
    /// start; every authority a non-empty chain and a `validFor` with a start (see
    /// [`formats::trusted_root`]); and here, every key and certificate must parse.
    pub fn from_json(json: &[u8]) -> std::result::Result<Self, VerifyError> {
        let parsed = formats::trusted_root::TrustedRoot::parse(json)
            .map_err(|e| VerifyError::new(e.to_string()))?;
        Self::from_parsed(parsed)
    }

    /// The verifier's view of a parsed trusted root: keys and certificates parsed.
    pub fn from_parsed(
        root: formats::trusted_root::TrustedRoot,
    ) -> std::result::Result<Self, VerifyError> {
        let logs = |kind: &str, v: Vec<formats::trusted_root::TransparencyLogInstance>| {
            v.into_iter()
                .enumerate()
                .map(|(i, l)| log(kind, i, l))
                .collect::<Result<Vec<_>>>()
        };
        let auths = |kind: &str, v: Vec<formats::trusted_root::CertificateAuthority>| {
            v.into_iter()
                .enumerate()
                .map(|(i, a)| authority(kind, i, a))
                .collect::<Result<Vec<_>>>()
        };
        Ok(Self {
            tlogs: logs("tlogs", root.tlogs)?,
            ctlogs: logs("ctlogs", root.ctlogs)?,
            cas: auths("certificateAuthorities", root.certificate_authorities)?,
            tsas: auths("timestampAuthorities", root.timestamp_authorities)?,
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
