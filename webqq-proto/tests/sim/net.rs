//! The virtual network between the client and the server side. Bytes keep their order in
//! each direction of a connection; faults are drawn from the run's seed.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;
use webqq_proto::http1::ConnId;

use super::{Due, Tally};

/// Direction of travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

/// Fault probabilities (per write) and delays of one run.
#[derive(Debug, Clone, Default)]
pub struct NetFaults {
    /// One-way latency, milliseconds.
    pub latency_ms: u64,
    /// Up to this much more per delivery, milliseconds (order is kept).
    pub jitter_ms: u64,
    /// A connection attempt is refused.
    pub refuse: f64,
    /// A connection attempt never completes.
    pub hang_connect: f64,
    /// A write arrives in several reads (any byte boundary), some later than others.
    pub split: f64,
    /// The connection is reset around a write (before or after it arrives).
    pub reset: f64,
    /// A client write is lost and the connection dropped.
    pub drop_to_server: f64,
    /// A server write is lost and the connection dropped.
    pub drop_to_client: f64,
    /// The server closes a kept-alive connection exactly when a new request arrives.
    pub idle_close: f64,
    /// A delivery stalls for seconds.
    pub stall: f64,
}

impl NetFaults {
    /// A perfect network with `latency_ms` one way.
    pub fn clean(latency_ms: u64) -> Self {
        NetFaults {
            latency_ms,
            ..NetFaults::default()
        }
    }
}

#[derive(Debug)]
struct Link {
    client_open: bool,
    server_open: bool,
    to_server_last: Instant,
    to_client_last: Instant,
    writes: u32,
}

/// The network's state: one link per connection.
pub struct Net {
    /// The faults of this run.
    pub faults: NetFaults,
    rng: ChaCha8Rng,
    links: HashMap<ConnId, Link>,
    /// Faults injected, by kind.
    pub injected: Tally,
}

impl Net {
    /// A network with these faults, drawing from `rng`.
    pub fn new(faults: NetFaults, rng: ChaCha8Rng) -> Self {
        Net {
            faults,
            rng,
            links: HashMap::new(),
            injected: Tally::default(),
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.rng.next_u64() % n }
    }

    fn delay(&mut self) -> Duration {
        let mut ms = self.faults.latency_ms + self.below(self.faults.jitter_ms + 1);
        if self.chance(self.faults.stall) {
            self.injected.add("stall", 1);
            ms += 1_000 + self.below(30_000);
        }
        Duration::from_millis(ms)
    }

    fn arrival(&mut self, now: Instant, conn: ConnId, dir: Dir) -> Instant {
        let d = self.delay();
        let link = self.links.get_mut(&conn).expect("link");
        let last = match dir {
            Dir::ToServer => &mut link.to_server_last,
            Dir::ToClient => &mut link.to_client_last,
        };
        *last = (*last).max(now + d);
        *last
    }

    /// A connection attempt: when it completes and whether it is accepted.
    pub fn connect(&mut self, now: Instant, conn: ConnId) -> (Instant, bool) {
        if self.chance(self.faults.hang_connect) {
            self.injected.add("hang_connect", 1);
            return (now + Duration::from_secs(365 * 86_400), true);
        }
        let ok = !self.chance(self.faults.refuse);
        if !ok {
            self.injected.add("refused", 1);
        }
        self.links.insert(
            conn,
            Link {
                client_open: true,
                server_open: ok,
                to_server_last: now,
                to_client_last: now,
                writes: 0,
            },
        );
        let at = self.arrival(now, conn, Dir::ToClient);
        (at, ok)
    }

    /// Still open on the client's side.
    pub fn client_open(&self, conn: ConnId) -> bool {
        self.links.get(&conn).is_some_and(|l| l.client_open)
    }

    /// Still open on the server's side.
    pub fn server_open(&self, conn: ConnId) -> bool {
        self.links.get(&conn).is_some_and(|l| l.server_open)
    }

    /// Closes the client's side; true if it was open.
    pub fn close_client(&mut self, conn: ConnId) -> bool {
        self.links
            .get_mut(&conn)
            .is_some_and(|l| std::mem::replace(&mut l.client_open, false))
    }

    /// Closes the server's side; true if it was open.
    pub fn close_server(&mut self, conn: ConnId) -> bool {
        self.links
            .get_mut(&conn)
            .is_some_and(|l| std::mem::replace(&mut l.server_open, false))
    }

    /// Both sides gone.
    pub fn forget(&mut self, conn: ConnId) {
        self.links.remove(&conn);
    }

    /// Every connection, forgotten at once (the client process died): returns those the
    /// server still had open.
    pub fn forget_all(&mut self) -> Vec<ConnId> {
        let mut open: Vec<ConnId> = self
            .links
            .drain()
            .filter(|(_, l)| l.server_open)
            .map(|(c, _)| c)
            .collect();
        open.sort();
        open
    }

