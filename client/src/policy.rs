//! What the caller requires of the signer.

/// The signer the caller expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Keyless: the certificate's subject alternative name (email, URI or Sigstore otherName)
    /// and OIDC issuer must equal these exactly.
    Identity {
        /// The expected SAN.
        san: String,
        /// The expected OIDC issuer.
        issuer: String,
    },
    /// Managed key: the bundle must be signed by this PEM `PUBLIC KEY`.
    Key(String),
}
