//! The CT log (RFC 6962 §4): `add-chain` and `add-pre-chain` bodies, and the query strings of
//! `get-sth-consistency`, `get-proof-by-hash` and `get-entries`.
#![no_main]

use axum::body::Body;
use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};
use sigbox_fuzz::input::{select, uri_part};

fuzz_target!(|data: &[u8]| {
    let Some((route, rest)) = select(data, 5) else {
        return;
    };
    let h = Harness::get();
    let json = [(header::CONTENT_TYPE, "application/json")];
    let get = |path: &str| {
        let uri = format!("/ct/v1/{path}?{}", uri_part(rest));
        request(Method::GET, &uri, &[], Body::empty())
    };
    let req = match route {
        0 => request(Method::POST, "/ct/v1/add-chain", &json, rest.to_vec()),
        1 => request(Method::POST, "/ct/v1/add-pre-chain", &json, rest.to_vec()),
        2 => get("get-sth-consistency"),
        3 => get("get-proof-by-hash"),
        _ => get("get-entries"),
    };
    if let Some(req) = req {
        h.send(req);
    }
});
