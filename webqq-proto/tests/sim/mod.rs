//! Deterministic simulation (issue 7): a [`Client`], a server side and a virtual network
//! between them, all sans-IO, stepped in virtual time from one seed.
//!
//! - [`Server`]: the server side's vocabulary (accepted, data, eof, time → write, close,
//!   timeout), implemented by the scripted [`mini::MiniServer`] and by any other server
//!   (the emulator) through the same trait.
//! - [`net::Net`]: latency, jitter, split reads, partial writes, resets, drops in either
//!   direction, idle-close exactly when a request arrives, stalls.
//! - [`scenario`]: a seeded scenario generator and the invariants checked on every seed.
//!
//! A run records a readable trace of every input and output when asked (`SIM_SEED=S`).
#![allow(dead_code)]

#[cfg(feature = "emulator")]
pub mod emu;
#[cfg(feature = "emulator")]
pub mod emu_scenario;
pub mod mini;
pub mod net;
pub mod scenario;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use webqq_proto::client::{Input, Output};
use webqq_proto::http1::ConnId;
use webqq_proto::webqq::session::{Chat, Event};
use webqq_proto::{Client, ClientConfig};

use net::{Dir, Net, NetFaults};

/// What a server side asks of the network.
#[derive(Debug)]
pub enum ServerOut {
    /// Write bytes on a connection.
    Write(u64, Bytes),
    /// Close a connection (after earlier writes).
    Close(u64),
    /// Nothing more until this instant.
    Timeout(Instant),
}

/// A sans-IO server side: the emulator's vocabulary, so either the scripted server or the
/// emulator plugs in.
pub trait Server {
    /// A client connected.
    fn accepted(&mut self, now: Instant, conn: u64);
    /// Bytes arrived.
    fn data(&mut self, now: Instant, conn: u64, bytes: &[u8]);
    /// The client closed (or the connection broke).
    fn eof(&mut self, now: Instant, conn: u64);
    /// Time passed.
    fn time(&mut self, now: Instant);
    /// The next thing to do, ending with a timeout.
    fn poll(&mut self) -> ServerOut;
}

/// Steps of one run at most, so a livelock fails instead of hanging.
pub const MAX_STEPS: usize = 200_000;
/// Client outputs handled in one step at most (a loop that never reaches `Timeout` is a bug).
pub const MAX_OUTPUTS_PER_STEP: usize = 10_000;

/// A scheduled thing for the virtual world.
#[derive(Debug)]
pub enum Due {
    /// Bytes reach one side.
    Bytes(Dir, ConnId, Bytes),
    /// One side sees EOF.
    Eof(Dir, ConnId),
    /// The client sees a reset.
    Reset(ConnId),
    /// The connection attempt completes (true) or is refused (false).
    Connected(ConnId, bool),
    /// A scenario action (index into the action list).
    Action(usize),
}

/// The whole simulated system.
pub struct Sim<S: Server> {
    /// The client under test.
    pub client: Client,
    /// The server side.
    pub server: S,
    /// The network.
    pub net: Net,
    /// Virtual now.
    pub now: Instant,
    /// Start of the run.
    pub t0: Instant,
    queue: BTreeMap<(Instant, u64), Due>,
    seq: u64,
    /// Every event the application got, with its virtual time.
    pub events: Vec<(Duration, Event)>,
    /// The readable trace (only when tracing).
    pub trace: Option<String>,
    /// Steps taken.
    pub steps: usize,
    /// Largest number of requests the agent held at once.
    pub max_pending: usize,
    /// Bytes the client read per connection, kept after the connection ends.
    reads: HashMap<ConnId, u64>,
}

impl<S: Server> Sim<S> {
    /// A system at virtual time `t0` with the network's faults drawn from `seed`.
    pub fn new(config: ClientConfig, server: S, faults: NetFaults, seed: u64, t0: Instant) -> Self {
        Sim {
            client: Client::new(config, t0),
            server,
            net: Net::new(faults, ChaCha8Rng::seed_from_u64(seed ^ 0x006e_6574)),
            now: t0,
            t0,
            queue: BTreeMap::new(),
            seq: 0,
            events: Vec::new(),
            trace: None,
            steps: 0,
            max_pending: 0,
            reads: HashMap::new(),
        }
    }

