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
    /// Keyless, with each of SAN and issuer matched exactly or by a regular expression.
    IdentityMatching {
        /// How the SAN must match.
        san: Pattern,
        /// How the OIDC issuer must match.
        issuer: Pattern,
    },
    /// Managed key: the bundle must be signed by this PEM `PUBLIC KEY`.
    Key(String),
}

/// One identity field's requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Equal to this.
    Exact(String),
    /// Matched by this regular expression (Rust `regex` syntax), unanchored as cosign's
    /// `--certificate-identity-regexp` is: anchor it with `^...$` to match the whole value.
    Regex(String),
}

impl Pattern {
    /// Whether `value` meets the requirement; an invalid expression is an error naming it.
    pub(crate) fn matches(&self, value: &str) -> Result<bool, String> {
        match self {
            Self::Exact(want) => Ok(value == want),
            Self::Regex(re) => regex::Regex::new(re)
                .map(|r| r.is_match(value))
                .map_err(|e| format!("invalid regular expression `{re}`: {e}")),
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(s) => write!(f, "`{s}`"),
            Self::Regex(r) => write!(f, "a match for /{r}/"),
        }
    }
}

impl Policy {
    /// The identity requirement as patterns, for keyless policies.
    pub(crate) fn patterns(&self) -> Option<(Pattern, Pattern)> {
        match self {
            Self::Identity { san, issuer } => {
                Some((Pattern::Exact(san.clone()), Pattern::Exact(issuer.clone())))
            }
            Self::IdentityMatching { san, issuer } => Some((san.clone(), issuer.clone())),
            Self::Key(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_or_unanchored() {
        assert_eq!(Pattern::Exact("a@b.c".into()).matches("a@b.c"), Ok(true));
        assert_eq!(Pattern::Exact("a@b.c".into()).matches("xa@b.c"), Ok(false));
        assert_eq!(Pattern::Regex("b\\.c$".into()).matches("a@b.c"), Ok(true));
        assert_eq!(Pattern::Regex("^b".into()).matches("a@b.c"), Ok(false));
        assert!(
            Pattern::Regex("(".into())
                .matches("x")
                .unwrap_err()
                .contains("invalid")
        );
    }
}
