//! A virtual-time harness for `http1::Agent`: a scripted server peer on a simulated network
//! with a fixed one-way latency, driven in virtual time. Tests (this and later ones)
//! write the server's behaviour as a function from each request it reads to a [`Reply`]
//! script, run the agent, and look at the responses, the server's log and the agent's stats.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use webqq_proto::http1::{
    Agent, AgentConfig, ConnId, Input, Origin, Output, RequestError, RequestId, RequestOptions,
    Response,
};

/// One step of the server's answer to a request.
#[derive(Debug, Clone)]
pub enum Act {
    /// Send these bytes.
    Send(Vec<u8>),
    /// Let this much time pass before the next step.
    Wait(Duration),
    /// Close the connection (the agent sees EOF).
    Eof,
    /// Reset the connection (the agent sees `Failed(ConnectionReset)`).
    Reset,
}

/// The server's answer to one request: steps run in order.
pub type Reply = Vec<Act>;

/// What the server read: one request.
#[derive(Debug, Clone)]
pub struct Seen {
    /// 0-based number of the connection, in the order the agent opened them.
    pub conn_index: usize,
    /// 0-based number of this request on its connection.
    pub nth_on_conn: usize,
    /// Origin the connection went to.
    pub origin: Origin,
    /// Method.
    pub method: String,
    /// Request target.
    pub path: String,
    /// Header fields, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Virtual time since the start when the request was read.
    pub at: Duration,
}

impl Seen {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the server treats connection attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Accept.
    Yes,
    /// Refuse with this error.
    Refuse(io::ErrorKind),
    /// Never answer (for connect timeouts).
    Hang,
}

/// What the server does with a connection left idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerIdle {
    /// Keep it open.
    Keep,
    /// Close it after this long idle.
    Close(Duration),
    /// Send a `408 Request Timeout` with `Connection: close`, then close, after this long idle.
    Send408(Duration),
}

type Script = Box<dyn FnMut(&Seen) -> Reply>;

#[derive(Debug)]
enum Ev {
    /// Deliver an input to the agent.
    ToAgent(ConnId, AgentEv),
    /// Bytes reach the server.
    ToServer(ConnId, Vec<u8>),
    /// The agent's close reaches the server.
    ServerSeesClose(ConnId),
    /// Check whether the server's idle timer fires on a connection.
    ServerIdleCheck(ConnId),
}

#[derive(Debug)]
enum AgentEv {
    Connected,
    ConnectFailed(io::ErrorKind),
    Data(Vec<u8>),
    Eof,
    Reset,
}

struct ServerConn {
    index: usize,
    origin: Origin,
    buf: Vec<u8>,
    requests: usize,
    closed: bool,
    /// Virtual instant until which the server is busy answering (scripts may wait).
    busy_until: Instant,
    last_activity: Instant,
}

/// The simulation: the agent, the network and the scripted server.
pub struct Sim {
    /// The agent under test (tag: a test-chosen `&'static str`).
    pub agent: Agent<&'static str>,
    /// Virtual now.
    pub now: Instant,
    /// Virtual start.
    pub start: Instant,
    /// One-way network latency.
    pub latency: Duration,
    /// What the server does with idle connections.
    pub server_idle: ServerIdle,
    /// How the server treats connection attempts, by connection index.
    pub accept: Box<dyn FnMut(usize) -> Accept>,
    script: Script,
    events: BTreeMap<(Instant, u64), Ev>,
    seq: u64,
    server: HashMap<ConnId, ServerConn>,
    conns_opened: usize,
    /// Requests the server read, in order.
    pub seen: Vec<Seen>,
    /// Responses the agent gave, in order.
    pub responses: Vec<Done>,
    /// Connections the agent asked to close, in order.
    pub closed_by_agent: Vec<ConnId>,
    /// A trace of everything, for failure messages.
    pub trace: Vec<String>,
}

