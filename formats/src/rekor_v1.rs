//! Rekor v1 entry kinds (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2), its answers, and the SET payload.
//!
//! Rules, for every type here:
//! - A kind travels as `{"apiVersion", "kind", "spec"}`: a [`ProposedEntry`] is what a client
//!   posts to `POST /api/v1/log/entries`, a [`Body`] is the canonical form the log stores and
//!   hashes (the Merkle leaf). A proposal's spec and its canonical spec are different types
//!   where Rekor's are (dsse, intoto) and one type where they are the same (hashedrekord).
//! - Unknown fields are refused, and so is a field twice (serde's derive does both).
//! - `encode` is Rekor's canonical JSON (RFC 8785 for the values Rekor writes: keys sorted, no
//!   whitespace). Struct fields are declared in key order, so `serde_json::to_vec` writes the
//!   keys sorted; every value is a string, an integer or a list of those, which RFC 8785 and
//!   serde_json spell alike.
//! - The kinds' fields are the strings on the wire (base64, hex): checking that they decode,
//!   and that the signatures in them verify, is the log's (`stack::rekor`), which names the
//!   field that fails. The answers ([`LogEntry`], [`LogInfo`], [`ConsistencyProof`],
//!   [`SetPayload`]) are what a log builds from values it holds, so their bytes and hashes are
//!   typed here.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a Rekor v1 document was refused.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all.
    #[error("{what} is not JSON: {source}")]
    NotJson {
        /// What was being read.
        what: &'static str,
        /// serde_json's reason.
        source: serde_json::Error,
    },
    /// JSON, but not an object.
    #[error("{what} must be a JSON object")]
    NotAnObject {
        /// What was being read.
        what: &'static str,
    },
    /// A required field is missing (or is not a string, for `kind` and `apiVersion`).
    #[error("{what} has no `{field}`")]
    Missing {
        /// What was being read.
        what: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field that this format does not have.
    #[error("{what} has unknown field `{field}`")]
    UnknownField {
        /// What was being read.
        what: &'static str,
        /// The field, as sent.
        field: String,
    },
    /// A kind not logged by Rekor v1.
    #[error("unknown kind `{kind}`")]
    UnknownKind {
        /// The kind, as sent.
        kind: String,
    },
    /// A known kind at a version this log does not take.
    #[error("unsupported {kind} version `{version}` (want {want})")]
    UnsupportedVersion {
        /// The kind.
        kind: &'static str,
        /// The version, as sent.
        version: String,
        /// The version taken.
        want: &'static str,
    },
    /// Both fields of a oneof (Rekor v2).
    #[error("{what} has both {a} and {b} (a oneof)")]
    BothOfOneof {
        /// What was being read.
        what: &'static str,
        /// One field.
        a: &'static str,
        /// The other.
        b: &'static str,
    },
    /// Neither field of a oneof (Rekor v2).
    #[error("{what} has neither {a} nor {b}")]
    NeitherOfOneof {
        /// What was being read.
        what: &'static str,
        /// One field.
        a: &'static str,
        /// The other.
        b: &'static str,
    },
    /// The spec (or the answer) does not have the format's shape; serde's reason names the
    /// field.
    #[error("invalid {what}: {source}")]
    Shape {
        /// What was being read.
        what: &'static str,
        /// serde_json's reason.
        source: serde_json::Error,
    },
}

/// `{"algorithm", "value"}`: a digest, its value in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashValue {
    /// `sha256`, `sha384` or `sha512`.
    pub algorithm: String,
    /// Hex.
    pub value: String,
}

impl HashValue {
    /// A SHA-256 digest.
    pub fn sha256(value: impl Into<String>) -> Self {
        Self {
            algorithm: "sha256".to_owned(),
            value: value.into(),
        }
    }
}

/// `hashedrekord` v0.0.1: a signature over an artifact digest, with the key or certificate
/// that made it. Proposed and canonical spec have the same shape.
pub mod hashedrekord {
    use serde::{Deserialize, Serialize};

    pub use super::HashValue;

