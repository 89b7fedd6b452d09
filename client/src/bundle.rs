//! Sigstore bundles (protobuf-specs `Bundle`, JSON), v0.1 to v0.3, as the verifier reads them:
//! [`formats::bundle::Bundle`] parses (strictly, naming the field it refuses), and this module
//! flattens that into what the checks need.

use crate::error::VerifyError;

pub use formats::bundle::BundleVersion;

/// What the bundle says signed it.
#[derive(Debug, Clone)]
pub(crate) enum Material {
    /// DER certificates, leaf first (v0.1, v0.2: `x509CertificateChain`).
    Chain(Vec<Vec<u8>>),
    /// One DER leaf certificate (v0.3: `certificate`).
    Certificate(Vec<u8>),
    /// A managed key: the verifier is given it (`--key`); the bundle's hint names it but
    /// proves nothing, so it is not kept.
    PublicKey,
}

/// A DSSE envelope.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub(crate) payload: Vec<u8>,
    pub(crate) payload_type: String,
    pub(crate) signatures: Vec<Vec<u8>>,
}

/// What was signed.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    MessageSignature {
        /// The (unauthenticated) digest hint: algorithm name and bytes.
        digest: Option<(String, Vec<u8>)>,
        signature: Vec<u8>,
    },
    Dsse(Envelope),
}

impl Content {
    /// The signature bytes that timestamps cover.
    pub(crate) fn signature(&self) -> &[u8] {
        match self {
            Self::MessageSignature { signature, .. } => signature,
            Self::Dsse(env) => env.signatures.first().map_or(&[][..], Vec::as_slice),
        }
    }
}

/// A Merkle inclusion proof with its checkpoint.
#[derive(Debug, Clone)]
pub(crate) struct InclusionProof {
    pub(crate) log_index: u64,
    pub(crate) root_hash: [u8; 32],
    pub(crate) tree_size: u64,
    pub(crate) hashes: Vec<[u8; 32]>,
    pub(crate) checkpoint: Option<String>,
}

/// A transparency log entry.
#[derive(Debug, Clone)]
pub(crate) struct TlogEntry {
    pub(crate) log_index: u64,
    pub(crate) log_id: Vec<u8>,
    pub(crate) kind: String,
    pub(crate) version: String,
    pub(crate) integrated_time: Option<i64>,
    pub(crate) set: Option<Vec<u8>>,
    pub(crate) proof: Option<InclusionProof>,
    pub(crate) body: Vec<u8>,
}

/// A parsed Sigstore bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub(crate) version: BundleVersion,
    pub(crate) material: Material,
    pub(crate) entries: Vec<TlogEntry>,
    pub(crate) timestamps: Vec<Vec<u8>>,
    pub(crate) content: Content,
}

fn entry(e: formats::bundle::TransparencyLogEntry) -> TlogEntry {
    TlogEntry {
        log_index: e.log_index,
        log_id: e.log_id.key_id,
        kind: e.kind_version.kind,
        version: e.kind_version.version,
        // Protobuf JSON leaves a zero out, so "0" and absent both mean no integrated time.
        integrated_time: e.integrated_time.filter(|t| *t != 0),
        set: e.inclusion_promise.map(|p| p.signed_entry_timestamp),
        proof: e.inclusion_proof.map(|p| InclusionProof {
            log_index: p.log_index,
            root_hash: p.root_hash,
            tree_size: p.tree_size,
            hashes: p.hashes,
            checkpoint: p.checkpoint.map(|c| c.envelope),
        }),
        body: e.canonicalized_body,
    }
}

impl Bundle {
    /// Parses a bundle (strictly: known media type, valid base64, consistent material; see
    /// [`formats::bundle`]).
    pub fn from_json(json: &[u8]) -> std::result::Result<Self, VerifyError> {
        let parsed =
            formats::bundle::Bundle::parse(json).map_err(|e| VerifyError::new(e.to_string()))?;
        Ok(Self::from(parsed))
    }

    /// The bundle's format version.
    pub fn version(&self) -> BundleVersion {
        self.version
    }
}

