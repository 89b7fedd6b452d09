//! The stack's one router: every service's routes and the admin routes, merged, under the
//! request bounds and the error shape of [`crate::http`]. It sits above the services, which
//! know nothing of each other or of it.

mod admin;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::Services;
use crate::faults::Service;
use crate::http::{error, limits, serve};
use crate::outage;

/// The whole stack's router: each service's routes, merged (their paths do not collide), the
/// outages of those that have them around their routes.
pub(crate) fn router(services: Arc<Services>) -> Router {
    let faults = &services.faults;
    Router::new()
        .route("/healthz", get(healthz))
        .merge(services.oidc.router())
        .merge(outage::around(
            crate::fulcio::routes::routes(services.fulcio.clone()),
            faults.clone(),
            Service::Fulcio,
        ))
        .merge(crate::ctlog::routes(services.ctlogs.clone()))
        .merge(outage::around(
            crate::rekor::routes(services.rekor.clone()),
            faults.clone(),
            Service::Rekor,
        ))
        .merge(outage::around(
            crate::rekor_v2::routes(services.rekor_v2.clone()),
            faults.clone(),
            Service::RekorV2,
        ))
        .merge(outage::around(
            crate::tsa::routes(services.tsa.clone(), faults.clone()),
            faults.clone(),
            Service::Tsa,
        ))
        .merge(outage::around(
            crate::tuf::routes(services.trust.clone(), faults.clone()),
            faults.clone(),
            Service::Tuf,
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