/// A finished request.
#[derive(Debug)]
pub struct Done {
    /// Its id.
    pub id: RequestId,
    /// Its tag.
    pub tag: &'static str,
    /// Its outcome.
    pub result: Result<Box<Response>, RequestError>,
    /// Virtual time since the start when it finished.
    pub at: Duration,
}

impl Sim {
    /// A simulation with the given agent config and server script; latency 1 ms, the server
    /// keeps idle connections and accepts every connection.
    pub fn new(config: AgentConfig, script: impl FnMut(&Seen) -> Reply + 'static) -> Sim {
        let start = Instant::now();
        Sim {
            agent: Agent::new(config, start),
            now: start,
            start,
            latency: Duration::from_millis(1),
            server_idle: ServerIdle::Keep,
            accept: Box::new(|_| Accept::Yes),
            script: Box::new(script),
            events: BTreeMap::new(),
            seq: 0,
            server: HashMap::new(),
            conns_opened: 0,
            seen: Vec::new(),
            responses: Vec::new(),
            closed_by_agent: Vec::new(),
            trace: Vec::new(),
        }
    }

    /// `start + offset`.
    pub fn at(&self, offset: Duration) -> Instant {
        self.start + offset
    }

    /// Submits a GET (or other method) for `url` with a tag.
    pub fn submit(
        &mut self,
        method: &str,
        url: &str,
        body: &[u8],
        options: RequestOptions<&'static str>,
    ) -> RequestId {
        let request = http::Request::builder()
            .method(method)
            .uri(url)
            .body(Bytes::copy_from_slice(body))
            .expect("test request");
        self.agent.submit(request, options)
    }

    fn schedule(&mut self, at: Instant, ev: Ev) {
        self.seq += 1;
        self.events.insert((at, self.seq), ev);
    }

