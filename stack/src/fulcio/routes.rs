//! Fulcio's HTTP API: v2 (`/api/v2/signingCert`, `trustBundle`, `configuration`, as
//! grpc-gateway serves them) and the legacy v1 (`/api/v1/signingCert`, `rootCert`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::json;

use super::{AUDIENCE, Fulcio, FulcioError, Issued, KeyProof};
use crate::http::ApiError;
use crate::http::json::parse_body;

/// Fulcio's routes.
pub fn routes(fulcio: Arc<Fulcio>) -> Router {
    Router::new()
        .route("/api/v2/signingCert", post(create_signing_certificate))
        .route("/api/v2/trustBundle", get(get_trust_bundle))
        .route("/api/v2/configuration", get(get_configuration))
        .route("/api/v1/signingCert", post(create_signing_certificate_v1))
        .route("/api/v1/rootCert", get(get_root_certificate))
        .with_state(fulcio)
}

// protojson takes the camelCase JSON names and the proto field names alike, and refuses
// unknown fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct V2Request {
    credentials: Option<Credentials>,
    #[serde(alias = "public_key_request")]
    public_key_request: Option<PublicKeyRequest>,
    #[serde(alias = "certificate_signing_request")]
    certificate_signing_request: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Credentials {
    #[serde(alias = "oidc_identity_token")]
    oidc_identity_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PublicKeyRequest {
    #[serde(alias = "public_key")]
    public_key: Option<PublicKey>,
    #[serde(alias = "proof_of_possession")]
    proof_of_possession: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKey {
    /// `ECDSA`, `RSA_PSS`, `ED25519` or unspecified: Fulcio reads the key itself.
    #[allow(
        dead_code,
        reason = "accepted as Fulcio accepts it; the key says what it is"
    )]
    algorithm: Option<String>,
    content: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct V1Request {
    public_key: Option<V1PublicKey>,
    signed_email_address: Option<String>,
    certificate_signing_request: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1PublicKey {
    #[allow(
        dead_code,
        reason = "accepted as Fulcio accepts it; the key says what it is"
    )]
    algorithm: Option<String>,
    content: Option<String>,
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn decode_b64(field: &str, v: &str) -> Result<Vec<u8>, ApiError> {
    B64.decode(v.trim())
        .map_err(|e| ApiError::bad_request(format!("{field} is not base64: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let v = parse_body(body).map_err(ApiError::bad_request)?;
    serde_json::from_value(v).map_err(|e| ApiError::bad_request(format!("malformed request: {e}")))
}

fn refusal(e: FulcioError) -> ApiError {
    match e {
        FulcioError::Internal(_) => ApiError::internal(e.to_string()),
        _ => ApiError::bad_request(e.to_string()),
    }
}

async fn create_signing_certificate(
    State(fulcio): State<Arc<Fulcio>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: V2Request = parse(&body)?;
    let token = req
        .credentials
        .and_then(|c| c.oidc_identity_token)
        .filter(|t| !t.is_empty())
        .or_else(|| bearer(&headers))
        .unwrap_or_default();
    let proof = match (req.public_key_request, req.certificate_signing_request) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "send either publicKeyRequest or certificateSigningRequest, not both",
            ));
        }
        (None, Some(csr)) => KeyProof::Csr(decode_b64("certificateSigningRequest", &csr)?),
        (Some(pk), None) => KeyProof::PublicKey {
            content: pk.public_key.and_then(|k| k.content).unwrap_or_default(),
            proof: decode_b64(
                "proofOfPossession",
                &pk.proof_of_possession.unwrap_or_default(),
            )?,
        },
        (None, None) => {
            return Err(ApiError::bad_request(
                "The public key supplied in the request could not be parsed: \
                 no publicKeyRequest or certificateSigningRequest",
            ));
        }
    };
    let issued = fulcio.issue(&token, proof).await.map_err(refusal)?;
    Ok(Json(v2_response(&issued)).into_response())
}

fn v2_response(issued: &Issued) -> serde_json::Value {
    let chain = json!({ "certificates": issued.chain_pem });
    match &issued.detached_sct {
        None => json!({ "signedCertificateEmbeddedSct": { "chain": chain } }),
        Some(sct) => json!({
            "signedCertificateDetachedSct": {
                "chain": chain,
                // Fulcio sends ct-go's AddChainResponse JSON, as bytes (base64 in protojson).
                "signedCertificateTimestamp": B64.encode(sct.to_json().to_string()),
            }
        }),
    }
}

async fn create_signing_certificate_v1(
    State(fulcio): State<Arc<Fulcio>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: V1Request = parse(&body)?;
    let token = bearer(&headers).unwrap_or_default();
    let proof = match (req.certificate_signing_request, req.public_key) {
        (Some(csr), _) if !csr.is_empty() => {
            KeyProof::Csr(decode_b64("certificateSigningRequest", &csr)?)
        }
        (_, Some(pk)) => {
            let content = decode_b64("publicKey.content", &pk.content.unwrap_or_default())?;
            // v1 carries the key as bytes: PEM text, or DER (re-encoded as base64 for v2).
            let content = match String::from_utf8(content.clone()) {
                Ok(text) if text.trim_start().starts_with("-----BEGIN") => text,
                _ => B64.encode(content),
            };
            KeyProof::PublicKey {
                content,
                proof: decode_b64(
                    "signedEmailAddress",
                    &req.signed_email_address.unwrap_or_default(),
                )?,
            }
        }
        _ => return Err(ApiError::bad_request("public key not provided")),
    };
    let issued = fulcio.issue(&token, proof).await.map_err(refusal)?;
    let mut headers = vec![(
        header::CONTENT_TYPE,
        "application/pem-certificate-chain".to_owned(),
    )];
    if let Some(sct) = &issued.detached_sct {
        headers.push((
            header::HeaderName::from_static("sct"),
            B64.encode(sct.to_json().to_string()),
        ));
    }
    let mut response = (StatusCode::CREATED, pem_chain(&issued.chain_pem)).into_response();
    for (k, v) in headers {
        if let Ok(v) = v.parse() {
            response.headers_mut().insert(k, v);
        }
    }
    Ok(response)
}

fn pem_chain(pems: &[String]) -> String {
    pems.iter()
        .map(|p| p.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn get_trust_bundle(State(fulcio): State<Arc<Fulcio>>) -> Response {
    Json(json!({ "chains": [ { "certificates": fulcio.chain_pem() } ] })).into_response()
}

async fn get_configuration(State(fulcio): State<Arc<Fulcio>>) -> Response {
    let issuers: Vec<_> = fulcio
        .issuers()
        .into_iter()
        .map(|url| {
            json!({
                "issuerUrl": url,
                "audience": AUDIENCE,
                "challengeClaim": "email",
                "spiffeTrustDomain": fulcio.spiffe_trust_domain(),
            })
        })
        .collect();
    Json(json!({ "issuers": issuers })).into_response()
}

async fn get_root_certificate(State(fulcio): State<Arc<Fulcio>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        pem_chain(&fulcio.chain_pem()),
    )
        .into_response()
}
