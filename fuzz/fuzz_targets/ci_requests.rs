//! The CI endpoints (`/ci/...`, the fake issuer's ambient credentials): a GitHub Actions or a
//! GitLab job (a JSON body); GitHub's token request with a fuzzed Authorization and query
//! (split at the first newline); and the token request with the request token the stack issued
//! for a fuzzed job and a fuzzed query, so the query's parsing behind a valid token is reached
//! too: a request token the stack issued is never refused.
#![no_main]

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, request};
use sigbox_fuzz::input::select;

/// `bytes` split at the first newline.
fn split(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|b| *b == b'\n') {
        Some(at) => (&bytes[..at], &bytes[at + 1..]),
        None => (bytes, &[][..]),
    }
}

fn token_request(query: &[u8], authorization: &str) -> Option<axum::http::Request<Body>> {
    let path = format!(
        "/ci/github-actions/idtoken?{}",
        String::from_utf8_lossy(query)
    );
    request(
        Method::GET,
        &path,
        &[(header::AUTHORIZATION, authorization)],
        Body::empty(),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((route, rest)) = select(data, 4) else {
        return;
    };
    let h = Harness::get();
    match route {
        0 | 1 => {
            let path = ["/ci/github-actions/job", "/ci/gitlab-ci/job"][route as usize];
            let json = (header::CONTENT_TYPE, "application/json");
            if let Some(req) = request(Method::POST, path, &[json], rest.to_vec()) {
                h.send(req);
            }
        }
        2 => {
            let (authorization, query) = split(rest);
            if let Some(req) = token_request(query, &String::from_utf8_lossy(authorization)) {
                h.send(req);
            }
        }
        _ => {
            let (job, query) = split(rest);
            let Ok(job) = serde_json::from_slice::<fake_oidc::GithubJob>(job) else {
                return;
            };
            let Ok(env) = h.stack().oidc().github_job(job) else {
                return;
            };
            let bearer = format!("bearer {}", env.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]);
            if let Some(req) = token_request(query, &bearer) {
                let answer = h.send(req);
                assert_ne!(
                    answer.status,
                    StatusCode::UNAUTHORIZED,
                    "its own request token was refused: {:?}",
                    answer.body
                );
            }
        }
    }
});
