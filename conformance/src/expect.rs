//! Known client gaps: `expectations.json` lists the (client, scenario) pairs expected to give
//! the opposite of what the scenario wants, each with its reason.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// One known gap.
#[derive(Debug, Clone, Deserialize)]
pub struct Gap {
    /// The client's name (as [`crate::Client::name`] gives it).
    pub client: String,
    /// The scenario id; a trailing `*` matches any suffix.
    pub scenario: String,
    /// Why, with the client's version.
    pub reason: String,
}

/// The known gaps.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Expectations {
    /// Each gap.
    pub gaps: Vec<Gap>,
}

/// The files shipped with the crate: signing to Rekor v1, and to Rekor v2.
const BUILT_IN: &str = include_str!("../expectations.json");
const BUILT_IN_REKOR_V2: &str = include_str!("../expectations-rekor-v2.json");

impl Expectations {
    /// The gaps known for the pinned clients (`conformance/expectations.json`).
    pub fn built_in() -> Self {
        Self::from_json(BUILT_IN.as_bytes()).expect("conformance/expectations.json parses")
    }

    /// The gaps known for the pinned clients signing to Rekor v2
    /// (`conformance/expectations-rekor-v2.json`).
    pub fn built_in_rekor_v2() -> Self {
        Self::from_json(BUILT_IN_REKOR_V2.as_bytes())
            .expect("conformance/expectations-rekor-v2.json parses")
    }

    /// Parses an expectations file.
    pub fn from_json(json: &[u8]) -> anyhow::Result<Self> {
        serde_json::from_slice(json).context("parsing the expectations")
    }

    /// Reads an expectations file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_json(&bytes).with_context(|| format!("in {}", path.display()))
    }

    /// The gap recorded for `client` in `scenario`, if any.
    pub fn gap(&self, client: &str, scenario: &str) -> Option<&Gap> {
        self.gaps.iter().find(|g| {
            g.client == client
                && match g.scenario.strip_suffix('*') {
                    Some(prefix) => scenario.starts_with(prefix),
                    None => g.scenario == scenario,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_parses_and_matches_prefixes() {
        let e = Expectations::built_in();
        assert!(e.gap("sigstore-python", "cross/sigstore-js/dsse").is_some());
        let e = Expectations {
            gaps: vec![Gap {
                client: "x".into(),
                scenario: "rotate/*".into(),
                reason: "r".into(),
            }],
        };
        assert!(e.gap("x", "rotate/tsa/sign").is_some());
        assert!(e.gap("x", "sign/message").is_none());
        assert!(e.gap("y", "rotate/tsa/sign").is_none());
    }
}
