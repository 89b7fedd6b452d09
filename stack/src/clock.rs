//! The stack's clock: the system clock, or a frozen one, either moved by the admin API.
//!
//! Every timestamp the stack issues (certificate validity, integrated times, SCTs, TSA
//! `genTime`, TUF expiry) is read here, so `--clock frozen=...` makes them all reproducible.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// System time plus an offset (nanoseconds; negative moves back).
    System { offset_nanos: i128 },
    /// A fixed instant, changed only by `set` and `advance`.
    Frozen { at: OffsetDateTime },
}

/// The earliest instant the clock may show: the services write Unix times as unsigned
/// numbers (CT timestamps, TUF versions of the epoch).
pub const EARLIEST: OffsetDateTime = time::macros::datetime!(1970-01-01 00:00 UTC);
/// The latest instant the clock may show: far enough before year 9999 (where certificate and
/// TUF times end) for every validity span the stack adds to now, TUF's century included.
pub const LATEST: OffsetDateTime = time::macros::datetime!(9000-01-01 00:00 UTC);

/// The clock was asked to move outside [`EARLIEST`]..=[`LATEST`]; it did not move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the clock must stay between 1970-01-01T00:00:00Z and 9000-01-01T00:00:00Z; {asked} is outside"
)]
pub struct OutOfRange {
    /// What was asked for, in words (an instant, or "now + N s").
    pub asked: String,
}

impl Mode {
    fn now(&self) -> OffsetDateTime {
        match *self {
            // `set` and `advance` keep system time + offset within EARLIEST..=LATEST.
            Mode::System { offset_nanos } => {
                system_now() + time::Duration::nanoseconds_i128(offset_nanos)
            }
            Mode::Frozen { at } => at,
        }
    }

    /// The same kind of clock, showing `at` now.
    fn moved_to(self, at: OffsetDateTime) -> Self {
        match self {
            Mode::System { .. } => Mode::System {
                offset_nanos: (at - system_now()).whole_nanoseconds(),
            },
            Mode::Frozen { .. } => Mode::Frozen { at },
        }
    }
}

/// `at` as RFC 3339, for messages (its Debug form if it has none).
fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{at:?}"))
}