    /// Runs until no request is pending and nothing is in flight, or until `limit` of
    /// virtual time has passed since the start.
    pub fn run(&mut self, limit: Duration) {
        let end = self.start + limit;
        loop {
            let wake = self.drain_outputs();
            let next_event = self.events.keys().next().map(|(t, _)| *t);
            if self.agent.pending() == 0 && next_event.is_none() {
                return;
            }
            let next = next_event.map_or(wake, |t| t.min(wake));
            if next > end {
                self.now = end;
                return;
            }
            self.now = self.now.max(next);
            while let Some(entry) = self.events.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let ev = entry.remove();
                self.deliver(ev);
            }
            self.agent.handle_input(Input::Time(self.now));
        }
    }

    /// Lets virtual time pass until `offset` after the start, handling everything due.
    pub fn run_until(&mut self, offset: Duration) {
        let end = self.start + offset;
        loop {
            let wake = self.drain_outputs();
            let next = self
                .events
                .keys()
                .next()
                .map_or(wake, |(t, _)| (*t).min(wake));
            if next > end {
                self.now = end;
                self.agent.handle_input(Input::Time(end));
                self.drain_outputs();
                return;
            }
            self.now = self.now.max(next);
            while let Some(entry) = self.events.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let ev = entry.remove();
                self.deliver(ev);
            }
            self.agent.handle_input(Input::Time(self.now));
        }
    }

    /// Polls the agent until it returns a timeout; returns that instant.
    fn drain_outputs(&mut self) -> Instant {
        for _ in 0..100_000 {
            let output = self.agent.poll_output(self.now);
            let t = self.now;
            match output {
                Output::Connect { conn, origin } => {
                    let index = self.conns_opened;
                    self.conns_opened += 1;
                    self.trace.push(format!(
                        "{:?} connect {conn} -> {origin} (#{index})",
                        t - self.start
                    ));
                    match (self.accept)(index) {
                        Accept::Yes => {
                            self.server.insert(
                                conn,
                                ServerConn {
                                    index,
                                    origin,
                                    buf: Vec::new(),
                                    requests: 0,
                                    closed: false,
                                    busy_until: t,
                                    last_activity: t,
                                },
                            );
                            self.schedule(
                                t + 2 * self.latency,
                                Ev::ToAgent(conn, AgentEv::Connected),
                            );
                            self.schedule_idle_check(conn, t);
                        }
                        Accept::Refuse(kind) => self.schedule(
                            t + 2 * self.latency,
                            Ev::ToAgent(conn, AgentEv::ConnectFailed(kind)),
                        ),
                        Accept::Hang => {}
                    }
                }
                Output::Write { conn, bytes } => {
                    self.trace.push(format!(
                        "{:?} write {conn} {} bytes",
                        t - self.start,
                        bytes.len()
                    ));
                    self.schedule(t + self.latency, Ev::ToServer(conn, bytes.to_vec()));
                }
                Output::Close { conn } => {
                    self.trace
                        .push(format!("{:?} close {conn}", t - self.start));
                    self.closed_by_agent.push(conn);
                    self.schedule(t + self.latency, Ev::ServerSeesClose(conn));
                }
                Output::Response { id, tag, result } => {
                    self.trace.push(format!(
                        "{:?} response {id} {tag}: {:?}",
                        t - self.start,
                        result.as_ref().map(|r| r.status)
                    ));
                    self.responses.push(Done {
                        id,
                        tag,
                        result,
                        at: t - self.start,
                    });
                }
                Output::Timeout(at) => return at,
            }
        }
        panic!(
            "agent produced 100000 outputs without a timeout:\n{}",
            self.trace.join("\n")
        );
    }

    fn schedule_idle_check(&mut self, conn: ConnId, from: Instant) {
        match self.server_idle {
            ServerIdle::Keep => {}
            ServerIdle::Close(d) | ServerIdle::Send408(d) => {
                self.schedule(from + d, Ev::ServerIdleCheck(conn))
            }
        }
    }

    fn deliver(&mut self, ev: Ev) {
        let t = self.now;
        match ev {
            Ev::ToAgent(conn, ev) => {
                let input = match &ev {
                    AgentEv::Connected => Input::Connected { conn },
                    AgentEv::ConnectFailed(kind) => Input::ConnectFailed { conn, error: *kind },
                    AgentEv::Data(bytes) => Input::Data { conn, bytes },
                    AgentEv::Eof => Input::Eof { conn },
                    AgentEv::Reset => Input::Failed {
                        conn,
                        error: io::ErrorKind::ConnectionReset,
                    },
                };
                if self.closed_by_agent.contains(&conn) {
                    return;
                }
                self.trace.push(format!(
                    "{:?} agent <- {conn} {}",
                    t - self.start,
                    short(&ev)
                ));
                self.agent.handle_input(input);
            }
            Ev::ServerSeesClose(conn) => {
                if let Some(s) = self.server.get_mut(&conn) {
                    s.closed = true;
                }
            }
            Ev::ServerIdleCheck(conn) => {
                let (idle, close_408) = match self.server_idle {
                    ServerIdle::Keep => return,
                    ServerIdle::Close(d) => (d, false),
                    ServerIdle::Send408(d) => (d, true),
                };
                let Some(s) = self.server.get_mut(&conn) else {
                    return;
                };
                if s.closed || s.busy_until > t || s.last_activity + idle > t {
                    return;
                }
                s.closed = true;
                self.trace
                    .push(format!("{:?} server idle-closes {conn}", t - self.start));
                if close_408 {
                    let bytes = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec();
                    self.schedule(t + self.latency, Ev::ToAgent(conn, AgentEv::Data(bytes)));
                }
                self.schedule(t + self.latency, Ev::ToAgent(conn, AgentEv::Eof));
            }
            Ev::ToServer(conn, bytes) => {
                let Some(s) = self.server.get_mut(&conn) else {
                    return;
                };
                if s.closed {
                    return;
                }
                s.buf.extend_from_slice(&bytes);
                s.last_activity = t;
                let start = self.start;
                while let Some(seen) = self
                    .server
                    .get_mut(&conn)
                    .and_then(|s| parse_request(s, t - start))
                {
                    self.trace.push(format!(
                        "{:?} server <- {conn} {} {}",
                        t - self.start,
                        seen.method,
                        seen.path
                    ));
                    let reply = (self.script)(&seen);
                    self.seen.push(seen);
                    self.play(conn, reply);
                }
            }
        }
    }

    fn play(&mut self, conn: ConnId, reply: Reply) {
        let Some(s) = self.server.get(&conn) else {
            return;
        };
        let mut t = s.busy_until.max(self.now);
        for act in reply {
            match act {
                Act::Send(bytes) => {
                    self.schedule(t + self.latency, Ev::ToAgent(conn, AgentEv::Data(bytes)))
                }
                Act::Wait(d) => t += d,
                Act::Eof => {
                    self.schedule(t + self.latency, Ev::ToAgent(conn, AgentEv::Eof));
                    if let Some(s) = self.server.get_mut(&conn) {
                        s.closed = true;
                    }
                }
                Act::Reset => {
                    self.schedule(t + self.latency, Ev::ToAgent(conn, AgentEv::Reset));
                    if let Some(s) = self.server.get_mut(&conn) {
                        s.closed = true;
                    }
                }
            }
        }
        if let Some(s) = self.server.get_mut(&conn) {
            s.busy_until = t;
            s.last_activity = t;
        }
        self.schedule_idle_check(conn, t);
    }

    /// The responses as (tag, status or error).
    pub fn outcomes(&self) -> Vec<(&'static str, Result<u16, RequestError>)> {
        self.responses
            .iter()
            .map(|d| {
                (
                    d.tag,
                    d.result
                        .as_ref()
                        .map(|r| r.status.as_u16())
                        .map_err(Clone::clone),
                )
            })
            .collect()
    }

    /// The response for `tag`, panicking with the trace when there is none.
    pub fn response(&self, tag: &str) -> &Result<Box<Response>, RequestError> {
        match self.responses.iter().find(|d| d.tag == tag) {
            Some(d) => &d.result,
            None => panic!("no response for {tag}; trace:\n{}", self.trace.join("\n")),
        }
    }

    /// Connections the agent still holds, oldest first.
    pub fn agent_conns(&self) -> Vec<ConnId> {
        let mut v: Vec<ConnId> = self
            .server
            .keys()
            .copied()
            .filter(|c| self.agent.conn_state(*c).is_some())
            .collect();
        v.sort();
        v
    }

    /// The trace, joined for an assertion message.
    pub fn dump(&self) -> String {
        self.trace.join("\n")
    }
}

