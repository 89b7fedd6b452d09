//! The `ClientTrustConfig` (protobuf-specs `dev.sigstore.trustroot.v1.ClientTrustConfig`,
//! `application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`): a trusted root and a signing
//! config in one file, as sigstore-python's `--trust-config` reads it.
//!
//! Both parts are required and parsed as strictly as on their own; the encoding nests their
//! own encodings one level down.

use serde::{Deserialize, Serialize};

use crate::encoding::pretty;
use crate::error::FormatError;
use crate::signing_config::{RawConfig, SigningConfig};
use crate::trusted_root::{RawRoot, TrustedRoot};

/// The media type of a client trust config, the only one read and written.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// A trusted root and the signing config to go with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTrustConfig {
    /// [`MEDIA_TYPE`].
    pub media_type: String,
    /// What to verify against.
    pub trusted_root: TrustedRoot,
    /// What to sign with.
    pub signing_config: SigningConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTrustConfig {
    media_type: Option<String>,
    trusted_root: Option<RawRoot>,
    signing_config: Option<RawConfig>,
}

impl ClientTrustConfig {
    /// Both parts, under [`MEDIA_TYPE`].
    pub fn new(trusted_root: TrustedRoot, signing_config: SigningConfig) -> Self {
        Self {
            media_type: MEDIA_TYPE.to_owned(),
            trusted_root,
            signing_config,
        }
    }

    /// Parses a client trust config, strictly.
    pub fn parse(json: &[u8]) -> Result<Self, FormatError> {
        let raw: RawTrustConfig =
            serde_json::from_slice(json).map_err(|source| FormatError::Json {
                doc: "client trust config",
                source,
            })?;
        match raw.media_type.as_deref() {
            Some(MEDIA_TYPE) => {}
            Some(other) => {
                return Err(FormatError::MediaType {
                    doc: "client trust config",
                    value: other.to_owned(),
                });
            }
            None => return Err(FormatError::missing("client trust config", "mediaType")),
        }
        let trusted_root = raw
            .trusted_root
            .ok_or_else(|| FormatError::missing("client trust config", "trustedRoot"))?;
        let signing_config = raw
            .signing_config
            .ok_or_else(|| FormatError::missing("client trust config", "signingConfig"))?;
        Ok(Self::new(
            TrustedRoot::from_raw(trusted_root)?,
            SigningConfig::from_raw(signing_config)?,
        ))
    }

    /// Pretty JSON with a trailing newline.
    pub fn encode(&self) -> String {
        pretty(self)
    }
}
