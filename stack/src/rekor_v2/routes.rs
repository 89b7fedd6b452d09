//! Rekor v2 HTTP handlers, under [`PATH_PREFIX`]: decode, call
//! [`RekorV2`], map errors. Named after rekor-tiles' RPCs (`CreateEntry`, `GetTile`,
//! `GetEntryBundle`, `GetCheckpoint`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use formats::rekor_v2::CreateEntryRequest;

use super::{Error, PATH_PREFIX, RekorV2};
use crate::http::json::parse_body;

/// The v2 routes.
pub fn routes(log: Arc<RekorV2>) -> Router {
    Router::new()
        .route(
            &format!("{PATH_PREFIX}/api/v2/log/entries"),
            post(create_entry),
        )
        .route(
            &format!("{PATH_PREFIX}/api/v2/checkpoint"),
            get(get_checkpoint),
        )
        .route(
            &format!("{PATH_PREFIX}/api/v2/tile/{{*path}}"),
            get(get_tile),
        )
        .with_state(log)
}

async fn create_entry(State(log): State<Arc<RekorV2>>, body: Bytes) -> Response {
    let request = match parse_body(&body)
        .map_err(Error::Body)
        .and_then(|v| Ok(CreateEntryRequest::from_value(v)?))
    {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match log.create(&request).await {
        Ok(bytes) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn get_checkpoint(State(log): State<Arc<RekorV2>>) -> Response {
    match log.checkpoint() {
        // The checkpoint moves with every append: never cache it.
        Ok(note) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            note,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn get_tile(State(log): State<Arc<RekorV2>>, Path(path): Path<String>) -> Response {
    match log.tile(&path) {
        // A tile at a given path never changes (C2SP tlog-tiles): cache it for good.
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
