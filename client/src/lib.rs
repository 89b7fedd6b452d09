//! Sigstore signing and bundle verification as a library, as strict as the reference
//! verifiers. It never depends on the sigbox stack: it works against the public instance too.
//!
//! - [`sign::sign`] signs keylessly with the services a `signing_config.v0.2.json` names.
//! - [`tuf::load`] gets the trusted root and signing config through a TUF repository.
//!
//! - [`TrustedRoot::from_json`] loads a protobuf-specs `TrustedRoot` (CAs, tlogs, ctlogs, TSAs,
//!   each with its `validFor`).
//! - [`Bundle::from_json`] parses bundles v0.1, v0.2 and v0.3 (message signature or DSSE).
//! - [`Verifier::verify`] checks a bundle against an [`Artifact`] (bytes or SHA-256 digest) and a
//!   [`Policy`] (keyless identity or managed key): certificate chain to a trusted CA at the
//!   verified times, SCTs, Rekor v1 entries (SET, inclusion proof, checkpoint) and Rekor v2
//!   entries (inclusion proof, checkpoint, RFC 3161 timestamps), and the signature itself.
//!
//! Every rejection is a [`VerifyError`] whose message is one line naming the reason.
//! Time is a parameter ([`Verifier::with_now`]), so verification is deterministic.

mod bundle;
mod cert;
mod chain;
mod dsse;
mod error;
mod keys;
mod policy;
mod rekor;
pub mod sign;
mod trust;
mod tsa;
pub mod tuf;
mod verify;
mod wire;

pub use bundle::{Bundle, BundleVersion};
pub use error::VerifyError;
pub use policy::{Pattern, Policy};
pub use trust::{PUBLIC_GOOD_TRUSTED_ROOT, TrustedRoot};
pub use verify::{Artifact, Verified, Verifier};
