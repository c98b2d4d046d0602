//! A minimal blocking driver: a loop over `Agent::poll_output` with std::net sockets.
//!
//! Every socket read happens on the driving thread. Reading a response there, rather than on
//! a reader thread that forwards it through a channel, saves a thread hop per response: a
//! futex wake-up and a context switch, which on a loaded or single CPU also waits for the
//! scheduler. So when exactly one connection is waiting for a response and no connection
//! attempt is in flight (a session's usual state), the driver blocks in `read` on that socket,
//! with a read timeout no later than the agent's next deadline.
//!
//! Waiting on several sockets at once is what std cannot do without threads: for that each
//! connection has a watcher thread that, when armed, blocks in `peek` (which consumes
//! nothing) and reports that the socket is readable; the driver then reads it without
//! blocking. Watchers are armed only when the driver is about to block, so a connection used
//! back to back never wakes its watcher; an idle connection left unwatched for a while is
//! probed (a non-blocking read) before the agent may reuse it, so that a server's close of an
//! idle connection is still noticed before a request is written to it (keepalive-race.md §1).
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use webqq_proto::http1::{
    Agent, ConnId, ConnState, Input, Origin, Output, PreparedRequest, RequestError, RequestId,
    RequestOptions, Response, Scheme,
};

/// Bytes read per `read` call.
const READ_CHUNK: usize = 16 * 1024;
/// A write blocked this long (a peer that stopped reading) fails the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// An idle connection nobody watched for longer than this is probed before the agent may hand
/// it a request. Servers close idle connections after seconds; within a millisecond of its
/// last response a connection is as good as known alive (and the agent's retry rules cover the
/// race that remains).
const PROBE_IDLE_AFTER: Duration = Duration::from_millis(1);
/// The shortest read timeout set (a zero timeout means "none" to the socket layer).
const MIN_READ_TIMEOUT: Duration = Duration::from_micros(100);

/// A finished request: its id, its tag and its outcome.
pub type Finished<T> = (RequestId, T, Result<Box<Response>, RequestError>);

/// What the helper threads report.
enum Event {
    Connected(ConnId, TcpStream),
    ConnectFailed(ConnId, io::ErrorKind),
    /// The connection's watcher saw bytes, EOF or an error waiting on the socket.
    Readable(ConnId),
}

/// One established connection.
struct Socket {
    stream: TcpStream,
    /// Arms the watcher thread: it peeks once and reports [`Event::Readable`].
    arm: Sender<()>,
    /// The watcher is peeking (armed and not yet reported).
    armed: bool,
    /// The read timeout set on the socket.
    read_timeout: Option<Duration>,
    /// [`PROBE_IDLE_AFTER`] after it was last read (or connected): an idle connection left
    /// unwatched past this is probed before reuse. Kept as the instant rather than the read
    /// time, so that the check per request is a comparison, not a `duration_since`.
    probe_after: Instant,
}

/// Runs an [`Agent`] on blocking sockets.
pub struct Driver<T> {
    agent: Agent<T>,
    /// Ordered maps: a handful of entries, looked up several times per request, for which
    /// comparing two numbers beats hashing.
    sockets: BTreeMap<ConnId, Socket>,
    connecting: BTreeSet<ConnId>,
    resolve: HashMap<(String, u16), SocketAddr>,
    connect_timeout: Duration,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    finished: VecDeque<Finished<T>>,
    /// Read buffer, reused for every read (the agent copies what it keeps).
    buf: Vec<u8>,
    /// Scratch list of connection ids, reused.
    scratch: Vec<ConnId>,
}

impl<T> Driver<T> {
    /// A driver for `agent`. Connection attempts give up after `connect_timeout` (the agent
    /// enforces its own connect deadline too).
    pub fn new(agent: Agent<T>, connect_timeout: Duration) -> Self {
        let (tx, rx) = mpsc::channel();
        Driver {
            agent,
            sockets: BTreeMap::new(),
            connecting: BTreeSet::new(),
            resolve: HashMap::new(),
            connect_timeout,
            tx,
            rx,
            finished: VecDeque::new(),
            buf: vec![0; READ_CHUNK],
            scratch: Vec::new(),
        }
    }

    /// Connects to `addr` whenever the agent asks for `host:port` (curl's `--resolve`): the
    /// agent keeps the real name for `Host` and cookies.
    pub fn resolve(&mut self, host: &str, port: u16, addr: SocketAddr) {
        self.resolve.insert((host.to_ascii_lowercase(), port), addr);
    }

    /// The agent, to submit, cancel, or read stats and cookies.
    pub fn agent(&mut self) -> &mut Agent<T> {
        &mut self.agent
    }

    /// Submits a request (see [`Agent::submit`]).
    pub fn submit(
        &mut self,
        request: http::Request<Bytes>,
        options: RequestOptions<T>,
    ) -> RequestId {
        self.agent.submit(request, options)
    }

    /// Submits a prepared request (see [`Agent::submit_prepared`]).
    pub fn submit_prepared(
        &mut self,
        request: &PreparedRequest,
        options: RequestOptions<T>,
    ) -> RequestId {
        self.agent.submit_prepared(request, options)
    }

