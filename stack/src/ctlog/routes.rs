//! The RFC 6962 §4 HTTP API under `/ct/v1/`: each handler decodes, calls the log, encodes.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use formats::ct;

use super::{CtLogs, Error, Sct};
use crate::http::json::parse_body;

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

/// JSON bytes as the answer (what `axum::Json` sends, from the format's own encoder).
fn json(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn decode_chain(body: &[u8]) -> Result<ct::AddChainRequest, Error> {
    Ok(ct::AddChainRequest::from_value(
        parse_body(body).map_err(Error::Body)?,
    )?)
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, Error> {
    q.map(|Query(q)| q).map_err(|e| Error::Query(e.body_text()))
}

fn sct(sct: &Sct) -> Response {
    json(sct.to_response().encode())
}

async fn add_chain(State(logs): State<Arc<CtLogs>>, body: Bytes) -> Result<Response, Error> {
    let req = decode_chain(&body)?;
    Ok(sct(&logs.current().add_chain(&req.chain).await?))
}

async fn add_pre_chain(State(logs): State<Arc<CtLogs>>, body: Bytes) -> Result<Response, Error> {
    let req = decode_chain(&body)?;
    Ok(sct(&logs.current().add_pre_chain(&req.chain).await?))
}

async fn get_sth(State(logs): State<Arc<CtLogs>>) -> Result<Response, Error> {
    Ok(json(logs.current().sth()?.encode()))
}

async fn get_sth_consistency(
    State(logs): State<Arc<CtLogs>>,
    q: Result<Query<ct::ConsistencyQuery>, QueryRejection>,
) -> Result<Response, Error> {
    Ok(json(logs.current().consistency(query(q)?)?.encode()))
}

async fn get_proof_by_hash(
    State(logs): State<Arc<CtLogs>>,
    q: Result<Query<ct::ProofByHashQuery>, QueryRejection>,
) -> Result<Response, Error> {
    Ok(json(logs.current().proof_by_hash(&query(q)?)?.encode()))
}

async fn get_entries(
    State(logs): State<Arc<CtLogs>>,
    q: Result<Query<ct::EntriesQuery>, QueryRejection>,
) -> Result<Response, Error> {
    Ok(json(logs.current().entries(query(q)?)?.encode()))
}

async fn get_roots(State(logs): State<Arc<CtLogs>>) -> Response {
    json(logs.current().get_roots().encode())
}
