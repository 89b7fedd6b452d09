//! `POST /api/v1/timestamp`: an RFC 3161 `TimeStampReq` (DER), or sigstore/timestamp-authority's
//! JSON form.
#![no_main]

use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};
use sigbox_fuzz::input::select;

fuzz_target!(|data: &[u8]| {
    let Some((form, rest)) = select(data, 2) else {
        return;
    };
    let h = Harness::get();
    let kind = match form {
        0 => "application/timestamp-query",
        _ => "application/json",
    };
    let headers = [(header::CONTENT_TYPE, kind)];
    if let Some(req) = request(Method::POST, "/api/v1/timestamp", &headers, rest.to_vec()) {
        h.send(req);
    }
});