    /// Drives the agent until a request finishes and returns it, or `None` when no request
    /// is pending.
    pub fn next_response(&mut self) -> Option<Finished<T>> {
        loop {
            if let Some(done) = self.finished.pop_front() {
                return Some(done);
            }
            // Inputs that arrived meanwhile (an idle connection's EOF) go in first, so that the
            // agent does not hand a new request to a connection already known dead.
            while let Ok(event) = self.rx.try_recv() {
                self.feed(event);
            }
            self.probe_unwatched_idle();
            let wake = self.run_outputs();
            if !self.finished.is_empty() {
                continue;
            }
            if self.agent.pending() == 0 {
                return None;
            }
            let wait = wake.saturating_duration_since(Instant::now());
            match self.sole_busy() {
                Some(conn) => self.read_blocking(conn, wait),
                None => self.wait_for_event(wait),
            }
        }
    }

    /// Runs every request to completion and returns them in the order they finished.
    pub fn run_all(&mut self) -> Vec<Finished<T>> {
        std::iter::from_fn(|| self.next_response()).collect()
    }

    /// Carries out outputs until the agent returns a timeout; returns its instant.
    fn run_outputs(&mut self) -> Instant {
        // One clock read for the whole run: carrying out outputs takes microseconds.
        let now = Instant::now();
        loop {
            match self.agent.poll_output(now) {
                Output::Connect { conn, origin } => self.connect(conn, origin),
                Output::Write { conn, bytes } => {
                    let result = match self.sockets.get_mut(&conn) {
                        Some(socket) => socket.stream.write_all(&bytes),
                        None => Err(io::ErrorKind::NotConnected.into()),
                    };
                    if let Err(e) = result {
                        self.agent.handle_input(Input::Failed {
                            conn,
                            error: e.kind(),
                        });
                    }
                }
                Output::Close { conn } => {
                    self.connecting.remove(&conn);
                    if let Some(socket) = self.sockets.remove(&conn) {
                        // Also wakes a watcher blocked in `peek`; dropping `arm` ends it.
                        let _ = socket.stream.shutdown(Shutdown::Both);
                    }
                }
                Output::Response { id, tag, result } => self.finished.push_back((id, tag, result)),
                Output::Timeout(at) => return at,
            }
        }
    }

    /// The one connection waiting for a response, when nothing else can happen meanwhile
    /// except on idle connections (whose watchers are armed).
    fn sole_busy(&mut self) -> Option<ConnId> {
        if !self.connecting.is_empty() {
            return None;
        }
        let mut busy = None;
        for (&conn, socket) in &mut self.sockets {
            let state = self.agent.conn_state(conn);
            if matches!(
                state,
                Some(ConnState::AwaitingHead | ConnState::ReadingBody)
            ) {
                if busy.replace(conn).is_some() {
                    return None;
                }
            } else if !socket.armed {
                socket.armed = socket.arm.send(()).is_ok();
            }
        }
        busy
    }

