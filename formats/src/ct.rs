//! RFC 6962 CT log JSON (`/ct/v1/...`): add-chain, signed tree heads, proofs, entries, roots;
//! and the TLS-encoded structures a log and its CA share: the signed entry, the Merkle tree
//! leaf, the SCT and the SCT list a certificate embeds.
//!
//! RFC 6962 §4: every binary field is standard padded base64, every number a JSON number.
//! The answers' fields are declared in key order, so `encode` writes the compact JSON with
//! sorted keys that the log has always written (the golden `ctlog/get-sth.json`). Requests are
//! read strictly: an unknown field is refused, and a bad base64 value is named by its place.

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::encoding::{b64, ser_b64, ser_b64_list};

/// Why a CT document was refused.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON, or JSON of another shape: serde's reason names the field.
    #[error("malformed {what}: {source}")]
    Shape {
        /// What was being read (`request`, `get-sth answer`).
        what: &'static str,
        /// serde_json's reason.
        source: serde_json::Error,
    },
    /// A certificate of the chain that is not base64.
    #[error("chain[{index}] is not base64: {source}")]
    ChainBase64 {
        /// Its place in the chain.
        index: usize,
        /// The decoder's reason.
        source: base64::DecodeError,
    },
}

fn read<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, ParseError> {
    serde_json::from_slice(bytes).map_err(|source| ParseError::Shape { what, source })
}

fn write<T: Serialize>(value: &T) -> Vec<u8> {
    // Byte strings and integers only: serialising cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// `add-chain` / `add-pre-chain` input (RFC 6962 §4.1, §4.2): DER certificates, leaf first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddChainRequest {
    /// DER certificates, leaf first.
    pub chain: Vec<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    chain: Vec<String>,
}

impl AddChainRequest {
    /// Reads the request from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::from_raw(read("request", bytes)?)
    }

    /// Reads the request from JSON already parsed (a server checks nesting and duplicate keys on
    /// the bytes first).
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let raw = serde_json::from_value(value).map_err(|source| ParseError::Shape {
            what: "request",
            source,
        })?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawChain) -> Result<Self, ParseError> {
        use base64::Engine as _;
        let chain = raw
            .chain
            .iter()
            .enumerate()
            .map(|(index, c)| {
                base64::engine::general_purpose::STANDARD
                    .decode(c)
                    .map_err(|source| ParseError::ChainBase64 { index, source })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { chain })
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(&RawChain {
            chain: self.chain.iter().map(|c| b64(c)).collect(),
        })
    }
}

/// The `add-chain` / `add-pre-chain` answer: a v1 SCT (RFC 6962 §4.1). Fulcio's detached SCT
/// is these bytes too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddChainResponse {
    /// The SCT's extensions, base64 (none: empty).
    pub extensions: String,
    /// The log ID: SHA-256 of the log's DER public key.
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64_32")]
    pub id: [u8; 32],
    /// `v1` (0).
    pub sct_version: u8,
    /// The TLS `DigitallySigned` struct.
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64")]
    pub signature: Vec<u8>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
}

impl AddChainResponse {
    /// Reads the answer from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        read("add-chain answer", bytes)
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

/// The `get-sth` answer (RFC 6962 §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    /// The Merkle tree root hash.
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64_32")]
    pub sha256_root_hash: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// The TLS `DigitallySigned` struct over the tree head.
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64")]
    pub tree_head_signature: Vec<u8>,
    /// Entries in the tree.
    pub tree_size: u64,
}

impl SignedTreeHead {
    /// Reads the answer from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        read("get-sth answer", bytes)
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

/// The `get-sth-consistency` query (RFC 6962 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ConsistencyQuery {
    /// The older tree size.
    pub first: u64,
    /// The newer tree size.
    pub second: u64,
}

/// The `get-sth-consistency` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The proof's node hashes.
    #[serde(serialize_with = "ser_b64_list", deserialize_with = "de_b64_32_list")]
    pub consistency: Vec<[u8; 32]>,
}

impl ConsistencyProof {
    /// Reads the answer from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        read("get-sth-consistency answer", bytes)
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

/// The `get-proof-by-hash` query (RFC 6962 §4.5): the hash stays text, so the log can say
/// which one it could not read or find.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProofByHashQuery {
    /// The leaf hash, base64.
    pub hash: String,
    /// The tree the proof is for.
    pub tree_size: u64,
}

