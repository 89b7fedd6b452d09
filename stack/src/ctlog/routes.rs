//! The RFC 6962 §4 HTTP API under `/ct/v1/`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use tlog::Hash;

use super::{CtError, CtLogs};
use crate::http::ApiError;

/// The log's routes.
pub fn routes(logs: Arc<CtLogs>) -> Router {
    Router::new()
        .route("/ct/v1/add-chain", post(add_chain))
        .route("/ct/v1/add-pre-chain", post(add_pre_chain))
        .route("/ct/v1/get-sth", get(get_sth))
        .route("/ct/v1/get-sth-consistency", get(get_sth_consistency))
        .route("/ct/v1/get-proof-by-hash", get(get_proof_by_hash))
        .route("/ct/v1/get-entries", get(get_entries))
        .route("/ct/v1/get-roots", get(get_roots))
        .with_state(logs)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainRequest {
    chain: Vec<String>,
}

fn decode_chain(body: &[u8]) -> Result<Vec<Vec<u8>>, ApiError> {
    let req: ChainRequest = crate::rekor::parse_body(body)
        .and_then(|v| serde_json::from_value(v).map_err(|e| format!("malformed request: {e}")))
        .map_err(ApiError::bad_request)?;
    req.chain
        .iter()
        .enumerate()
        .map(|(i, c)| {
            B64.decode(c)
                .map_err(|e| ApiError::bad_request(format!("chain[{i}] is not base64: {e}")))
        })
        .collect()
}

fn sct_response(r: Result<super::Sct, CtError>) -> Response {
    match r {
        Ok(sct) => Json(sct.to_json()).into_response(),
        Err(CtError::Invalid(m)) => ApiError::bad_request(m).into_response(),
        Err(CtError::Internal(m)) => ApiError::internal(m).into_response(),
    }
}

async fn add_chain(State(logs): State<Arc<CtLogs>>, body: Bytes) -> Response {
    let log = logs.current();
    match decode_chain(&body) {
        Ok(chain) => sct_response(log.add_chain(&chain).await),
        Err(e) => e.into_response(),
    }
}

async fn add_pre_chain(State(logs): State<Arc<CtLogs>>, body: Bytes) -> Response {
    let log = logs.current();
    match decode_chain(&body) {
        Ok(chain) => sct_response(log.add_pre_chain(&chain).await),
        Err(e) => e.into_response(),
    }
}

async fn get_sth(State(logs): State<Arc<CtLogs>>) -> Result<Response, ApiError> {
    let log = logs.current();
    Ok(Json(log.sth().map_err(ApiError::internal)?).into_response())
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    first: u64,
    second: u64,
}

async fn get_sth_consistency(
    State(logs): State<Arc<CtLogs>>,
    q: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let log = logs.current();
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(
        log.consistency(q.first, q.second)
            .map_err(ApiError::bad_request)?,
    )
    .into_response())
}

#[derive(Deserialize)]
struct ProofQuery {
    hash: String,
    tree_size: u64,
}

async fn get_proof_by_hash(
    State(logs): State<Arc<CtLogs>>,
    q: Result<Query<ProofQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let log = logs.current();
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let hash = B64
        .decode(&q.hash)
        .ok()
        .and_then(|b| Hash::from_slice(&b))
        .ok_or_else(|| ApiError::bad_request("hash is not a base64 SHA-256 leaf hash"))?;
    match log
        .proof_by_hash(&hash, q.tree_size)
        .map_err(ApiError::bad_request)?
    {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(ApiError::not_found(format!(
            "no leaf with hash {} in the tree of size {}",
            q.hash, q.tree_size
        ))),
    }
}

#[derive(Deserialize)]
struct EntriesQuery {
    start: u64,
    end: u64,
}

async fn get_entries(
    State(logs): State<Arc<CtLogs>>,
    q: Result<Query<EntriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let log = logs.current();
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(log.entries(q.start, q.end).map_err(ApiError::bad_request)?).into_response())
}

async fn get_roots(State(logs): State<Arc<CtLogs>>) -> Response {
    let log = logs.current();
    Json(log.roots_json()).into_response()
}
