//! The one JSON error shape of every sigbox endpoint.
//!
//! Rekor answers errors as `{"code": <HTTP status>, "message": "..."}` and the other Sigstore
//! services' clients read at most `message`, so every service here answers that shape (the OAuth
//! endpoints of the fake issuer keep OAuth's own, as RFC 6749 section 5.2 requires).

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// One line that names the problem.
    pub message: String,
}

#[derive(Serialize)]
struct Wire<'a> {
    code: u16,
    message: &'a str,
}

impl ApiError {
    /// An error with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 500; also logged, since it is our bug or our disk, not the client's request.
    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::error!(%message, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// A service error's answer: `status` for the client's errors, [`ApiError::internal`] (a
    /// logged 500) for ours.
    pub fn from_status(status: StatusCode, message: impl Into<String>) -> Self {
        if status.is_server_error() {
            Self::internal(message)
        } else {
            Self::new(status, message)
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(Wire {
            code: self.status.as_u16(),
            message: &self.message,
        });
        (self.status, body).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        // Rekor and Fulcio answer 400 for a body that does not parse or does not fit the schema;
        // keep 413 (too large) and 415 (not JSON) as they are, since they say more.
        let status = match rejection.status() {
            s @ (StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE) => s,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(
            status,
            format!("malformed JSON body: {}", rejection.body_text()),
        )
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        Self::new(rejection.status(), rejection.body_text())
    }
}

/// Gives the errors that no handler wrote (the router's 404 and 405, an extractor's plain-text
/// rejection, a static file's failure) the one JSON shape, keeping their status; answers that
/// are JSON already, or not errors, pass as they are.
pub(crate) async fn uniform(request: Request<Body>, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    // What the plain answer said, if anything (a rejection's text is one short line).
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = match status {
        _ if !text.is_empty() => text,
        StatusCode::NOT_FOUND => format!("no such path: {path}"),
        StatusCode::METHOD_NOT_ALLOWED => format!("{method} is not allowed on {path}"),
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_owned(),
    };
    ApiError::new(status, message).into_response()
}
