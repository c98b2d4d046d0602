//! One web session (after login2): tokens, opaque ids, the event queue and the held poll
//! (protocol §11.2 "Per session").
use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use serde_json::Value;

use super::Ticket;
use super::ids::Ids;

/// Most events queued for a session that does not poll; older ones are dropped first.
pub(crate) const MAX_QUEUED_EVENTS: usize = 500;
/// Most events in one poll reply.
pub(crate) const MAX_BATCH: usize = 20;
/// Outgoing msg_ids remembered for duplicate detection (protocol §7.3).
pub(crate) const MAX_SEEN_MSG_IDS: usize = 256;
/// Recent conversations remembered for get_recent_list2.
pub(crate) const MAX_RECENT: usize = 20;

/// Why a session ended, and what its later requests are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndReason {
    /// A newer login2 of the same account: poll answers `{"retcode":121,"t":"0"}` (§8.2).
    Replaced,
    /// Forced offline by a `kick_message` (§6.5).
    Kicked,
    /// No poll for too long (§8.1).
    Idle,
    /// Past its lifetime (§8.2).
    Lifetime,
    /// logout2 / change_status2 offline (§8.4).
    Logout,
    /// Expired by the control API.
    Expired,
}

impl EndReason {
    /// The name used in events.
    pub(crate) fn name(self) -> &'static str {
        match self {
            EndReason::Replaced => "replaced",
            EndReason::Kicked => "kicked",
            EndReason::Idle => "idle",
            EndReason::Lifetime => "lifetime",
            EndReason::Logout => "logout",
            EndReason::Expired => "expired",
        }
    }
}

/// A web session.
#[derive(Debug)]
pub(crate) struct Session {
    /// The account.
    pub qq: u64,
    /// Set once the session ended.
    pub ended: Option<(EndReason, Instant)>,
    /// `clientid` given to login2.
    pub clientid: String,
    /// psessionid (protocol §2.1 layout).
    pub psessionid: String,
    /// Current ptwebqq (rotated by 116).
    pub ptwebqq: String,
    /// The vfwebqq the strict check accepts.
    pub vfwebqq: String,
    /// Opaque ids.
    pub ids: Ids,
    /// get_online_buddies2 was called (protocol §3.1 registration gate).
    pub registered: bool,
    /// Events waiting for a poll: `{"poll_type":…,"value":…}`.
    pub queue: VecDeque<Value>,
    /// Retcodes the next polls answer (control API: 116, 120, 121 …).
    pub forced: VecDeque<i64>,
    /// Next `msg_id` of queued events (< 65536, wraps; protocol §6.4).
    pub next_msg_id: u16,
    /// The held poll and its number.
    pub held: Option<(Ticket, Instant)>,
    /// Every token that finds this session (removed with it).
    pub tokens: Vec<String>,
    /// Its pending timers (cancelled with it).
    pub timer_keys: Vec<crate::emulator::timers::TimerKey>,
    /// A hold timer is pending (at most one per session, however fast the client polls).
    pub hold_timer: bool,
    /// Recently used outgoing msg_ids.
    pub seen_msg_ids: HashSet<u64>,
    /// Their order, for eviction.
    pub seen_order: VecDeque<u64>,
    /// Last poll (or other activity that keeps the session).
    pub last_active: Instant,
    /// login2 time.
    pub created: Instant,
    /// Send-rate tokens and when they were last refilled.
    pub bucket: (f64, Instant),
    /// Presence.
    pub status: String,
    /// Recent conversations: (type 0 buddy / 1 group / 2 discussion, world number).
    pub recent: VecDeque<(u8, u64)>,
}

impl Session {
    /// Queues an event, dropping the oldest past the limit.
    pub(crate) fn push_event(&mut self, poll_type: &str, value: Value) {
        if self.queue.len() >= MAX_QUEUED_EVENTS {
            self.queue.pop_front();
        }
        self.queue
            .push_back(serde_json::json!({ "poll_type": poll_type, "value": value }));
    }

    /// The next msg_id for an event to this session.
    pub(crate) fn take_msg_id(&mut self) -> u16 {
        let id = self.next_msg_id;
        self.next_msg_id = self.next_msg_id.wrapping_add(1);
        id
    }

    /// Records an outgoing msg_id; false when it was seen recently.
    pub(crate) fn note_msg_id(&mut self, id: u64) -> bool {
        if !self.seen_msg_ids.insert(id) {
            return false;
        }
        self.seen_order.push_back(id);
        if self.seen_order.len() > MAX_SEEN_MSG_IDS {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen_msg_ids.remove(&old);
            }
        }
        true
    }

    /// Notes a conversation for get_recent_list2.
    pub(crate) fn note_recent(&mut self, kind: u8, number: u64) {
        self.recent.retain(|r| *r != (kind, number));
        self.recent.push_front((kind, number));
        self.recent.truncate(MAX_RECENT);
    }
}
