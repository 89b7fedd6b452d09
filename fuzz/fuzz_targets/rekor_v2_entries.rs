//! `POST /rekor-v2/api/v2/log/entries` with a fuzzed `CreateEntryRequest` (hashedRekordRequestV002
//! or dsseRequestV002): no panic, no 5xx, and a refusal logs nothing.
#![no_main]

use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};

fuzz_target!(|data: &[u8]| {
    let h = Harness::get();
    let json = [(header::CONTENT_TYPE, "application/json")];
    let path = "/rekor-v2/api/v2/log/entries";
    let Some(req) = request(Method::POST, path, &json, data.to_vec()) else {
        return;
    };
    let before = h.log_sizes();
    let answer = h.send(req);
    if answer.status.is_client_error() {
        assert_eq!(
            h.log_sizes(),
            before,
            "a {} changed the logs",
            answer.status
        );
    }
});
