//! The stack's one router: every service's routes and the admin routes, merged, under the
//! request bounds and the error shape of [`crate::http`]. It sits above the services, which
//! know nothing of each other or of it.

mod admin;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::Services;
use crate::http::{error, limits, serve};

/// The whole stack's router: each service's routes, merged (their paths do not collide).
pub(crate) fn router(services: Arc<Services>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(services.oidc.router())
        .merge(crate::fulcio::routes::routes(services.fulcio.clone()))
        .merge(crate::ctlog::routes(services.ctlogs.clone()))
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
