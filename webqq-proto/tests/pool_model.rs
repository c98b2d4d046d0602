//! The pool against a model: random operation sequences (submit, connect, respond, server
//! close, time passing, cancel) run on the agent and on a simple model of what the pool must
//! hold (connections per origin and their states, queued requests), and both must agree
//! after every step: per-origin counts, which connection each request is written to, which
//! connections are closed, and which requests finish and how.
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use webqq_proto::http1::{
    Agent, AgentConfig, ConnId, Input, Origin, Output, RequestId, RequestOptions, Scheme,
};

const ORIGINS: usize = 2;
const LIMIT: usize = 2;
const IDLE: Duration = Duration::from_secs(30);
const CONNECT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
enum Op {
    Submit(usize),
    Connect(usize, bool),
    Respond(usize, bool),
    ServerClose(usize),
    Advance(u64),
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..ORIGINS).prop_map(Op::Submit),
        3 => (any::<usize>(), prop::bool::weighted(0.85)).prop_map(|(k, ok)| Op::Connect(k, ok)),
        3 => (any::<usize>(), prop::bool::weighted(0.8)).prop_map(|(k, keep)| Op::Respond(k, keep)),
        1 => any::<usize>().prop_map(Op::ServerClose),
        1 => (0u64..40_000).prop_map(Op::Advance),
        1 => any::<usize>().prop_map(Op::Cancel),
    ]
}

