//! Outages on demand ([`crate::faults::Outage`]): the middleware around each service's routes
//! that answers for the service while one is armed. Each request to those routes uses one up.
//!
//! An outage changes no state. `rate-limited`, `unavailable` and `reset` answer before the
//! handler runs, so nothing is logged, stamped or rotated. `slow` and `truncated` let the
//! handler run and only hold back or cut short its real answer: their Rekor entry is logged,
//! as a real server's would be whose client gave up waiting or lost the connection.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;

use crate::faults::{Effect, Faults, Outage, Service};
use crate::http::ApiError;
use crate::http::serve::{Hangup, Stopping};

/// `routes`, which are all `service`'s, with its outages applied.
pub(crate) fn around(routes: Router, faults: Arc<Faults>, service: Service) -> Router {
    routes.layer(axum::middleware::from_fn_with_state(
        (faults, service),
        apply,
    ))
}

async fn apply(
    State((faults, service)): State<(Arc<Faults>, Service)>,
    request: Request,
    next: Next,
) -> Response {
    if !covers(service, request.uri().path()) {
        return next.run(request).await;
    }
    let Some(effect) = faults.take_outage(service) else {
        return next.run(request).await;
    };
    let outage = Outage {
        service,
        kind: effect.kind(),
    };
    tracing::info!(%outage, path = request.uri().path(), "an armed outage answers");
    match effect {
        Effect::RateLimited { retry_after_secs } => {
            drain(request).await;
            let message = format!(
                "rate limited by the armed outage {outage}: retry after {retry_after_secs} s"
            );
            let mut response =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Effect::Unavailable => {
            drain(request).await;
            let message = format!("service unavailable: the armed outage {outage}");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message).into_response()
        }
        Effect::Reset => {
            // Read first, so the close is a plain FIN rather than a reset for unread data.
            drain(request).await;
            let message = format!("the armed outage {outage} closed the connection unanswered");
            let mut response =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message).into_response();
            response.extensions_mut().insert(Hangup);
            response
        }
        Effect::Slow { delay } => {
            let stopping = request.extensions().get::<Stopping>().cloned();
            let response = next.run(request).await;
            // Served in process there is no server to stop: only the delay ends the wait.
            let stopped = async {
                match stopping {
                    Some(stopping) => stopping.wait().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stopped => {}
            }
            response
        }
        Effect::Truncated => truncate(next.run(request).await).await,
    }
}

/// Whether `path`, one of `service`'s routes, is down with it. The TUF routes also serve
/// `/trust/`: the stack's own unwrapped copies of the trust files for clients given files, not
/// part of the repository, so a TUF outage leaves them up.
fn covers(service: Service, path: &str) -> bool {
    service != Service::Tuf || path.starts_with("/tuf/")
}

/// Reads and drops the request's body (the router bounds it), so a client still writing it
/// reads the answer instead of a broken pipe.
async fn drain(request: Request) {
    let _ = axum::body::to_bytes(request.into_body(), crate::http::MAX_BODY_BYTES).await;
}

/// `response` with its head as it was, its `Content-Length` that of the whole body, and only
/// the first half of the body, after which the connection fails.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    // Our own answer, whose size we chose: no bound beyond it.
    let whole = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(whole) => whole,
        Err(e) => {
            return ApiError::internal(format!("reading the answer to cut: {e}")).into_response();
        }
    };
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(whole.len()));
    let half = whole.slice(..whole.len() / 2);
    Response::from_parts(parts, Body::new(HalfBody::new(half)))
}

/// A body that yields its bytes and then fails, so hyper closes the connection short of the
/// declared length.
#[derive(Debug)]
struct HalfBody {
    state: Half,
}

#[derive(Debug)]
enum Half {
    Data(Bytes),
    /// Pending once, so hyper flushes what it holds before the failure ends the connection.
    Flush,
    Fail,
}

impl HalfBody {
    fn new(half: Bytes) -> Self {
        Self {
            state: Half::Data(half),
        }
    }
}

impl hyper::body::Body for HalfBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match std::mem::replace(&mut self.state, Half::Fail) {
            Half::Data(half) => {
                self.state = Half::Flush;
                Poll::Ready(Some(Ok(Frame::data(half))))
            }
            Half::Flush => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Half::Fail => Poll::Ready(Some(Err(std::io::Error::other(
                "the armed truncated outage cut the answer short",
            )))),
        }
    }
}
