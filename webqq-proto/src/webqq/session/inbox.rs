//! Duplicate suppression and sequence-gap detection for received messages (protocol §6.8).

use std::collections::{HashMap, HashSet, VecDeque};

use super::event::Chat;

/// The de-duplication key recommended by protocol §6.8: `(poll_type, from_uin, msg_id, msg_id2)`.
pub type DedupKey = (String, u64, u64, u64);

/// A sliding window of the last `capacity` keys seen.
#[derive(Debug, Clone)]
pub struct Dedup {
    capacity: usize,
    order: VecDeque<DedupKey>,
    seen: HashSet<DedupKey>,
}

impl Dedup {
    /// A window of `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        Dedup {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// True the first time `key` is seen within the window.
    pub fn first_time(&mut self, key: DedupKey) -> bool {
        if self.seen.contains(&key) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(key.clone());
        self.order.push_back(key);
        true
    }
}

/// Conversations tracked for gaps; beyond this, new conversations are not tracked (a
/// hostile server cannot grow the map without bound).
pub const MAX_TRACKED_CHATS: usize = 4096;
/// A jump larger than this is a reset (new session, server renumbering), not a loss.
pub const MAX_REPORTED_GAP: u64 = 1000;

/// Last `seq` seen per group/discussion.
#[derive(Debug, Clone, Default)]
pub struct SeqTracker {
    last: HashMap<Chat, u64>,
}

impl SeqTracker {
    /// Records `seq` for `chat`; returns the missing range when it skipped some
    /// (`lwqq` "detects lost messages from gaps", protocol §6.5).
    pub fn observe(&mut self, chat: Chat, seq: u64) -> Option<(u64, u64)> {
        let Some(prev) = self.last.get(&chat).copied() else {
            if self.last.len() < MAX_TRACKED_CHATS {
                self.last.insert(chat, seq);
            }
            return None;
        };
        if seq <= prev {
            return None; // late or repeated: not a gap, and the high-water mark stays.
        }
        self.last.insert(chat, seq);
        let missing = seq - prev - 1;
        (missing > 0 && missing <= MAX_REPORTED_GAP).then(|| (prev + 1, seq - 1))
    }

    /// Forgets everything (after a re-login the server's numbering may restart).
    pub fn clear(&mut self) {
        self.last.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_window_slides() {
        let mut d = Dedup::new(2);
        let k = |i: u64| ("message".to_string(), 1, i, 0);
        assert!(d.first_time(k(1)));
        assert!(!d.first_time(k(1)));
        assert!(d.first_time(k(2)));
        assert!(d.first_time(k(3)));
        assert!(d.first_time(k(1)), "k(1) left the window");
    }

    #[test]
    fn seq_gaps() {
        let mut s = SeqTracker::default();
        let g = Chat::Group(7);
        assert_eq!(s.observe(g, 10), None);
        assert_eq!(s.observe(g, 11), None);
        assert_eq!(s.observe(g, 14), Some((12, 13)));
        assert_eq!(s.observe(g, 12), None, "late arrival");
        assert_eq!(s.observe(g, 15), None);
        assert_eq!(s.observe(g, 5000), None, "a huge jump is a reset");
        assert_eq!(
            s.observe(Chat::Discussion(7), 3),
            None,
            "separate conversations"
        );
    }
}