fn origin(o: usize) -> Origin {
    Origin {
        scheme: Scheme::Http,
        host: format!("o{o}.test"),
        port: 80,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum MState {
    Connecting {
        reserved: Option<u64>,
        opened: Instant,
    },
    Idle {
        since: Instant,
    },
    Busy {
        req: u64,
        reused: bool,
    },
}

#[derive(Debug, Clone)]
struct MConn {
    origin: usize,
    state: MState,
    exchanges: u32,
}

/// What the model expects the agent to output for one step.
#[derive(Debug, Default, PartialEq)]
struct Expect {
    /// Per origin: connections to be opened, in order; `Some(req)` for a retry's.
    opens: BTreeMap<usize, Vec<Option<u64>>>,
    writes: BTreeSet<(u64, u64)>,
    closes: BTreeSet<u64>,
    responses: BTreeSet<(u64, bool)>,
}

#[derive(Default)]
struct Model {
    conns: BTreeMap<u64, MConn>,
    idle: [Vec<u64>; ORIGINS],
    queue: [VecDeque<u64>; ORIGINS],
    req_origin: BTreeMap<u64, usize>,
    retried: BTreeSet<u64>,
    expect: Expect,
}

impl Model {
    fn remove_conn(&mut self, c: u64) {
        if let Some(conn) = self.conns.remove(&c) {
            self.idle[conn.origin].retain(|&i| i != c);
            self.expect.closes.insert(c);
        }
    }

    fn finish(&mut self, req: u64, ok: bool) {
        self.req_origin.remove(&req);
        self.expect.responses.insert((req, ok));
    }

    fn open(&mut self, o: usize, reserved: Option<u64>) {
        self.expect.opens.entry(o).or_default().push(reserved);
    }

    fn connect_lost(&mut self, c: u64) {
        let conn = self.conns[&c].clone();
        let MState::Connecting { reserved, .. } = conn.state else {
            unreachable!()
        };
        let victim = reserved.or_else(|| self.queue[conn.origin].front().copied());
        self.remove_conn(c);
        if let Some(v) = victim {
            self.queue[conn.origin].retain(|&q| q != v);
            self.finish(v, false);
        }
    }

    fn start(&mut self, c: u64, req: u64) {
        let conn = self.conns.get_mut(&c).unwrap();
        conn.state = MState::Busy {
            req,
            reused: conn.exchanges > 0,
        };
        self.expect.writes.insert((c, req));
    }

    fn dispatch(&mut self) {
        for o in 0..ORIGINS {
            while !self.queue[o].is_empty() {
                let Some(c) = self.idle[o].pop() else { break };
                let req = self.queue[o].pop_front().unwrap();
                self.start(c, req);
            }
            let open = self.conns.values().filter(|c| c.origin == o).count()
                + self.expect.opens.get(&o).map_or(0, Vec::len);
            let for_queue = self
                .conns
                .values()
                .filter(|c| {
                    c.origin == o && matches!(c.state, MState::Connecting { reserved: None, .. })
                })
                .count()
                + self
                    .expect
                    .opens
                    .get(&o)
                    .map_or(0, |v| v.iter().filter(|r| r.is_none()).count());
            let n = self.queue[o]
                .len()
                .saturating_sub(for_queue)
                .min(LIMIT.saturating_sub(open));
            for _ in 0..n {
                self.open(o, None);
            }
        }
    }
}

fn drain(agent: &mut Agent<u64>, now: Instant) -> (Vec<(ConnId, Origin)>, Expect) {
    let mut got = Expect::default();
    let mut connects = Vec::new();
    loop {
        match agent.poll_output(now) {
            Output::Connect { conn, origin } => connects.push((conn, origin)),
            Output::Write { conn, bytes } => {
                let text = String::from_utf8_lossy(&bytes);
                let path = text.split(' ').nth(1).unwrap();
                got.writes.insert((conn.0, path[1..].parse().unwrap()));
            }
            Output::Close { conn } => {
                got.closes.insert(conn.0);
            }
            Output::Response { id, result, .. } => {
                got.responses.insert((id.0 + 1000, result.is_ok()));
            }
            Output::Timeout(_) => return (connects, got),
        }
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let start = Instant::now();
    let mut now = start;
    let config = AgentConfig {
        max_conns_per_origin: LIMIT,
        idle_timeout: IDLE,
        connect_timeout: CONNECT,
        ..Default::default()
    };
    let mut agent: Agent<u64> = Agent::new(config, start);
    let mut m = Model::default();
    let mut submitted = 0u64;
    for (step, op) in ops.into_iter().enumerate() {
        m.expect = Expect::default();
        match op {
            Op::Submit(o) => {
                // Requests carry their number (1000 + id) in their path, so that a Write
                // tells which request went to which connection.
                let n = 1000 + submitted;
                submitted += 1;
                let req = http::Request::get(format!("http://o{o}.test/{n}"))
                    .body(Bytes::new())
                    .unwrap();
                let id = agent.submit(req, RequestOptions::new(0));
                prop_assert_eq!(id, RequestId(n - 1000));
                m.req_origin.insert(n, o);
                m.queue[o].push_back(n);
            }
            Op::Connect(k, ok) => {
                let connecting: Vec<u64> = m
                    .conns
                    .iter()
                    .filter(|(_, c)| matches!(c.state, MState::Connecting { .. }))
                    .map(|(id, _)| *id)
                    .collect();
                if connecting.is_empty() {
                    continue;
                }
                let c = connecting[k % connecting.len()];
                if ok {
                    agent.handle_input(Input::Connected { conn: ConnId(c) });
                    let conn = m.conns.get_mut(&c).unwrap();
                    let MState::Connecting { reserved, .. } = conn.state else {
                        unreachable!()
                    };
                    conn.state = MState::Idle { since: now };
                    match reserved {
                        Some(req) => m.start(c, req),
                        None => m.idle[conn.origin].push(c),
                    }
                } else {
                    agent.handle_input(Input::ConnectFailed {
                        conn: ConnId(c),
                        error: std::io::ErrorKind::ConnectionRefused,
                    });
                    m.connect_lost(c);
                }
            }
            Op::Respond(k, keep) => {
                let busy: Vec<u64> = m
                    .conns
                    .iter()
                    .filter(|(_, c)| matches!(c.state, MState::Busy { .. }))
                    .map(|(id, _)| *id)
                    .collect();
                if busy.is_empty() {
                    continue;
                }
                let c = busy[k % busy.len()];
                let bytes: &[u8] = if keep {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                } else {
                    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                };
                agent.handle_input(Input::Data {
                    conn: ConnId(c),
                    bytes,
                });
                let conn = m.conns.get_mut(&c).unwrap();
                let MState::Busy { req, .. } = conn.state else {
                    unreachable!()
                };
                conn.exchanges += 1;
                if keep {
                    conn.state = MState::Idle { since: now };
                    let o = conn.origin;
                    m.idle[o].push(c);
                } else {
                    m.remove_conn(c);
                }
                m.finish(req, true);
            }
            Op::ServerClose(k) => {
                let all: Vec<u64> = m.conns.keys().copied().collect();
                if all.is_empty() {
                    continue;
                }
                let c = all[k % all.len()];
                agent.handle_input(Input::Eof { conn: ConnId(c) });
                let conn = m.conns[&c].clone();
                match conn.state {
                    MState::Connecting { .. } => m.connect_lost(c),
                    MState::Idle { .. } => m.remove_conn(c),
                    MState::Busy { req, reused } => {
                        m.remove_conn(c);
                        if reused && !m.retried.contains(&req) {
                            m.retried.insert(req);
                            m.open(conn.origin, Some(req));
                        } else {
                            m.finish(req, false);
                        }
                    }
                }
            }
            Op::Advance(ms) => {
                now += Duration::from_millis(ms);
                let due: Vec<u64> = m
                    .conns
                    .iter()
                    .filter(|(_, c)| match c.state {
                        MState::Connecting { opened, .. } => opened + CONNECT <= now,
                        MState::Idle { since } => since + IDLE <= now,
                        MState::Busy { .. } => false,
                    })
                    .map(|(id, _)| *id)
                    .collect();
                for c in due {
                    match m.conns[&c].state {
                        MState::Connecting { .. } => m.connect_lost(c),
                        _ => m.remove_conn(c),
                    }
                }
            }
            Op::Cancel(k) => {
                let pending: Vec<u64> = m.req_origin.keys().copied().collect();
                if pending.is_empty() {
                    continue;
                }
                let req = pending[k % pending.len()];
                prop_assert!(agent.cancel(RequestId(req - 1000)));
                m.req_origin.remove(&req);
                let o = (0..ORIGINS).find(|&o| m.queue[o].contains(&req));
                if let Some(o) = o {
                    m.queue[o].retain(|&q| q != req);
                } else {
                    let on = m.conns.iter().find(|(_, c)| match c.state {
                        MState::Busy { req: r, .. } => r == req,
                        MState::Connecting { reserved, .. } => reserved == Some(req),
                        _ => false,
                    });
                    let c = *on
                        .expect("a pending request is queued, on a connection or reserved")
                        .0;
                    m.remove_conn(c);
                }
            }
        }
        m.dispatch();
        let (connects, got) = drain(&mut agent, now);
        // Materialize the model's new connections with the agent's ids, per origin in order.
        let mut opens = std::mem::take(&mut m.expect.opens);
        let mut got_opens: BTreeMap<usize, Vec<Option<u64>>> = BTreeMap::new();
        for (conn, org) in connects {
            let o = (0..ORIGINS).find(|&o| origin(o) == org).unwrap();
            let reserved = opens
                .get_mut(&o)
                .filter(|v| !v.is_empty())
                .map(|v| v.remove(0));
            prop_assert!(
                reserved.is_some(),
                "step {step}: unexpected connect to {org}"
            );
            let reserved = reserved.unwrap();
            got_opens.entry(o).or_default().push(reserved);
            m.conns.insert(
                conn.0,
                MConn {
                    origin: o,
                    state: MState::Connecting {
                        reserved,
                        opened: now,
                    },
                    exchanges: 0,
                },
            );
        }
        prop_assert!(
            opens.values().all(Vec::is_empty),
            "step {step}: connects missing: {opens:?}"
        );
        prop_assert_eq!(&got.writes, &m.expect.writes, "step {}: writes", step);
        prop_assert_eq!(&got.closes, &m.expect.closes, "step {}: closes", step);
        prop_assert_eq!(
            &got.responses,
            &m.expect.responses,
            "step {}: responses",
            step
        );
        for o in 0..ORIGINS {
            let status = agent.pool_status(&origin(o));
            let open = m.conns.values().filter(|c| c.origin == o).count();
            let connecting = m
                .conns
                .values()
                .filter(|c| c.origin == o && matches!(c.state, MState::Connecting { .. }))
                .count();
            prop_assert_eq!(status.open, open, "step {}: open o{}", step, o);
            prop_assert_eq!(
                status.connecting,
                connecting,
                "step {}: connecting o{}",
                step,
                o
            );
            prop_assert_eq!(status.idle, m.idle[o].len(), "step {}: idle o{}", step, o);
            prop_assert_eq!(
                status.queued,
                m.queue[o].len(),
                "step {}: queued o{}",
                step,
                o
            );
            prop_assert!(open <= LIMIT);
        }
        prop_assert_eq!(agent.pending(), m.req_origin.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn pool_matches_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
