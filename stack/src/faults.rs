//! Faults on demand: a service misbehaves, on purpose, for the next N requests it serves, so a
//! test can check that a client notices. Armed through `/admin/faults` (admin token) or
//! [`crate::Stack::faults`]; each request that misbehaves uses one up.
//!
//! Every fault produces material a correct verifier must refuse, with valid signatures wherever
//! the fault is elsewhere (an SCT from an unknown key is a *valid* signature by that key; an
//! integrated time outside the certificate's validity is covered by a *valid* SET), so the
//! only way to catch it is the check the fault is about.
//!
//! Outages ([`Outage`]) are the other kind: a service is down, rate limited, slow, or drops
//! the connection, as real Rekor and Fulcio instances have been, so a test can see what a
//! client's retries and timeouts make of it. The stack's `outage` middleware applies them around
//! a service's handler (most before it runs); the faults above live inside the services.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

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

/// A service an [`Outage`] can take down: the routes of its router (for Fulcio its `/api/v1/`
/// and `/api/v2/` routes, not the CT log's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// Fulcio.
    Fulcio,
    /// Rekor v1 (`/api/v1/log...`, `/api/v1/index/...`).
    Rekor,
    /// Rekor v2 (`/rekor-v2/...`).
    RekorV2,
    /// The timestamp authority (`/api/v1/timestamp...`).
    Tsa,
    /// The TUF repository (`/tuf/...`; the unwrapped copies under `/trust/` stay up).
    Tuf,
}

impl Service {
    /// Every service.
    pub const ALL: [Self; 5] = [
        Self::Fulcio,
        Self::Rekor,
        Self::RekorV2,
        Self::Tsa,
        Self::Tuf,
    ];

    /// The name an outage's name starts with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fulcio => "fulcio",
            Self::Rekor => "rekor",
            Self::RekorV2 => "rekor-v2",
            Self::Tsa => "tsa",
            Self::Tuf => "tuf",
        }
    }
}

/// How a service is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutageKind {
    /// 429 with `Retry-After`, before the handler runs.
    RateLimited,
    /// The connection is closed with no answer at all, before the handler runs.
    Reset,
    /// The real answer, held back for a while after the handler ran.
    Slow,
    /// The real answer's status and headers (its whole `Content-Length`), half its body, then
    /// the connection closes. The handler runs: a Rekor entry is logged, the client just never
    /// reads the whole answer.
    Truncated,
    /// 503, before the handler runs.
    Unavailable,
}

impl OutageKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::RateLimited,
        Self::Reset,
        Self::Slow,
        Self::Truncated,
        Self::Unavailable,
    ];

    /// The name an outage's name ends with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate-limited",
            Self::Reset => "reset",
            Self::Slow => "slow",
            Self::Truncated => "truncated",
            Self::Unavailable => "unavailable",
        }
    }
}

/// A service down in one way, named `<service>-<kind>` (`rekor-v2-slow`). An armed outage
/// changes no state: what it answers instead is never logged, and what it delays or cuts short
/// is the real answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Outage {
    /// Which service is down.
    pub service: Service,
    /// How.
    pub kind: OutageKind,
}

impl Outage {
    /// Every outage.
    pub fn all() -> impl Iterator<Item = Self> {
        Service::ALL.into_iter().flat_map(|service| {
            OutageKind::ALL
                .into_iter()
                .map(move |kind| Self { service, kind })
        })
    }
}

impl fmt::Display for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.service.as_str(), self.kind.as_str())
    }
}

/// As its name, so the armed outages list as `{"fulcio-slow": ...}`.
impl Serialize for Outage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What an armed outage does to each request it hits, with its parameters: only the kinds
/// that take one have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// See [`OutageKind::RateLimited`]; the client is told to retry after this many seconds.
    RateLimited {
        /// The `Retry-After` header's value.
        retry_after_secs: u32,
    },
    /// See [`OutageKind::Reset`].
    Reset,
    /// See [`OutageKind::Slow`]. Real time, not the stack's clock: it is the client's
    /// timeout that is tested. A stopping server stops waiting and answers.
    Slow {
        /// How long the answer is held back.
        delay: Duration,
    },
    /// See [`OutageKind::Truncated`].
    Truncated,
    /// See [`OutageKind::Unavailable`].
    Unavailable,
}

impl Effect {
    /// `Retry-After` when none is given.
    pub const DEFAULT_RETRY_AFTER_SECS: u32 = 1;
    /// The delay when none is given: past every client's timeout.
    pub const DEFAULT_DELAY: Duration = Duration::from_secs(60);
    /// The longest delay: a slow answer still comes in a test's lifetime.
    pub const MAX_DELAY: Duration = Duration::from_secs(600);

