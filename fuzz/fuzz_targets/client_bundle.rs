//! The client's bundle parser (`Bundle::from_json`, v0.1 to v0.3), and a parsed bundle verified
//! against the fuzz stack's trusted root (the seed bundles were signed by a stack of the same
//! seed and clock, so they verify), under a keyless policy and a managed-key one.
#![no_main]

use std::sync::OnceLock;

use client::{Artifact, Bundle, Pattern, Policy, TrustedRoot, Verifier};
use libfuzzer_sys::fuzz_target;
use sigbox_fuzz::harness::{Harness, NOW};
use sigbox_fuzz::seeds;

fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let json = Harness::get().stack().trust().trusted_root_json();
        let root =
            TrustedRoot::from_json(json.as_bytes()).expect("the stack's trusted root parses");
        Verifier::new_at(root, NOW)
    })
}

fuzz_target!(|data: &[u8]| {
    let verifier = verifier();
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    let anyone = Policy::IdentityMatching {
        san: Pattern::Regex(".*".into()),
        issuer: Pattern::Regex(".*".into()),
    };
    let key = Policy::Key(seeds::key_pem(&seeds::key(1)));
    for policy in [anyone, key] {
        let _ = verifier.verify(&bundle, Artifact::Bytes(seeds::ARTIFACT), &policy);
    }
});