/// The `get-proof-by-hash` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The proof's node hashes.
    #[serde(serialize_with = "ser_b64_list", deserialize_with = "de_b64_32_list")]
    pub audit_path: Vec<[u8; 32]>,
    /// The leaf's index.
    pub leaf_index: u64,
}

impl InclusionProof {
    /// Reads the answer from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        read("get-proof-by-hash answer", bytes)
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

/// The `get-entries` query (RFC 6962 §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct EntriesQuery {
    /// The first index.
    pub start: u64,
    /// The last index, inclusive.
    pub end: u64,
}

/// The `get-entries` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entries {
    /// The entries, in index order.
    pub entries: Vec<LeafEntry>,
}

/// One entry of `get-entries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafEntry {
    /// The chain (or precertificate and chain) of the entry.
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64")]
    pub extra_data: Vec<u8>,
    /// The `MerkleTreeLeaf`.
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64")]
    pub leaf_input: Vec<u8>,
}

impl Entries {
    /// Reads the answer from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        read("get-entries answer", bytes)
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

/// The `get-roots` answer (RFC 6962 §4.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roots {
    /// The accepted roots, DER.
    #[serde(serialize_with = "ser_b64_list", deserialize_with = "de_b64_list")]
    pub certificates: Vec<Vec<u8>>,
}

impl Roots {
    /// Reads the answer from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        read("get-roots answer", bytes)
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

fn unb64<E: de::Error>(s: &str) -> Result<Vec<u8>, E> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| E::custom(format!("`{s}` is not base64: {e}")))
}

fn unb64_32<E: de::Error>(s: &str) -> Result<[u8; 32], E> {
    let raw = unb64::<E>(s)?;
    raw.as_slice()
        .try_into()
        .map_err(|_| E::custom(format!("`{s}` is {} bytes, want 32", raw.len())))
}

fn de_b64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    unb64(&String::deserialize(d)?)
}

fn de_b64_32<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    unb64_32(&String::deserialize(d)?)
}

fn de_b64_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| unb64(s))
        .collect()
}

fn de_b64_32_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| unb64_32(s))
        .collect()
}

// RFC 6962's TLS-encoded structures: the signed entry, the Merkle tree leaf, the SCT, the
// signed tree head input and the SCT list that goes into a certificate. Bytes only: signing
// them is the log's.

/// `LogEntryType` (RFC 6962 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedEntry {
    /// `x509_entry`: the DER certificate.
    X509(Vec<u8>),
    /// `precert_entry`: SHA-256 of the issuer's SPKI, and the precertificate's TBS with the
    /// poison extension removed.
    Precert {
        /// SHA-256 of the issuing CA's DER SubjectPublicKeyInfo.
        issuer_key_hash: [u8; 32],
        /// The DER TBSCertificate without the poison extension.
        tbs: Vec<u8>,
    },
}

/// `SignatureType.certificate_timestamp` / `Version.v1` / `MerkleLeafType.timestamped_entry`
/// are all 0, so the SCT's signed input and the Merkle leaf share their bytes.
const V1: u8 = 0;
const CERTIFICATE_TIMESTAMP: u8 = 0;
const TREE_HASH: u8 = 1;
const TIMESTAMPED_ENTRY: u8 = 0;
/// `DigitallySigned`: HashAlgorithm.sha256 (4), SignatureAlgorithm.ecdsa (3).
const SHA256: u8 = 4;
const ECDSA: u8 = 3;

/// Appends `bytes` with its 24-bit length (`opaque <0..2^24-1>`): a certificate or a chain.
pub fn put_u24(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("checked below 2^24 by the caller");
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(bytes);
}

fn put_u16(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).expect("SCT fields are short");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

impl SignedEntry {
    fn entry_type(&self) -> u16 {
        match self {
            Self::X509(_) => 0,
            Self::Precert { .. } => 1,
        }
    }

    /// `entry_type` followed by the entry body, as both the leaf and the SCT input carry it.
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.entry_type().to_be_bytes());
        match self {
            Self::X509(cert) => put_u24(out, cert),
            Self::Precert {
                issuer_key_hash,
                tbs,
            } => {
                out.extend_from_slice(issuer_key_hash);
                put_u24(out, tbs);
            }
        }
    }

    /// What duplicate submissions have in common (everything but the timestamp).
    pub fn identity(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.put(&mut out);
        out
    }

    /// The `MerkleTreeLeaf` (RFC 6962 §3.4) of this entry at `timestamp` (ms), no extensions.
    pub fn leaf(&self, timestamp: u64) -> Vec<u8> {
        let mut out = vec![V1, TIMESTAMPED_ENTRY];
        out.extend_from_slice(&timestamp.to_be_bytes());
        self.put(&mut out);
        put_u16(&mut out, &[]);
        out
    }

    /// The bytes an SCT signs (RFC 6962 §3.2), no extensions.
    pub fn sct_input(&self, timestamp: u64) -> Vec<u8> {
        let mut out = vec![V1, CERTIFICATE_TIMESTAMP];
        out.extend_from_slice(&timestamp.to_be_bytes());
        self.put(&mut out);
        put_u16(&mut out, &[]);
        out
    }
}

