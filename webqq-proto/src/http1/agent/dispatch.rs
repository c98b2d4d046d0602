//! The pool at work: handing queued requests to idle connections, opening and closing
//! connections.
use super::*;

impl<T> Agent<T> {
    pub(super) fn dispatch_all(&mut self) {
        let mut pools = std::mem::take(&mut self.scratch_pools);
        pools.extend(self.pools.with_queue());
        for pool in pools.drain(..) {
            self.dispatch(pool);
        }
        self.scratch_pools = pools;
    }

    /// Gives queued requests of `origin` idle connections (most recently used first), then
    /// opens connections for the rest within the limit.
    pub(super) fn dispatch(&mut self, pool_id: PoolId) {
        loop {
            let pool = self.pools.get_mut(pool_id);
            let Some(&id) = pool.queue.front() else { break };
            let Some(conn) = pool.checkout() else { break };
            pool.queue.pop_front();
            self.start_exchange(id, conn);
        }
        let pool = self.pools.get(pool_id);
        // A limit of 0 would leave requests waiting for ever: at least one connection.
        for _ in 0..pool.conns_wanted(self.config.max_conns_per_origin.max(1)) {
            self.open_conn(pool_id, None);
        }
    }

    /// Asks the driver for a connection; `reserved` is the retry it is opened for.
    pub(super) fn open_conn(&mut self, pool: PoolId, reserved: Option<RequestId>) -> ConnId {
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        self.stats.connections_opened += 1;
        self.pools.get_mut(pool).opening(reserved.is_none());
        let origin = self.pools.origin(pool).clone();
        let mut conn = Conn::connecting(id, pool, self.now, self.config.connect_timeout);
        conn.request = reserved;
        self.conns.insert(id, conn);
        self.out.push_back(Output::Connect { conn: id, origin });
        id
    }

    pub(super) fn on_connected(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if !c.connected(self.now) {
            return;
        }
        let reserved = c.request.take();
        let pool = self.pools.get_mut(c.pool);
        pool.opened(reserved.is_none());
        match reserved {
            Some(id) => self.start_exchange(id, conn),
            None => {
                pool.checkin(conn);
                self.needs_dispatch = true;
            }
        }
    }

    /// A connection being opened failed or timed out: its reserved retry, or else the oldest
    /// request queued for its origin, gets the error (a fresh connection is never retried).
    pub(super) fn on_connect_lost(&mut self, conn: ConnId, error: RequestError) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let victim = c
            .request
            .or_else(|| self.pools.get(c.pool).queue.front().copied());
        self.close_conn(conn);
        if let Some(id) = victim {
            self.fail_request(id, error);
        }
    }

    /// Removes the connection and tells the driver to close it.
    pub(super) fn close_conn(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        crate::burst::release_burst_map(&mut self.conns);
        let pool = self.pools.get_mut(c.pool);
        if c.state() == ConnState::Connecting {
            pool.opened(c.request.is_none());
        }
        pool.closed(conn);
        // A request's bytes not yet handed out must not be written to a dead connection.
        self.out
            .retain(|o| !matches!(o, Output::Write { conn: w, .. } if *w == conn));
        self.out.push_back(Output::Close { conn });
        self.needs_dispatch = true;
    }
}
