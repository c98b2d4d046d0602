//! A minimal blocking driver: a loop over `Agent::poll_output` with std::net sockets.
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use webqq_proto::http1::{
    Agent, ConnId, Input, Origin, Output, RequestError, RequestId, RequestOptions, Response, Scheme,
};

/// Bytes read per `read` call by a connection's reader thread.
const READ_CHUNK: usize = 16 * 1024;
/// A write blocked this long (a peer that stopped reading) fails the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// A finished request: its id, its tag and its outcome.
pub type Finished<T> = (RequestId, T, Result<Box<Response>, RequestError>);

/// What the helper threads report.
enum Event {
    Connected(ConnId, TcpStream),
    ConnectFailed(ConnId, io::ErrorKind),
    Data(ConnId, Vec<u8>),
    Eof(ConnId),
    Failed(ConnId, io::ErrorKind),
}

/// Runs an [`Agent`] on blocking sockets.
pub struct Driver<T> {
    agent: Agent<T>,
    streams: HashMap<ConnId, TcpStream>,
    connecting: HashSet<ConnId>,
    resolve: HashMap<(String, u16), SocketAddr>,
    connect_timeout: Duration,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    finished: VecDeque<Finished<T>>,
}

impl<T> Driver<T> {
    /// A driver for `agent`. Connection attempts give up after `connect_timeout` (the agent
    /// enforces its own connect deadline too).
    pub fn new(agent: Agent<T>, connect_timeout: Duration) -> Self {
        let (tx, rx) = mpsc::channel();
        Driver {
            agent,
            streams: HashMap::new(),
            connecting: HashSet::new(),
            resolve: HashMap::new(),
            connect_timeout,
            tx,
            rx,
            finished: VecDeque::new(),
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
            let wake = self.run_outputs();
            if !self.finished.is_empty() {
                continue;
            }
            if self.agent.pending() == 0 {
                return None;
            }
            let wait = wake.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(wait) {
                Ok(event) => self.feed(event),
                Err(RecvTimeoutError::Timeout) => {
                    self.agent.handle_input(Input::Time(Instant::now()))
                }
                Err(RecvTimeoutError::Disconnected) => unreachable!("the driver holds a sender"),
            }
        }
    }

    /// Runs every request to completion and returns them in the order they finished.
    pub fn run_all(&mut self) -> Vec<Finished<T>> {
        std::iter::from_fn(|| self.next_response()).collect()
    }

    /// Carries out outputs until the agent returns a timeout; returns its instant.
    fn run_outputs(&mut self) -> Instant {
        loop {
            match self.agent.poll_output(Instant::now()) {
                Output::Connect { conn, origin } => self.connect(conn, origin),
                Output::Write { conn, bytes } => {
                    let result = match self.streams.get_mut(&conn) {
                        Some(stream) => stream.write_all(&bytes),
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
                    if let Some(stream) = self.streams.remove(&conn) {
                        let _ = stream.shutdown(Shutdown::Both);
                    }
                }
                Output::Response { id, tag, result } => self.finished.push_back((id, tag, result)),
                Output::Timeout(at) => return at,
            }
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
                    Ok(reader) => {
                        spawn_reader(conn, reader, self.tx.clone());
                        self.streams.insert(conn, stream);
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
            Event::Data(conn, bytes) => self.agent.handle_input(Input::Data {
                conn,
                bytes: &bytes,
            }),
            Event::Eof(conn) => self.agent.handle_input(Input::Eof { conn }),
            Event::Failed(conn, error) => self.agent.handle_input(Input::Failed { conn, error }),
        }
    }
}

/// Reads `stream` until EOF or an error, idle time included (that is how a server's close of
/// an idle connection is noticed early: keepalive-race.md §1).
fn spawn_reader(conn: ConnId, mut stream: TcpStream, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut buf = vec![0; READ_CHUNK];
        loop {
            let event = match stream.read(&mut buf) {
                Ok(0) => Event::Eof(conn),
                Ok(n) => Event::Data(conn, buf[..n].to_vec()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Event::Failed(conn, e.kind()),
            };
            let last = !matches!(event, Event::Data(..));
            if tx.send(event).is_err() || last {
                return;
            }
        }
    });
}