    /// The spec, as proposed and as logged.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Spec {
        /// What was signed.
        pub data: Data,
        /// The signature and who made it.
        pub signature: Signature,
    }

    /// `data`: the artifact's digest.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Data {
        /// The digest.
        pub hash: HashValue,
    }

    /// `signature`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Signature {
        /// Base64 of the signature.
        pub content: String,
        /// The key or certificate.
        #[serde(rename = "publicKey")]
        pub public_key: PublicKey,
    }

    /// `signature.publicKey`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PublicKey {
        /// Base64 of the PEM (a `PUBLIC KEY` or a `CERTIFICATE`).
        pub content: String,
    }
}

/// `dsse` v0.0.1: a DSSE envelope and the keys that signed it. Rekor logs hashes of the
/// envelope and its payload, with each signature and its key.
pub mod dsse {
    use serde::de::IgnoredAny;
    use serde::{Deserialize, Serialize};

    pub use super::HashValue;

    /// The spec as a client proposes it.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProposedSpec {
        /// The envelope and the keys.
        #[serde(rename = "proposedContent")]
        pub proposed_content: ProposedContent,
        // Output fields the log computes itself. sigstore-python sends them as `null` (its
        // pydantic models dump every field); Rekor ignores whatever a proposal puts there, and
        // so does this type: taken, never kept, never written.
        #[serde(default, skip_serializing)]
        #[allow(dead_code, reason = "computed by the log, never read from a proposal")]
        signatures: Option<IgnoredAny>,
        #[serde(default, rename = "envelopeHash", skip_serializing)]
        #[allow(dead_code, reason = "computed by the log, never read from a proposal")]
        envelope_hash: Option<IgnoredAny>,
        #[serde(default, rename = "payloadHash", skip_serializing)]
        #[allow(dead_code, reason = "computed by the log, never read from a proposal")]
        payload_hash: Option<IgnoredAny>,
    }

    impl ProposedSpec {
        /// A proposal of this content.
        pub fn new(proposed_content: ProposedContent) -> Self {
            Self {
                proposed_content,
                signatures: None,
                envelope_hash: None,
                payload_hash: None,
            }
        }
    }

    /// `proposedContent`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProposedContent {
        /// The DSSE envelope, as JSON text.
        pub envelope: String,
        /// The keys or certificates, each base64 of its PEM. Rekor's current API calls them
        /// `verifiers` (what sigstore-python and sigstore-js send); its first schema said
        /// `publicKeys`.
        #[serde(rename = "verifiers", alias = "publicKeys")]
        pub verifiers: Vec<String>,
    }

    /// The spec as the log canonicalises it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Spec {
        /// SHA-256 of the envelope's JSON text.
        #[serde(rename = "envelopeHash")]
        pub envelope_hash: HashValue,
        /// SHA-256 of the payload.
        #[serde(rename = "payloadHash")]
        pub payload_hash: HashValue,
        /// Each signature with the key that verified it, sorted by signature, no repeats.
        pub signatures: Vec<Signature>,
    }

    /// One logged signature.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Signature {
        /// The envelope's `sig` (base64), as sent.
        pub signature: String,
        /// Base64 of the canonical PEM of the key or certificate that verified it.
        pub verifier: String,
    }
}

/// `intoto` v0.0.2 (cosign's attestations): a DSSE envelope whose payload and signatures
/// travel base64-encoded once more, each signature with its key, and a client-side hash of
/// the envelope. Rekor logs the payload type, the signatures and both hashes.
pub mod intoto {
    use serde::{Deserialize, Serialize};

    pub use super::HashValue;

