//! Everything that configures an [`Emulator`](super::Emulator).
use serde::{Deserialize, Serialize};

use super::faults::Faults;
use super::profile::Profile;
use super::strictness::Strictness;
use super::world::World;

/// Timings, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timing {
    /// How long poll2 is held when there is nothing to deliver (protocol §6.2: 30–60 s).
    pub poll_hold_ms: u64,
    /// A session without any poll for this long expires (protocol §8.1: "a few minutes").
    pub session_idle_ms: u64,
    /// A session expires this long after login2 however active (protocol §8.2: 1–2 days).
    pub session_lifetime_ms: u64,
    /// A QR code answers 65 this long after ptqrshow (protocol §3.8: ~2 minutes).
    pub qr_lifetime_ms: u64,
    /// The server closes a kept-alive connection idle for this long (protocol §10; `None`:
    /// never).
    pub idle_close_ms: Option<u64>,
    /// Ended sessions are remembered this long, so their polls still get the right retcode.
    pub tombstone_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            poll_hold_ms: 30_000,
            session_idle_ms: 5 * 60_000,
            session_lifetime_ms: 2 * 24 * 3_600_000,
            qr_lifetime_ms: 120_000,
            idle_close_ms: None,
            tombstone_ms: 10 * 60_000,
        }
    }
}

/// The emulator's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EmulatorConfig {
    /// Which era to play.
    pub profile: Profile,
    /// Seed of every random choice (tokens, ids, fault draws).
    pub seed: u64,
    /// Accounts and contacts.
    pub world: World,
    /// Validation switches.
    pub strictness: Strictness,
    /// Seeded faults.
    pub faults: Faults,
    /// Timings.
    pub timing: Timing,
}

impl EmulatorConfig {
    /// The demo world under `profile`, lenient, no faults.
    pub fn demo(profile: Profile) -> Self {
        EmulatorConfig {
            profile,
            world: World::demo(),
            ..EmulatorConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_needs_only_what_differs_from_the_defaults() {
        let cfg: EmulatorConfig = serde_json::from_str(
            r#"{"profile":"w2013","seed":5,"timing":{"poll_hold_ms":1000},"strictness":{"hash":true},
                "faults":{"rules":[{"endpoint":"poll2","action":{"kind":"status","status":502}}]}}"#,
        )
        .unwrap();
        assert_eq!(cfg.profile, Profile::W2013);
        assert_eq!(cfg.seed, 5);
        assert_eq!(cfg.timing.poll_hold_ms, 1000);
        assert_eq!(
            cfg.timing.session_idle_ms,
            Timing::default().session_idle_ms
        );
        assert!(cfg.strictness.hash && !cfg.strictness.referer);
        assert_eq!(cfg.faults.rules[0].probability, 1.0);
        assert_eq!(cfg.faults.rules[0].times, None);
        assert!(cfg.world.accounts.is_empty());
        let back: EmulatorConfig =
            serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
    }
}
