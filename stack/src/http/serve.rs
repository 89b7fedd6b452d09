//! The accept loop. axum's own `serve` has no header-read timeout and no connection limit, so a
//! few hundred connections with unfinished request heads once held every descriptor and locked
//! every other client out. Here each connection takes a permit: past the general limit a few
//! connections are kept in reserve for `/healthz` and `/admin/`, so an operator can still see
//! and steer a stack under such load; past those, a connection is closed at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use super::error::ApiError;

/// How many connections the stack holds open, and how long a request head may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once, reserved ones included.
    pub max_connections: usize,
    /// Of those, how many only serve `/healthz` and `/admin/` (taken only when the rest are in
    /// use).
    pub reserved: usize,
    /// A connection whose request head is not complete this long after the server started
    /// waiting for it (a new connection, or an idle keep-alive one) is closed.
    pub header_read_timeout: Duration,
}

impl ConnectionLimits {
    /// Hyper's own default, and what nginx-like servers allow a slow client.
    pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
    /// A ceiling well above any test's needs; more would only be more descriptors.
    const MAX_CONNECTIONS: usize = 4096;

    /// Limits for a process allowed `descriptors` open files: half of them for connections
    /// (RocksDB, the state files and the clients the conformance runner starts need the rest),
    /// a sixteenth of those in reserve.
    pub fn for_descriptors(descriptors: u64) -> Self {
        let max = usize::try_from(descriptors / 2)
            .unwrap_or(usize::MAX)
            .clamp(16, Self::MAX_CONNECTIONS);
        Self::new(max)
    }

    /// `max` connections in all, a sixteenth of them (at least 4) in reserve.
    pub fn new(max_connections: usize) -> Self {
        let max_connections = max_connections.max(8);
        Self {
            max_connections,
            reserved: (max_connections / 16).max(4),
            header_read_timeout: Self::HEADER_READ_TIMEOUT,
        }
    }

    /// Limits from this process's current open-file limit.
    pub fn from_process() -> Self {
        let (soft, _hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap_or((1024, 1024));
        Self::for_descriptors(soft)
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self::from_process()
    }
}

/// Which routes a connection may use: a reserved one serves only `/healthz` and `/admin/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Reserved,
}

/// Answers a reserved connection's request for any other route with a 503 that says why, and
/// closes the connection so its reserved place is free again.
pub(crate) async fn reserved_routes_only(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let reserved = request.extensions().get::<Scope>() == Some(&Scope::Reserved);
    if reserved && path != "/healthz" && !path.starts_with("/admin/") {
        let mut response = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "connection limit reached: this connection is one of those kept for /healthz \
                 and /admin/ only, not {path}; retry when fewer are open"
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    next.run(request).await
}

/// Put in a response's extensions, it makes the server send nothing and close the connection
/// instead, as a crashed server or a proxy that dropped the request would (hyper closes a
/// connection whose service fails). Served in process (`Router::oneshot`) there is no
/// connection to close, and the response is delivered as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hangup;

impl std::fmt::Display for Hangup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("closing the connection without an answer, on purpose")
    }
}

impl std::error::Error for Hangup {}

/// The router never fails; tower's `map_result` wants the conversion all the same.
impl From<std::convert::Infallible> for Hangup {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// In every request's extensions: resolves once the server has stopped accepting, so a
/// handler that waits on purpose (a slow outage) stops waiting, and a stop, which lets
/// requests in flight finish, is not held up by it.
#[derive(Debug, Clone)]
pub(crate) struct Stopping(watch::Receiver<()>);

impl Stopping {
    /// Waits until the server stops (the sender, which never sends, is dropped then).
    pub(crate) async fn wait(mut self) {
        while self.0.changed().await.is_ok() {}
    }
}

/// Serves `app` on `listener` until `stop` resolves, then lets requests in flight finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let reserved = limits.reserved.min(limits.max_connections);
    let general = Arc::new(Semaphore::new(limits.max_connections - reserved));
    let reserve = Arc::new(Semaphore::new(reserved));
    let graceful = GracefulShutdown::new();
    let (stopped, stopping) = watch::channel(());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors (EMFILE) or a connection reset before accept: back
                    // off instead of spinning, and keep serving the connections already open.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some((permit, scope)) = admit(&general, &reserve) else {
            tracing::warn!(
                max = limits.max_connections,
                "connection limit reached; closing a new connection"
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let stopping = Stopping(stopping.clone());
        let service = app
            .clone()
            .map_request(move |mut request: Request<_>| {
                request.extensions_mut().insert(scope);
                request.extensions_mut().insert(stopping.clone());
                request
            })
            .map_result(|answered| match answered {
                Ok(response) if response.extensions().get::<Hangup>().is_some() => Err(Hangup),
                Ok(response) => Ok(response),
                Err(never) => match never {},
            });
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            // A client that goes away or times out mid-head is not the server's error.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    drop(stopped);
    graceful.shutdown().await;
}

fn admit(
    general: &Arc<Semaphore>,
    reserve: &Arc<Semaphore>,
) -> Option<(OwnedSemaphorePermit, Scope)> {
    if let Ok(permit) = general.clone().try_acquire_owned() {
        return Some((permit, Scope::All));
    }
    reserve
        .clone()
        .try_acquire_owned()
        .ok()
        .map(|permit| (permit, Scope::Reserved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_descriptor_budget() {
        let l = ConnectionLimits::for_descriptors(256);
        assert_eq!((l.max_connections, l.reserved), (128, 8));
        let l = ConnectionLimits::for_descriptors(20_000);
        assert_eq!((l.max_connections, l.reserved), (4096, 256));
        let l = ConnectionLimits::for_descriptors(10);
        assert_eq!((l.max_connections, l.reserved), (16, 4));
        assert_eq!(ConnectionLimits::new(0).max_connections, 8);
    }
}
