//! Fulcio's HTTP API: v2 (`/api/v2/signingCert`, `trustBundle`, `configuration`, as
//! grpc-gateway serves them) and the legacy v1 (`/api/v1/signingCert`, `rootCert`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use formats::fulcio::{
    CertificateChain, Configuration, KeyRequest, OidcIssuer, SigningCertRequest,
    SigningCertRequestV1, TrustBundle,
};

use super::{AUDIENCE, Error, Fulcio, KeyProof};
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

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// JSON bytes as the answer (what `axum::Json` sends, from the format's own encoder).
fn json(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn body(bytes: &[u8]) -> Result<serde_json::Value, Error> {
    parse_body(bytes).map_err(Error::Body)
}

async fn create_signing_certificate(
    State(fulcio): State<Arc<Fulcio>>,
    headers: HeaderMap,
    body_bytes: Bytes,
) -> Result<Response, Error> {
    let req = SigningCertRequest::from_value(body(&body_bytes)?)?;
    let token = req
        .token
        .filter(|t| !t.is_empty())
        .or_else(|| bearer(&headers))
        .unwrap_or_default();
    let proof = match req.key {
        KeyRequest::Csr(csr) => KeyProof::Csr(csr),
        KeyRequest::PublicKey {
            content,
            proof_of_possession,
            ..
        } => KeyProof::PublicKey {
            content,
            proof: proof_of_possession,
        },
    };
    let issued = fulcio.issue(&token, proof).await?;
    Ok(json(issued.to_response().encode()))
}

async fn create_signing_certificate_v1(
    State(fulcio): State<Arc<Fulcio>>,
    headers: HeaderMap,
    body_bytes: Bytes,
) -> Result<Response, Error> {
    let req = SigningCertRequestV1::from_value(body(&body_bytes)?)?;
    let token = bearer(&headers).unwrap_or_default();
    let proof = match req {
        SigningCertRequestV1::Csr(csr) => KeyProof::Csr(csr),
        SigningCertRequestV1::PublicKey {
            content,
            signed_email_address,
            ..
        } => {
            // v1 carries the key as bytes: PEM text, or DER (re-encoded as base64 for v2).
            let content = match String::from_utf8(content) {
                Ok(text) if text.trim_start().starts_with("-----BEGIN") => text,
                Ok(text) => B64.encode(text),
                Err(e) => B64.encode(e.into_bytes()),
            };
            KeyProof::PublicKey {
                content,
                proof: signed_email_address,
            }
        }
    };
    let issued = fulcio.issue(&token, proof).await?;
    let mut response = (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        pem_chain(&issued.chain_pem),
    )
        .into_response();
    if let Some(sct) = &issued.detached_sct
        && let Ok(v) = B64.encode(sct.to_response().encode()).parse()
    {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("sct"), v);
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
    let bundle = TrustBundle {
        chains: vec![CertificateChain {
            certificates: fulcio.chain_pem(),
        }],
    };
    json(bundle.encode())
}

async fn get_configuration(State(fulcio): State<Arc<Fulcio>>) -> Response {
    let issuers = fulcio
        .issuers()
        .into_iter()
        .map(|issuer_url| OidcIssuer {
            audience: AUDIENCE.to_owned(),
            challenge_claim: "email".to_owned(),
            issuer_url,
            spiffe_trust_domain: fulcio.spiffe_trust_domain(),
        })
        .collect();
    json(Configuration { issuers }.encode())
}

async fn get_root_certificate(State(fulcio): State<Arc<Fulcio>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        pem_chain(&fulcio.chain_pem()),
    )
        .into_response()
}