    /// What `outage` does with `parameters` (the defaults for those left out); refuses a
    /// parameter its kind does not take and a delay over [`Self::MAX_DELAY`].
    pub fn new(outage: Outage, parameters: Parameters) -> Result<Self, ArmError> {
        let Parameters {
            retry_after_secs,
            delay_ms,
        } = parameters;
        let kind = outage.kind;
        let refuse = |parameter| ArmError::TakesNoParameter {
            name: outage.to_string(),
            parameter,
        };
        if kind != OutageKind::RateLimited && retry_after_secs.is_some() {
            return Err(refuse("retry_after_secs"));
        }
        if kind != OutageKind::Slow && delay_ms.is_some() {
            return Err(refuse("delay_ms"));
        }
        Ok(match kind {
            OutageKind::RateLimited => Self::RateLimited {
                retry_after_secs: retry_after_secs.unwrap_or(Self::DEFAULT_RETRY_AFTER_SECS),
            },
            OutageKind::Reset => Self::Reset,
            OutageKind::Slow => match delay_ms {
                Some(delay_ms) if Duration::from_millis(delay_ms) > Self::MAX_DELAY => {
                    return Err(ArmError::DelayTooLong { delay_ms });
                }
                delay_ms => Self::Slow {
                    delay: delay_ms.map_or(Self::DEFAULT_DELAY, Duration::from_millis),
                },
            },
            OutageKind::Truncated => Self::Truncated,
            OutageKind::Unavailable => Self::Unavailable,
        })
    }

    /// The kind, without its parameters.
    pub fn kind(self) -> OutageKind {
        match self {
            Self::RateLimited { .. } => OutageKind::RateLimited,
            Self::Reset => OutageKind::Reset,
            Self::Slow { .. } => OutageKind::Slow,
            Self::Truncated => OutageKind::Truncated,
            Self::Unavailable => OutageKind::Unavailable,
        }
    }
}

/// An armed outage: what it does and how many more requests it hits. Listed as
/// `{"count": 2, "delay_ms": 300}`, with the parameters its kind takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArmedOutage {
    /// What each request it hits gets.
    pub effect: Effect,
    /// How many more requests it hits.
    pub count: u32,
}

impl Serialize for ArmedOutage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire {
            count: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            retry_after_secs: Option<u32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            delay_ms: Option<u128>,
        }
        let (retry_after_secs, delay_ms) = match self.effect {
            Effect::RateLimited { retry_after_secs } => (Some(retry_after_secs), None),
            Effect::Slow { delay } => (None, Some(delay.as_millis())),
            Effect::Reset | Effect::Truncated | Effect::Unavailable => (None, None),
        };
        Wire {
            count: self.count,
            retry_after_secs,
            delay_ms,
        }
        .serialize(serializer)
    }
}

/// The parameters an outage may take beside its name and count (`/admin/faults`' body fields);
/// left out, each takes its default.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Parameters {
    /// `Retry-After` of a `rate-limited` outage, in seconds.
    pub retry_after_secs: Option<u32>,
    /// How long a `slow` outage holds the answer back, in milliseconds.
    pub delay_ms: Option<u64>,
}

/// The name of anything `/admin/faults` arms: the one table of names and its one parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultName {
    /// A service lies.
    Fault(Fault),
    /// A service is down.
    Outage(Outage),
}

impl FromStr for FaultName {
    type Err = ArmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(fault) = s.parse::<Fault>() {
            return Ok(Self::Fault(fault));
        }
        Outage::all()
            .find(|o| o.to_string() == s)
            .map(Self::Outage)
            .ok_or_else(|| ArmError::UnknownName { name: s.to_owned() })
    }
}

impl FaultName {
    /// Arms it in `faults` for the next `count` requests it applies to (0 disarms it), with
    /// `parameters`; on a parameter it does not take, nothing is armed.
    pub fn arm(self, faults: &Faults, count: u32, parameters: Parameters) -> Result<(), ArmError> {
        match self {
            Self::Fault(fault) => {
                let refuse = |parameter| ArmError::TakesNoParameter {
                    name: fault.as_str().to_owned(),
                    parameter,
                };
                if parameters.retry_after_secs.is_some() {
                    return Err(refuse("retry_after_secs"));
                }
                if parameters.delay_ms.is_some() {
                    return Err(refuse("delay_ms"));
                }
                faults.arm(fault, count);
            }
            Self::Outage(outage) => {
                let effect = Effect::new(outage, parameters)?;
                faults.arm_outage(outage.service, effect, count);
            }
        }
        Ok(())
    }
}

