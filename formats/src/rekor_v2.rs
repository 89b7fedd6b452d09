//! Rekor v2 (rekor-tiles) create-entry requests and the entry bodies it logs.
//!
//! rekor-tiles speaks protojson (`api/proto/rekor/v2`, through grpc-gateway). The rules that
//! matter here:
//! - A request field may be spelled by its JSON name (`hashedRekordRequestV002`) or its proto
//!   name (`hashed_rekord_request_v002`); unknown fields are refused (rekor-tiles sets
//!   `DiscardUnknown: false`), and so is a field twice.
//! - `bytes` are base64, standard or URL-safe, padded or not, when read; the fields here keep
//!   them as sent, and decoding them is the log's (`stack::rekor_v2`), which names the field
//!   that fails.
//! - A logged body is the RFC 8785 canonical JSON of the protojson `Entry` (rekor-tiles'
//!   `jsoncanonicalizer.Transform`): JSON names, keys sorted, no whitespace, `bytes` as standard
//!   padded base64. Struct fields are declared in key order, so `serde_json::to_vec` writes it;
//!   every value is an ASCII string or a list, which RFC 8785 and serde_json spell alike.
//!
//! The errors are [`crate::rekor_v1::ParseError`]'s: one family for both Rekor APIs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::rekor_v1::ParseError;

/// `CreateEntryRequest`: exactly one of its `spec` oneof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateEntryRequest {
    /// `hashedRekordRequestV002`.
    HashedRekord(HashedRekordRequestV002),
    /// `dsseRequestV002`.
    Dsse(DsseRequestV002),
}

/// The request as protojson reads it, before its oneof is checked.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(
        rename = "dsseRequestV002",
        alias = "dsse_request_v002",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    dsse: Option<DsseRequestV002>,
    #[serde(
        rename = "hashedRekordRequestV002",
        alias = "hashed_rekord_request_v002",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    hashed_rekord: Option<HashedRekordRequestV002>,
}

impl CreateEntryRequest {
    /// Reads a request from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let value = serde_json::from_slice(bytes).map_err(|source| ParseError::NotJson {
            what: "CreateEntryRequest",
            source,
        })?;
        Self::from_value(value)
    }

    /// Reads a request from JSON already parsed (a server checks nesting and duplicate keys on
    /// the bytes first).
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let raw: RawRequest =
            serde_json::from_value(value).map_err(|source| ParseError::Shape {
                what: "CreateEntryRequest",
                source,
            })?;
        let (a, b) = ("hashedRekordRequestV002", "dsseRequestV002");
        match (raw.hashed_rekord, raw.dsse) {
            (Some(hr), None) => Ok(Self::HashedRekord(hr)),
            (None, Some(ds)) => Ok(Self::Dsse(ds)),
            (Some(_), Some(_)) => Err(ParseError::BothOfOneof {
                what: "request",
                a,
                b,
            }),
            (None, None) => Err(ParseError::NeitherOfOneof {
                what: "request",
                a,
                b,
            }),
        }
    }

    /// The JSON bytes (JSON names, keys sorted).
    pub fn encode(&self) -> Vec<u8> {
        let raw = match self {
            Self::HashedRekord(hr) => RawRequest {
                dsse: None,
                hashed_rekord: Some(hr.clone()),
            },
            Self::Dsse(ds) => RawRequest {
                dsse: Some(ds.clone()),
                hashed_rekord: None,
            },
        };
        // Cannot fail: string keys, and strings and lists.
        serde_json::to_vec(&raw).unwrap_or_default()
    }
}

/// `HashedRekordRequestV002`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashedRekordRequestV002 {
    /// The artifact's digest (protojson `bytes`).
    pub digest: String,
    /// The signature and who made it.
    pub signature: Signature,
}

/// `Signature`: as requested and as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// The signature (protojson `bytes`).
    pub content: String,
    /// Who made it.
    pub verifier: Verifier,
}

/// `Verifier`: a key or a certificate (a oneof, which the log checks), with the key details
/// that name its algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verifier {
    /// protobuf-specs `PublicKeyDetails`, e.g. `PKIX_ECDSA_P256_SHA_256`.
    #[serde(rename = "keyDetails", alias = "key_details")]
    pub key_details: String,
    /// A DER SubjectPublicKeyInfo.
    #[serde(
        rename = "publicKey",
        alias = "public_key",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub public_key: Option<RawBytes>,
    /// A DER certificate.
    #[serde(
        rename = "x509Certificate",
        alias = "x509_certificate",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub x509_certificate: Option<RawBytes>,
}

/// `{"rawBytes"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBytes {
    /// protojson `bytes`.
    #[serde(rename = "rawBytes", alias = "raw_bytes")]
    pub raw_bytes: String,
}

/// `DSSERequestV002`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DsseRequestV002 {
    /// The envelope.
    pub envelope: Envelope,
    /// The keys or certificates that may have signed it.
    pub verifiers: Vec<Verifier>,
}