    /// The spec as a client proposes it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProposedSpec {
        /// The envelope and its hashes.
        pub content: ProposedContent,
    }

    /// `content` as proposed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProposedContent {
        /// The envelope.
        pub envelope: ProposedEnvelope,
        /// The envelope's digest (the log requires it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub hash: Option<HashValue>,
        /// The payload's digest as the client computed it (sigstore-js sends it).
        #[serde(
            default,
            rename = "payloadHash",
            skip_serializing_if = "Option::is_none"
        )]
        pub payload_hash: Option<HashValue>,
    }

    /// `content.envelope` as proposed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProposedEnvelope {
        /// Base64 of the envelope's (base64) payload.
        pub payload: String,
        /// The payload type.
        #[serde(rename = "payloadType")]
        pub payload_type: String,
        /// The signatures.
        pub signatures: Vec<Signature>,
    }

    /// One signature, as proposed and as logged.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Signature {
        /// A key ID hint; the log keeps it when it is not empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub keyid: Option<String>,
        /// Base64 of the PEM key or certificate.
        #[serde(rename = "publicKey")]
        pub public_key: String,
        /// Base64 of the envelope's (base64) signature.
        pub sig: String,
    }

    /// The spec as the log canonicalises it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Spec {
        /// The logged content.
        pub content: Content,
    }

    /// `content` as logged.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Content {
        /// The envelope without its payload.
        pub envelope: Envelope,
        /// The envelope's digest, as the client sent it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub hash: Option<HashValue>,
        /// The payload's digest, as the log computed it.
        #[serde(
            default,
            rename = "payloadHash",
            skip_serializing_if = "Option::is_none"
        )]
        pub payload_hash: Option<HashValue>,
    }

    /// `content.envelope` as logged. Rekor logs no payload, only its hash; a body that carries
    /// one (base64 of the envelope's base64 payload) is read too.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Envelope {
        /// The payload, when a log kept it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payload: Option<String>,
        /// The payload type.
        #[serde(rename = "payloadType")]
        pub payload_type: String,
        /// The signatures.
        pub signatures: Vec<Signature>,
    }
}

/// `kind` and `apiVersion` of a `{"apiVersion", "kind", "spec"}` object, and its spec.
pub(crate) fn split(
    what: &'static str,
    value: Value,
) -> Result<(String, String, Value), ParseError> {
    let Value::Object(mut obj) = value else {
        return Err(ParseError::NotAnObject { what });
    };
    let mut string = |field: &'static str| match obj.remove(field) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(ParseError::Missing { what, field }),
    };
    let kind = string("kind")?;
    let version = string("apiVersion")?;
    let spec = obj.remove("spec").ok_or(ParseError::Missing {
        what,
        field: "spec",
    })?;
    if let Some(field) = obj.keys().next() {
        return Err(ParseError::UnknownField {
            what,
            field: field.clone(),
        });
    }
    Ok((kind, version, spec))
}

fn spec<T: serde::de::DeserializeOwned>(what: &'static str, spec: Value) -> Result<T, ParseError> {
    serde_json::from_value(spec).map_err(|source| ParseError::Shape { what, source })
}

fn from_bytes(what: &'static str, bytes: &[u8]) -> Result<Value, ParseError> {
    serde_json::from_slice(bytes).map_err(|source| ParseError::NotJson { what, source })
}

/// The entry kinds this log takes, each at the one version it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `hashedrekord` 0.0.1.
    HashedRekord,
    /// `dsse` 0.0.1.
    Dsse,
    /// `intoto` 0.0.2.
    Intoto,
}

impl Kind {
    /// The `kind` field.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HashedRekord => "hashedrekord",
            Self::Dsse => "dsse",
            Self::Intoto => "intoto",
        }
    }

    /// The `apiVersion` field.
    pub const fn api_version(self) -> &'static str {
        match self {
            Self::HashedRekord | Self::Dsse => "0.0.1",
            Self::Intoto => "0.0.2",
        }
    }

    /// Refuses kinds and versions this log does not take, as Rekor v1 words it.
    fn parse(kind: &str, version: &str) -> Result<Self, ParseError> {
        let known = match kind {
            "hashedrekord" => Self::HashedRekord,
            "dsse" => Self::Dsse,
            "intoto" => Self::Intoto,
            other => {
                return Err(ParseError::UnknownKind {
                    kind: other.to_owned(),
                });
            }
        };
        if version != known.api_version() {
            return Err(ParseError::UnsupportedVersion {
                kind: known.name(),
                version: version.to_owned(),
                want: known.api_version(),
            });
        }
        Ok(known)
    }
}

/// `{"apiVersion", "kind", "spec"}` with the keys sorted, as Rekor's canonical JSON.
#[derive(Serialize)]
struct Tagged<'a, S> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    spec: &'a S,
}

pub(crate) fn encode_tagged<S: Serialize>(kind: &str, api_version: &str, spec: &S) -> Vec<u8> {
    // Serialising these structs cannot fail: string keys, and strings, integers and lists.
    serde_json::to_vec(&Tagged {
        api_version,
        kind,
        spec,
    })
    .unwrap_or_default()
}

