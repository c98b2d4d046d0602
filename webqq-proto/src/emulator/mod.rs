//! # The WebQQ servers, sans-IO (cargo feature `emulator`)
//!
//! [`Emulator`] plays every virtual host of WebQQ / SmartQQ (protocol §1.1) for one era
//! ([`Profile`], protocol §11.1): the ptlogin2 login servers (password with captcha, QR code),
//! the `s.web2` list CGIs, the `d.web2`/`d1.web2` channel (login2, poll2 long-poll, sends),
//! over its own HTTP/1.1 server side (keep-alive, pipelining, limits). It never touches a
//! socket or a clock: the adapter hands it connection events with the current time and
//! carries out what [`Emulator::poll_output`] returns.
//!
//! ```text
//!  adapter ──Input: Accepted · Data · Eof · Time──▶ Emulator ──Output: Write · Close · Event · Timeout──▶ adapter
//! ```
//!
//! - [`world`]: accounts, friends, groups, discussions with real numbers (JSON or the demo).
//! - Sessions map them to per-login opaque ids (protocol §2, §11.2).
//! - [`Strictness`] (protocol §11.3, lenient by default) and [`Faults`] (protocol §11.4,
//!   seeded) reproduce the real servers' refusals and failures on demand.
//! - The control API ([`Emulator::say`], [`Emulator::inject`], [`Emulator::sent`],
//!   [`Emulator::qr_scan`], [`Emulator::qr_confirm`], [`Emulator::kick`],
//!   [`Emulator::set_faults`] …) is also served as HTTP JSON under `/_emulator/` on every host.
//!
//! Driving it (what an adapter does, here without sockets):
//!
//! ```
//! use std::time::Instant;
//! use webqq_proto::emulator::{ConnId, Emulator, EmulatorConfig, Input, Output, Profile};
//!
//! let now = Instant::now();
//! let mut emu = Emulator::new(EmulatorConfig::demo(Profile::S2018), now).unwrap();
//! let conn = ConnId(1);
//! emu.handle_input(now, Input::Accepted { conn });
//! let request = "GET /cgi-bin/ver HTTP/1.1\r\nHost: ui.ptlogin2.qq.com\r\n\r\n";
//! emu.handle_input(now, Input::Data { conn, bytes: request.into() });
//! let mut written = Vec::new();
//! let next_wakeup = loop {
//!     match emu.poll_output() {
//!         Output::Write { bytes, .. } => written.extend_from_slice(&bytes),
//!         Output::Close { .. } | Output::Event(_) => {}
//!         Output::Timeout(at) => break at, // call handle_input(at, Input::Time) then
//!     }
//! };
//! assert!(String::from_utf8_lossy(&written).ends_with("ptuiV(201210240930);\r\n"));
//! assert!(next_wakeup > now);
//! ```
//!
//! Scheme C passwords (protocol §3.5.3): the real server decrypted an RSA layer with a private
//! key nobody has. The emulator checks what it can: the QQ-TEA layer keyed by
//! `md5(md5(password) + salt)`, the salt and the verify code inside; the RSA blob is only
//! length-checked. A wrong password therefore still fails (the TEA layer does not decrypt).

mod config;
mod conn;
mod control;
mod faults;
pub mod http;
mod pages;
mod profile;
mod rng;
mod route;
mod server;
mod strictness;
mod timers;
pub mod world;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use config::{EmulatorConfig, Timing};
pub use control::{BatchError, ControlError, Say, SentMessage, SessionInfo};
pub use faults::{DeliveryFaults, FaultAction, FaultRule, Faults};
pub use profile::{IdlePoll, Profile};
pub use route::{Endpoint, route};
pub use strictness::{MaxMessage, ReusedMsgId, SendRate, Strictness};
pub use world::{Target, World};

use conn::{Conn, MAX_BUFFERED_BYTES, MAX_PIPELINED, Slot, SlotState};
use http::RequestError;
use server::{Reply, Server, Ticket};
use timers::Timers;