/// `io.intoto.Envelope` in protojson: the payload is `bytes` (base64 once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The payload (protojson `bytes`).
    pub payload: String,
    /// The payload type.
    #[serde(rename = "payloadType", alias = "payload_type")]
    pub payload_type: String,
    /// The signatures.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One envelope signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// A hint only; the log keeps verifiers, not key IDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    /// The signature (protojson `bytes`).
    pub sig: String,
}

/// `HashOutput`: a digest with its protobuf-specs `HashAlgorithm` name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashOutput {
    /// `SHA2_256`, `SHA2_384` or `SHA2_512`.
    pub algorithm: String,
    /// Standard base64 of the digest.
    pub digest: String,
}

/// `HashedRekordLogEntryV002`: what the log keeps of a hashedrekord request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashedRekordLogEntryV002 {
    /// The signed digest.
    pub data: HashOutput,
    /// The signature and its verifier, bytes re-encoded as standard base64.
    pub signature: Signature,
}

/// `DSSELogEntryV002`: what the log keeps of a DSSE request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DsseLogEntryV002 {
    /// SHA-256 of the payload.
    #[serde(rename = "payloadHash")]
    pub payload_hash: HashOutput,
    /// Each signature with the verifier that verified it, sorted by the raw signature bytes.
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HashedRekordSpec {
    #[serde(rename = "hashedRekordV002")]
    hashed_rekord_v002: HashedRekordLogEntryV002,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DsseSpec {
    #[serde(rename = "dsseV002")]
    dsse_v002: DsseLogEntryV002,
}

/// A logged entry body (the Merkle leaf and `canonicalizedBody`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `hashedrekord` 0.0.2.
    HashedRekord(HashedRekordLogEntryV002),
    /// `dsse` 0.0.2.
    Dsse(DsseLogEntryV002),
}

impl Body {
    const WHAT: &'static str = "log entry body";

    /// Reads a body from its bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let value = serde_json::from_slice(bytes).map_err(|source| ParseError::NotJson {
            what: Self::WHAT,
            source,
        })?;
        let (kind, version, spec) = crate::rekor_v1::split(Self::WHAT, value)?;
        let kind = match kind.as_str() {
            "hashedrekord" => "hashedrekord",
            "dsse" => "dsse",
            _ => return Err(ParseError::UnknownKind { kind }),
        };
        if version != "0.0.2" {
            return Err(ParseError::UnsupportedVersion {
                kind,
                version,
                want: "0.0.2",
            });
        }
        let shape = |what| move |source| ParseError::Shape { what, source };
        let body = if kind == "hashedrekord" {
            Self::HashedRekord(
                serde_json::from_value::<HashedRekordSpec>(spec)
                    .map_err(shape("hashedrekord v0.0.2 body"))?
                    .hashed_rekord_v002,
            )
        } else {
            Self::Dsse(
                serde_json::from_value::<DsseSpec>(spec)
                    .map_err(shape("dsse v0.0.2 body"))?
                    .dsse_v002,
            )
        };
        Ok(body)
    }

    /// The kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::HashedRekord(_) => "hashedrekord",
            Self::Dsse(_) => "dsse",
        }
    }

    /// The kind's version: always 0.0.2.
    pub fn api_version(&self) -> &'static str {
        "0.0.2"
    }

    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::HashedRekord(e) => crate::rekor_v1::encode_tagged(
                self.kind(),
                self.api_version(),
                &HashedRekordSpec {
                    hashed_rekord_v002: e.clone(),
                },
            ),
            Self::Dsse(e) => crate::rekor_v1::encode_tagged(
                self.kind(),
                self.api_version(),
                &DsseSpec {
                    dsse_v002: e.clone(),
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_exactly_one_of_its_oneof() {
        for (input, needle) in [
            (
                r#"{}"#,
                "request has neither hashedRekordRequestV002 nor dsseRequestV002",
            ),
            (
                r#"{"hashedRekordRequestV002":{"digest":"","signature":{"content":"","verifier":{"keyDetails":""}}},"dsse_request_v002":{"envelope":{"payload":"","payloadType":"","signatures":[]},"verifiers":[]}}"#,
                "(a oneof)",
            ),
            (r#"{"other":1}"#, "unknown field `other`"),
        ] {
            let err = CreateEntryRequest::parse(input.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn proto_names_read_and_json_names_written() {
        let proto = br#"{"hashed_rekord_request_v002":{"digest":"AA","signature":{"content":"AQ","verifier":{"key_details":"K","public_key":{"raw_bytes":"Ag"}}}}}"#;
        let request = CreateEntryRequest::parse(proto).unwrap();
        assert_eq!(
            String::from_utf8(request.encode()).unwrap(),
            r#"{"hashedRekordRequestV002":{"digest":"AA","signature":{"content":"AQ","verifier":{"keyDetails":"K","publicKey":{"rawBytes":"Ag"}}}}}"#
        );
    }
}