fn short(ev: &AgentEv) -> String {
    match ev {
        AgentEv::Data(b) => format!("data {} bytes", b.len()),
        other => format!("{other:?}"),
    }
}

/// Takes one complete request (Content-Length bodies only) off the front of the server's buffer.
fn parse_request(s: &mut ServerConn, at: Duration) -> Option<Seen> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req
        .parse(&s.buf)
        .expect("the agent sent a malformed request")
    {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return None,
    };
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    if s.buf.len() < head_len + len {
        return None;
    }
    let seen = Seen {
        conn_index: s.index,
        nth_on_conn: s.requests,
        origin: s.origin.clone(),
        method: req.method.unwrap().to_string(),
        path: req.path.unwrap().to_string(),
        headers,
        body: s.buf[head_len..head_len + len].to_vec(),
        at,
    };
    s.buf.drain(..head_len + len);
    s.requests += 1;
    Some(seen)
}

/// An HTTP/1.1 response with `Content-Length`, extra header lines and a body.
pub fn response(status: u16, headers: &[&str], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// `200` with a body.
pub fn ok(body: &str) -> Reply {
    vec![Act::Send(response(200, &[], body))]
}

/// Options with just a tag.
pub fn tag(t: &'static str) -> RequestOptions<&'static str> {
    RequestOptions::new(t)
}

/// Seconds as a Duration.
pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}