/// How far ahead [`Output::Timeout`] points when nothing at all is scheduled.
pub const IDLE_WAKEUP: Duration = Duration::from_secs(3600);

/// A connection, numbered by the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// What the adapter tells the emulator.
#[derive(Clone)]
pub enum Input {
    /// A client connected.
    Accepted {
        /// The new connection.
        conn: ConnId,
    },
    /// Bytes arrived (ignored for a connection not accepted or already closed).
    Data {
        /// On this connection.
        conn: ConnId,
        /// The bytes.
        bytes: Bytes,
    },
    /// The client closed its side (or the connection broke).
    Eof {
        /// The connection.
        conn: ConnId,
    },
    /// Time passed (a timeout the emulator asked for, or any other moment).
    Time,
}

/// What the emulator asks the adapter to do, or tells it.
#[derive(Clone)]
pub enum Output {
    /// Write these bytes.
    Write {
        /// On this connection.
        conn: ConnId,
        /// The bytes.
        bytes: Bytes,
    },
    /// Close the connection (after the writes before this output).
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Something happened.
    Event(Event),
    /// Nothing more to do now: call back with [`Input::Time`] at this instant at the latest.
    Timeout(Instant),
}

// Requests carry passwords, cookies and session tokens, and responses set cookies: the
// `Debug` forms show how many bytes moved, never the bytes.
impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Accepted { conn } => write!(f, "Accepted({conn:?})"),
            Input::Data { conn, bytes } => write!(f, "Data({conn:?}, {} bytes)", bytes.len()),
            Input::Eof { conn } => write!(f, "Eof({conn:?})"),
            Input::Time => f.write_str("Time"),
        }
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Write { conn, bytes } => write!(f, "Write({conn:?}, {} bytes)", bytes.len()),
            Output::Close { conn } => write!(f, "Close({conn:?})"),
            Output::Event(e) => write!(f, "Event({e:?})"),
            Output::Timeout(at) => write!(f, "Timeout({at:?})"),
        }
    }
}

#[cfg(test)]
mod debug_redaction_tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let secret =
            Bytes::from_static(b"GET /login?p=SECRETPW HTTP/1.1\r\nCookie: skey=@SECRET\r\n\r\n");
        let input = format!(
            "{:?}",
            Input::Data {
                conn: ConnId(1),
                bytes: secret.clone()
            }
        );
        let output = format!(
            "{:?}",
            Output::Write {
                conn: ConnId(1),
                bytes: secret
            }
        );
        for shown in [input, output] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("bytes"), "{shown}");
        }
    }
}

/// Things worth telling the host application (and the tests).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A request was refused before routing; it was answered 400 and the connection closed.
    BadRequest {
        /// The connection.
        conn: ConnId,
        /// Why.
        error: RequestError,
    },
    /// A request was answered.
    Served {
        /// The connection.
        conn: ConnId,
        /// `Host` (no port).
        host: String,
        /// Path.
        path: String,
        /// Status of the answer (0 for a held poll answered later, or a dropped request).
        status: u16,
    },
    /// A captcha image was served; a human would now read this answer.
    CaptchaIssued {
        /// The account.
        qq: u64,
        /// The code in the image.
        answer: String,
    },
    /// A QR code was shown.
    QrShown {
        /// Its `qrsig` cookie.
        qrsig: String,
    },
    /// A web session started (login2).
    LoggedIn {
        /// The account.
        qq: u64,
    },
    /// A web session ended.
    SessionEnded {
        /// The account.
        qq: u64,
        /// Why: `replaced`, `kicked`, `idle`, `lifetime`, `logout`, `expired`.
        reason: &'static str,
    },
    /// A message was sent (by a logged-in client or a simulated user).
    Sent(SentMessage),
    /// A poll2 answer with events is being written: it comes right before the
    /// [`Output::Write`] of that answer on `conn`, so a test that counts the bytes of the
    /// connection knows which messages the client had in hand once it read them all (the
    /// simulation's exactly-once check, issue 7). The server considers them delivered.
    PollAnswered {
        /// The connection.
        conn: ConnId,
        /// The account of the session.
        qq: u64,
        /// The chat messages of the answer, in its order (duplicates included).
        messages: Vec<PolledMessage>,
        /// False when a fault writes only part of the answer and closes.
        complete: bool,
    },
}

