//! DSSE: the envelope, its pre-authentication encoding (PAE), and the in-toto statement header.
//!
//! One definition for the bundle's `dsseEnvelope`, the envelope Rekor v1's `dsse` kind reads
//! from a proposal, and what the signer writes. [`Envelope::parse`] reads DSSE's own JSON
//! (`{"payload", "payloadType", "signatures": [{"keyid", "sig"}]}`): `payload` and `sig` are
//! standard padded base64, as DSSE's protocol writes them, with no line breaks; unknown fields
//! are ignored, as Rekor's Go decoder ignores them. A bundle's envelope is protobuf JSON, read
//! by [`crate::bundle::Bundle::parse`] into the same type.
//!
//! The in-toto [`Statement`] is its header only: `_type` and the subjects' digests, which is
//! what the verifier checks and what Rekor indexes; the predicate is not read.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::encoding::ser_b64;
use crate::error::FormatError;

/// The payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The `_type` prefix every in-toto statement version has (`.../Statement/v0.1`, `/v1`).
pub const IN_TOTO_STATEMENT_PREFIX: &str = "https://in-toto.io/Statement/";

/// rekor-tiles' bounds on a DSSE request (`maxVerifiers`, `maxSignatures`), which sigbox's two
/// logs both apply: each signature is tried against each verifier, so without them a 1 MiB
/// proposal costs thousands of verifications.
pub const MAX_VERIFIERS: usize = 10;
/// See [`MAX_VERIFIERS`].
pub const MAX_SIGNATURES: usize = 10;

/// `PAE(type, payload)` = `"DSSEv1" SP len(type) SP type SP len(payload) SP payload` (DSSE v1
/// protocol): the bytes every DSSE signature is over.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// `keyid`: kept as found (sigbox writes `""`; protobuf JSON leaves an empty one out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    /// The signature over the PAE.
    #[serde(serialize_with = "ser_b64")]
    pub sig: Vec<u8>,
}

/// A DSSE envelope (`io.intoto.Envelope`), its bytes decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The payload's bytes.
    #[serde(serialize_with = "ser_b64")]
    pub payload: Vec<u8>,
    /// Its type, e.g. [`IN_TOTO_PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    payload: String,
    payload_type: String,
    signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
struct RawSignature {
    #[serde(default)]
    keyid: Option<String>,
    sig: String,
}

/// Strict standard base64: padded, canonical, no line breaks, so encoding the bytes again
/// gives the text back (Rekor logs a signature as the client sent it).
fn strict_b64(field: String, s: &str) -> Result<Vec<u8>, FormatError> {
    STANDARD
        .decode(s)
        .map_err(|source| FormatError::Base64 { field, source })
}

impl Envelope {
    /// Parses DSSE's JSON envelope (see the module's doc). A field of the wrong shape or a
    /// missing one is serde's message; bad base64 names `payload` or `signatures[i].sig`.
    pub fn parse(json: &[u8]) -> Result<Self, FormatError> {
        let raw: RawEnvelope =
            serde_json::from_slice(json).map_err(|source| FormatError::Json {
                doc: "DSSE envelope",
                source,
            })?;
        Ok(Self {
            payload: strict_b64("DSSE envelope payload".to_owned(), &raw.payload)?,
            payload_type: raw.payload_type,
            signatures: raw
                .signatures
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    Ok(Signature {
                        keyid: s.keyid,
                        sig: strict_b64(format!("DSSE envelope signatures[{i}].sig"), &s.sig)?,
                    })
                })
                .collect::<Result<_, FormatError>>()?,
        })
    }

    /// The bytes its signatures are over: [`pae`] of its type and payload.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

/// An in-toto statement's header (any version): its `_type` and subjects. `null` and absent
/// read alike, as Go's decoder reads them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Statement {
    /// `_type`, e.g. `https://in-toto.io/Statement/v1`.
    #[serde(rename = "_type", default)]
    pub statement_type: Option<String>,
    /// The subjects.
    #[serde(default, deserialize_with = "null_as_default")]
    pub subject: Vec<Subject>,
}

/// One subject of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Subject {
    /// Its name, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// Its digests: algorithm name (`sha256`) to hex.
    #[serde(default, deserialize_with = "null_as_default")]
    pub digest: BTreeMap<String, String>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl Statement {
    /// Parses a statement's header from an envelope's payload.
    pub fn parse(payload: &[u8]) -> Result<Self, FormatError> {
        serde_json::from_slice(payload).map_err(|source| FormatError::Json {
            doc: "in-toto statement",
            source,
        })
    }

    /// Whether `_type` names an in-toto statement.
    pub fn is_in_toto(&self) -> bool {
        self.statement_type
            .as_deref()
            .is_some_and(|t| t.starts_with(IN_TOTO_STATEMENT_PREFIX))
    }

    /// Whether a subject has SHA-256 digest `hex` (compared without case).
    pub fn has_sha256(&self, hex: &str) -> bool {
        self.subject.iter().any(|s| {
            s.digest
                .get("sha256")
                .is_some_and(|h| h.eq_ignore_ascii_case(hex))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn envelope_parses_and_encodes_back() {
        let json = br#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"","sig":"AAE="}],"extra":1}"#;
        let env = Envelope::parse(json).unwrap();
        assert_eq!(env.payload, b"hi");
        assert_eq!(env.signatures[0].sig, [0, 1]);
        assert_eq!(env.pae(), b"DSSEv1 1 t 2 hi");
        assert_eq!(
            serde_json::to_string(&env).unwrap(),
            r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"","sig":"AAE="}]}"#
        );
    }

    #[test]
    fn envelope_refuses_naming_the_field() {
        let e = Envelope::parse(br#"{"payloadType":"t","signatures":[]}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `payload`"), "{e}");
        let e =
            Envelope::parse(br#"{"payload":"aGk","payloadType":"t","signatures":[]}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("DSSE envelope payload is not valid base64"),
            "{e}"
        );
        let e =
            Envelope::parse(br#"{"payload":"","payloadType":"t","signatures":[{"sig":"AA\nE="}]}"#)
                .unwrap_err();
        assert!(
            e.to_string().starts_with("DSSE envelope signatures[0].sig"),
            "{e}"
        );
    }

    #[test]
    fn statement_header_reads_subjects() {
        let st = Statement::parse(
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"AB"}},{"digest":null}],"predicate":{}}"#,
        )
        .unwrap();
        assert!(st.is_in_toto());
        assert!(st.has_sha256("ab") && !st.has_sha256("cd"));
        let none = Statement::parse(br#"{"_type":"x","subject":null}"#).unwrap();
        assert!(!none.is_in_toto() && none.subject.is_empty());
        assert!(Statement::parse(br#"{"_type":1}"#).is_err());
    }
}