/// A clock shared by every service of one stack. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: Arc<Mutex<Mode>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::with(Mode::System { offset_nanos: 0 })
    }

    /// A clock stopped at `at` (whole seconds are kept as given; sub-second parts too).
    pub fn frozen(at: OffsetDateTime) -> Self {
        Self::with(Mode::Frozen { at })
    }

    fn with(mode: Mode) -> Self {
        Self {
            mode: Arc::new(Mutex::new(mode)),
        }
    }

    /// Parses `system` or `frozen=<RFC 3339 time>`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        if spec == "system" {
            return Ok(Self::system());
        }
        let Some(at) = spec.strip_prefix("frozen=") else {
            return Err(format!(
                "clock must be `system` or `frozen=<RFC 3339 time>`, got `{spec}`"
            ));
        };
        let at = OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("frozen clock time `{at}` is not RFC 3339: {e}"))?;
        if !(EARLIEST..=LATEST).contains(&at) {
            return Err(OutOfRange { asked: rfc3339(at) }.to_string());
        }
        Ok(Self::frozen(at))
    }

    /// Now.
    pub fn now(&self) -> OffsetDateTime {
        self.lock().now()
    }

    /// Now, in whole seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Now, in milliseconds since the Unix epoch (CT timestamps).
    pub fn unix_millis(&self) -> u64 {
        u64::try_from(self.now().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        matches!(*self.lock(), Mode::Frozen { .. })
    }

    /// Moves the clock forward (a frozen clock stays frozen at the new instant); refused, the
    /// clock unchanged, when that would pass [`LATEST`].
    pub fn advance(&self, by: Duration) -> Result<OffsetDateTime, OutOfRange> {
        let mut mode = self.lock();
        let now = mode.now();
        let at = time::Duration::try_from(by)
            .ok()
            .and_then(|by| now.checked_add(by))
            .filter(|at| *at <= LATEST)
            .ok_or_else(|| OutOfRange {
                asked: format!("{} + {} s", rfc3339(now), by.as_secs()),
            })?;
        *mode = mode.moved_to(at);
        Ok(at)
    }

    /// Sets the clock to `at` (a system clock keeps running from there); refused, the clock
    /// unchanged, outside [`EARLIEST`]..=[`LATEST`].
    pub fn set(&self, at: OffsetDateTime) -> Result<(), OutOfRange> {
        if !(EARLIEST..=LATEST).contains(&at) {
            return Err(OutOfRange { asked: rfc3339(at) });
        }
        let mut mode = self.lock();
        *mode = mode.moved_to(at);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        // A poisoned clock still holds a valid Mode: keep going.
        self.mode.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An instant, in Unix seconds, as certificates write it (RFC 5280 §4.1.2.5): UTCTime through
/// 2049, GeneralizedTime from 2050 on, as Go's x509 encodes it.
pub(crate) fn x509_time(unix: i64) -> anyhow::Result<x509_cert::time::Time> {
    use anyhow::Context as _;
    const Y2050: u64 = 2_524_608_000;
    let secs = u64::try_from(unix).context("time before 1970")?;
    let at = Duration::from_secs(secs);
    Ok(if secs < Y2050 {
        der::asn1::UtcTime::from_unix_duration(at)?.into()
    } else {
        der::asn1::GeneralizedTime::from_unix_duration(at)?.into()
    })
}

/// The one place the stack reads the system clock.
#[allow(clippy::disallowed_methods)] // reason: this is the Clock
fn system_now() -> OffsetDateTime {
    OffsetDateTime::from(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let clock = Clock::parse("frozen=2026-01-01T00:00:00Z").unwrap();
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00:00 UTC));
        clock.advance(Duration::from_secs(600)).unwrap();
        assert_eq!(clock.now(), datetime!(2026-01-01 00:10:00 UTC));
        let shared = clock.clone();
        assert!(shared.is_frozen());
        clock.set(datetime!(2030-01-01 00:00:00 UTC)).unwrap();
        assert_eq!(
            clock.unix(),
            datetime!(2030-01-01 00:00:00 UTC).unix_timestamp()
        );
    }

    #[test]
    fn system_clock_can_be_advanced() {
        let clock = Clock::system();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600)).unwrap();
        assert!(clock.now() - before >= time::Duration::seconds(3599));
    }

    #[test]
    fn moves_past_the_range_are_refused_and_change_nothing() {
        let frozen = Clock::frozen(datetime!(2026-01-01 00:00:00 UTC));
        for clock in [frozen, Clock::system()] {
            let before = clock.now();
            // 3e11 s passes year 9999; u64::MAX s does not fit a time::Duration.
            for secs in [300_000_000_000, u64::MAX] {
                let err = clock.advance(Duration::from_secs(secs)).unwrap_err();
                assert!(err.to_string().contains(&format!("+ {secs} s")), "{err}");
            }
            assert!(clock.set(datetime!(1969-12-31 23:59:59 UTC)).is_err());
            assert!(clock.set(LATEST + time::Duration::SECOND).is_err());
            assert!(clock.now() - before < time::Duration::minutes(1));
            assert_eq!(clock.is_frozen(), clock.now() == before);
        }
        let clock = Clock::frozen(LATEST - time::Duration::SECOND);
        assert_eq!(clock.advance(Duration::from_secs(1)), Ok(LATEST));
        assert!(clock.advance(Duration::from_secs(1)).is_err());
        assert_eq!(clock.now(), LATEST);
        assert!(
            Clock::parse("frozen=9999-12-31T00:00:00Z")
                .unwrap_err()
                .contains("must stay between")
        );
    }

    #[test]
    fn certificate_times_switch_to_generalized_time_in_2050() {
        use der::Encode;
        let der = |unix| x509_time(unix).unwrap().to_der().unwrap();
        // 2049-12-31T23:59:59Z: UTCTime (tag 0x17), two-digit year.
        assert_eq!(der(2_524_607_999), b"\x17\x0d491231235959Z");
        // 2050-01-01T00:00:00Z: GeneralizedTime (tag 0x18), four-digit year.
        assert_eq!(der(2_524_608_000), b"\x18\x0f20500101000000Z");
        assert!(x509_time(-1).is_err());
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(
            Clock::parse("frozen=yesterday")
                .unwrap_err()
                .contains("RFC 3339")
        );
        assert!(Clock::parse("atomic").is_err());
    }
}
