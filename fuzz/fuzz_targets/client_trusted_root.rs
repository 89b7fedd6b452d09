//! The client's trusted-root parser (`TrustedRoot::from_json`: CAs, tlogs, ctlogs and TSAs, each
//! with its `validFor`), and a verifier built on what it parsed.
#![no_main]

use client::{TrustedRoot, Verifier};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::NOW;

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = TrustedRoot::from_json(data) {
        let _ = Verifier::new_at(root, NOW);
    }
});