/// A proposed entry (`POST /api/v1/log/entries`).
#[derive(Debug, Clone)]
pub enum ProposedEntry {
    /// `hashedrekord` 0.0.1.
    HashedRekord(hashedrekord::Spec),
    /// `dsse` 0.0.1.
    Dsse(dsse::ProposedSpec),
    /// `intoto` 0.0.2.
    Intoto(intoto::ProposedSpec),
}

impl ProposedEntry {
    const WHAT: &'static str = "proposed entry";

    /// Reads a proposal from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::from_value(from_bytes(Self::WHAT, bytes)?)
    }

    /// Reads a proposal from JSON already parsed (a server checks nesting and duplicate keys
    /// on the bytes first).
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let (kind, version, s) = split(Self::WHAT, value)?;
        Ok(match Kind::parse(&kind, &version)? {
            Kind::HashedRekord => Self::HashedRekord(spec("hashedrekord spec", s)?),
            Kind::Dsse => Self::Dsse(spec(
                "dsse spec (want proposedContent with envelope and verifiers)",
                s,
            )?),
            Kind::Intoto => Self::Intoto(spec("intoto v0.0.2 spec", s)?),
        })
    }

    /// The kind and its version.
    pub fn kind_of(&self) -> Kind {
        match self {
            Self::HashedRekord(_) => Kind::HashedRekord,
            Self::Dsse(_) => Kind::Dsse,
            Self::Intoto(_) => Kind::Intoto,
        }
    }

    /// The kind.
    pub fn kind(&self) -> &'static str {
        self.kind_of().name()
    }

    /// The kind's version.
    pub fn api_version(&self) -> &'static str {
        self.kind_of().api_version()
    }

    /// The JSON bytes, keys sorted.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, version) = (self.kind(), self.api_version());
        match self {
            Self::HashedRekord(s) => encode_tagged(kind, version, s),
            Self::Dsse(s) => encode_tagged(kind, version, s),
            Self::Intoto(s) => encode_tagged(kind, version, s),
        }
    }
}

/// A canonical entry body: the bytes Rekor logs (the Merkle leaf) and answers as `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `hashedrekord` 0.0.1.
    HashedRekord(hashedrekord::Spec),
    /// `dsse` 0.0.1.
    Dsse(dsse::Spec),
    /// `intoto` 0.0.2.
    Intoto(intoto::Spec),
}

impl Body {
    const WHAT: &'static str = "log entry body";

    /// Reads a body from its bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let (kind, version, s) = split(Self::WHAT, from_bytes(Self::WHAT, bytes)?)?;
        Ok(match Kind::parse(&kind, &version)? {
            Kind::HashedRekord => Self::HashedRekord(spec("hashedrekord body", s)?),
            Kind::Dsse => Self::Dsse(spec("dsse body", s)?),
            Kind::Intoto => Self::Intoto(spec("intoto body", s)?),
        })
    }

    /// The kind and its version.
    pub fn kind_of(&self) -> Kind {
        match self {
            Self::HashedRekord(_) => Kind::HashedRekord,
            Self::Dsse(_) => Kind::Dsse,
            Self::Intoto(_) => Kind::Intoto,
        }
    }

    /// The kind.
    pub fn kind(&self) -> &'static str {
        self.kind_of().name()
    }

    /// The kind's version.
    pub fn api_version(&self) -> &'static str {
        self.kind_of().api_version()
    }

    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, version) = (self.kind(), self.api_version());
        match self {
            Self::HashedRekord(s) => encode_tagged(kind, version, s),
            Self::Dsse(s) => encode_tagged(kind, version, s),
            Self::Intoto(s) => encode_tagged(kind, version, s),
        }
    }
}

/// `kind` and `apiVersion` of any Rekor body (v1 or v2), read before choosing its parser.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KindVersion {
    /// The kind.
    pub kind: String,
    /// Its version.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
}

impl KindVersion {
    /// Reads the two fields of a body (the rest is its parser's to check).
    pub fn of_body(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_value(from_bytes("log entry body", bytes)?).map_err(|source| {
            ParseError::Shape {
                what: "log entry body",
                source,
            }
        })
    }
}

/// Serde adapters for the answers' bytes and hashes.
mod bytes {
    use super::*;

    pub(super) fn hex(bytes: &[u8]) -> String {
        ::hex::encode(bytes)
    }

