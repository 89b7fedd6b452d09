//! Sigstore trust material for a sigbox stack, built from public material only.
//!
//! What it is:
//! - [`trusted_root_json`]: `trusted_root.json` (protobuf-specs `TrustedRoot`, media type
//!   `application/vnd.dev.sigstore.trustedroot+json;version=0.1`) from the stack's CA, log and
//!   TSA key generations, each with its `validFor`;
//! - [`signing_config_json`]: `signing_config.v0.2.json` (Fulcio, OIDC, Rekor and TSA URLs with
//!   API versions, validity and operator, plus the Rekor/TSA selectors);
//! - [`client_trust_config_json`]: both in one `ClientTrustConfig`, for
//!   `python -m sigstore --trust-config FILE`;
//! - [`legacy_targets`]: the per-key PEM targets with `custom.sigstore` usage/status metadata
//!   that sigstore/sigstore's legacy TUF client (gitsign, older cosign) reads;
//! - [`Repository`]: a TUF repository (root, targets, snapshot, timestamp; consistent snapshots)
//!   whose targets are those files, signed deterministically ([`P256Signer`], RFC 6979) and
//!   written as plain files to a directory, with root rotation.
//!
//! What it is not: no HTTP server (the stack serves the directory as it is), no Sigstore stack
//! types, no private-key generation (keys come in), no clock (every call takes `now`), and not a
//! TUF client (tests use python-tuf's ngclient and tough's client for that). Same inputs give
//! the same bytes: that is tested.

mod legacy;
mod repo;
mod signer;
mod signing_config;
mod trusted_root;
mod wire;

pub use legacy::{LegacyTarget, legacy_targets};
pub use repo::{Custom, Expiry, RepoError, Repository, RoleKeys, SPEC_VERSION};
pub use signer::{KeyIds, P256Signer};
pub use signing_config::{
    CLIENT_TRUST_CONFIG_MEDIA_TYPE, SIGNING_CONFIG_MEDIA_TYPE, Selector, Service,
    SigningConfigInput, client_trust_config, client_trust_config_json, signing_config_json,
};
pub use trusted_root::{
    CertificateAuthority, TRUSTED_ROOT_MEDIA_TYPE, TransparencyLog, TrustedRootInput,
    trusted_root_json,
};
pub use wire::Validity;
