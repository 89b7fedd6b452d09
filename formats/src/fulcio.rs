//! Fulcio's API: the v2 `signingCert` request and answer (embedded or detached SCT), the v1 request, the trust bundle.
//!
//! Fulcio v2 speaks protojson through grpc-gateway: a request field may be spelled by its JSON
//! name (`publicKeyRequest`) or its proto name (`public_key_request`), and an unknown field is
//! refused. `bytes` fields (`proofOfPossession`, `certificateSigningRequest`) are base64 and
//! decoded here, naming the field that fails. The answers are written with sorted keys, as the
//! stack has always written them (the golden `fulcio/*.json`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ct::AddChainResponse;

/// Why a Fulcio document was refused. The messages are Fulcio's where it has one.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON of the request's (or answer's) shape: serde's reason names the field.
    #[error("malformed {what}: {source}")]
    Shape {
        /// What was being read.
        what: &'static str,
        /// serde_json's reason.
        source: serde_json::Error,
    },
    /// A `bytes` field that is not base64.
    #[error("{field} is not base64: {source}")]
    Base64 {
        /// The field.
        field: &'static str,
        /// The decoder's reason.
        source: base64::DecodeError,
    },
    /// Both arms of the v2 request's key oneof.
    #[error("send either publicKeyRequest or certificateSigningRequest, not both")]
    BothKeys,
    /// Neither arm of the v2 request's key oneof.
    #[error(
        "The public key supplied in the request could not be parsed: \
         no publicKeyRequest or certificateSigningRequest"
    )]
    NoKey,
    /// A v1 request with neither a key nor a CSR.
    #[error("public key not provided")]
    NoKeyV1,
    /// An answer with neither (or both) of `signedCertificateEmbeddedSct` and
    /// `signedCertificateDetachedSct`.
    #[error("answer has {0} of signedCertificateEmbeddedSct and signedCertificateDetachedSct")]
    AnswerOneof(&'static str),
    /// The detached SCT is not ct-go's `AddChainResponse` JSON.
    #[error("signedCertificateDetachedSct.signedCertificateTimestamp: {0}")]
    DetachedSct(#[source] crate::ct::ParseError),
}

fn shape<T: DeserializeOwned>(what: &'static str, value: Value) -> Result<T, ParseError> {
    serde_json::from_value(value).map_err(|source| ParseError::Shape { what, source })
}

fn json(bytes: &[u8]) -> Result<Value, ParseError> {
    serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
        what: "request",
        source,
    })
}

fn unb64(field: &'static str, s: &str) -> Result<Vec<u8>, ParseError> {
    STANDARD
        .decode(s.trim())
        .map_err(|source| ParseError::Base64 { field, source })
}

fn write<T: Serialize>(value: &T) -> Vec<u8> {
    // Strings and lists only: serialising cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// v2 `CreateSigningCertificateRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCertRequest {
    /// `credentials.oidcIdentityToken`; absent or empty when the token comes in the
    /// `Authorization` header instead.
    pub token: Option<String>,
    /// The key to certify, and how its holder shows it holds it.
    pub key: KeyRequest,
}