    /// 64 hex digits, either case.
    pub(super) fn unhex32(s: &str) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        ::hex::decode_to_slice(s, &mut out).ok()?;
        Some(out)
    }

    /// Standard base64, padded.
    pub(super) mod b64 {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&STANDARD.encode(v))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
            let s = String::deserialize(d)?;
            STANDARD
                .decode(&s)
                .map_err(|e| de::Error::custom(format!("not base64: {e}")))
        }
    }

    /// A SHA-256 hash as 64 lowercase hex digits (either case read).
    pub(super) mod hex32 {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&hex(v))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
            let s = String::deserialize(d)?;
            unhex32(&s).ok_or_else(|| de::Error::custom(format!("`{s}` is not 64 hex digits")))
        }
    }

    /// A list of [`hex32`].
    pub(super) mod hex32_list {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|h| hex(h)))
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<[u8; 32]>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|s| {
                    unhex32(s)
                        .ok_or_else(|| de::Error::custom(format!("`{s}` is not 64 hex digits")))
                })
                .collect()
        }
    }

    /// A 64-bit integer as a decimal string (`treeID`).
    pub(super) mod u64_string {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&v.to_string())
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
            let s = String::deserialize(d)?;
            s.parse()
                .map_err(|_| de::Error::custom(format!("`{s}` is not a decimal integer")))
        }
    }
}

/// Lowercase hex, as Rekor writes log IDs and hashes.
pub fn hex(bytes: &[u8]) -> String {
    bytes::hex(bytes)
}

/// An entry as Rekor v1 answers it: `{uuid: LogEntryAnon}` (`POST /api/v1/log/entries`, `GET
/// /api/v1/log/entries/{uuid}`, `GET /api/v1/log/entries?logIndex=`, and each item of a
/// search).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// `treeID (16 hex) || leaf hash (64 hex)`.
    pub uuid: String,
    /// The entry.
    pub entry: LogEntryAnon,
}

impl LogEntry {
    /// Reads `{uuid: entry}`: exactly one entry.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
            what: "log entry",
            source,
        })
    }

    /// The compact JSON, keys sorted (no trailing newline: that is the HTTP answer's).
    pub fn encode(&self) -> Vec<u8> {
        // Cannot fail: string keys, and strings, integers and lists.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl Serialize for LogEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(&self.uuid, &self.entry)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for LogEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct One;
        impl<'de> Visitor<'de> for One {
            type Value = LogEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of one entry keyed by its UUID")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LogEntry, A::Error> {
                let (uuid, entry) = map
                    .next_entry::<String, LogEntryAnon>()?
                    .ok_or_else(|| de::Error::custom("no entry"))?;
                if let Some(other) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "more than one entry ({uuid} and {other})"
                    )));
                }
                Ok(LogEntry { uuid, entry })
            }
        }
        d.deserialize_map(One)
    }
}

/// `LogEntryAnon`: one entry with its proof and its signed entry timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntryAnon {
    /// An attestation Rekor stored beside the entry (some real instances, for intoto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Attestation>,
    /// The canonical body (the Merkle leaf), base64 on the wire.
    #[serde(with = "bytes::b64")]
    pub body: Vec<u8>,
    /// When the log took the entry (Unix seconds).
    #[serde(rename = "integratedTime")]
    pub integrated_time: i64,
    /// SHA-256 of the log's DER public key, hex on the wire.
    #[serde(rename = "logID", with = "bytes::hex32")]
    pub log_id: [u8; 32],
    /// The global log index (across shards).
    #[serde(rename = "logIndex")]
    pub log_index: u64,
    /// Proof and promise.
    pub verification: Verification,
}

impl LogEntryAnon {
    /// What the signed entry timestamp signs.
    pub fn set_payload(&self) -> SetPayload {
        SetPayload {
            body: self.body.clone(),
            integrated_time: self.integrated_time,
            log_id: self.log_id,
            log_index: self.log_index,
        }
    }
}

/// `attestation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// Base64 of the attestation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// `verification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// The inclusion proof in the shard's tree.
    #[serde(rename = "inclusionProof")]
    pub inclusion_proof: InclusionProof,
    /// The SET: the log's ECDSA (DER) signature over the [`SetPayload`], base64 on the wire.
    #[serde(rename = "signedEntryTimestamp", with = "bytes::b64")]
    pub signed_entry_timestamp: Vec<u8>,
}

