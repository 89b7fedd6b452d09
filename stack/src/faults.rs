//! Faults on demand: a service misbehaves, on purpose, for the next N requests it serves, so a
//! test can check that a client notices. Armed through `/admin/faults` (admin token) or
//! [`crate::Stack::faults`]; each request that misbehaves uses one up.
//!
//! Every fault produces material a correct verifier must refuse, with valid signatures wherever
//! the fault is elsewhere (an SCT from an unknown key is a *valid* signature by that key; an
//! integrated time outside the certificate's validity is covered by a *valid* SET), so the
//! only way to catch it is the check the fault is about.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// One way to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Fulcio issues the certificate without an SCT.
    FulcioOmitSct,
    /// Fulcio embeds an SCT signed by a key no trusted CT log has.
    FulcioUnknownSctKey,
    /// Fulcio issues from a CA that is not in the trusted root.
    FulcioUnknownCa,
    /// Fulcio leaves the codeSigning EKU out.
    FulcioNoCodeSigning,
    /// Fulcio issues a certificate that expired an hour before it was issued.
    FulcioExpiredCert,
    /// Fulcio issues a certificate valid for a year.
    FulcioLongCert,
    /// Fulcio puts another identity in the SAN.
    FulcioOtherSan,
    /// Rekor answers with an inclusion proof that does not lead to its root.
    RekorWrongProof,
    /// Rekor signs the checkpoint with a key that is not the log's.
    RekorCheckpointWrongKey,
    /// Rekor's checkpoint names another origin.
    RekorCheckpointWrongOrigin,
    /// Rekor's SET signs other bytes than the entry.
    RekorSetOverOtherBytes,
    /// Rekor's integrated time (under a valid SET) is an hour before the certificate.
    RekorIntegratedTimeOutside,
    /// The TSA stamps another digest than the one asked for.
    TsaOtherDigest,
    /// The TSA signs with a key no trusted TSA has.
    TsaUnknownKey,
    /// Rekor answers with another, older entry (another artifact's) instead of the new one.
    RekorOtherArtifact,
    /// Rekor answers with a proof and a checkpoint (signed by its key) in a fork of its tree
    /// that the log's other answers are inconsistent with (a split view).
    RekorSplitView,
    /// The TUF repository serves the previous `timestamp.json` (a rollback).
    TufRolledBackTimestamp,
    /// The TUF repository serves a `timestamp.json` that expired long ago (a freeze).
    TufExpiredTimestamp,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Self; 18] = [
        Self::FulcioOmitSct,
        Self::FulcioUnknownSctKey,
        Self::FulcioUnknownCa,
        Self::FulcioNoCodeSigning,
        Self::FulcioExpiredCert,
        Self::FulcioLongCert,
        Self::FulcioOtherSan,
        Self::RekorWrongProof,
        Self::RekorCheckpointWrongKey,
        Self::RekorCheckpointWrongOrigin,
        Self::RekorSetOverOtherBytes,
        Self::RekorIntegratedTimeOutside,
        Self::TsaOtherDigest,
        Self::TsaUnknownKey,
        Self::RekorOtherArtifact,
        Self::RekorSplitView,
        Self::TufRolledBackTimestamp,
        Self::TufExpiredTimestamp,
    ];

    /// Whether only Rekor v1 serves it: the Rekor v2 log has no SET and no integrated time,
    /// and no split view (it serves no consistency proof for a client to catch one with). It
    /// serves the other Rekor faults as v1 does.
    pub fn rekor_v1_only(self) -> bool {
        matches!(
            self,
            Self::RekorSetOverOtherBytes | Self::RekorIntegratedTimeOutside | Self::RekorSplitView
        )
    }

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FulcioOmitSct => "fulcio-omit-sct",
            Self::FulcioUnknownSctKey => "fulcio-unknown-sct-key",
            Self::FulcioUnknownCa => "fulcio-unknown-ca",
            Self::FulcioNoCodeSigning => "fulcio-no-code-signing",
            Self::FulcioExpiredCert => "fulcio-expired-cert",
            Self::FulcioLongCert => "fulcio-long-cert",
            Self::FulcioOtherSan => "fulcio-other-san",
            Self::RekorWrongProof => "rekor-wrong-proof",
            Self::RekorCheckpointWrongKey => "rekor-checkpoint-wrong-key",
            Self::RekorCheckpointWrongOrigin => "rekor-checkpoint-wrong-origin",
            Self::RekorSetOverOtherBytes => "rekor-set-over-other-bytes",
            Self::RekorIntegratedTimeOutside => "rekor-integrated-time-outside",
            Self::TsaOtherDigest => "tsa-other-digest",
            Self::TsaUnknownKey => "tsa-unknown-key",
            Self::RekorOtherArtifact => "rekor-other-artifact",
            Self::RekorSplitView => "rekor-split-view",
            Self::TufRolledBackTimestamp => "tuf-rolled-back-timestamp",
            Self::TufExpiredTimestamp => "tuf-expired-timestamp",
        }
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown fault {s:?}, want one of {}", names.join(", "))
            })
    }
}

/// The armed faults and how many more requests each will hit.
#[derive(Debug, Default)]
pub struct Faults(Mutex<BTreeMap<Fault, u32>>);

impl Faults {
    /// Arms `fault` for the next `count` requests it applies to (0 disarms it).
    pub fn arm(&self, fault: Fault, count: u32) {
        let mut armed = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if count == 0 {
            armed.remove(&fault);
        } else {
            armed.insert(fault, count);
        }
    }

    /// Uses one request's worth of `fault` if it is armed.
    pub fn take(&self, fault: Fault) -> bool {
        let mut armed = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match armed.get_mut(&fault) {
            Some(n) if *n > 1 => {
                *n -= 1;
                true
            }
            Some(_) => {
                armed.remove(&fault);
                true
            }
            None => false,
        }
    }

    /// What is armed now.
    pub fn armed(&self) -> BTreeMap<Fault, u32> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Disarms everything.
    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_hits_the_next_n_requests_then_stops() {
        let f = Faults::default();
        assert!(!f.take(Fault::TsaOtherDigest));
        f.arm(Fault::TsaOtherDigest, 2);
        assert!(f.take(Fault::TsaOtherDigest));
        assert!(f.take(Fault::TsaOtherDigest));
        assert!(!f.take(Fault::TsaOtherDigest));
        f.arm(Fault::FulcioOmitSct, 1);
        f.arm(Fault::FulcioOmitSct, 0);
        assert!(f.armed().is_empty());
    }

    #[test]
    fn names_round_trip() {
        for f in Fault::ALL {
            assert_eq!(f.as_str().parse::<Fault>(), Ok(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
        assert!(
            "nope"
                .parse::<Fault>()
                .unwrap_err()
                .contains("fulcio-omit-sct")
        );
    }
}