/// The timestamp of a stored leaf (bytes 2..10 of a `MerkleTreeLeaf`).
pub fn leaf_timestamp(leaf: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(leaf.get(2..10)?.try_into().ok()?))
}

/// The input of a signed tree head's signature (RFC 6962 §3.5).
pub fn tree_head_input(timestamp: u64, size: u64, root: &[u8; 32]) -> Vec<u8> {
    let mut out = vec![V1, TREE_HASH];
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(root);
    out
}

/// A `DigitallySigned` ECDSA-SHA256 signature (RFC 5246 §4.7).
pub fn digitally_signed(der_sig: &[u8]) -> Vec<u8> {
    let mut out = vec![SHA256, ECDSA];
    put_u16(&mut out, der_sig);
    out
}

/// A v1 signed certificate timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the log's DER public key.
    pub log_id: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// The DER ECDSA signature over [`SignedEntry::sct_input`].
    pub signature: Vec<u8>,
}

impl Sct {
    /// The TLS encoding (RFC 6962 §3.2 `SignedCertificateTimestamp`).
    pub fn to_tls(&self) -> Vec<u8> {
        let mut out = vec![V1];
        out.extend_from_slice(&self.log_id);
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        put_u16(&mut out, &[]);
        out.extend_from_slice(&digitally_signed(&self.signature));
        out
    }

    /// The answer of `add-chain` / `add-pre-chain` (RFC 6962 §4.1).
    pub fn to_response(&self) -> AddChainResponse {
        AddChainResponse {
            extensions: String::new(),
            id: self.log_id,
            sct_version: V1,
            signature: digitally_signed(&self.signature),
            timestamp: self.timestamp,
        }
    }

    /// The `SignedCertificateTimestampList` (RFC 6962 §3.3) of these SCTs: what the
    /// certificate extension 1.3.6.1.4.1.11129.2.4.2 wraps in an OCTET STRING.
    pub fn list(scts: &[Sct]) -> Vec<u8> {
        let mut inner = Vec::new();
        for sct in scts {
            put_u16(&mut inner, &sct.to_tls());
        }
        let mut out = Vec::new();
        put_u16(&mut out, &inner);
        out
    }
}

/// `ASN.1Cert certificate_chain<0..2^24-1>`: the certificates after the leaf, as an entry's
/// `extra_data` carries them (RFC 6962 §4.6).
pub fn put_chain(out: &mut Vec<u8>, certs: &[Vec<u8>]) {
    let mut inner = Vec::new();
    for c in certs {
        put_u24(&mut inner, c);
    }
    put_u24(out, &inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_and_sct_input_share_their_layout() {
        let e = SignedEntry::Precert {
            issuer_key_hash: [7; 32],
            tbs: vec![1, 2, 3],
        };
        let leaf = e.leaf(0x0102_0304_0506_0708);
        // version, leaf type, timestamp, entry type 1, key hash, u24 length 3, tbs, no exts.
        let mut want = vec![0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1];
        want.extend_from_slice(&[7; 32]);
        want.extend_from_slice(&[0, 0, 3, 1, 2, 3, 0, 0]);
        assert_eq!(leaf, want);
        assert_eq!(e.sct_input(0x0102_0304_0506_0708), want);
        assert_eq!(leaf_timestamp(&leaf), Some(0x0102_0304_0506_0708));
    }

    #[test]
    fn sct_tls_encoding() {
        let sct = Sct {
            log_id: [9; 32],
            timestamp: 1,
            signature: vec![0x30, 0x00],
        };
        let tls = sct.to_tls();
        assert_eq!(tls.len(), 1 + 32 + 8 + 2 + 2 + 2 + 2);
        assert_eq!(&tls[41..], &[0, 0, 4, 3, 0, 2, 0x30, 0x00]);
        let list = Sct::list(&[sct]);
        // u16 list length (2 + 49), then u16 SCT length 49.
        assert_eq!(&list[..4], &[0, 51, 0, 49]);
    }
}
