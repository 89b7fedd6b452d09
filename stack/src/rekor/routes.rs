//! Rekor v1 HTTP handlers: decode, call [`super::Shards`], map errors. Named after Rekor's
//! operation IDs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use formats::rekor_v1::{LogEntry, ProposedEntry, SearchIndex, SearchLogQuery, SearchPublicKey};
use p256::pkcs8::LineEnding;
use serde::Deserialize;

use super::{Error, Shards, parse_body};

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
fn entry_response(status: StatusCode, entry: LogEntry) -> Response {
    let location = format!("/api/v1/log/entries/{}", entry.uuid);
    let mut bytes = entry.encode();
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

/// A JSON answer: the compact bytes a format's `encode` gives.
fn json_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

async fn create_log_entry(State(rekor): State<Arc<Shards>>, body: Bytes) -> Response {
    let proposed = match parse_body(&body)
        .map_err(Error::Body)
        .and_then(|v| Ok(ProposedEntry::from_value(v)?))
    {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match rekor.create(proposed).await {
        Ok(entry) => entry_response(StatusCode::CREATED, entry),
        Err(e) => e.into_response(),
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
        return Error::Query("logIndex is required".to_owned()).into_response();
    };
    let Ok(index) = raw.parse::<u64>() else {
        return Error::Query(format!("logIndex `{raw}` is not a non-negative integer"))
            .into_response();
    };
    match rekor.entry_by_index(index) {
        Ok(Some(e)) => entry_response(StatusCode::OK, e),
        Ok(None) => Error::NoEntryAt { index }.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn get_log_entry_by_uuid(
    State(rekor): State<Arc<Shards>>,
    Path(uuid): Path<String>,
) -> Response {
    match rekor.entry_by_uuid(&uuid) {
        Ok(Some(e)) => entry_response(StatusCode::OK, e),
        Ok(None) => Error::NoEntryWith { uuid }.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn get_log_info(State(rekor): State<Arc<Shards>>) -> Response {
    match rekor.log_info() {
        Ok(info) => json_response(info.encode()),
        Err(e) => e.into_response(),
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
            .map_err(|_| Error::Query(format!("{name} `{s}` is not a non-negative integer"))),
        None => default.ok_or_else(|| Error::Query(format!("{name} is required"))),
    };
    let tree_id = |t: Option<String>| {
        t.map(|t| {
            t.parse::<u64>()
                .map_err(|_| Error::Query(format!("treeID `{t}` is not a non-negative integer")))
        })
        .transpose()
    };
    let answer = parse("firstSize", q.first_size, Some(1)).and_then(|first| {
        let last = parse("lastSize", q.last_size, None)?;
        rekor.consistency(first, last, tree_id(q.tree_id)?)
    });
    match answer {
        Ok(proof) => json_response(proof.encode()),
        Err(e) => e.into_response(),
    }
}

async fn search_log_query(State(rekor): State<Arc<Shards>>, body: Bytes) -> Response {
    let q = match parse_body(&body)
        .map_err(Error::Body)
        .and_then(|v| Ok(SearchLogQuery::from_value(v)?))
    {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    if q.entry_uuids.len() + q.log_indexes.len() > 10 {
        return Error::Query("at most 10 entries per query".to_owned()).into_response();
    }
    let mut out = Vec::new();
    for uuid in &q.entry_uuids {
        match rekor.entry_by_uuid(uuid) {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    for index in &q.log_indexes {
        match rekor.entry_by_index(*index) {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    Json(out).into_response()
}

/// `{"format": "x509", "content": base64 PEM}` (a key or a certificate) -> the index key of
/// entries made with that key or certificate (Rekor's: SHA-256 of the canonical PEM).
fn public_key_index_key(pk: &SearchPublicKey) -> Result<String, Error> {
    use base64::Engine;
    let format = pk.format.as_deref().unwrap_or("x509");
    if format != "x509" {
        return Err(Error::Query(format!(
            "publicKey format `{format}` is not supported (x509 is)"
        )));
    }
    let content = pk
        .content
        .as_deref()
        .ok_or_else(|| Error::Query("publicKey.content is required".to_owned()))?;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(content)
        .map_err(|_| Error::Query("publicKey.content is not base64".to_owned()))?;
    Ok(crate::pubkey::Verifier::from_pem(&pem)
        .map_err(|e| Error::Query(e.to_string()))?
        .key_hash())
}

async fn search_index(State(rekor): State<Arc<Shards>>, body: Bytes) -> Response {
    let q = match parse_body(&body)
        .map_err(Error::Body)
        .and_then(|v| Ok(SearchIndex::from_value(v)?))
    {
        Ok(q) => q,
        Err(e) => return e.into_response(),
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
    if let Some(pk) = &q.public_key {
        match public_key_index_key(pk) {
            Ok(k) => keys.push(k),
            Err(e) => return e.into_response(),
        }
    }
    if keys.is_empty() {
        return Error::Query("index query needs hash or email".to_owned()).into_response();
    }
    let mut sets = Vec::new();
    for key in keys {
        match rekor.lookup(&key) {
            Ok(v) => sets.push(v),
            Err(e) => return e.into_response(),
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