/// The `key` oneof of the v2 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRequest {
    /// `publicKeyRequest`.
    PublicKey {
        /// `publicKey.algorithm` (`ECDSA`, `RSA_PSS`, `ED25519`): Fulcio reads the key itself.
        algorithm: Option<String>,
        /// `publicKey.content`: PEM, or base64 DER; empty when absent.
        content: String,
        /// `proofOfPossession`: a signature over the token's subject; empty when absent.
        proof_of_possession: Vec<u8>,
    },
    /// `certificateSigningRequest`: a PKCS #10 CSR, PEM or DER.
    Csr(Vec<u8>),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawV2Request {
    #[serde(
        alias = "certificate_signing_request",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    certificate_signing_request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credentials: Option<RawCredentials>,
    #[serde(
        alias = "public_key_request",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    public_key_request: Option<RawPublicKeyRequest>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCredentials {
    #[serde(
        alias = "oidc_identity_token",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    oidc_identity_token: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPublicKeyRequest {
    #[serde(
        alias = "proof_of_possession",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    proof_of_possession: Option<String>,
    #[serde(alias = "public_key", default, skip_serializing_if = "Option::is_none")]
    public_key: Option<RawPublicKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublicKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
}

impl SigningCertRequest {
    /// Reads a request from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::from_value(json(bytes)?)
    }

    /// Reads a request from JSON already parsed (a server checks nesting and duplicate keys on
    /// the bytes first).
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let raw: RawV2Request = shape("request", value)?;
        let key = match (raw.public_key_request, raw.certificate_signing_request) {
            (Some(_), Some(_)) => return Err(ParseError::BothKeys),
            (None, None) => return Err(ParseError::NoKey),
            (None, Some(csr)) => KeyRequest::Csr(unb64("certificateSigningRequest", &csr)?),
            (Some(pk), None) => {
                let (algorithm, content) = pk
                    .public_key
                    .map(|k| (k.algorithm, k.content.unwrap_or_default()))
                    .unwrap_or_default();
                KeyRequest::PublicKey {
                    algorithm,
                    content,
                    proof_of_possession: unb64(
                        "proofOfPossession",
                        pk.proof_of_possession.as_deref().unwrap_or_default(),
                    )?,
                }
            }
        };
        Ok(Self {
            token: raw.credentials.and_then(|c| c.oidc_identity_token),
            key,
        })
    }

    /// The JSON bytes (JSON names, keys sorted).
    pub fn encode(&self) -> Vec<u8> {
        let (public_key_request, certificate_signing_request) = match &self.key {
            KeyRequest::PublicKey {
                algorithm,
                content,
                proof_of_possession,
            } => (
                Some(RawPublicKeyRequest {
                    proof_of_possession: Some(STANDARD.encode(proof_of_possession)),
                    public_key: Some(RawPublicKey {
                        algorithm: algorithm.clone(),
                        content: Some(content.clone()),
                    }),
                }),
                None,
            ),
            KeyRequest::Csr(csr) => (None, Some(STANDARD.encode(csr))),
        };
        write(&RawV2Request {
            certificate_signing_request,
            credentials: self.token.as_ref().map(|t| RawCredentials {
                oidc_identity_token: Some(t.clone()),
            }),
            public_key_request,
        })
    }
}

/// v2 `SigningCertificate`: the chain (leaf, intermediate, root; PEM), with the SCT in the
/// leaf or beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningCertResponse {
    /// `signedCertificateEmbeddedSct`.
    Embedded {
        /// `chain.certificates`, PEM, leaf first.
        chain: Vec<String>,
    },
    /// `signedCertificateDetachedSct`.
    Detached {
        /// `chain.certificates`, PEM, leaf first.
        chain: Vec<String>,
        /// `signedCertificateTimestamp`: ct-go's `AddChainResponse` JSON, sent as protojson
        /// `bytes`.
        sct: AddChainResponse,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_certificate_detached_sct: Option<RawDetached>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_certificate_embedded_sct: Option<RawEmbedded>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEmbedded {
    chain: CertificateChain,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDetached {
    chain: CertificateChain,
    signed_certificate_timestamp: String,
}

/// `CertificateChain`: PEM certificates, leaf (or intermediate) first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateChain {
    /// PEM certificates.
    pub certificates: Vec<String>,
}

impl SigningCertResponse {
    /// Reads the answer from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let raw: RawResponse =
            serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
                what: "signingCert answer",
                source,
            })?;
        match (
            raw.signed_certificate_embedded_sct,
            raw.signed_certificate_detached_sct,
        ) {
            (Some(e), None) => Ok(Self::Embedded {
                chain: e.chain.certificates,
            }),
            (None, Some(d)) => {
                let json = unb64(
                    "signedCertificateDetachedSct.signedCertificateTimestamp",
                    &d.signed_certificate_timestamp,
                )?;
                Ok(Self::Detached {
                    chain: d.chain.certificates,
                    sct: AddChainResponse::parse(&json).map_err(ParseError::DetachedSct)?,
                })
            }
            (Some(_), Some(_)) => Err(ParseError::AnswerOneof("both")),
            (None, None) => Err(ParseError::AnswerOneof("neither")),
        }
    }

    /// The chain, PEM, leaf first.
    pub fn chain(&self) -> &[String] {
        match self {
            Self::Embedded { chain } | Self::Detached { chain, .. } => chain,
        }
    }

    /// The JSON bytes (keys sorted).
    pub fn encode(&self) -> Vec<u8> {
        let raw = match self {
            Self::Embedded { chain } => RawResponse {
                signed_certificate_detached_sct: None,
                signed_certificate_embedded_sct: Some(RawEmbedded {
                    chain: CertificateChain {
                        certificates: chain.clone(),
                    },
                }),
            },
            Self::Detached { chain, sct } => RawResponse {
                signed_certificate_detached_sct: Some(RawDetached {
                    chain: CertificateChain {
                        certificates: chain.clone(),
                    },
                    signed_certificate_timestamp: STANDARD.encode(sct.encode()),
                }),
                signed_certificate_embedded_sct: None,
            },
        };
        write(&raw)
    }
}