    /// Reads `conn` on this thread, blocking at most `wait`.
    fn read_blocking(&mut self, conn: ConnId, wait: Duration) {
        let Some(socket) = self.sockets.get_mut(&conn) else {
            return;
        };
        if wait < MIN_READ_TIMEOUT {
            return self.agent.handle_input(Input::Time(Instant::now()));
        }
        // The timeout set must not pass the deadline; it is changed (a system call) only when
        // it would, or when it is far shorter than needed.
        let keep = socket
            .read_timeout
            .is_some_and(|t| t <= wait && t * 4 >= wait);
        if !keep {
            if let Err(e) = socket.stream.set_read_timeout(Some(wait)) {
                let error = e.kind();
                return self.agent.handle_input(Input::Failed { conn, error });
            }
            socket.read_timeout = Some(wait);
        }
        let result = socket.stream.read(&mut self.buf);
        match result {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.agent.handle_input(Input::Time(Instant::now()))
            }
            other => self.feed_read(conn, other),
        }
    }

    /// Blocks until a helper thread reports or `wait` passes, every connection watched.
    fn wait_for_event(&mut self, wait: Duration) {
        for socket in self.sockets.values_mut() {
            if !socket.armed {
                socket.armed = socket.arm.send(()).is_ok();
            }
        }
        match self.rx.recv_timeout(wait) {
            Ok(event) => self.feed(event),
            Err(RecvTimeoutError::Timeout) => self.agent.handle_input(Input::Time(Instant::now())),
            Err(RecvTimeoutError::Disconnected) => unreachable!("the driver holds a sender"),
        }
    }

    /// Probes idle connections that nobody watched for a while: a server may have closed them.
    fn probe_unwatched_idle(&mut self) {
        let mut now = None;
        self.scratch.clear();
        for (&conn, socket) in &self.sockets {
            if !socket.armed && self.agent.conn_state(conn) == Some(ConnState::Idle) {
                let now = *now.get_or_insert_with(Instant::now);
                if now > socket.probe_after {
                    self.scratch.push(conn);
                }
            }
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        for conn in scratch.drain(..) {
            self.read_nonblocking(conn);
        }
        self.scratch = scratch;
    }

    /// Reads what `conn` holds without blocking. Only for a connection whose watcher is not
    /// peeking: the non-blocking mode is the socket's, shared with the watcher's handle.
    fn read_nonblocking(&mut self, conn: ConnId) {
        let Some(socket) = self.sockets.get_mut(&conn) else {
            return;
        };
        debug_assert!(!socket.armed);
        if let Err(e) = socket.stream.set_nonblocking(true) {
            let error = e.kind();
            return self.agent.handle_input(Input::Failed { conn, error });
        }
        let result = socket.stream.read(&mut self.buf);
        let restored = socket.stream.set_nonblocking(false);
        match (result, restored) {
            (Err(e), _) if e.kind() == io::ErrorKind::WouldBlock => {
                socket.probe_after = Instant::now() + PROBE_IDLE_AFTER;
            }
            (result, Ok(())) => self.feed_read(conn, result),
            (_, Err(e)) => self.agent.handle_input(Input::Failed {
                conn,
                error: e.kind(),
            }),
        }
    }

    /// Hands the outcome of a read of `conn` (into `self.buf`) to the agent.
    fn feed_read(&mut self, conn: ConnId, result: io::Result<usize>) {
        match result {
            Ok(0) => self.agent.handle_input(Input::Eof { conn }),
            Ok(n) => {
                if let Some(socket) = self.sockets.get_mut(&conn) {
                    socket.probe_after = Instant::now() + PROBE_IDLE_AFTER;
                }
                self.agent.handle_input(Input::Data {
                    conn,
                    bytes: &self.buf[..n],
                })
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self.agent.handle_input(Input::Failed {
                conn,
                error: e.kind(),
            }),
        }
    }

    fn connect(&mut self, conn: ConnId, origin: Origin) {
        if origin.scheme == Scheme::Https {
            // TLS is the adapter issue's (rustls); until then https cannot be driven here.
            self.agent.handle_input(Input::ConnectFailed {
                conn,
                error: io::ErrorKind::Unsupported,
            });
            return;
        }
        self.connecting.insert(conn);
        let target = self
            .resolve
            .get(&(origin.host.clone(), origin.port))
            .copied();
        let (tx, timeout) = (self.tx.clone(), self.connect_timeout);
        thread::spawn(move || {
            let host = origin
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let addrs: Vec<SocketAddr> = match target {
                Some(addr) => vec![addr],
                None => (host.as_str(), origin.port)
                    .to_socket_addrs()
                    .map(Iterator::collect)
                    .unwrap_or_default(),
            };
            let mut error = io::ErrorKind::NotFound;
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, timeout) {
                    Ok(stream) => {
                        let _ = stream.set_nodelay(true);
                        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
                        let _ = tx.send(Event::Connected(conn, stream));
                        return;
                    }
                    Err(e) => error = e.kind(),
                }
            }
            let _ = tx.send(Event::ConnectFailed(conn, error));
        });
    }

    fn feed(&mut self, event: Event) {
        match event {
            Event::Connected(conn, stream) => {
                if !self.connecting.remove(&conn) {
                    return; // the agent gave up on it meanwhile
                }
                match stream.try_clone() {
                    Ok(watched) => {
                        let (arm, armed) = mpsc::channel();
                        spawn_watcher(conn, watched, armed, self.tx.clone());
                        let socket = Socket {
                            stream,
                            arm,
                            armed: false,
                            read_timeout: None,
                            probe_after: Instant::now() + PROBE_IDLE_AFTER,
                        };
                        self.sockets.insert(conn, socket);
                        self.agent.handle_input(Input::Connected { conn });
                    }
                    Err(e) => self.agent.handle_input(Input::ConnectFailed {
                        conn,
                        error: e.kind(),
                    }),
                }
            }
            Event::ConnectFailed(conn, error) => {
                self.connecting.remove(&conn);
                self.agent
                    .handle_input(Input::ConnectFailed { conn, error });
            }
            Event::Readable(conn) => {
                if let Some(socket) = self.sockets.get_mut(&conn) {
                    socket.armed = false;
                    self.read_nonblocking(conn);
                }
            }
        }
    }
}

impl<T> Drop for Driver<T> {
    /// Shuts every socket down, so that watcher threads blocked in `peek` end too.
    fn drop(&mut self) {
        for socket in self.sockets.values() {
            let _ = socket.stream.shutdown(Shutdown::Both);
        }
    }
}

/// Each time it is armed, waits until `stream` has bytes, EOF or an error (without consuming
/// anything) and reports it. Ends when the driver drops the connection.
fn spawn_watcher(conn: ConnId, stream: TcpStream, armed: Receiver<()>, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut probe = [0u8; 1];
        while armed.recv().is_ok() {
            // A read timeout the driver set for its own reads ends a peek early: peek again.
            while let Err(e) = stream.peek(&mut probe) {
                use io::ErrorKind::{Interrupted, TimedOut, WouldBlock};
                if !matches!(e.kind(), Interrupted | TimedOut | WouldBlock) {
                    break;
                }
            }
            if tx.send(Event::Readable(conn)).is_err() {
                return;
            }
        }
    });
}
