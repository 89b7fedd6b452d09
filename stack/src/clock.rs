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
        Ok(Self::frozen(at))
    }

    /// Now.
    pub fn now(&self) -> OffsetDateTime {
        match *self.lock() {
            Mode::System { offset_nanos } => {
                system_now() + time::Duration::nanoseconds_i128(offset_nanos)
            }
            Mode::Frozen { at } => at,
        }
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

    /// Moves the clock forward (a frozen clock stays frozen at the new instant).
    pub fn advance(&self, by: Duration) {
        let by = i128::try_from(by.as_nanos()).unwrap_or(i128::MAX);
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::System { offset_nanos } => Mode::System {
                offset_nanos: offset_nanos.saturating_add(by),
            },
            Mode::Frozen { at } => Mode::Frozen {
                at: at + time::Duration::nanoseconds_i128(by),
            },
        };
    }

    /// Sets the clock to `at` (a system clock keeps running from there).
    pub fn set(&self, at: OffsetDateTime) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::System { .. } => Mode::System {
                offset_nanos: (at - system_now()).whole_nanoseconds(),
            },
            Mode::Frozen { .. } => Mode::Frozen { at },
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        // A poisoned clock still holds a valid Mode: keep going.
        self.mode.lock().unwrap_or_else(|p| p.into_inner())
    }
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
        clock.advance(Duration::from_secs(600));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:10:00 UTC));
        let shared = clock.clone();
        assert!(shared.is_frozen());
        clock.set(datetime!(2030-01-01 00:00:00 UTC));
        assert_eq!(
            clock.unix(),
            datetime!(2030-01-01 00:00:00 UTC).unix_timestamp()
        );
    }

    #[test]
    fn system_clock_can_be_advanced() {
        let clock = Clock::system();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() - before >= time::Duration::seconds(3599));
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