    /// Records a readable trace of every input and output.
    pub fn with_trace(mut self) -> Self {
        self.trace = Some(String::new());
        self
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    fn log(&mut self, what: impl FnOnce() -> String) {
        if let Some(t) = &mut self.trace {
            let _ = writeln!(
                t,
                "{:>10.3}s {}",
                (self.now - self.t0).as_secs_f64(),
                what()
            );
        }
    }

    /// Schedules `due` at `at`.
    pub fn schedule(&mut self, at: Instant, due: Due) {
        self.seq += 1;
        self.queue.insert((at, self.seq), due);
    }

    /// Runs until `done` says so (checked after every step) or `limit` of virtual time
    /// passed; `act` carries out scenario actions. Returns whether `done` was reached.
    pub fn run(
        &mut self,
        limit: Duration,
        mut act: impl FnMut(&mut Self, usize),
        mut done: impl FnMut(&Self) -> bool,
    ) -> bool {
        let end = self.t0 + limit;
        loop {
            self.steps += 1;
            if self.steps >= MAX_STEPS {
                let trace = self
                    .trace
                    .as_deref()
                    .unwrap_or("(replay with SIM_SEED for a trace)");
                let tail: Vec<&str> = trace.lines().rev().take(60).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                panic!(
                    "livelock: {} steps; the trace ends:\n{}",
                    self.steps,
                    tail.join("\n")
                );
            }
            let client_at = self.drain_client();
            let server_at = self.drain_server();
            if done(self) {
                return true;
            }
            let next_due = self.queue.keys().next().map(|(at, _)| *at);
            let next = [Some(client_at), Some(server_at), next_due]
                .into_iter()
                .flatten()
                .min()
                .unwrap();
            if next > end {
                return false;
            }
            // Time is fed even when it did not move: a side whose deadline is now needs it
            // to act (the harness must not be the one that livelocks).
            self.now = self.now.max(next);
            self.client.handle_input(Input::Time(self.now));
            self.server.time(self.now);
            while let Some(entry) = self.queue.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let due = entry.remove();
                self.deliver(due, &mut act);
            }
        }
    }

    fn deliver(&mut self, due: Due, act: &mut impl FnMut(&mut Self, usize)) {
        match due {
            Due::Action(i) => {
                self.log(|| format!("action #{i}"));
                act(self, i);
            }
            Due::Connected(conn, ok) => {
                if !self.net.client_open(conn) {
                    return;
                }
                if ok {
                    self.log(|| format!("client ← Connected({conn})"));
                    self.server.accepted(self.now, conn.0);
                    self.client.handle_input(Input::Connected { conn });
                } else {
                    self.log(|| format!("client ← ConnectFailed({conn})"));
                    self.net.forget(conn);
                    self.client.handle_input(Input::ConnectFailed {
                        conn,
                        error: std::io::ErrorKind::ConnectionRefused,
                    });
                }
            }
            Due::Bytes(Dir::ToServer, conn, bytes) => {
                if !self.net.server_open(conn) {
                    return;
                }
                self.log(|| format!("server ← {} bytes on {conn}: {}", bytes.len(), show(&bytes)));
                self.server.data(self.now, conn.0, &bytes);
            }
            Due::Bytes(Dir::ToClient, conn, bytes) => {
                if !self.net.client_open(conn) {
                    return;
                }
                *self.reads.entry(conn).or_default() += bytes.len() as u64;
                self.log(|| format!("client ← {} bytes on {conn}: {}", bytes.len(), show(&bytes)));
                self.client.handle_input(Input::Data {
                    conn,
                    bytes: &bytes,
                });
            }
            Due::Eof(Dir::ToServer, conn) => {
                if self.net.close_server(conn) {
                    self.log(|| format!("server ← Eof({conn})"));
                    self.server.eof(self.now, conn.0);
                }
            }
            Due::Eof(Dir::ToClient, conn) => {
                if self.net.close_client(conn) {
                    self.log(|| format!("client ← Eof({conn})"));
                    self.client.handle_input(Input::Eof { conn });
                }
            }
            Due::Reset(conn) => {
                if self.net.close_client(conn) {
                    self.log(|| format!("client ← Failed({conn}, ConnectionReset)"));
                    self.client.handle_input(Input::Failed {
                        conn,
                        error: std::io::ErrorKind::ConnectionReset,
                    });
                }
            }
        }
    }