    /// `bytes` cut at random boundaries, each piece arriving no earlier than the last.
    fn pieces(
        &mut self,
        now: Instant,
        conn: ConnId,
        dir: Dir,
        bytes: Bytes,
    ) -> Vec<(Instant, Bytes)> {
        let mut out = Vec::new();
        if bytes.len() > 1 && self.chance(self.faults.split) {
            self.injected.add("split", 1);
            let mut rest = bytes;
            while !rest.is_empty() {
                let n = 1 + self.below(rest.len() as u64) as usize;
                let piece = rest.split_to(n.min(rest.len()));
                let at = self.arrival(now, conn, dir);
                out.push((at, piece));
                if out.len() >= 4 {
                    let at = self.arrival(now, conn, dir);
                    out.push((at, std::mem::take(&mut rest)));
                }
            }
        } else {
            let at = self.arrival(now, conn, dir);
            out.push((at, bytes));
        }
        out
    }

    /// What becomes of a client write.
    pub fn client_write(
        &mut self,
        now: Instant,
        conn: ConnId,
        bytes: Bytes,
    ) -> Vec<(Instant, Due)> {
        let Some(link) = self.links.get_mut(&conn) else {
            return Vec::new();
        };
        let reused = link.writes > 0;
        link.writes += 1;
        if !link.server_open {
            // Writing to a connection the server closed: a reset comes back.
            let at = self.arrival(now, conn, Dir::ToClient);
            return vec![(at, Due::Reset(conn))];
        }
        let mut out = Vec::new();
        if reused && self.chance(self.faults.idle_close) {
            // The server's idle timer fires exactly as the request arrives: it never reads it.
            self.injected.add("idle_close_on_arrival", 1);
            let at = self.arrival(now, conn, Dir::ToServer);
            out.push((at, Due::Eof(Dir::ToServer, conn)));
            let back = at.max(self.arrival(now, conn, Dir::ToClient));
            out.push((back, Due::Eof(Dir::ToClient, conn)));
            return out;
        }
        if self.chance(self.faults.drop_to_server) {
            self.injected.add("drop_to_server", 1);
            let at = self.arrival(now, conn, Dir::ToServer);
            out.push((at, Due::Eof(Dir::ToServer, conn)));
            let back = self.arrival(now, conn, Dir::ToClient);
            out.push((back, Due::Eof(Dir::ToClient, conn)));
            return out;
        }
        let reset = self.chance(self.faults.reset);
        let arrives = !reset || self.below(2) == 0;
        if arrives {
            for (at, piece) in self.pieces(now, conn, Dir::ToServer, bytes) {
                out.push((at, Due::Bytes(Dir::ToServer, conn, piece)));
            }
        }
        if reset {
            self.injected.add("reset_after_request", 1);
            let at = self.arrival(now, conn, Dir::ToServer);
            out.push((at, Due::Eof(Dir::ToServer, conn)));
            let back = self.arrival(now, conn, Dir::ToClient);
            out.push((back, Due::Reset(conn)));
        }
        out
    }

    /// What becomes of a server write.
    pub fn server_write(
        &mut self,
        now: Instant,
        conn: ConnId,
        bytes: Bytes,
    ) -> Vec<(Instant, Due)> {
        if !self.client_open(conn) || !self.server_open(conn) {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.chance(self.faults.drop_to_client) {
            self.injected.add("drop_to_client", 1);
            let at = self.arrival(now, conn, Dir::ToClient);
            out.push((at, Due::Eof(Dir::ToClient, conn)));
            out.push((at, Due::Eof(Dir::ToServer, conn)));
            return out;
        }
        let reset = self.chance(self.faults.reset);
        let mut bytes = bytes;
        if reset {
            self.injected.add("reset_mid_response", 1);
            let keep = self.below(bytes.len() as u64) as usize;
            bytes.truncate(keep);
        }
        if !bytes.is_empty() {
            for (at, piece) in self.pieces(now, conn, Dir::ToClient, bytes) {
                out.push((at, Due::Bytes(Dir::ToClient, conn, piece)));
            }
        }
        if reset {
            let at = self.arrival(now, conn, Dir::ToClient);
            out.push((at, Due::Reset(conn)));
            out.push((at, Due::Eof(Dir::ToServer, conn)));
        }
        out
    }

    /// The client closed `conn`: when the server sees it, if it is still open there.
    pub fn client_close(&mut self, now: Instant, conn: ConnId) -> Option<Instant> {
        self.close_client(conn);
        if !self.server_open(conn) {
            self.forget(conn);
            return None;
        }
        Some(self.arrival(now, conn, Dir::ToServer))
    }

    /// The server closed `conn`: when the client sees it, after the bytes before it.
    pub fn server_close(&mut self, now: Instant, conn: ConnId) -> Option<Instant> {
        self.close_server(conn);
        if !self.client_open(conn) {
            self.forget(conn);
            return None;
        }
        Some(self.arrival(now, conn, Dir::ToClient))
    }
}
