//! `trusted_root.json`: protobuf-specs' `dev.sigstore.trustroot.v1.TrustedRoot` in its JSON form
//! (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
//!
//! Field names and nesting follow `sigstore_trustroot.proto` / `sigstore_common.proto` (as
//! sigstore_models 0.0.6, which sigstore-python 4.5 uses, declares them with `extra="forbid"`):
//! a log's validity lives in `publicKey.validFor`, a CA's in `validFor`.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::wire::{TimeRangeJson, Validity, b64, pretty};

/// The media type of the trusted root this module writes.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// One certificate authority generation (Fulcio) or timestamp authority generation (TSA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// Where the CA answers (`uri`).
    pub uri: String,
    /// `subject.organization` of the chain's root.
    pub subject_organization: String,
    /// `subject.commonName` of the chain's root.
    pub subject_common_name: String,
    /// DER certificates, leaf-most first and the self-signed root last, as
    /// `X509CertificateChain` orders them (Fulcio: intermediate, root; TSA: signing leaf,
    /// intermediates, root).
    pub chain_der: Vec<Vec<u8>>,
    /// When this generation was (or is) in use.
    pub valid_for: Validity,
}

/// One transparency log key generation (Rekor or CT log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransparencyLog {
    /// `baseUrl`: the log's URL.
    pub base_url: String,
    /// `hashAlgorithm` of the Merkle tree, e.g. `"SHA2_256"`.
    pub hash_algorithm: &'static str,
    /// The log's public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    /// `publicKey.keyDetails`, e.g. `"PKIX_ECDSA_P256_SHA_256"`.
    pub key_details: &'static str,
    /// When this key was (or is) in use; written as `publicKey.validFor`.
    pub valid_for: Validity,
    /// `checkpointKeyId.keyId` (raw bytes) for a log whose checkpoints carry a different key ID
    /// than `logId` (Rekor v2 signed notes); `None` leaves the field out.
    pub checkpoint_key_id: Option<Vec<u8>>,
}

impl TransparencyLog {
    /// `logId.keyId`: SHA-256 of the DER SubjectPublicKeyInfo (RFC 6962 §3.2's log ID, which
    /// Rekor uses too).
    pub fn log_id(&self) -> [u8; 32] {
        Sha256::digest(&self.public_key_der).into()
    }
}

/// Everything `trusted_root.json` lists. Give every generation, oldest first: the current one
/// has `valid_for.end == None`, retired ones an end (protobuf-specs asks for ascending order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedRootInput {
    /// Fulcio generations.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// Rekor key generations.
    pub tlogs: Vec<TransparencyLog>,
    /// CT log key generations.
    pub ctlogs: Vec<TransparencyLog>,
    /// TSA generations.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrustedRootJson<'a> {
    media_type: &'static str,
    tlogs: Vec<TlogJson<'a>>,
    certificate_authorities: Vec<CaJson<'a>>,
    ctlogs: Vec<TlogJson<'a>>,
    timestamp_authorities: Vec<CaJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TlogJson<'a> {
    base_url: &'a str,
    hash_algorithm: &'static str,
    public_key: PublicKeyJson,
    log_id: KeyIdJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoint_key_id: Option<KeyIdJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyJson {
    raw_bytes: String,
    key_details: &'static str,
    valid_for: TimeRangeJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyIdJson {
    key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaJson<'a> {
    subject: SubjectJson<'a>,
    uri: &'a str,
    cert_chain: CertChainJson,
    valid_for: TimeRangeJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubjectJson<'a> {
    organization: &'a str,
    common_name: &'a str,
}

#[derive(Serialize)]
struct CertChainJson {
    certificates: Vec<RawBytesJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawBytesJson {
    raw_bytes: String,
}

fn tlog(t: &TransparencyLog) -> TlogJson<'_> {
    TlogJson {
        base_url: &t.base_url,
        hash_algorithm: t.hash_algorithm,
        public_key: PublicKeyJson {
            raw_bytes: b64(&t.public_key_der),
            key_details: t.key_details,
            valid_for: (&t.valid_for).into(),
        },
        log_id: KeyIdJson {
            key_id: b64(&t.log_id()),
        },
        checkpoint_key_id: t
            .checkpoint_key_id
            .as_deref()
            .map(|k| KeyIdJson { key_id: b64(k) }),
    }
}

fn ca(c: &CertificateAuthority) -> CaJson<'_> {
    CaJson {
        subject: SubjectJson {
            organization: &c.subject_organization,
            common_name: &c.subject_common_name,
        },
        uri: &c.uri,
        cert_chain: CertChainJson {
            certificates: c
                .chain_der
                .iter()
                .map(|d| RawBytesJson { raw_bytes: b64(d) })
                .collect(),
        },
        valid_for: (&c.valid_for).into(),
    }
}

/// `trusted_root.json`: pretty JSON with the fields in `.proto` order and a trailing newline.
/// The same input gives the same bytes.
pub fn trusted_root_json(input: &TrustedRootInput) -> String {
    pretty(&TrustedRootJson {
        media_type: TRUSTED_ROOT_MEDIA_TYPE,
        tlogs: input.tlogs.iter().map(tlog).collect(),
        certificate_authorities: input.certificate_authorities.iter().map(ca).collect(),
        ctlogs: input.ctlogs.iter().map(tlog).collect(),
        timestamp_authorities: input.timestamp_authorities.iter().map(ca).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn writes_protobuf_json_shape() {
        let v = Validity {
            start: datetime!(2025-01-01 0:00 UTC),
            end: Some(datetime!(2025-02-01 0:00 UTC)),
        };
        let input = TrustedRootInput {
            tlogs: vec![TransparencyLog {
                base_url: "http://x".into(),
                hash_algorithm: "SHA2_256",
                public_key_der: vec![1, 2, 3],
                key_details: "PKIX_ECDSA_P256_SHA_256",
                valid_for: v,
                checkpoint_key_id: Some(vec![9]),
            }],
            certificate_authorities: vec![CertificateAuthority {
                uri: "http://x".into(),
                subject_organization: "o".into(),
                subject_common_name: "cn".into(),
                chain_der: vec![vec![1], vec![2]],
                valid_for: Validity {
                    start: v.start,
                    end: None,
                },
            }],
            ..TrustedRootInput::default()
        };
        let out = trusted_root_json(&input);
        assert!(out.ends_with("}\n"));
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(j["mediaType"], TRUSTED_ROOT_MEDIA_TYPE);
        let t = &j["tlogs"][0];
        assert_eq!(t["publicKey"]["rawBytes"], "AQID");
        assert_eq!(t["publicKey"]["validFor"]["end"], "2025-02-01T00:00:00Z");
        // base64(SHA-256(01 02 03))
        assert_eq!(
            t["logId"]["keyId"],
            "A5BYxvLAy0ksUzsKTRTvd8wPeKvMztUofYShogEc+4E="
        );
        assert_eq!(t["checkpointKeyId"]["keyId"], "CQ==");
        let ca = &j["certificateAuthorities"][0];
        assert_eq!(ca["certChain"]["certificates"][1]["rawBytes"], "Ag==");
        assert!(ca["validFor"].get("end").is_none());
        assert_eq!(j["ctlogs"], serde_json::json!([]));
        // Fields in .proto order.
        let order: Vec<_> = [
            "mediaType",
            "tlogs",
            "certificateAuthorities",
            "ctlogs",
            "timestampAuthorities",
        ]
        .iter()
        .map(|k| out.find(&format!("\"{k}\"")).unwrap())
        .collect();
        assert!(order.is_sorted(), "{order:?}");
    }
}