    /// Carries out the client's outputs; returns its next deadline.
    fn drain_client(&mut self) -> Instant {
        for _ in 0..MAX_OUTPUTS_PER_STEP {
            let out = self.client.poll_output();
            self.max_pending = self.max_pending.max(self.client.agent().pending());
            match out {
                Output::Timeout(at) => return at,
                Output::Connect { conn, origin } => {
                    self.log(|| format!("client → Connect({conn}, {origin})"));
                    let (at, ok) = self.net.connect(self.now, conn);
                    self.schedule(at, Due::Connected(conn, ok));
                }
                Output::Write { conn, bytes } => {
                    self.log(|| {
                        format!("client → {} bytes on {conn}: {}", bytes.len(), show(&bytes))
                    });
                    for (at, due) in self.net.client_write(self.now, conn, bytes) {
                        self.schedule(at, due);
                    }
                }
                Output::Close { conn } => {
                    self.log(|| format!("client → Close({conn})"));
                    if let Some(at) = self.net.client_close(self.now, conn) {
                        self.schedule(at, Due::Eof(Dir::ToServer, conn));
                    }
                }
                Output::Event(e) => {
                    self.log(|| format!("client → Event({e:?})"));
                    self.events.push((self.elapsed(), e));
                }
            }
        }
        panic!("the client never returned Timeout");
    }

    /// Carries out the server's outputs; returns its next deadline.
    fn drain_server(&mut self) -> Instant {
        for _ in 0..MAX_OUTPUTS_PER_STEP {
            match self.server.poll() {
                ServerOut::Timeout(at) => return at.max(self.now),
                ServerOut::Write(c, bytes) => {
                    let conn = ConnId(c);
                    self.log(|| {
                        format!("server → {} bytes on {conn}: {}", bytes.len(), show(&bytes))
                    });
                    for (at, due) in self.net.server_write(self.now, conn, bytes) {
                        self.schedule(at, due);
                    }
                }
                ServerOut::Close(c) => {
                    let conn = ConnId(c);
                    self.log(|| format!("server → Close({conn})"));
                    if let Some(at) = self.net.server_close(self.now, conn) {
                        self.schedule(at, Due::Eof(Dir::ToClient, conn));
                    }
                }
            }
        }
        panic!("the server never returned Timeout");
    }

    /// The client process dies and `client` starts in its place: the server sees every
    /// old connection end, and nothing in flight reaches the new client.
    pub fn replace_client(&mut self, client: Client) {
        for conn in self.net.forget_all() {
            self.log(|| format!("server ← Eof({conn}) (client process ended)"));
            self.server.eof(self.now, conn.0);
        }
        self.queue.retain(|_, due| matches!(due, Due::Action(_)));
        // The new client numbers its connections anew.
        self.reads.clear();
        self.client = client;
    }

    /// Whether the client read the first `end` bytes the server wrote on `conn`.
    pub fn read_through(&self, conn: ConnId, end: u64) -> bool {
        self.reads.get(&conn).is_some_and(|n| *n >= end)
    }

    /// Events so far that match `f`.
    pub fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|(_, e)| f(e)).count()
    }
}

/// The first line of an HTTP message and the start of its body, for the trace.
fn show(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len())
        .min(120);
    let mut out = String::from_utf8_lossy(&bytes[..end]).into_owned();
    if let Some(body) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let body = &bytes[body + 4..];
        if !body.is_empty() {
            out.push_str(" | ");
            out.push_str(&String::from_utf8_lossy(&body[..body.len().min(160)]));
        }
    }
    out
}

/// Seeds to run: `SIM_SEED=S` one, else `SIM_SEEDS=N` (default `default`) from 0.
pub fn seeds(default: u64) -> (Vec<u64>, bool) {
    if let Ok(s) = std::env::var("SIM_SEED") {
        return (vec![s.parse().expect("SIM_SEED is a number")], true);
    }
    let n = std::env::var("SIM_SEEDS")
        .ok()
        .map(|s| s.parse().expect("SIM_SEEDS is a number"))
        .unwrap_or(default);
    ((0..n).collect(), false)
}

/// Runs the seeds chosen by [`seeds`] through `generate` and `run`, prints the totals and the
/// rate, and fails with the first failing seed (at most three are collected). A panic (in the
/// client, or a livelock caught by the harness) fails its seed like any other failure.
pub fn run_seeds<S: std::fmt::Debug>(
    default: u64,
    generate: impl Fn(u64) -> S,
    run: impl Fn(&S, bool) -> Result<scenario::Report, String>,
) {
    let (seeds, replay) = seeds(default);
    let started = std::time::Instant::now();
    let mut total = Tally::default();
    let mut failures = Vec::new();
    for &seed in &seeds {
        let scenario = generate(seed);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&scenario, replay)))
                .unwrap_or_else(|p| {
                    let what = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Err(format!(
                        "seed {seed}: panicked: {what}\nscenario: {scenario:?}"
                    ))
                });
        match outcome {
            Ok(report) => {
                for (k, v) in report.tally.0 {
                    total.add(k, v);
                }
                if replay {
                    println!("seed {seed} passed: {scenario:?}");
                }
            }
            Err(e) => {
                if replay {
                    println!("{e}");
                }
                failures.push((seed, e));
                if failures.len() >= 3 {
                    break;
                }
            }
        }
    }
    println!(
        "{} seeds in {:.1?} ({:.0} seeds/s); totals: {:?}",
        seeds.len(),
        started.elapsed(),
        seeds.len() as f64 / started.elapsed().as_secs_f64(),
        total.0
    );
    if let Some((seed, e)) = failures.first() {
        panic!("{} failing seed(s), first {seed}:\n{e}", failures.len());
    }
}

