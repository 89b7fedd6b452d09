//! The HTTP edge: one router for every service, the error shape and the request bounds.

pub mod admin;
pub mod error;
pub(crate) mod json;
pub(crate) mod limits;
pub mod serve;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub use error::ApiError;
pub use limits::MAX_BODY_BYTES;
pub use serve::ConnectionLimits;

use crate::Services;

/// The whole stack's router: each service's routes, merged (their paths do not collide).
pub(crate) fn router(services: Arc<Services>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(services.oidc.router())
        .merge(crate::fulcio::routes::routes(services.fulcio.clone()))
        .merge(crate::ctlog::routes(services.fulcio.ctlogs().clone()))
        .merge(crate::rekor::routes(services.rekor.clone()))
        .merge(crate::rekor_v2::routes(services.rekor_v2.clone()))
        .merge(crate::tsa::routes(
            services.tsa.clone(),
            services.faults.clone(),
        ))
        .merge(crate::tuf::routes(
            services.trust.clone(),
            services.faults.clone(),
        ))
        .merge(admin::routes(services))
        .layer(limits::body_limit())
        .layer(axum::middleware::from_fn(limits::reject_oversized))
        .layer(axum::middleware::from_fn(error::uniform))
        .layer(axum::middleware::from_fn(serve::reserved_routes_only))
}

async fn healthz() -> &'static str {
    "ok\n"
}
