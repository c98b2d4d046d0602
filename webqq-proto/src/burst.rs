//! Queues that give back what a burst grew: a login queues its parallel requests at once and
//! a flood of messages queues many events, but an idle session holds one or two items at a
//! time. Without this, each of thousands of idle sessions keeps its login's peak capacity.
use std::collections::VecDeque;

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
}
