//! TSA HTTP handlers: `POST /api/v1/timestamp` (DER, or sigstore's JSON form) and
//! `GET /api/v1/timestamp/certchain`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::{Decode, Encode};
use serde::Deserialize;

use super::{Authorities, TsaError};
use crate::faults::{Fault, Faults};
use crate::http::ApiError;

/// The TSA's routes.
pub fn routes(tsa: Arc<Authorities>, faults: Arc<Faults>) -> Router {
    Router::new()
        .route("/api/v1/timestamp", post(get_timestamp_response))
        .route("/api/v1/timestamp/certchain", get(get_timestamp_cert_chain))
        .with_state((tsa, faults))
}

/// sigstore/timestamp-authority's JSON request form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRequest {
    #[serde(rename = "artifactHash")]
    artifact_hash: String,
    #[serde(rename = "hashAlgorithm")]
    hash_algorithm: String,
    #[serde(default)]
    nonce: Option<u64>,
    #[serde(default)]
    certificates: bool,
    #[serde(rename = "tsaPolicyOID", default)]
    tsa_policy_oid: Option<String>,
}

fn json_to_der(body: &[u8]) -> Result<Vec<u8>, String> {
    let req: JsonRequest = serde_json::from_slice(body)
        .map_err(|e| format!("malformed JSON timestamp request: {e}"))?;
    let digest = B64
        .decode(&req.artifact_hash)
        .map_err(|_| "artifactHash is not base64".to_owned())?;
    let oid = match req.hash_algorithm.to_lowercase().as_str() {
        "sha256" => formats::oid::ID_SHA_256,
        "sha384" => formats::oid::ID_SHA_384,
        "sha512" => formats::oid::ID_SHA_512,
        other => return Err(format!("unsupported hashAlgorithm `{other}`")),
    };
    let policy = req
        .tsa_policy_oid
        .map(|p| {
            der::asn1::ObjectIdentifier::new(&p)
                .map_err(|_| format!("tsaPolicyOID `{p}` is not an OID"))
        })
        .transpose()?;
    let nonce = req
        .nonce
        // der writes a u64 as the minimal non-negative INTEGER; read back as the request's Int.
        .map(|n| n.to_der().and_then(|d| der::asn1::Int::from_der(&d)))
        .transpose()
        .map_err(|e| e.to_string())?;
    let tsq = x509_tsp::TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid,
                parameters: None,
            },
            hashed_message: der::asn1::OctetString::new(digest).map_err(|e| e.to_string())?,
        },
        req_policy: policy,
        nonce,
        cert_req: req.certificates,
        extensions: None,
    };
    tsq.to_der().map_err(|e| e.to_string())
}

async fn get_timestamp_response(
    State((tsas, faults)): State<(Arc<Authorities>, Arc<Faults>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tsa = tsas.current();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let der = if content_type.starts_with("application/json") {
        match json_to_der(&body) {
            Ok(der) => der,
            Err(e) => return ApiError::bad_request(e).into_response(),
        }
    } else {
        body.to_vec()
    };
    // A request refused anyway must not spend an armed fault meant for a real one.
    if let Err(e) = super::check_request(&der) {
        return ApiError::bad_request(e.to_string()).into_response();
    }
    let stamped = if faults.take(Fault::TsaOtherDigest) {
        other_digest(&der).and_then(|der| tsa.timestamp(&der))
    } else if faults.take(Fault::TsaUnknownKey) {
        tsa.impostor()
            .map_err(|e| TsaError::Internal(e.to_string()))
            .and_then(|impostor| impostor.timestamp(&der))
    } else {
        tsa.timestamp(&der)
    };
    match stamped {
        Ok(resp) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/timestamp-reply")],
            resp,
        )
            .into_response(),
        Err(TsaError::Internal(e)) => ApiError::internal(e).into_response(),
        Err(e) => ApiError::bad_request(e.to_string()).into_response(),
    }
}

async fn get_timestamp_cert_chain(
    State((tsas, _)): State<(Arc<Authorities>, Arc<Faults>)>,
) -> Response {
    let tsa = tsas.current();
    (
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        tsa.chain_pem(),
    )
        .into_response()
}

/// The request with its imprint replaced by another digest of the same length (fault
/// `tsa-other-digest`).
fn other_digest(request_der: &[u8]) -> Result<Vec<u8>, TsaError> {
    use der::{Decode, Encode};
    let mut req = x509_tsp::TimeStampReq::from_der(request_der)
        .map_err(|e| TsaError::Malformed(e.to_string()))?;
    let len = req.message_imprint.hashed_message.as_bytes().len();
    let other: Vec<u8> = (0..len).map(|i| (i as u8) ^ 0x5a).collect();
    req.message_imprint.hashed_message =
        der::asn1::OctetString::new(other).map_err(|e| TsaError::Internal(e.to_string()))?;
    req.to_der().map_err(|e| TsaError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nonce is the minimal non-negative DER INTEGER: a 0 byte before a high bit, no more.
    #[test]
    fn a_json_nonce_is_a_minimal_der_integer() {
        for (nonce, want) in [
            (42u64, vec![42u8]),
            (128, vec![0, 128]),
            (256, vec![1, 0]),
            (u64::MAX, [vec![0], vec![0xff; 8]].concat()),
        ] {
            let body = format!(
                r#"{{"artifactHash":"{}","hashAlgorithm":"sha256","nonce":{nonce}}}"#,
                B64.encode([0u8; 32])
            );
            let tsq =
                x509_tsp::TimeStampReq::from_der(&json_to_der(body.as_bytes()).unwrap()).unwrap();
            assert_eq!(tsq.nonce.unwrap().as_bytes(), want.as_slice(), "{nonce}");
        }
    }
}
