//! `/admin/...` with the admin token: up to four requests an input (split at 0xFF, which JSON
//! never holds; each a route byte and a body): clock set and advance, faults armed, listed and
//! cleared, rotations, and a probe that uses the services at the clock's instant (a fresh token,
//! a certificate, a timestamp, a Rekor entry, the TUF timestamp), so a clock moved to 1969 or
//! 9999 meets the code that reads it. The clock and the faults are reset after each input;
//! rotations are capped per process, since each opens new logs.
#![no_main]

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, NOW, request};
use sigbox_fuzz::input::select;
use sigbox_fuzz::seeds;

/// Rotations a process may make: each one adds key generations and opens logs.
const MAX_ROTATIONS: u32 = 16;
static ROTATIONS: AtomicU32 = AtomicU32::new(0);

/// Whether `body` would rotate something (the handler's own parse of `service`).
fn would_rotate(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("service")?.as_str().map(str::to_owned))
        .is_some_and(|s| s.parse::<stack::generations::Kind>().is_ok())
}

/// Uses each service once at the clock's instant; each must answer without a 5xx (an armed
/// fault may make it refuse or lie, never fail).
fn probe(h: &Harness) {
    // An outage answers for a service on purpose (a 503, a cut body, a minute's wait): the
    // probe is about what the faults and the clock do, so any armed outage goes first.
    h.stack().faults().clear_outages();
    let json = (header::CONTENT_TYPE, "application/json");
    let post = |path: &str, headers: &[(header::HeaderName, &str)], body: Vec<u8>| {
        if let Some(req) = request(Method::POST, path, headers, body) {
            h.send(req);
        }
    };
    let key = seeds::key(4);
    if let Ok(token) = h.stack().oidc().mint(&fake_oidc::MintRequest::default()) {
        let bearer = format!("Bearer {token}");
        let body = seeds::fulcio_v2(&key)[0].1.to_string().into_bytes();
        post(
            "/api/v2/signingCert",
            &[json.clone(), (header::AUTHORIZATION, &bearer)],
            body,
        );
    }
    let tsq = seeds::timestamp_request(seeds::ARTIFACT, Some(7), true);
    post(
        "/api/v1/timestamp",
        &[(header::CONTENT_TYPE, "application/timestamp-query")],
        tsq,
    );
    let entry = seeds::v1_hashed_rekord(&key, seeds::ARTIFACT, &seeds::key_pem(&key));
    post(
        "/api/v1/log/entries",
        &[json],
        entry.to_string().into_bytes(),
    );
    if let Some(req) = request(Method::GET, "/tuf/timestamp.json", &[], Body::empty()) {
        h.send(req);
    }
}

fuzz_target!(|data: &[u8]| {
    let h = Harness::get();
    let bearer = format!("Bearer {}", h.stack().admin_token());
    for part in data.split(|b| *b == 0xFF).take(4) {
        let Some((route, body)) = select(part, 7) else {
            continue;
        };
        if route == 6 {
            probe(h);
            continue;
        }
        let (method, path) = match route {
            0 => (Method::POST, "/admin/clock"),
            1 => (Method::POST, "/admin/clock/advance"),
            2 => (Method::POST, "/admin/faults"),
            3 => (Method::POST, "/admin/rotate"),
            4 => (Method::GET, "/admin/clock"),
            _ => (Method::DELETE, "/admin/faults"),
        };
        let rotating = route == 3 && would_rotate(body);
        if rotating && ROTATIONS.load(Ordering::Relaxed) >= MAX_ROTATIONS {
            continue;
        }
        let headers = [
            (header::CONTENT_TYPE, "application/json"),
            (header::AUTHORIZATION, bearer.as_str()),
        ];
        let body = if method == Method::POST {
            Body::from(body.to_vec())
        } else {
            Body::empty()
        };
        let Some(req) = request(method, path, &headers, body) else {
            continue;
        };
        if h.send(req).status.is_success() && rotating {
            ROTATIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
    // The next input starts where every input starts.
    h.stack()
        .clock()
        .set(NOW)
        .expect("the fuzz stack's start instant is in range");
    h.stack().faults().clear();
});
