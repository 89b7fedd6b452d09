//! Fulcio's `POST /api/v2/signingCert` and `/api/v1/signingCert`: the JSON body fuzzed, with a
//! valid identity token from the stack's own issuer in the `Authorization` header (so fuzzed
//! keys, proofs and CSRs, PEM or DER, reach their parsers), or with no header (the token, if
//! any, in the fuzzed body).
#![no_main]

use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};
use sigbox_fuzz::input::select;

fuzz_target!(|data: &[u8]| {
    let Some((route, rest)) = select(data, 4) else {
        return;
    };
    let h = Harness::get();
    let path = if route % 2 == 0 {
        "/api/v2/signingCert"
    } else {
        "/api/v1/signingCert"
    };
    let bearer = format!("Bearer {}", h.token());
    let mut headers = vec![(header::CONTENT_TYPE, "application/json")];
    if route < 2 {
        headers.push((header::AUTHORIZATION, bearer.as_str()));
    }
    if let Some(req) = request(Method::POST, path, &headers, rest.to_vec()) {
        h.send(req);
    }
});