/// The send rule of issue 7: each send has exactly one outcome; a `Sent` message was
/// delivered once, a `SendFailed` one never, an `Uncertain` one at most once.
pub fn check_send_outcome(
    events: &[&Event],
    handle: &webqq_proto::webqq::session::MessageHandle,
    text: &str,
    delivered: u64,
) -> Result<(), String> {
    let outcomes: Vec<&&Event> = events
        .iter()
        .filter(|e| match e {
            Event::Sent { handle: h }
            | Event::Uncertain { handle: h, .. }
            | Event::SendFailed { handle: h, .. } => h == handle,
            _ => false,
        })
        .collect();
    match outcomes.as_slice() {
        [Event::Sent { .. }] if delivered != 1 => Err(format!(
            "send {text:?} Sent but delivered {delivered} times"
        )),
        [Event::SendFailed { reason, .. }] if delivered != 0 => Err(format!(
            "send {text:?} failed ({reason}) but was delivered {delivered} times"
        )),
        [Event::Uncertain { .. }] if delivered > 1 => Err(format!(
            "send {text:?} uncertain but delivered {delivered} times"
        )),
        [_] => Ok(()),
        other => Err(format!(
            "send {text:?} got {} outcomes: {other:?}",
            other.len()
        )),
    }
}

/// A poll answer the server wrote: where it ended on its connection and the texts of the
/// chat messages it carried.
#[derive(Debug, Clone)]
pub struct PollAnswer {
    /// The connection.
    pub conn: ConnId,
    /// Bytes the server had written on `conn` once this answer was out.
    pub end: u64,
    /// Texts of its chat messages (duplicates included).
    pub texts: Vec<String>,
    /// False when the server wrote only part of it on purpose (a mid-response reset fault).
    pub whole: bool,
}

/// The receive rule of issue 7: each chat message reaches the application at most once, and
/// every message of a poll answer whose every byte the client read reaches it exactly once,
/// whatever happened meanwhile (a relink, a re-login, even `Offline`: the server took those
/// events off its queue when it answered, so the answer is the only copy there is). An answer
/// cut short in transit (a reset or drop before its last byte, or the client gave up on the
/// connection first) may leave its messages missing: the server considers them delivered, as
/// the real one does, and nobody can send them again.
pub fn check_received(
    sim: &Sim<impl Server>,
    answers: &[PollAnswer],
) -> Result<ReceiveTally, String> {
    let mut received: HashMap<String, usize> = HashMap::new();
    for (_, e) in &sim.events {
        if let Event::Message(m) = e {
            let text = m.message.plain_text().trim().to_string();
            let n = received.entry(text.clone()).or_default();
            *n += 1;
            if *n > 1 {
                return Err(format!("message {text:?} reached the application twice"));
            }
        }
    }
    let mut due = std::collections::HashSet::new();
    let mut cut = std::collections::HashSet::new();
    for a in answers {
        if !a.whole || !sim.read_through(a.conn, a.end) {
            cut.extend(a.texts.iter().map(|t| t.trim()));
            continue;
        }
        for text in &a.texts {
            due.insert(text.trim());
            if !received.contains_key(text.trim()) {
                return Err(format!(
                    "message {text:?}: its poll answer (ending at byte {} of {}) reached the \
                     client, but the message never reached the application",
                    a.end, a.conn
                ));
            }
        }
    }
    let lost_in_transit = cut.iter().filter(|t| !received.contains_key(**t)).count();
    Ok(ReceiveTally {
        due: due.len() as u64,
        lost_in_transit: lost_in_transit as u64,
    })
}

/// What [`check_received`] counted.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveTally {
    /// Messages of answers the client read whole (each arrived exactly once).
    pub due: u64,
    /// Messages only ever written in answers cut short in transit that never arrived.
    pub lost_in_transit: u64,
}