/// Why arming was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArmError {
    /// No fault or outage has this name.
    #[error(
        "unknown fault {name:?}, want one of {faults}, or an outage <service>-<kind> with service \
         one of {services} and kind one of {kinds}",
        faults = Fault::ALL.map(Fault::as_str).join(", "),
        services = Service::ALL.map(Service::as_str).join(", "),
        kinds = OutageKind::ALL.map(OutageKind::as_str).join(", "),
    )]
    UnknownName {
        /// The name given.
        name: String,
    },
    /// A parameter given to a fault or an outage that has no use for it.
    #[error("{name} takes no {parameter}")]
    TakesNoParameter {
        /// The fault's or the outage's name.
        name: String,
        /// The parameter's field name.
        parameter: &'static str,
    },
    /// A `slow` delay over [`Effect::MAX_DELAY`].
    #[error(
        "delay_ms {delay_ms} is over the longest an outage may hold an answer back, {max} ms",
        max = Effect::MAX_DELAY.as_millis()
    )]
    DelayTooLong {
        /// The delay given.
        delay_ms: u64,
    },
}

#[derive(Debug, Default)]
struct Armed {
    faults: BTreeMap<Fault, u32>,
    outages: BTreeMap<Outage, ArmedOutage>,
}

/// The armed faults and outages, and how many more requests each will hit.
///
/// The contract: an armed fault or outage hits exactly the next `count` requests it applies
/// to, each of which uses one up whatever comes of the request; once used up it is gone, and
/// arming again replaces the count (and an outage's parameters).
#[derive(Debug, Default)]
pub struct Faults(Mutex<Armed>);

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Armed> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms `fault` for the next `count` requests it applies to (0 disarms it).
    pub fn arm(&self, fault: Fault, count: u32) {
        let mut armed = self.lock();
        if count == 0 {
            armed.faults.remove(&fault);
        } else {
            armed.faults.insert(fault, count);
        }
    }

    /// Uses one request's worth of `fault` if it is armed.
    pub fn take(&self, fault: Fault) -> bool {
        let mut armed = self.lock();
        match armed.faults.get_mut(&fault) {
            Some(n) if *n > 1 => {
                *n -= 1;
                true
            }
            Some(_) => {
                armed.faults.remove(&fault);
                true
            }
            None => false,
        }
    }

    /// The faults armed now (the outages are [`Self::outages`]).
    pub fn armed(&self) -> BTreeMap<Fault, u32> {
        self.lock().faults.clone()
    }

    /// Arms an outage of `service` for its next `count` requests (0 disarms it), with
    /// `effect`'s kind and parameters.
    pub fn arm_outage(&self, service: Service, effect: Effect, count: u32) {
        let outage = Outage {
            service,
            kind: effect.kind(),
        };
        let mut armed = self.lock();
        if count == 0 {
            armed.outages.remove(&outage);
        } else {
            armed.outages.insert(outage, ArmedOutage { effect, count });
        }
    }

    /// Uses one request's worth of an outage of `service`, if one is armed, and says what it
    /// does. With several armed for one service, the first in [`OutageKind::ALL`]'s order hits.
    pub fn take_outage(&self, service: Service) -> Option<Effect> {
        let mut armed = self.lock();
        let (&outage, entry) = armed
            .outages
            .iter_mut()
            .find(|(o, _)| o.service == service)?;
        let effect = entry.effect;
        if entry.count > 1 {
            entry.count -= 1;
        } else {
            armed.outages.remove(&outage);
        }
        Some(effect)
    }

    /// The outages armed now.
    pub fn outages(&self) -> BTreeMap<Outage, ArmedOutage> {
        self.lock().outages.clone()
    }

    /// Disarms every outage, leaving the faults armed.
    pub fn clear_outages(&self) {
        self.lock().outages.clear();
    }

    /// Disarms everything, faults and outages.
    pub fn clear(&self) {
        let mut armed = self.lock();
        armed.faults.clear();
        armed.outages.clear();
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

    #[test]
    fn every_name_parses_to_itself_and_no_outage_shadows_a_fault() {
        let mut names = std::collections::BTreeSet::new();
        for f in Fault::ALL {
            assert_eq!(f.as_str().parse(), Ok(FaultName::Fault(f)));
            assert!(names.insert(f.as_str().to_owned()));
        }
        for o in Outage::all() {
            let name = o.to_string();
            assert_eq!(name.parse(), Ok(FaultName::Outage(o)));
            assert_eq!(serde_json::to_value(o).unwrap(), name.as_str());
            assert!(names.insert(name), "{o} is also a fault's name");
        }
        assert_eq!(names.len(), 18 + 25);
        let rekor_v2_slow = Outage {
            service: Service::RekorV2,
            kind: OutageKind::Slow,
        };
        assert_eq!(
            "rekor-v2-slow".parse(),
            Ok(FaultName::Outage(rekor_v2_slow))
        );
        let e = "fulcio-down".parse::<FaultName>().unwrap_err().to_string();
        for want in [
            "\"fulcio-down\"",
            "rekor-wrong-proof",
            "rekor-v2",
            "rate-limited",
        ] {
            assert!(e.contains(want), "{want} not in {e}");
        }
    }

    #[test]
    fn outage_parameters_default_and_are_refused_where_they_do_not_apply() {
        let outage = |kind| Outage {
            service: Service::Fulcio,
            kind,
        };
        let none = Parameters::default();
        assert_eq!(
            Effect::new(outage(OutageKind::RateLimited), none),
            Ok(Effect::RateLimited {
                retry_after_secs: 1
            })
        );
        assert_eq!(
            Effect::new(outage(OutageKind::Slow), none),
            Ok(Effect::Slow {
                delay: Duration::from_secs(60)
            })
        );
        let delay = |ms| Parameters {
            delay_ms: Some(ms),
            ..none
        };
        assert_eq!(
            Effect::new(outage(OutageKind::Slow), delay(600_000)),
            Ok(Effect::Slow {
                delay: Effect::MAX_DELAY
            })
        );
        assert_eq!(
            Effect::new(outage(OutageKind::Slow), delay(600_001)),
            Err(ArmError::DelayTooLong { delay_ms: 600_001 })
        );
        let e = Effect::new(outage(OutageKind::Unavailable), delay(5)).unwrap_err();
        assert_eq!(e.to_string(), "fulcio-unavailable takes no delay_ms");
        let retry = Parameters {
            retry_after_secs: Some(7),
            ..none
        };
        let e = Effect::new(outage(OutageKind::Slow), retry).unwrap_err();
        assert_eq!(e.to_string(), "fulcio-slow takes no retry_after_secs");
        // A fault takes neither, and nothing is armed when it is given one.
        let faults = Faults::default();
        let e = FaultName::Fault(Fault::TsaUnknownKey)
            .arm(&faults, 1, delay(5))
            .unwrap_err();
        assert_eq!(e.to_string(), "tsa-unknown-key takes no delay_ms");
        assert!(faults.armed().is_empty());
    }

    #[test]
    fn an_outage_hits_its_services_next_n_requests_then_stops() {
        let f = Faults::default();
        let slow = Effect::Slow {
            delay: Duration::from_millis(300),
        };
        f.arm_outage(Service::Rekor, slow, 2);
        f.arm_outage(Service::Rekor, Effect::Unavailable, 1);
        f.arm(Fault::RekorWrongProof, 1);
        assert_eq!(f.take_outage(Service::RekorV2), None);
        // The first kind in order hits first; each request uses one.
        assert_eq!(f.take_outage(Service::Rekor), Some(slow));
        assert_eq!(f.take_outage(Service::Rekor), Some(slow));
        assert_eq!(f.take_outage(Service::Rekor), Some(Effect::Unavailable));
        assert_eq!(f.take_outage(Service::Rekor), None);
        f.arm_outage(Service::Tuf, Effect::Reset, 3);
        f.arm_outage(Service::Tuf, Effect::Reset, 0);
        assert!(f.outages().is_empty());
        f.arm_outage(Service::Tsa, Effect::Truncated, 1);
        f.clear_outages();
        assert!(f.outages().is_empty());
        assert_eq!(f.armed().len(), 1, "clearing the outages leaves the faults");
        f.arm_outage(Service::Tsa, Effect::Truncated, 1);
        f.clear();
        assert!(f.outages().is_empty() && f.armed().is_empty());
    }

    #[test]
    fn an_armed_outage_lists_with_its_parameters() {
        let f = Faults::default();
        f.arm_outage(
            Service::Fulcio,
            Effect::RateLimited {
                retry_after_secs: 5,
            },
            2,
        );
        f.arm_outage(
            Service::RekorV2,
            Effect::Slow {
                delay: Duration::from_millis(300),
            },
            1,
        );
        f.arm_outage(Service::Tuf, Effect::Reset, 4);
        assert_eq!(
            serde_json::to_value(f.outages()).unwrap(),
            serde_json::json!({
                "fulcio-rate-limited": {"count": 2, "retry_after_secs": 5},
                "rekor-v2-slow": {"count": 1, "delay_ms": 300},
                "tuf-reset": {"count": 4},
            })
        );
    }
}