/// `verification.inclusionProof`. Rekor's sharded log: the entry's `logIndex` is global, this
/// one is the leaf's within its shard's tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The signed checkpoint (C2SP signed note) of the tree the proof is in.
    pub checkpoint: String,
    /// The audit path, leaf to root.
    #[serde(with = "bytes::hex32_list")]
    pub hashes: Vec<[u8; 32]>,
    /// The leaf's index in the shard.
    #[serde(rename = "logIndex")]
    pub log_index: u64,
    /// The tree's root hash.
    #[serde(rename = "rootHash", with = "bytes::hex32")]
    pub root_hash: [u8; 32],
    /// The tree's size.
    #[serde(rename = "treeSize")]
    pub tree_size: u64,
}

/// What a signed entry timestamp signs: the canonical JSON of the entry's body, integrated
/// time, log ID and global log index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPayload {
    /// The canonical body, base64 on the wire.
    #[serde(with = "bytes::b64")]
    pub body: Vec<u8>,
    /// Unix seconds.
    #[serde(rename = "integratedTime")]
    pub integrated_time: i64,
    /// The log ID, hex on the wire.
    #[serde(rename = "logID", with = "bytes::hex32")]
    pub log_id: [u8; 32],
    /// The global log index.
    #[serde(rename = "logIndex")]
    pub log_index: u64,
}

impl SetPayload {
    /// Reads a payload.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
            what: "SET payload",
            source,
        })
    }

    /// The bytes the SET signs.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// `GET /api/v1/log`: the active shard, with the frozen ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogInfo {
    /// The frozen shards, oldest first (Rekor omits the field when there are none; this log
    /// always writes it).
    #[serde(rename = "inactiveShards", default)]
    pub inactive_shards: Vec<ShardInfo>,
    /// The active shard's root hash.
    #[serde(rename = "rootHash", with = "bytes::hex32")]
    pub root_hash: [u8; 32],
    /// Its signed checkpoint.
    #[serde(rename = "signedTreeHead")]
    pub signed_tree_head: String,
    /// Its tree ID (a decimal string on the wire).
    #[serde(rename = "treeID", with = "bytes::u64_string")]
    pub tree_id: u64,
    /// Its size.
    #[serde(rename = "treeSize")]
    pub tree_size: u64,
}

/// One shard's head (`InactiveShardLogInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardInfo {
    /// Root hash.
    #[serde(rename = "rootHash", with = "bytes::hex32")]
    pub root_hash: [u8; 32],
    /// Signed checkpoint.
    #[serde(rename = "signedTreeHead")]
    pub signed_tree_head: String,
    /// Tree ID (a decimal string on the wire).
    #[serde(rename = "treeID", with = "bytes::u64_string")]
    pub tree_id: u64,
    /// Size.
    #[serde(rename = "treeSize")]
    pub tree_size: u64,
}

impl LogInfo {
    /// Reads a log info answer.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
            what: "log info",
            source,
        })
    }

    /// The compact JSON, keys sorted.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A shard's head, as the active one.
    pub fn active(shard: ShardInfo, inactive_shards: Vec<ShardInfo>) -> Self {
        Self {
            inactive_shards,
            root_hash: shard.root_hash,
            signed_tree_head: shard.signed_tree_head,
            tree_id: shard.tree_id,
            tree_size: shard.tree_size,
        }
    }
}

/// `GET /api/v1/log/proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The proof's hashes.
    #[serde(with = "bytes::hex32_list")]
    pub hashes: Vec<[u8; 32]>,
    /// The root hash at the larger size.
    #[serde(rename = "rootHash", with = "bytes::hex32")]
    pub root_hash: [u8; 32],
}

impl ConsistencyProof {
    /// Reads a consistency proof answer.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
            what: "consistency proof",
            source,
        })
    }

    /// The compact JSON, keys sorted.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// `POST /api/v1/log/entries/retrieve`: entries by UUID or by global index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchLogQuery {
    /// UUIDs (64 or 80 hex digits).
    #[serde(rename = "entryUUIDs", default, skip_serializing_if = "Vec::is_empty")]
    pub entry_uuids: Vec<String>,
    /// Global log indexes.
    #[serde(rename = "logIndexes", default, skip_serializing_if = "Vec::is_empty")]
    pub log_indexes: Vec<u64>,
}

