//! A set of deadlines, earliest first. Entries are never cancelled: whoever handles an expired
//! entry checks that it still applies (lazy invalidation keeps every operation O(log n)).
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The longest wait any setting can ask for (30 days): larger values, which could overflow
/// `Instant`, are clamped.
pub const MAX_WAIT_MS: u64 = 30 * 24 * 3_600_000;

/// `ms` milliseconds, clamped to [`MAX_WAIT_MS`].
pub(crate) fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms.min(MAX_WAIT_MS))
}

/// Identifies one inserted deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey(Instant, u64);

/// Deadlines carrying a `K` each.
#[derive(Debug)]
pub(crate) struct Timers<K> {
    entries: BTreeMap<(Instant, u64), K>,
    next: u64,
}

impl<K> Default for Timers<K> {
    fn default() -> Self {
        Timers {
            entries: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<K> Timers<K> {
    /// Adds a deadline; the key removes it again.
    pub(crate) fn insert(&mut self, at: Instant, key: K) -> TimerKey {
        self.next += 1;
        self.entries.insert((at, self.next), key);
        TimerKey(at, self.next)
    }

    /// Removes a deadline that is no longer wanted (no-op if it fired already).
    pub(crate) fn remove(&mut self, key: TimerKey) {
        self.entries.remove(&(key.0, key.1));
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.entries.keys().next().map(|(at, _)| *at)
    }

    /// Removes and returns one entry due at or before `now`, with its key.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(TimerKey, K)> {
        let (&(at, seq), _) = self.entries.iter().next()?;
        if at > now {
            return None;
        }
        self.entries
            .remove(&(at, seq))
            .map(|k| (TimerKey(at, seq), k))
    }

    /// Number of entries (stale ones included).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}
