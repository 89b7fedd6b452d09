//! The Sigstore formats, defined once: the ground floor under the services (`stack`), the
//! client and the TUF repository, so a format's bytes are written in one place.
//!
//! Each type has one strict `parse` (what the real services and clients refuse, it refuses,
//! naming the field) and one `encode` whose bytes match upstream's (checked by the golden files
//! in `stack/tests/golden/`). No crypto and no I/O here: checking a signature or a proof is the
//! caller's, and so is fetching.

pub mod bundle;
pub mod ct;
pub mod dsse;
mod encoding;
pub mod error;
pub mod fulcio;
pub mod oid;
pub mod pem;
pub mod rekor_v1;
pub mod rekor_v2;
pub mod signing_config;
pub mod trust_config;
pub mod trusted_root;