/// A chat message in a poll answer ([`Event::PollAnswered`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolledMessage {
    /// Its `msg_id` for the receiving session.
    pub msg_id: u64,
    /// Its text (strings joined, faces as `[face N]`, no font).
    pub text: String,
}

/// Timers of the connection layer.
#[derive(Debug, Clone, Copy)]
enum ConnTimer {
    /// Close the connection if it has been idle long enough (one pending per connection).
    IdleClose { conn: ConnId },
    /// A delayed response may now be written.
    Flush { conn: ConnId },
}

/// The WebQQ servers as a sans-IO state machine. See the [module docs](self).
pub struct Emulator {
    server: Server,
    conns: HashMap<ConnId, Conn>,
    out: VecDeque<Output>,
    timers: Timers<ConnTimer>,
    next_slot: u64,
    now: Instant,
}

/// Tokens, cookies and request bytes stay out of `Debug`: only the shape is shown.
impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("server", &self.server)
            .field("connections", &self.conns.len())
            .field("queued_outputs", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// An emulator starting at `now`. The world is checked first.
    pub fn new(config: EmulatorConfig, now: Instant) -> Result<Self, world::WorldError> {
        config.world.validate()?;
        Ok(Emulator {
            server: Server::new(config, now),
            conns: HashMap::new(),
            out: VecDeque::new(),
            timers: Timers::default(),
            next_slot: 0,
            now,
        })
    }

    /// Feeds one input at `now` (never earlier than a previous call's `now`; an earlier one
    /// is taken as the previous).
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        self.now = self.now.max(now);
        let now = self.now;
        match input {
            Input::Accepted { conn } => {
                self.conns.insert(conn, Conn::new(now));
                self.arm_idle_close(conn);
            }
            Input::Data { conn, bytes } => self.on_data(now, conn, &bytes),
            Input::Eof { conn } => {
                if let Some(c) = self.conns.get(&conn) {
                    if let Err(error) = c.parser.eof(&c.buf) {
                        self.out
                            .push_back(Output::Event(Event::BadRequest { conn, error }));
                    }
                    self.drop_conn(conn);
                }
            }
            Input::Time => self.on_time(now),
        }
        self.collect_server_output();
    }

    /// The next thing to do; ends with [`Output::Timeout`] when there is nothing else. Call
    /// again after every [`handle_input`](Self::handle_input) and every control call.
    #[must_use]
    pub fn poll_output(&mut self) -> Output {
        if let Some(o) = self.out.pop_front() {
            return o;
        }
        let next = [self.timers.next_deadline(), self.server.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        Output::Timeout(next.unwrap_or(self.now + IDLE_WAKEUP))
    }

    /// The time of the latest input.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Pending deadlines of both layers (stale ones included), for bound checks in tests.
    #[cfg(test)]
    pub(crate) fn timer_count(&self) -> usize {
        self.timers.len() + self.server.timer_count()
    }

    /// Open connections.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    fn on_data(&mut self, now: Instant, conn: ConnId, bytes: &[u8]) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.last_active = now;
        c.buf.extend_from_slice(bytes);
        self.parse_requests(now, conn);
    }

    /// Parses and answers as many requests as the pipelining limit allows.
    fn parse_requests(&mut self, now: Instant, conn: ConnId) {
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            if c.slots.len() >= MAX_PIPELINED {
                if c.buf.len() > MAX_BUFFERED_BYTES {
                    self.fail(
                        conn,
                        RequestError::Limit {
                            what: "buffered bytes",
                            limit: MAX_BUFFERED_BYTES,
                        },
                    );
                }
                return;
            }
            match c.parser.parse(&mut c.buf) {
                Ok(None) => {
                    // Only when nothing is owed before it: a 1xx must not overtake a response.
                    if c.parser.take_continue() && c.slots.is_empty() {
                        let bytes = ::bytes::Bytes::from_static(b"HTTP/1.1 100 Continue\r\n\r\n");
                        self.out.push_back(Output::Write { conn, bytes });
                    }
                    return;
                }
                Ok(Some(req)) => {
                    let reused = c.served > 0;
                    c.served += 1;
                    self.next_slot += 1;
                    let slot = self.next_slot;
                    c.slots.push_back(Slot {
                        id: slot,
                        gzip: req.accepts_gzip(),
                        head_only: req.method == ::http::Method::HEAD,
                        close_after: self.server.profile_id().poll_closes_connection()
                            && route(&req.host(), &req.path) == Some(Endpoint::Poll2),
                        keep_alive: req.keep_alive(),
                        state: SlotState::Waiting,
                    });
                    let ticket = Ticket { conn, slot };
                    let reply = self.server.handle(now, ticket, &req, reused);
                    let served = Event::Served {
                        conn,
                        host: req.host(),
                        path: req.path.clone(),
                        status: match &reply {
                            Reply::Respond(r, _) => r.status.as_u16(),
                            _ => 0,
                        },
                    };
                    self.out.push_back(Output::Event(served));
                    self.apply(now, ticket, reply);
                }
                Err(error) => {
                    self.fail(conn, error);
                    return;
                }
            }
        }
    }

    /// Answers 400 to a request that could not be parsed, then closes.
    fn fail(&mut self, conn: ConnId, error: RequestError) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.buf.clear();
        self.next_slot += 1;
        let status = if error.is_limit() && error.to_string().contains("head") {
            ::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        } else if error.is_limit() {
            ::http::StatusCode::PAYLOAD_TOO_LARGE
        } else {
            ::http::StatusCode::BAD_REQUEST
        };
        let bytes = pages::error_page(status).encode(false, true);
        c.slots.push_back(Slot {
            id: self.next_slot,
            gzip: false,
            keep_alive: false,
            head_only: false,
            close_after: true,
            state: SlotState::Ready {
                bytes,
                close: true,
                reset: false,
                at: None,
                carried: None,
            },
        });
        self.out
            .push_back(Output::Event(Event::BadRequest { conn, error }));
        self.flush(conn);
    }

    /// Records the server's reply for `ticket` and writes what can be written.
    fn apply(&mut self, now: Instant, ticket: Ticket, reply: Reply) {
        let Some(c) = self.conns.get_mut(&ticket.conn) else {
            return;
        };
        let Some(slot) = c.slots.iter_mut().find(|s| s.id == ticket.slot) else {
            return;
        };
        match reply {
            Reply::Hold => {}
            Reply::Drop => {
                self.drop_conn(ticket.conn);
                return;
            }
            Reply::Respond(resp, transport) => {
                let close = resp.close || !slot.keep_alive || slot.close_after;
                let bytes = resp.encode_head_only(slot.gzip, close, slot.head_only);
                let at = transport.delay.map(|d| now + d);
                slot.state = SlotState::Ready {
                    bytes,
                    close,
                    reset: transport.reset,
                    at,
                    carried: transport.carried,
                };
                if let Some(at) = at {
                    self.timers
                        .insert(at, ConnTimer::Flush { conn: ticket.conn });
                }
            }
        }
        self.flush(ticket.conn);
    }

    /// Writes the ready responses at the front of the connection's queue, in order.
    fn flush(&mut self, conn: ConnId) {
        let now = self.now;
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            let Some(front) = c.slots.front() else { break };
            let SlotState::Ready { at, .. } = &front.state else {
                break;
            };
            if at.is_some_and(|at| at > now) {
                break;
            }
            let Some(Slot {
                state:
                    SlotState::Ready {
                        bytes,
                        close,
                        reset,
                        carried,
                        ..
                    },
                ..
            }) = c.slots.pop_front()
            else {
                break;
            };
            if let Some((qq, messages)) = carried {
                let complete = !reset;
                self.out.push_back(Output::Event(Event::PollAnswered {
                    conn,
                    qq,
                    messages,
                    complete,
                }));
            }
            if reset {
                self.out.push_back(Output::Write {
                    conn,
                    bytes: bytes.slice(..bytes.len() / 2),
                });
                self.drop_conn(conn);
                return;
            }
            c.last_active = now;
            self.out.push_back(Output::Write { conn, bytes });
            if close {
                self.drop_conn(conn);
                return;
            }
        }
        self.arm_idle_close(conn);
    }

    /// Writes what became ready on `conn` outside of parsing (a released poll, a delayed
    /// response), then parses the requests that waited behind a full pipeline. Parsing
    /// itself only flushes, so many pipelined requests never nest calls.
    fn resume(&mut self, conn: ConnId) {
        self.flush(conn);
        let more = self
            .conns
            .get(&conn)
            .is_some_and(|c| c.slots.len() < MAX_PIPELINED && !c.buf.is_empty());
        if more {
            let now = self.now;
            self.parse_requests(now, conn);
        }
    }

    /// Starts the idle-close timer of a connection with nothing in flight (protocol §10),
    /// unless one is pending already.
    fn arm_idle_close(&mut self, conn: ConnId) {
        let Some(wait) = self.server.timing().idle_close_ms else {
            return;
        };
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.is_idle() && c.idle_timer.is_none() {
            let at = c.last_active + timers::ms(wait);
            c.idle_timer = Some(self.timers.insert(at, ConnTimer::IdleClose { conn }));
        }
    }

    fn idle_timer_fired(&mut self, conn: ConnId, now: Instant) {
        let wait = timers::ms(self.server.timing().idle_close_ms.unwrap_or(0));
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.idle_timer = None;
        if !c.is_idle() {
            return;
        }
        if now >= c.last_active + wait {
            self.drop_conn(conn);
        } else {
            let at = c.last_active + wait;
            c.idle_timer = Some(self.timers.insert(at, ConnTimer::IdleClose { conn }));
        }
    }

    /// Forgets a connection and tells the adapter to close it.
    fn drop_conn(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.remove(&conn) {
            if let Some(key) = c.idle_timer {
                self.timers.remove(key);
            }
            let waiting: Vec<u64> = c
                .slots
                .iter()
                .filter(|s| matches!(s.state, SlotState::Waiting))
                .map(|s| s.id)
                .collect();
            self.server.conn_gone(conn, &waiting);
            self.out.push_back(Output::Close { conn });
        }
    }

    fn on_time(&mut self, now: Instant) {
        while let Some((_, timer)) = self.timers.pop_due(now) {
            match timer {
                ConnTimer::IdleClose { conn } => self.idle_timer_fired(conn, now),
                ConnTimer::Flush { conn } => self.resume(conn),
            }
        }
        self.server.on_time(now);
    }

    /// Moves the server's late answers (released polls) and events into the output queue.
    fn collect_server_output(&mut self) {
        loop {
            let answers = self.server.take_answers();
            let events = self.server.take_events();
            if answers.is_empty() && events.is_empty() {
                return;
            }
            self.out.extend(events.into_iter().map(Output::Event));
            let now = self.now;
            for (ticket, reply) in answers {
                self.apply(now, ticket, reply);
                self.resume(ticket.conn);
            }
        }
    }
}
