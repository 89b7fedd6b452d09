//! `/admin/...`: clock control, rotation and faults on demand, behind the admin token.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Services;
use crate::faults::{ArmedOutage, Fault, FaultName, Faults, Outage, Parameters};
use crate::generations::{Rotation, Shape};
use crate::http::ApiError;

pub(crate) fn routes(services: Arc<Services>) -> Router {
    Router::new()
        .route("/admin/clock", get(clock).post(set_clock))
        .route("/admin/clock/advance", post(advance_clock))
        .route("/admin/rotate", post(rotate))
        .route(
            "/admin/faults",
            get(list_faults).post(arm_fault).delete(clear_faults),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            services.clone(),
            require_admin_token,
        ))
        .with_state(services)
}

/// Admin endpoints change what every client of the stack sees: they take the bearer token.
async fn require_admin_token(
    State(services): State<Arc<Services>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(token) if constant_time_eq(token.as_bytes(), services.admin_token.as_bytes()) => {
            Ok(next.run(request).await)
        }
        Some(_) => Err(ApiError::unauthorized("admin token does not match")),
        None => Err(ApiError::unauthorized(
            "admin endpoints need `Authorization: Bearer <admin token>` (see ready.json)",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Serialize)]
struct ClockState {
    now: String,
    frozen: bool,
}

fn clock_state(services: &Services) -> Json<ClockState> {
    Json(ClockState {
        now: rfc3339(services.clock.now()),
        frozen: services.clock.is_frozen(),
    })
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

async fn clock(State(services): State<Arc<Services>>) -> Json<ClockState> {
    clock_state(&services)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: String,
}

async fn set_clock(
    State(services): State<Arc<Services>>,
    body: Result<Json<SetClock>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ClockState>, ApiError> {
    let Json(body) = body?;
    let at = OffsetDateTime::parse(&body.now, &time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::bad_request(format!("`now` is not an RFC 3339 time: {e}")))?;
    services
        .clock
        .set(at)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(clock_state(&services))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(
    State(services): State<Arc<Services>>,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ClockState>, ApiError> {
    let Json(body) = body?;
    services
        .clock
        .advance(Duration::from_secs(body.seconds))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(clock_state(&services))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    /// `fulcio`, `ctlog`, `rekor`, `tsa`, `oidc` or `tuf-root`.
    service: String,
    /// Fulcio: the new intermediate has the old one's subject name, under the old root.
    #[serde(default)]
    same_subject: bool,
    /// TUF root: the new root's key IDs computed the legacy way.
    #[serde(default)]
    legacy_key_ids: bool,
    /// Drop the older generations from the trusted root.
    #[serde(default)]
    retire: bool,
}

impl Rotate {
    fn rotation(&self) -> Result<Rotation, String> {
        let kind = self.service.parse()?;
        let shape = match (self.same_subject, self.legacy_key_ids) {
            (false, false) => Shape::Plain,
            (true, false) => Shape::SameSubject,
            (false, true) => Shape::LegacyKeyIds,
            (true, true) => {
                return Err("same_subject and legacy_key_ids exclude each other".to_owned());
            }
        };
        let rotation = Rotation {
            kind,
            shape,
            retire: self.retire,
        };
        rotation.check()?;
        Ok(rotation)
    }
}

#[derive(Serialize)]
struct Rotated {
    service: &'static str,
    /// The rotation's name, e.g. `fulcio-same-subject`, `rekor-retire`.
    rotation: String,
    generation: u32,
    /// TUF versions of root, targets, snapshot and timestamp after the rotation.
    tuf_versions: [u64; 4],
}

async fn rotate(
    State(services): State<Arc<Services>>,
    body: Result<Json<Rotate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Rotated>, ApiError> {
    let Json(body) = body?;
    let rotation = body.rotation().map_err(ApiError::bad_request)?;
    let kind = rotation.kind;
    // Rotation writes files and opens RocksDB: off the async workers.
    let s = services.clone();
    let generation = tokio::task::spawn_blocking(move || s.rotate(rotation))
        .await
        .map_err(|e| ApiError::internal(format!("rotation task: {e}")))?
        .map_err(|e| ApiError::internal(format!("rotating {}: {e:#}", kind.as_str())))?;
    Ok(Json(Rotated {
        service: kind.as_str(),
        rotation: rotation.label(),
        generation,
        tuf_versions: services.trust.versions(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Arm {
    /// A fault's or an outage's name, e.g. `fulcio-omit-sct`, `rekor-unavailable`.
    fault: String,
    /// How many of the next requests it hits (default 1; 0 disarms it).
    #[serde(default = "one")]
    count: u32,
    /// A `*-rate-limited` outage's `Retry-After`, in seconds (default 1).
    retry_after_secs: Option<u32>,
    /// How long a `*-slow` outage holds the answer back, in milliseconds (default 60000).
    delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

/// What is armed: `{"tsa-other-digest": 3, "fulcio-slow": {"count": 1, "delay_ms": 300}}`,
/// a fault with its count, an outage with its count and parameters.
#[derive(Serialize)]
struct Armed {
    #[serde(flatten)]
    faults: BTreeMap<Fault, u32>,
    #[serde(flatten)]
    outages: BTreeMap<Outage, ArmedOutage>,
}

fn armed(faults: &Faults) -> Json<Armed> {
    Json(Armed {
        faults: faults.armed(),
        outages: faults.outages(),
    })
}

async fn list_faults(State(services): State<Arc<Services>>) -> Json<Armed> {
    armed(&services.faults)
}

async fn arm_fault(
    State(services): State<Arc<Services>>,
    body: Result<Json<Arm>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Armed>, ApiError> {
    let Json(body) = body?;
    let parameters = Parameters {
        retry_after_secs: body.retry_after_secs,
        delay_ms: body.delay_ms,
    };
    body.fault
        .parse::<FaultName>()
        .and_then(|name| name.arm(&services.faults, body.count, parameters))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(armed(&services.faults))
}

async fn clear_faults(State(services): State<Arc<Services>>) -> Json<Armed> {
    services.faults.clear();
    armed(&services.faults)
}