/// `POST /api/v1/index/retrieve`: UUIDs of the entries with a digest, an email or a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchIndex {
    /// An email address from a certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A digest, `sha256:<hex>` or bare hex (SHA-256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// `and` or `or` (the default) over the criteria given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// A key or certificate.
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<SearchPublicKey>,
}

/// `SearchIndex.publicKey`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchPublicKey {
    /// Base64 of the key or certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `x509`, `pgp`, `minisign`, `ssh` or `tuf` (Rekor's; absent means x509 here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Where Rekor may fetch the key instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

macro_rules! json_request {
    ($($t:ty => $what:literal),*) => {$(
        impl $t {
            /// Reads the request from JSON already parsed (a server checks nesting and
            /// duplicate keys on the bytes first).
            pub fn from_value(value: Value) -> Result<Self, ParseError> {
                serde_json::from_value(value)
                    .map_err(|source| ParseError::Shape { what: $what, source })
            }

            /// Reads the request from its bytes.
            pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
                Self::from_value(from_bytes($what, bytes)?)
            }

            /// The compact JSON, keys sorted.
            pub fn encode(&self) -> Vec<u8> {
                serde_json::to_vec(self).unwrap_or_default()
            }
        }
    )*};
}

json_request!(SearchLogQuery => "search query", SearchIndex => "index query");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_odd_input() {
        let h: [u8; 32] = std::array::from_fn(|i| (i * 9) as u8);
        assert_eq!(bytes::unhex32(&hex(&h)), Some(h));
        assert_eq!(bytes::unhex32(&hex(&h).to_uppercase()), Some(h));
        assert_eq!(bytes::unhex32(&hex(&h[..31])), None);
        assert_eq!(bytes::unhex32(&"zz".repeat(32)), None);
        assert_eq!(bytes::unhex32(&"é".repeat(32)), None);
    }

    #[test]
    fn a_proposal_names_what_is_wrong_with_its_envelope() {
        let cases: [(&str, &str); 7] = [
            ("[]", "proposed entry must be a JSON object"),
            (r#"{"apiVersion":"0.0.1","spec":{}}"#, "has no `kind`"),
            (
                r#"{"kind":1,"apiVersion":"0.0.1","spec":{}}"#,
                "has no `kind`",
            ),
            (
                r#"{"kind":"hashedrekord","spec":{}}"#,
                "has no `apiVersion`",
            ),
            (
                r#"{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{},"x":1}"#,
                "unknown field `x`",
            ),
            (
                r#"{"kind":"hashedrekord","apiVersion":"0.0.2","spec":{}}"#,
                "unsupported hashedrekord version `0.0.2` (want 0.0.1)",
            ),
            (
                r#"{"kind":"rpm","apiVersion":"0.0.1","spec":{}}"#,
                "unknown kind `rpm`",
            ),
        ];
        for (input, needle) in cases {
            let err = ProposedEntry::parse(input.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn dsse_output_fields_in_a_proposal_are_taken_and_dropped() {
        let p = br#"{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":null,"payloadHash":{"x":1},"proposedContent":{"envelope":"{}","publicKeys":["a"]},"signatures":null}}"#;
        let parsed = ProposedEntry::parse(p).unwrap();
        assert_eq!(
            String::from_utf8(parsed.encode()).unwrap(),
            r#"{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":{"envelope":"{}","verifiers":["a"]}}}"#
        );
    }

    #[test]
    fn a_log_entry_is_exactly_one_entry() {
        assert!(LogEntry::parse(b"{}").is_err());
        let entry = LogEntry {
            uuid: "ab".into(),
            entry: LogEntryAnon {
                attestation: None,
                body: b"{}".to_vec(),
                integrated_time: 1,
                log_id: [1; 32],
                log_index: 2,
                verification: Verification {
                    inclusion_proof: InclusionProof {
                        checkpoint: "c\n".into(),
                        hashes: vec![[2; 32]],
                        log_index: 0,
                        root_hash: [3; 32],
                        tree_size: 1,
                    },
                    signed_entry_timestamp: vec![4],
                },
            },
        };
        let bytes = entry.encode();
        assert_eq!(LogEntry::parse(&bytes).unwrap(), entry);
        let text = String::from_utf8(bytes).unwrap();
        let two = format!("{{\"ab\":{0},\"cd\":{0}}}", &text[6..text.len() - 1]);
        let err = LogEntry::parse(two.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("more than one entry"), "{err}");
    }
}
