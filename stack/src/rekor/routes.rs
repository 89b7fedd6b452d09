//! Rekor v1 HTTP handlers: decode, call [`Rekor`], map errors. Named after Rekor's operation IDs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use p256::pkcs8::LineEnding;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{CreateError, Shards, parse_body};
use crate::http::ApiError;

/// The v1 routes, over every shard.
pub fn routes(rekor: Arc<Shards>) -> Router {
    Router::new()
        .route("/api/v1/log", get(get_log_info))
        .route("/api/v1/log/publicKey", get(get_public_key))
        .route("/api/v1/log/proof", get(get_log_proof))
        .route(
            "/api/v1/log/entries",
            post(create_log_entry).get(get_log_entry_by_index),
        )
        .route("/api/v1/log/entries/{uuid}", get(get_log_entry_by_uuid))
        .route("/api/v1/log/entries/retrieve", post(search_log_query))
        .route("/api/v1/index/retrieve", post(search_index))
        .with_state(rekor)
}

/// `{uuid: entry}`, compact and ending in a newline, byte for byte as Rekor writes it (its
/// go-swagger JSON producer is Go's `json.Encoder`, which appends `\n`). sigstore-rs 0.15's
/// Rekor client cuts this body at fixed offsets and drops its last two bytes (`}\n`): without
/// the newline it cuts a brace instead and cannot parse the entry.
fn entry_response(status: StatusCode, entry: super::LogEntry) -> Response {
    let location = format!("/api/v1/log/entries/{}", entry.uuid);
    let mut body = Map::new();
    body.insert(entry.uuid.clone(), entry.json);
    let mut bytes = match serde_json::to_vec(&Value::Object(body)) {
        Ok(b) => b,
        Err(e) => return ApiError::internal(format!("encoding the entry: {e}")).into_response(),
    };
    bytes.push(b'\n');
    (
        status,
        [
            (header::LOCATION, location),
            (header::ETAG, entry.uuid),
            (header::CONTENT_TYPE, "application/json".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

async fn create_log_entry(State(rekor): State<Arc<Shards>>, body: Bytes) -> Response {
    let proposed = match parse_body(&body) {
        Ok(v) => v,
        Err(e) => return ApiError::bad_request(e).into_response(),
    };
    match rekor.create(proposed).await {
        Ok(entry) => entry_response(StatusCode::CREATED, entry),
        Err(CreateError::Invalid(msg)) => ApiError::bad_request(msg).into_response(),
        Err(CreateError::Duplicate(uuid)) => {
            let location = format!("/api/v1/log/entries/{uuid}");
            let err = ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "An equivalent entry already exists in the transparency log with UUID {uuid}"
                ),
            );
            ([(header::LOCATION, location)], err).into_response()
        }
        Err(CreateError::Internal(msg)) => ApiError::internal(msg).into_response(),
    }
}

#[derive(Deserialize)]
struct IndexQuery {
    #[serde(rename = "logIndex")]
    log_index: Option<String>,
}

async fn get_log_entry_by_index(
    State(rekor): State<Arc<Shards>>,
    Query(q): Query<IndexQuery>,
) -> Response {
    let Some(raw) = q.log_index else {
        return ApiError::bad_request("logIndex is required").into_response();
    };
    let Ok(index) = raw.parse::<u64>() else {
        return ApiError::bad_request(format!("logIndex `{raw}` is not a non-negative integer"))
            .into_response();
    };
    match rekor.entry_by_index(index) {
        Ok(Some(e)) => entry_response(StatusCode::OK, e),
        Ok(None) => ApiError::not_found(format!("no entry at logIndex {index}")).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn get_log_entry_by_uuid(
    State(rekor): State<Arc<Shards>>,
    Path(uuid): Path<String>,
) -> Response {
    match rekor.entry_by_uuid(&uuid) {
        Ok(Some(e)) => entry_response(StatusCode::OK, e),
        Ok(None) => ApiError::not_found(format!("no entry with UUID {uuid}")).into_response(),
        Err(e) => ApiError::bad_request(e).into_response(),
    }
}

async fn get_log_info(State(rekor): State<Arc<Shards>>) -> Response {
    match rekor.log_info() {
        Ok(v) => Json(v).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn get_public_key(State(rekor): State<Arc<Shards>>) -> Response {
    use p256::pkcs8::DecodePublicKey;
    use p256::pkcs8::EncodePublicKey;
    let pem = p256::ecdsa::VerifyingKey::from_public_key_der(&rekor.public_key_der())
        .and_then(|k| k.to_public_key_pem(LineEnding::LF))
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response()
}

#[derive(Deserialize)]
struct ProofQuery {
    #[serde(rename = "firstSize")]
    first_size: Option<String>,
    #[serde(rename = "lastSize")]
    last_size: Option<String>,
    /// The shard (default: the active one).
    #[serde(rename = "treeID")]
    tree_id: Option<String>,
}

async fn get_log_proof(State(rekor): State<Arc<Shards>>, Query(q): Query<ProofQuery>) -> Response {
    let parse = |name: &str, v: Option<String>, default: Option<u64>| match v {
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| format!("{name} `{s}` is not a non-negative integer")),
        None => default.ok_or_else(|| format!("{name} is required")),
    };
    let sizes = parse("firstSize", q.first_size, Some(1))
        .and_then(|f| parse("lastSize", q.last_size, None).map(|l| (f, l)));
    let tree_id = q
        .tree_id
        .map(|t| {
            t.parse::<u64>()
                .map_err(|_| format!("treeID `{t}` is not a non-negative integer"))
        })
        .transpose();
    match sizes.and_then(|(f, l)| rekor.consistency(f, l, tree_id?)) {
        Ok(v) => Json(v).into_response(),
        Err(e) => ApiError::bad_request(e).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchLogQuery {
    #[serde(rename = "entryUUIDs", default)]
    entry_uuids: Vec<String>,
    #[serde(rename = "logIndexes", default)]
    log_indexes: Vec<u64>,
}

async fn search_log_query(State(rekor): State<Arc<Shards>>, body: Bytes) -> Response {
    let q: SearchLogQuery = match parse_body(&body)
        .and_then(|v| serde_json::from_value(v).map_err(|e| format!("invalid search query: {e}")))
    {
        Ok(q) => q,
        Err(e) => return ApiError::bad_request(e).into_response(),
    };
    if q.entry_uuids.len() + q.log_indexes.len() > 10 {
        return ApiError::bad_request("at most 10 entries per query").into_response();
    }
    let mut out = Vec::new();
    for uuid in &q.entry_uuids {
        match rekor.entry_by_uuid(uuid) {
            Ok(Some(e)) => out.push(Value::Object(Map::from_iter([(e.uuid, e.json)]))),
            Ok(None) => {}
            Err(e) => return ApiError::bad_request(e).into_response(),
        }
    }
    for index in &q.log_indexes {
        match rekor.entry_by_index(*index) {
            Ok(Some(e)) => out.push(Value::Object(Map::from_iter([(e.uuid, e.json)]))),
            Ok(None) => {}
            Err(e) => return ApiError::internal(e).into_response(),
        }
    }
    Json(out).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchIndex {
    hash: Option<String>,
    email: Option<String>,
    #[serde(rename = "publicKey")]
    public_key: Option<Value>,
    operator: Option<String>,
}

/// `{"format": "x509", "content": base64 PEM}` (a key or a certificate) -> the index key of
/// entries made with that key or certificate (Rekor's: SHA-256 of the canonical PEM).
fn public_key_index_key(pk: &Value) -> Result<String, String> {
    use base64::Engine;
    let format = pk.get("format").and_then(Value::as_str).unwrap_or("x509");
    if format != "x509" {
        return Err(format!(
            "publicKey format `{format}` is not supported (x509 is)"
        ));
    }
    let content = pk
        .get("content")
        .and_then(Value::as_str)
        .ok_or("publicKey.content is required")?;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(content)
        .map_err(|_| "publicKey.content is not base64".to_owned())?;
    Ok(crate::pubkey::Verifier::from_pem(&pem)?.key_hash())
}

async fn search_index(State(rekor): State<Arc<Shards>>, body: Bytes) -> Response {
    let q: SearchIndex = match parse_body(&body)
        .and_then(|v| serde_json::from_value(v).map_err(|e| format!("invalid index query: {e}")))
    {
        Ok(q) => q,
        Err(e) => return ApiError::bad_request(e).into_response(),
    };
    let mut keys = Vec::new();
    if let Some(h) = q.hash {
        let h = h.to_lowercase();
        keys.push(if h.contains(':') {
            h
        } else {
            format!("sha256:{h}")
        });
    }
    if let Some(e) = q.email {
        keys.push(e.to_lowercase());
    }
    if let Some(pk) = q.public_key {
        match public_key_index_key(&pk) {
            Ok(k) => keys.push(k),
            Err(e) => return ApiError::bad_request(e).into_response(),
        }
    }
    if keys.is_empty() {
        return ApiError::bad_request("index query needs hash or email").into_response();
    }
    let mut sets = Vec::new();
    for key in keys {
        match rekor.lookup(&key) {
            Ok(v) => sets.push(v),
            Err(e) => return ApiError::internal(e).into_response(),
        }
    }
    let and = q.operator.as_deref() == Some("and");
    let mut result: Vec<String> = if and {
        let mut it = sets.into_iter();
        let first = it.next().unwrap_or_default();
        it.fold(first, |acc, s| {
            acc.into_iter().filter(|u| s.contains(u)).collect()
        })
    } else {
        let mut all: Vec<String> = sets.into_iter().flatten().collect();
        all.sort();
        all.dedup();
        all
    };
    result.dedup();
    Json(result).into_response()
}
