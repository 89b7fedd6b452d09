//! `trusted_root.json`: protobuf-specs' `dev.sigstore.trustroot.v1.TrustedRoot` in its JSON form
//! (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
//!
//! The builder-facing generations ([`TrustedRootInput`]) become a
//! [`formats::trusted_root::TrustedRoot`], the type the client parses, which writes the bytes.

use formats::trusted_root::{
    DistinguishedName, LogId, PublicKey, TransparencyLogInstance, TrustedRoot, X509Certificate,
    X509CertificateChain,
};
use sha2::{Digest, Sha256};

use crate::wire::Validity;

/// The media type of the trusted root this module writes.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str = formats::trusted_root::MEDIA_TYPE;

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

fn tlog(t: &TransparencyLog) -> TransparencyLogInstance {
    TransparencyLogInstance {
        base_url: t.base_url.clone(),
        hash_algorithm: Some(t.hash_algorithm.to_owned()),
        public_key: PublicKey {
            raw_bytes: t.public_key_der.clone(),
            key_details: Some(t.key_details.to_owned()),
            valid_for: t.valid_for.time_range(),
        },
        log_id: LogId {
            key_id: t.log_id().to_vec(),
        },
        checkpoint_key_id: t.checkpoint_key_id.clone().map(|key_id| LogId { key_id }),
    }
}

fn ca(c: &CertificateAuthority) -> formats::trusted_root::CertificateAuthority {
    formats::trusted_root::CertificateAuthority {
        subject: Some(DistinguishedName {
            organization: c.subject_organization.clone(),
            common_name: c.subject_common_name.clone(),
        }),
        uri: c.uri.clone(),
        cert_chain: X509CertificateChain {
            certificates: c
                .chain_der
                .iter()
                .map(|d| X509Certificate {
                    raw_bytes: d.clone(),
                })
                .collect(),
        },
        valid_for: c.valid_for.time_range(),
    }
}

impl TrustedRootInput {
    /// The trusted root these generations make, as the client reads it back.
    pub fn trusted_root(&self) -> TrustedRoot {
        TrustedRoot {
            media_type: TRUSTED_ROOT_MEDIA_TYPE.to_owned(),
            tlogs: self.tlogs.iter().map(tlog).collect(),
            certificate_authorities: self.certificate_authorities.iter().map(ca).collect(),
            ctlogs: self.ctlogs.iter().map(tlog).collect(),
            timestamp_authorities: self.timestamp_authorities.iter().map(ca).collect(),
        }
    }
}

/// `trusted_root.json`: pretty JSON with the fields in `.proto` order and a trailing newline.
/// The same input gives the same bytes.
pub fn trusted_root_json(input: &TrustedRootInput) -> String {
    input.trusted_root().encode()
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
