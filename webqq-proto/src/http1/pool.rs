//! The per-origin pool: idle connections (most recently used first), the FIFO of requests
//! waiting for a connection, and the counts that enforce the per-origin connection limit.
//! The agent owns the connections themselves; this is only the bookkeeping.
use std::collections::VecDeque;

use super::{ConnId, RequestId};

/// What one origin's pool holds, as counts (see [`Agent::pool_status`](super::Agent::pool_status)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    /// Connections open or being opened, whatever their state.
    pub open: usize,
    /// Of those, connections being opened.
    pub connecting: usize,
    /// Of those, idle connections.
    pub idle: usize,
    /// Requests waiting for a connection.
    pub queued: usize,
}

/// One origin's bookkeeping.
#[derive(Debug, Default)]
pub(crate) struct OriginPool {
    /// Idle connections; the last is the most recently used (checked out first).
    idle: Vec<ConnId>,
    /// Requests waiting for a connection, oldest first.
    pub(crate) queue: VecDeque<RequestId>,
    /// Connections open or connecting.
    open: usize,
    /// Connections connecting on behalf of the queue (not reserved for a retry).
    connecting_for_queue: usize,
    /// All connections connecting, reserved ones included.
    connecting: usize,
}

impl OriginPool {
    pub(crate) fn status(&self) -> PoolStatus {
        PoolStatus {
            open: self.open,
            connecting: self.connecting,
            idle: self.idle.len(),
            queued: self.queue.len(),
        }
    }

    /// How many connections to open now for the queue: one per queued request not already
    /// covered by a connection being opened, within the limit.
    pub(crate) fn conns_wanted(&self, limit: usize) -> usize {
        let uncovered = self.queue.len().saturating_sub(self.connecting_for_queue);
        uncovered.min(limit.saturating_sub(self.open))
    }

    /// A connection is being opened; `for_queue` is false when it is reserved for a retry.
    pub(crate) fn opening(&mut self, for_queue: bool) {
        self.open += 1;
        self.connecting += 1;
        self.connecting_for_queue += usize::from(for_queue);
    }

    /// A connection being opened is now established or gone.
    pub(crate) fn opened(&mut self, for_queue: bool) {
        self.connecting -= 1;
        self.connecting_for_queue -= usize::from(for_queue);
    }

    /// A connection is gone (from any state). Callers first call [`opened`](Self::opened)
    /// for one that was still connecting.
    pub(crate) fn closed(&mut self, conn: ConnId) {
        self.open -= 1;
        self.idle.retain(|&c| c != conn);
    }

    /// Has the connection back as idle.
    pub(crate) fn checkin(&mut self, conn: ConnId) {
        self.idle.push(conn);
    }

    /// The most recently used idle connection, taken out of the idle list.
    pub(crate) fn checkout(&mut self) -> Option<ConnId> {
        self.idle.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifo_checkout_and_limit() {
        let mut p = OriginPool::default();
        for i in 0..3 {
            p.queue.push_back(RequestId(i));
        }
        assert_eq!(p.conns_wanted(2), 2);
        p.opening(true);
        p.opening(true);
        assert_eq!(p.conns_wanted(2), 0);
        p.opened(true);
        p.opened(true);
        p.checkin(ConnId(1));
        p.checkin(ConnId(2));
        assert_eq!(p.checkout(), Some(ConnId(2)), "most recently used first");
        p.closed(ConnId(1));
        assert_eq!(
            p.status(),
            PoolStatus {
                open: 1,
                connecting: 0,
                idle: 0,
                queued: 3
            }
        );
    }
}