impl ReceiveTally {
    /// Adds the counts to a run's tally.
    pub fn add_to(self, tally: &mut Tally) {
        tally.add("messages_due_exactly_once", self.due);
        tally.add("messages_lost_in_transit", self.lost_in_transit);
    }
}

/// A conversation with a `seq` (protocol §6.4); each run has one group and one discussion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqChat {
    /// The group.
    Group,
    /// The discussion.
    Discussion,
}

impl SeqChat {
    fn holds(self, chat: &Chat) -> bool {
        matches!(
            (self, chat),
            (SeqChat::Group, Chat::Group(_)) | (SeqChat::Discussion, Chat::Discussion(_))
        )
    }
}

/// The gap rule of issue 7: a `seq` the server skipped on purpose (`skipped`) is covered by
/// a `MessagesLost` whenever the client could see the gap, that is when, between two
/// re-logins (a re-login forgets the seqs, the new session's numbering may restart), a message
/// below it arrived before the first one above it; and a `MessagesLost` never covers a
/// message that had already arrived (one of the gap may still come late, after an answer
/// lost in transit was repeated, but one that arrived is no gap).
pub fn check_seq_gaps(events: &[&Event], skipped: &[(SeqChat, u64)]) -> Result<(), String> {
    // (index in the event stream, re-login epoch, chat, seq) and (…, first, last).
    let mut arrived: Vec<(usize, usize, Chat, u64)> = Vec::new();
    let mut lost: Vec<(usize, usize, Chat, u64, u64)> = Vec::new();
    let mut epoch = 0;
    for (i, e) in events.iter().enumerate() {
        match e {
            Event::Relogin { .. } => epoch += 1,
            Event::Message(m) => {
                if let Some(seq) = m.seq {
                    arrived.push((i, epoch, m.chat, seq));
                }
            }
            Event::MessagesLost { chat, first, last } => {
                lost.push((i, epoch, *chat, *first, *last));
            }
            _ => {}
        }
    }
    for (at, _, chat, seq) in &arrived {
        if lost
            .iter()
            .any(|(i, _, c, f, l)| i > at && c == chat && (f..=l).contains(&seq))
        {
            return Err(format!(
                "MessagesLost covers {chat:?} seq {seq}, which arrived before"
            ));
        }
    }
    for (kind, seq) in skipped {
        let mut conversations: Vec<(usize, Chat)> = arrived
            .iter()
            .filter(|(_, _, c, _)| kind.holds(c))
            .map(|(_, epoch, c, _)| (*epoch, *c))
            .collect();
        conversations.dedup();
        for (epoch, chat) in conversations {
            let first = |above: bool| {
                arrived
                    .iter()
                    .find(|(_, e, c, s)| *e == epoch && *c == chat && (s > seq) == above)
                    .map(|(i, ..)| *i)
            };
            let detectable = matches!((first(false), first(true)), (Some(b), Some(a)) if b < a);
            let covered = lost
                .iter()
                .any(|(_, e, c, f, l)| *e == epoch && *c == chat && (f..=l).contains(&seq));
            if detectable && !covered {
                return Err(format!(
                    "seq {seq} of {chat:?} was skipped on purpose but no MessagesLost covers it"
                ));
            }
        }
    }
    Ok(())
}

/// Counts by name, for the run's summary.
#[derive(Debug, Default)]
pub struct Tally(pub BTreeMap<&'static str, u64>);

impl Tally {
    /// Adds `n` to `name`.
    pub fn add(&mut self, name: &'static str, n: u64) {
        *self.0.entry(name).or_default() += n;
    }

    /// Counts the events of a run that the summary reports (messages, sends by outcome,
    /// relinks, relogins, going offline, unknown poll types).
    pub fn add_events(&mut self, events: &[(Duration, Event)]) {
        for (_, e) in events {
            let name = match e {
                Event::Message(_) => "messages_received",
                Event::MessagesLost { .. } => "messages_lost_events",
                Event::Sent { .. } => "sends_sent",
                Event::Uncertain { .. } => "sends_uncertain",
                Event::Confirmed { .. } => "sends_confirmed",
                Event::SendFailed { .. } => "sends_failed",
                Event::Relinking { .. } => "relinks",
                Event::Relogin { .. } => "relogins",
                Event::Offline { .. } => "offline",
                Event::Unknown { .. } => "unknown_poll_types",
                _ => continue,
            };
            self.add(name, 1);
        }
    }
}
