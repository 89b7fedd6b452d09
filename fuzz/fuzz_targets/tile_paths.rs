//! `GET /rekor-v2/api/v2/<fuzzed path>` (the checkpoint, hash tiles, entry bundles and whatever
//! else a client asks for) over a log of 300 entries: no panic, no 5xx, no change to the log.
#![no_main]

use axum::body::Body;
use axum::http::Method;
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};
use sigbox_fuzz::input::uri_part;

fuzz_target!(|data: &[u8]| {
    let h = Harness::with_entries();
    let path = format!("/rekor-v2/api/v2/{}", uri_part(data));
    let Some(req) = request(Method::GET, &path, &[], Body::empty()) else {
        return;
    };
    let before = h.log_sizes();
    h.send(req);
    assert_eq!(h.log_sizes(), before, "a GET changed the logs");
});
