//! RFC 6962 CT log JSON (`/ct/v1/...`): add-chain, signed tree heads, proofs, entries, roots.
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
