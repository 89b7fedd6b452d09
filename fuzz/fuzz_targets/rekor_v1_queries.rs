//! Rekor v1's queries, over a log holding an entry of each kind: `POST
//! /api/v1/log/entries/retrieve` and `/api/v1/index/retrieve` bodies, the UUID of `GET
//! /api/v1/log/entries/{uuid}`, the query strings of `GET /api/v1/log/proof` and `GET
//! /api/v1/log/entries`, and paths under `/api/v1/log`. None may change the log.
#![no_main]

use axum::body::Body;
use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};
use sigbox_fuzz::input::{select, uri_part, uri_segment};

fuzz_target!(|data: &[u8]| {
    let Some((route, rest)) = select(data, 6) else {
        return;
    };
    let h = Harness::with_entries();
    let json = [(header::CONTENT_TYPE, "application/json")];
    let get = |path: String| request(Method::GET, &path, &[], Body::empty());
    let req = match route {
        0 => request(
            Method::POST,
            "/api/v1/log/entries/retrieve",
            &json,
            rest.to_vec(),
        ),
        1 => request(Method::POST, "/api/v1/index/retrieve", &json, rest.to_vec()),
        2 => get(format!("/api/v1/log/entries/{}", uri_segment(rest))),
        3 => get(format!("/api/v1/log/proof?{}", uri_part(rest))),
        4 => get(format!("/api/v1/log/entries?{}", uri_part(rest))),
        _ => get(format!("/api/v1/log{}", uri_part(rest))),
    };
    let Some(req) = req else {
        return;
    };
    let before = h.log_sizes();
    h.send(req);
    assert_eq!(h.log_sizes(), before, "a query changed the logs");
});
