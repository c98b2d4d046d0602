//! Queues and tables that give back what a burst grew: a login queues its parallel requests
//! at once and a flood of messages queues many events, but an idle session holds one or two
//! items at a time. Without this, each of thousands of idle sessions keeps its login's peak capacity.
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};

/// Slots a queue keeps once it has emptied: an idle session's traffic (the next poll, an
/// event or two) fits, so steady work never reallocates.
pub(crate) const KEPT_QUEUE_CAPACITY: usize = 4;

/// Call when `queue` was found empty: trims a capacity grown past [`KEPT_QUEUE_CAPACITY`].
/// Costs one comparison unless there is something to give back.
pub(crate) fn release_burst<T>(queue: &mut VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > KEPT_QUEUE_CAPACITY {
        queue.shrink_to(KEPT_QUEUE_CAPACITY);
    }
}

/// Call after removing from `map`: once it holds under an eighth of a capacity grown past
/// [`KEPT_MAP_CAPACITY`], trims it to what it holds (at least the kept slots). The eighth keeps
/// a map that swings between one and a few entries from reallocating on every swing.
pub(crate) fn release_burst_map<K: Eq + Hash, V, S: BuildHasher>(map: &mut HashMap<K, V, S>) {
    if worth_releasing(map.len(), map.capacity()) {
        map.shrink_to(map.len().max(KEPT_MAP_CAPACITY));
    }
}

/// The rule of [`release_burst_map`]: under an eighth used of more than the kept slots.
fn worth_releasing(len: usize, capacity: usize) -> bool {
    capacity > KEPT_MAP_CAPACITY && len * 8 < capacity
}

/// Slots a table of requests or connections keeps: an idle session has its held poll and one
/// connection; a send or a list refresh beside it fits.
pub(crate) const KEPT_MAP_CAPACITY: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emptied_queue_keeps_only_the_small_capacity() {
        let mut q: VecDeque<u64> = (0..100).collect();
        release_burst(&mut q);
        assert_eq!(q.len(), 100, "a queue with items is left alone");
        assert!(q.capacity() >= 100);
        q.clear();
        release_burst(&mut q);
        assert!(q.capacity() >= KEPT_QUEUE_CAPACITY);
        assert!(q.capacity() < 100, "capacity {} kept", q.capacity());
        let mut small: VecDeque<u64> = VecDeque::with_capacity(2);
        release_burst(&mut small);
        assert_eq!(small.capacity(), 2, "a small queue is not grown");
    }

    #[test]
    fn a_map_is_trimmed_only_when_under_an_eighth_used() {
        // (entries, capacity, trimmed?)
        let table = [
            (1, 112, true),
            (13, 112, true),
            (14, 112, false),
            (99, 112, false),
            (0, KEPT_MAP_CAPACITY, false),
            (0, KEPT_MAP_CAPACITY + 1, true),
        ];
        for (len, capacity, trimmed) in table {
            assert_eq!(
                worth_releasing(len, capacity),
                trimmed,
                "{len} of {capacity}"
            );
        }
    }

    #[test]
    fn a_map_emptied_after_a_burst_gives_its_capacity_back() {
        let mut m: HashMap<u64, [u8; 64]> = (0..100).map(|i| (i, [0; 64])).collect();
        let grown = m.capacity();
        for i in 1..100 {
            m.remove(&i);
            release_burst_map(&mut m);
        }
        assert_eq!(m.len(), 1);
        assert!(
            m.capacity() < grown / 4,
            "capacity {} of {grown} kept",
            m.capacity()
        );
        assert!(m.capacity() >= KEPT_MAP_CAPACITY);
    }
}
