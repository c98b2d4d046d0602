//! The per-origin pool: idle connections (most recently used first), the FIFO of requests
//! waiting for a connection, and the counts that enforce the per-origin connection limit.
//! The agent owns the connections themselves; this is only the bookkeeping.
use std::collections::{BTreeMap, VecDeque};

use super::origin::{Origin, Scheme};
use super::{ConnId, RequestId};

/// Up to this many origins a lookup compares them one by one (no allocation, no tree walk);
/// beyond, it goes through an ordered index.
const LINEAR_LOOKUP_ORIGINS: usize = 8;

/// Origins the agent keeps pools for before a redirect to an origin it has not seen fails.
/// A pool is kept for the agent's life; the caller names its own origins, but a server's
/// `Location` could name a new one on every answer. Requests the caller submits always get
/// their pool.
pub const MAX_ORIGINS: usize = 1024;

/// An origin's place in the agent's [`Pools`]: requests and connections name their pool by it,
/// so that no request clones (allocates) or compares its origin's host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PoolId(usize);

/// Every origin the agent has seen, with its pool. Origins are never forgotten (as before:
/// one small record per origin the caller ever named).
#[derive(Debug, Default)]
pub(crate) struct Pools {
    entries: Vec<(Origin, OriginPool)>,
    index: BTreeMap<Origin, PoolId>,
}

impl Pools {
    /// The pool of scheme, `host` (any case) and port, if that origin was seen.
    pub(crate) fn find(&self, scheme: Scheme, host: &str, port: u16) -> Option<PoolId> {
        if self.entries.len() <= LINEAR_LOOKUP_ORIGINS {
            let at = self
                .entries
                .iter()
                .position(|(o, _)| o.is(scheme, host, port))?;
            return Some(PoolId(at));
        }
        let origin = Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        };
        self.index.get(&origin).copied()
    }

    /// The pool of scheme, `host` and port, made if missing.
    pub(crate) fn id_of(&mut self, scheme: Scheme, host: &str, port: u16) -> PoolId {
        if let Some(id) = self.find(scheme, host, port) {
            return id;
        }
        let origin = Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        };
        let id = PoolId(self.entries.len());
        self.index.insert(origin.clone(), id);
        self.entries.push((origin, OriginPool::default()));
        id
    }

    /// [`id_of`](Self::id_of) for an origin a server named (a redirect): `None` when it is
    /// new and the agent already knows [`MAX_ORIGINS`] origins.
    pub(crate) fn id_of_named_by_server(
        &mut self,
        scheme: Scheme,
        host: &str,
        port: u16,
    ) -> Option<PoolId> {
        match self.find(scheme, host, port) {
            Some(id) => Some(id),
            None if self.entries.len() >= MAX_ORIGINS => None,
            None => Some(self.id_of(scheme, host, port)),
        }
    }

    /// The pool of `origin`, if seen.
    pub(crate) fn lookup(&self, origin: &Origin) -> Option<PoolId> {
        self.index.get(origin).copied()
    }

    pub(crate) fn origin(&self, id: PoolId) -> &Origin {
        &self.entries[id.0].0
    }

    pub(crate) fn get(&self, id: PoolId) -> &OriginPool {
        &self.entries[id.0].1
    }

    pub(crate) fn get_mut(&mut self, id: PoolId) -> &mut OriginPool {
        &mut self.entries[id.0].1
    }

    /// The pools with requests waiting, in the order their origins were first seen.
    pub(crate) fn with_queue(&self) -> impl Iterator<Item = PoolId> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, (_, pool))| !pool.queue.is_empty())
            .map(|(at, _)| PoolId(at))
    }
}

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