impl From<formats::bundle::Bundle> for Bundle {
    /// The verifier's view of a parsed bundle: bytes decoded, entries flattened.
    fn from(b: formats::bundle::Bundle) -> Self {
        use formats::bundle::{Content as Wire, SignerMaterial};
        let vm = b.verification_material;
        let material = match vm.content {
            SignerMaterial::X509CertificateChain(c) => {
                Material::Chain(c.certificates.into_iter().map(|c| c.raw_bytes).collect())
            }
            SignerMaterial::Certificate(c) => Material::Certificate(c.raw_bytes),
            SignerMaterial::PublicKey(_) => Material::PublicKey,
        };
        let content = match b.content {
            Wire::MessageSignature(m) => Content::MessageSignature {
                digest: m.message_digest.map(|d| (d.algorithm, d.digest)),
                signature: m.signature,
            },
            Wire::DsseEnvelope(e) => Content::Dsse(Envelope {
                payload: e.payload,
                payload_type: e.payload_type,
                signatures: e.signatures.into_iter().map(|s| s.sig).collect(),
            }),
        };
        Self {
            version: b.media_type.version(),
            material,
            entries: vm.tlog_entries.into_iter().map(entry).collect(),
            timestamps: vm
                .timestamp_verification_data
                .into_iter()
                .flat_map(|t| t.rfc3161_timestamps)
                .map(|t| t.signed_timestamp)
                .collect(),
            content,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;

    fn bundle(media_type: &str, material: &str, content: &str) -> Result<Bundle> {
        let json = format!(
            r#"{{"mediaType":"{media_type}","verificationMaterial":{{{material},"tlogEntries":[]}},{content}}}"#
        );
        Bundle::from_json(json.as_bytes())
    }

    const MSG: &str = r#""messageSignature":{"signature":"AAAA"}"#;

    #[test]
    fn media_types() {
        let key = r#""publicKey":{"hint":"k"}"#;
        for (m, v) in [
            (
                "application/vnd.dev.sigstore.bundle+json;version=0.1",
                BundleVersion::V0_1,
            ),
            (
                "application/vnd.dev.sigstore.bundle+json;version=0.2",
                BundleVersion::V0_2,
            ),
            (
                "application/vnd.dev.sigstore.bundle+json;version=0.3",
                BundleVersion::V0_3,
            ),
            (
                "application/vnd.dev.sigstore.bundle.v0.3+json",
                BundleVersion::V0_3,
            ),
        ] {
            assert_eq!(bundle(m, key, MSG).unwrap().version(), v);
        }
        let e = bundle("application/vnd.dev.sigstore.bundle.v0.4+json", key, MSG).unwrap_err();
        assert!(e.reason().starts_with("unsupported bundle media type"));
    }

    #[test]
    fn an_absent_log_index_is_zero() {
        // As protobuf's JSON mapping (and sigstore-rs) writes the entry at index 0.
        let entry = |index: &str| {
            format!(
                r#"{{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2",
                "verificationMaterial":{{"publicKey":{{"hint":"k"}},"tlogEntries":[{{{index}
                "logId":{{"keyId":"AAAA"}},"kindVersion":{{"kind":"hashedrekord","version":"0.0.1"}},
                "inclusionProof":{{{index}"rootHash":"{root}","treeSize":"1","hashes":[]}},
                "canonicalizedBody":"AAAA"}}]}},{MSG}}}"#,
                root = "A".repeat(43) + "="
            )
        };
        for (index, want) in [("", 0), (r#""logIndex":"7","#, 7)] {
            let b = Bundle::from_json(entry(index).as_bytes()).unwrap();
            assert_eq!(b.entries[0].log_index, want);
            assert_eq!(b.entries[0].proof.as_ref().unwrap().log_index, want);
        }
        let negative = entry(r#""logIndex":"-1","#);
        assert!(
            Bundle::from_json(negative.as_bytes())
                .unwrap_err()
                .reason()
                .contains("negative")
        );
    }

    #[test]
    fn material_must_fit_the_version() {
        let v01 = "application/vnd.dev.sigstore.bundle+json;version=0.1";
        let v03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
        let cert = r#""certificate":{"rawBytes":"AAAA"}"#;
        let chain = r#""x509CertificateChain":{"certificates":[{"rawBytes":"AAAA"}]}"#;
        assert!(
            bundle(v01, cert, MSG)
                .unwrap_err()
                .reason()
                .contains("needs bundle v0.3")
        );
        assert!(
            bundle(v03, chain, MSG)
                .unwrap_err()
                .reason()
                .contains("not x509CertificateChain")
        );
        let empty = r#""x509CertificateChain":{"certificates":[]}"#;
        assert_eq!(
            bundle(v01, empty, MSG).unwrap_err().reason(),
            "bundle certificate chain is empty"
        );
        let both = r#""messageSignature":{"signature":"AAAA"},"dsseEnvelope":{"payload":"","payloadType":"x","signatures":[]}"#;
        assert!(
            bundle(v03, cert, both)
                .unwrap_err()
                .reason()
                .contains("both")
        );
    }
}
