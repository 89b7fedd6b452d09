//! Sigstore bundles (protobuf-specs `Bundle`, JSON), v0.1 to v0.3.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Result, VerifyError, bail, ensure};
use crate::wire::{b64, b64_32, json_i64, json_u64};

/// A bundle format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
    V0_2,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.3` or `…bundle.v0.3+json`
    V0_3,
}

impl BundleVersion {
    fn from_media_type(m: &str) -> Result<Self> {
        Ok(match m {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Self::V0_1,
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Self::V0_2,
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Self::V0_3,
            other => bail!("unsupported bundle media type `{other}`"),
        })
    }
}

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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: Option<String>,
    verification_material: Option<RawMaterial>,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    x509_certificate_chain: Option<RawChain>,
    certificate: Option<RawBytes>,
    public_key: Option<RawKeyId>,
    tlog_entries: Option<Vec<RawEntry>>,
    timestamp_verification_data: Option<RawTimestamps>,
}

#[derive(Deserialize)]
struct RawChain {
    certificates: Option<Vec<RawBytes>>,
}

/// A `PublicKeyIdentifier` (`{"hint": ...}`): it must be an object, but only its presence
/// matters; the hint proves nothing.
#[derive(Deserialize)]
struct RawKeyId {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    log_index: Option<Value>,
    log_id: Option<crate::trust::RawLogId>,
    kind_version: Option<RawKindVersion>,
    integrated_time: Option<Value>,
    inclusion_promise: Option<RawPromise>,
    inclusion_proof: Option<RawProof>,
    canonicalized_body: Option<String>,
}

#[derive(Deserialize)]
struct RawKindVersion {
    kind: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: Option<Value>,
    root_hash: Option<String>,
    tree_size: Option<Value>,
    hashes: Option<Vec<String>>,
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    envelope: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamps {
    rfc3161_timestamps: Option<Vec<RawTimestamp>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamp {
    signed_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    signature: Option<String>,
}

#[derive(Deserialize)]
struct RawDigest {
    algorithm: Option<String>,
    digest: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    payload: Option<String>,
    payload_type: Option<String>,
    signatures: Option<Vec<RawDsseSig>>,
}

#[derive(Deserialize)]
struct RawDsseSig {
    sig: Option<String>,
}

fn req<'a, T>(v: &'a Option<T>, what: &str) -> Result<&'a T> {
    v.as_ref()
        .ok_or_else(|| VerifyError::new(format!("bundle has no {what}")))
}

fn entry(i: usize, raw: &RawEntry) -> Result<TlogEntry> {
    let what = |f: &str| format!("tlog entry {i} {f}");
    // Protobuf's JSON mapping leaves out a field at its default value: an entry at index 0, as
    // the first entry of a fresh log is, has no `logIndex` (sigstore-rs writes it so). The SET
    // and the inclusion proof still bind the index.
    let index = |v: &Option<Value>, f: &str| v.as_ref().map_or(Ok(0), |v| json_u64(&what(f), v));
    let log_index = index(&raw.log_index, "logIndex")?;
    let log_id = b64(
        &what("logId"),
        req(
            &req(&raw.log_id, &what("logId"))?.key_id,
            &what("logId.keyId"),
        )?,
    )?;
    let kv = req(&raw.kind_version, &what("kindVersion"))?;
    let kind = req(&kv.kind, &what("kind"))?.clone();
    let version = req(&kv.version, &what("version"))?.clone();
    let integrated_time = raw
        .integrated_time
        .as_ref()
        .map(|v| json_i64(&what("integratedTime"), v))
        .transpose()?
        .filter(|t| *t != 0);
    if let Some(t) = integrated_time {
        ensure!(t > 0, "tlog entry {i} integratedTime {t} is negative");
    }
    let set = raw
        .inclusion_promise
        .as_ref()
        .map(|p| {
            b64(
                &what("signedEntryTimestamp"),
                req(&p.signed_entry_timestamp, &what("signedEntryTimestamp"))?,
            )
        })
        .transpose()?;
    let proof = raw
        .inclusion_proof
        .as_ref()
        .map(|p| -> Result<InclusionProof> {
            Ok(InclusionProof {
                log_index: index(&p.log_index, "inclusionProof.logIndex")?,
                root_hash: b64_32(
                    &what("inclusionProof.rootHash"),
                    req(&p.root_hash, &what("inclusionProof.rootHash"))?,
                )?,
                tree_size: json_u64(
                    &what("inclusionProof.treeSize"),
                    req(&p.tree_size, &what("inclusionProof.treeSize"))?,
                )?,
                hashes: p
                    .hashes
                    .iter()
                    .flatten()
                    .map(|h| b64_32(&what("inclusionProof hash"), h))
                    .collect::<Result<_>>()?,
                checkpoint: p.checkpoint.as_ref().and_then(|c| c.envelope.clone()),
            })
        })
        .transpose()?;
    let body = b64(
        &what("canonicalizedBody"),
        req(&raw.canonicalized_body, &what("canonicalizedBody"))?,
    )?;
    Ok(TlogEntry {
        log_index,
        log_id,
        kind,
        version,
        integrated_time,
        set,
        proof,
        body,
    })
}

impl Bundle {
    /// Parses a bundle (strictly: known media type, valid base64, consistent material).
    pub fn from_json(json: &[u8]) -> std::result::Result<Self, VerifyError> {
        let raw: RawBundle = serde_json::from_slice(json)
            .map_err(|e| VerifyError::new(format!("bundle is not valid JSON: {e}")))?;
        let version = BundleVersion::from_media_type(req(&raw.media_type, "mediaType")?)?;
        let vm = req(&raw.verification_material, "verificationMaterial")?;
        let material = match (&vm.x509_certificate_chain, &vm.certificate, &vm.public_key) {
            (Some(chain), None, None) => {
                ensure!(
                    version < BundleVersion::V0_3,
                    "v0.3 bundles carry a single certificate, not x509CertificateChain"
                );
                let certs = chain
                    .certificates
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, c)| {
                        b64(
                            &format!("certificate {i}"),
                            req(&c.raw_bytes, "certificate rawBytes")?,
                        )
                    })
                    .collect::<Result<Vec<_>>>()?;
                ensure!(!certs.is_empty(), "bundle certificate chain is empty");
                Material::Chain(certs)
            }
            (None, Some(c), None) => {
                ensure!(
                    version >= BundleVersion::V0_3,
                    "`certificate` verification material needs bundle v0.3"
                );
                let der = b64("certificate", req(&c.raw_bytes, "certificate rawBytes")?)?;
                ensure!(!der.is_empty(), "bundle certificate is empty");
                Material::Certificate(der)
            }
            (None, None, Some(_)) => Material::PublicKey,
            (None, None, None) => bail!("bundle has no verification material content"),
            _ => bail!("bundle has more than one kind of verification material"),
        };
        let entries = vm
            .tlog_entries
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, e)| entry(i, e))
            .collect::<Result<Vec<_>>>()?;
        let timestamps = vm
            .timestamp_verification_data
            .as_ref()
            .and_then(|t| t.rfc3161_timestamps.as_ref())
            .into_iter()
            .flatten()
            .map(|t| {
                b64(
                    "RFC 3161 timestamp",
                    req(&t.signed_timestamp, "signedTimestamp")?,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let content = match (&raw.message_signature, &raw.dsse_envelope) {
            (Some(m), None) => Content::MessageSignature {
                digest: m
                    .message_digest
                    .as_ref()
                    .map(|d| -> Result<(String, Vec<u8>)> {
                        Ok((
                            req(&d.algorithm, "messageDigest algorithm")?.clone(),
                            b64("messageDigest", req(&d.digest, "messageDigest digest")?)?,
                        ))
                    })
                    .transpose()?,
                signature: b64("message signature", req(&m.signature, "message signature")?)?,
            },
            (None, Some(e)) => Content::Dsse(Envelope {
                payload: b64("DSSE payload", req(&e.payload, "DSSE payload")?)?,
                payload_type: req(&e.payload_type, "DSSE payloadType")?.clone(),
                signatures: e
                    .signatures
                    .iter()
                    .flatten()
                    .map(|s| b64("DSSE signature", req(&s.sig, "DSSE sig")?))
                    .collect::<Result<Vec<_>>>()?,
            }),
            (None, None) => bail!("bundle has neither messageSignature nor dsseEnvelope"),
            (Some(_), Some(_)) => bail!("bundle has both messageSignature and dsseEnvelope"),
        };
        Ok(Self {
            version,
            material,
            entries,
            timestamps,
            content,
        })
    }

    /// The bundle's format version.
    pub fn version(&self) -> BundleVersion {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
