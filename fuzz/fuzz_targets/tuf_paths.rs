//! `GET /tuf/<fuzzed path>` (the TUF repository, served from its directory) and `GET
//! /trust/<fuzzed name>` (the client trust files).
#![no_main]

use axum::body::Body;
use axum::http::Method;
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};
use sigbox_fuzz::input::{select, uri_part};

fuzz_target!(|data: &[u8]| {
    let Some((route, rest)) = select(data, 2) else {
        return;
    };
    let h = Harness::get();
    let prefix = if route == 0 { "/tuf/" } else { "/trust/" };
    let path = format!("{prefix}{}", uri_part(rest));
    if let Some(req) = request(Method::GET, &path, &[], Body::empty()) {
        h.send(req);
    }
});
