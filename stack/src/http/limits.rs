//! Request bounds, applied to the whole router before any handler runs.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The largest request body any endpoint takes (Rekor's own limit for an entry is 128 KiB of
/// JSON around the artifact's signature; DSSE envelopes are larger, so allow a little more).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Bodies up to this size are read and dropped before a 413, so the client sees the answer.
const DRAIN_LIMIT: usize = 8 * MAX_BODY_BYTES;

/// Refuses a declared body over the limit with our error shape, before any handler sees it.
///
/// Chunked bodies without a length are bounded by [`DefaultBodyLimit`] in the extractors, whose
/// rejection the services map to the same shape.
pub(crate) async fn reject_oversized(request: Request<Body>, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared
        && len > MAX_BODY_BYTES as u64
    {
        // Answering before the client has finished writing makes it see a broken pipe instead
        // of our 413. Read (and drop) a moderately oversized body first, as a lingering close
        // would; a huge one is not worth reading: the connection is closed on it.
        if len <= DRAIN_LIMIT as u64 {
            let _ = axum::body::to_bytes(request.into_body(), DRAIN_LIMIT).await;
        }
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body of {len} bytes is over the limit of {} KiB",
                MAX_BODY_BYTES / 1024
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// The extractor-level bound.
pub(crate) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_BODY_BYTES)
}
