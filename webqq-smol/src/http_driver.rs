//! [`HttpDriver`]: an [`Agent`] (the HTTP/1.1 request engine alone, without a WebQQ session)
//! driven on async-io, for applications that want the engine's pool, retries, deadlines,
//! cookies and content decoding for their own requests.
//!
//! ```no_run
//! use std::time::Instant;
//! use bytes::Bytes;
//! use webqq_proto::http1::{Agent, AgentConfig, RequestOptions};
//! use webqq_smol::HttpDriver;
//!
//! smol::block_on(async {
//!     let mut driver = HttpDriver::new(Agent::new(AgentConfig::default(), Instant::now()));
//!     let request = http::Request::get("http://example.com/").body(Bytes::new()).unwrap();
//!     driver.submit(request, RequestOptions::new("front page"));
//!     while let Some((_, tag, result)) = driver.next_response().await {
//!         println!("{tag}: {:?}", result.map(|r| r.status));
//!     }
//! });
//! ```
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_rustls::rustls::ClientConfig as TlsConfig;
use webqq_proto::http1::{
    Agent, ConnState, Input, Output, RequestError, RequestId, RequestOptions, Response,
};

use crate::net::READ_CHUNK;
use crate::resolve::Resolver;
use crate::sockets::{PROBE_IDLE_AFTER, Sockets, Wake};

/// A finished request: its id, its tag and its outcome.
pub type Finished<T> = (RequestId, T, Result<Box<Response>, RequestError>);

/// Runs an [`Agent`] on async-io sockets (plain TCP, or rustls for https). It needs no
/// executor of its own and spawns nothing: connections are opened, written and read inside
/// [`next_response`](Self::next_response), on whatever task awaits it.
pub struct HttpDriver<T> {
    agent: Agent<T>,
    sockets: Sockets,
    /// The one read buffer of all its connections; the agent copies what it keeps.
    buf: Box<[u8]>,
    finished: VecDeque<Finished<T>>,
    /// When the connections were last polled (the end of the last wait).
    polled: Instant,
}

impl<T> fmt::Debug for HttpDriver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpDriver")
            .field("pending", &self.agent.pending())
            .field("finished", &self.finished.len())
            .finish_non_exhaustive()
    }
}

impl<T> HttpDriver<T> {
    /// A driver for `agent` resolving names with the system resolver and trusting the webpki
    /// roots for https.
    pub fn new(agent: Agent<T>) -> Self {
        HttpDriver::with(agent, Resolver::new(), None)
    }

    /// A driver for `agent` that connects through `resolver` (host names stay the real ones
    /// for `Host`, TLS and cookies) and uses `tls` for https (`None`: the webpki roots).
    pub fn with(agent: Agent<T>, resolver: Resolver, tls: Option<Arc<TlsConfig>>) -> Self {
        HttpDriver {
            agent,
            sockets: Sockets::new(resolver, tls),
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
            finished: VecDeque::new(),
            polled: Instant::now(),
        }
    }

    /// The agent, to cancel requests or read stats, pool status and cookies.
    pub fn agent(&mut self) -> &mut Agent<T> {
        &mut self.agent
    }

    /// Submits a request (see [`Agent::submit`]); it runs while
    /// [`next_response`](Self::next_response) is awaited.
    pub fn submit(
        &mut self,
        request: http::Request<Bytes>,
        options: RequestOptions<T>,
    ) -> RequestId {
        self.agent.submit(request, options)
    }

    /// Drives the agent until a request finishes and returns it, or `None` when no request
    /// is pending.
    pub async fn next_response(&mut self) -> Option<Finished<T>> {
        // One clock read per round: carrying out outputs takes microseconds.
        let mut now = Instant::now();
        if now.duration_since(self.polled) > PROBE_IDLE_AFTER {
            self.probe_quiet();
        }
        loop {
            if let Some(done) = self.finished.pop_front() {
                return Some(done);
            }
            let deadline = self.run_outputs(now);
            if !self.finished.is_empty() {
                continue;
            }
            if self.agent.pending() == 0 {
                return None;
            }
            let wake = self.sockets.wait(deadline, &mut self.buf).await;
            now = Instant::now();
            self.polled = now;
            self.feed(wake);
        }
    }

    /// Runs every request to completion and returns them in the order they finished.
    pub async fn run_all(&mut self) -> Vec<Finished<T>> {
        let mut all = Vec::new();
        while let Some(done) = self.next_response().await {
            all.push(done);
        }
        all
    }

    /// Reads the idle connections after nobody awaited the driver for a while, so that a
    /// server's close is known before the agent picks one for a request.
    fn probe_quiet(&mut self) {
        let agent = &self.agent;
        let idle: Vec<_> = self
            .sockets
            .quiet()
            .filter(|&conn| agent.conn_state(conn) == Some(ConnState::Idle))
            .collect();
        for conn in idle {
            if let Some(wake) = self.sockets.probe(conn, &mut self.buf) {
                self.feed(wake);
            }
        }
    }

    /// Carries out outputs until the agent returns a timeout; returns its instant.
    fn run_outputs(&mut self, now: Instant) -> Instant {
        loop {
            match self.agent.poll_output(now) {
                Output::Connect { conn, origin } => self.sockets.open(conn, origin),
                Output::Write { conn, bytes } => {
                    if let Err(error) = self.sockets.write(conn, bytes) {
                        self.agent.handle_input(Input::Failed { conn, error });
                    }
                }
                Output::Close { conn } => self.sockets.close(conn),
                Output::Response { id, tag, result } => self.finished.push_back((id, tag, result)),
                Output::Timeout(at) => return at,
            }
        }
    }

    fn feed(&mut self, wake: Wake) {
        let input = match wake {
            Wake::Connected(conn) => Input::Connected { conn },
            Wake::ConnectFailed(conn, error) => Input::ConnectFailed { conn, error },
            Wake::Data(conn, n) => Input::Data {
                conn,
                bytes: &self.buf[..n],
            },
            Wake::Eof(conn) => Input::Eof { conn },
            Wake::Failed(conn, error) => Input::Failed { conn, error },
            // `run_outputs` reads the clock.
            Wake::Time => return,
        };
        self.agent.handle_input(input);
    }
}