/// v2 `TrustBundle`: the CA chains (intermediate, root; PEM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustBundle {
    /// One chain per CA.
    pub chains: Vec<CertificateChain>,
}

impl TrustBundle {
    /// Reads the bundle from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
            what: "trust bundle",
            source,
        })
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

/// v2 `Configuration`: the issuers whose tokens are taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// The issuers.
    pub issuers: Vec<OidcIssuer>,
}

/// One issuer of `Configuration` (fields in key order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OidcIssuer {
    /// The audience its tokens must have.
    pub audience: String,
    /// The claim the proof of possession signs.
    pub challenge_claim: String,
    /// The issuer URL.
    pub issuer_url: String,
    /// The SPIFFE trust domain it vouches for.
    pub spiffe_trust_domain: String,
}

impl Configuration {
    /// Reads the configuration from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        serde_json::from_slice(bytes).map_err(|source| ParseError::Shape {
            what: "configuration",
            source,
        })
    }

    /// The JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        write(self)
    }
}

/// The legacy v1 `signingCert` request (the answer is a PEM chain, not JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningCertRequestV1 {
    /// `publicKey` with `signedEmailAddress` as its proof.
    PublicKey {
        /// `publicKey.algorithm`.
        algorithm: Option<String>,
        /// `publicKey.content`: PEM text or DER (v1 sends the key as bytes).
        content: Vec<u8>,
        /// `signedEmailAddress`: a signature over the principal's name; empty when absent.
        signed_email_address: Vec<u8>,
    },
    /// `certificateSigningRequest` (taken first when both are sent, as Fulcio does).
    Csr(Vec<u8>),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawV1Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate_signing_request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<RawPublicKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_email_address: Option<String>,
}

impl SigningCertRequestV1 {
    /// Reads a request from its JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::from_value(json(bytes)?)
    }

    /// Reads a request from JSON already parsed.
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let raw: RawV1Request = shape("request", value)?;
        match (raw.certificate_signing_request, raw.public_key) {
            (Some(csr), _) if !csr.is_empty() => {
                Ok(Self::Csr(unb64("certificateSigningRequest", &csr)?))
            }
            (_, Some(pk)) => Ok(Self::PublicKey {
                algorithm: pk.algorithm,
                content: unb64("publicKey.content", &pk.content.unwrap_or_default())?,
                signed_email_address: unb64(
                    "signedEmailAddress",
                    &raw.signed_email_address.unwrap_or_default(),
                )?,
            }),
            _ => Err(ParseError::NoKeyV1),
        }
    }

    /// The JSON bytes (keys sorted).
    pub fn encode(&self) -> Vec<u8> {
        let raw = match self {
            Self::PublicKey {
                algorithm,
                content,
                signed_email_address,
            } => RawV1Request {
                certificate_signing_request: None,
                public_key: Some(RawPublicKey {
                    algorithm: algorithm.clone(),
                    content: Some(STANDARD.encode(content)),
                }),
                signed_email_address: Some(STANDARD.encode(signed_email_address)),
            },
            Self::Csr(csr) => RawV1Request {
                certificate_signing_request: Some(STANDARD.encode(csr)),
                public_key: None,
                signed_email_address: None,
            },
        };
        write(&raw)
    }
}
