//! The client driver (issue 6, item 2): a [`Session`] owns a [`Client`] on a thread that
//! runs its `poll_output` loop. Each `Connect` starts a connection thread (see
//! [`net`](crate::net)) that reports to the driver's channel; the driver waits on that
//! channel with the next deadline as timeout, writes on its own thread, drops a connection
//! on `Close` and hands events to the application. No HTTP or WebQQ decision is made here.
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use rustls::ClientConfig as TlsConfig;
pub use webqq_proto::client::SendOutcome;
pub use webqq_proto::client::adapter::Stopped;
use webqq_proto::client::{Input, Output};
use webqq_proto::http1::{ConnId, Scheme};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Event, MessageHandle};
use webqq_proto::{Client, ClientConfig, ClientState};

use crate::net::{self, Report, Writer};
use crate::resolve::Resolver;

/// Events buffered for the application before the driver waits for it to catch up.
pub const EVENT_BUFFER: usize = 1024;
/// Reports and commands queued for the driver before connection threads wait.
pub const INBOX: usize = 1024;

/// Everything to start a [`Session`].
#[derive(Clone)]
pub struct SessionConfig {
    /// The core's configuration (account, profile, seed, limits).
    pub client: ClientConfig,
    /// Saved state to resume instead of logging in (see [`Session::export_state`]).
    pub resume: Option<ClientState>,
    /// Host overrides.
    pub resolver: Resolver,
    /// TLS for https origins; `None`: the webpki roots only.
    pub tls: Option<Arc<TlsConfig>>,
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("client", &self.client)
            .field("resume", &self.resume.as_ref().map(|_| "<state>"))
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

impl SessionConfig {
    /// A session for `client` with no overrides and the webpki roots.
    pub fn new(client: ClientConfig) -> Self {
        SessionConfig {
            client,
            resume: None,
            resolver: Resolver::new(),
            tls: None,
        }
    }

    /// Trusts the CA certificates of a PEM file besides the webpki roots.
    pub fn trust_ca_file(mut self, path: impl Into<PathBuf>) -> std::io::Result<Self> {
        self.tls = Some(crate::tls::client_config(Some(&path.into()))?);
        Ok(self)
    }
}

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// What the handle and the connection threads tell the driver.
enum Msg {
    Send {
        target: Target,
        message: Message,
        reply: SyncSender<SendOutcome>,
    },
    Job(Job),
    Stop,
    Conn(ConnId, Report),
}

/// A running WebQQ session. Dropping it stops the session and closes its connections.
pub struct Session {
    to_driver: SyncSender<Msg>,
    events: Receiver<Event>,
    stop: Arc<AtomicBool>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// Starts a session on a thread of its own: it logs in (or resumes) at once.
    pub fn start(config: SessionConfig) -> std::io::Result<Session> {
        let tls = match config.tls.clone() {
            Some(tls) => tls,
            None => crate::tls::client_config(None)?,
        };
        let (to_driver, inbox) = mpsc::sync_channel(INBOX);
        let (events_tx, events) = mpsc::sync_channel(EVENT_BUFFER);
        let driver = Driver {
            client: Client::new(config.client, Instant::now()),
            resolver: Arc::new(config.resolver),
            tls,
            to_self: to_driver.clone(),
            events: events_tx,
            conns: HashMap::new(),
            waiters: HashMap::new(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stop_seen = Arc::clone(&stop);
        let resume = config.resume;
        thread::Builder::new()
            .name("webqq-session".into())
            .spawn(move || driver.run(resume, inbox, &stop_seen))?;
        Ok(Session {
            to_driver,
            events,
            stop,
        })
    }

    /// The next event, waiting for it; `None` once the session has stopped and every event
    /// was taken.
    pub fn recv(&self) -> Option<Event> {
        self.events.recv().ok()
    }

    /// The next event if one comes within `timeout`: `Ok(None)` when none did.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Event>, Stopped> {
        match self.events.recv_timeout(timeout) {
            Ok(e) => Ok(Some(e)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(Stopped),
        }
    }

    /// The events as a blocking iterator; it ends when the session stops.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.events.iter()
    }

    /// Queues a message and waits for its outcome. The outcome's event also appears among
    /// the events.
    pub fn send(&self, target: Target, message: Message) -> Result<SendOutcome, Stopped> {
        let (reply, outcome) = mpsc::sync_channel(1);
        self.to_driver
            .send(Msg::Send {
                target,
                message,
                reply,
            })
            .map_err(|_| Stopped)?;
        outcome.recv().map_err(|_| Stopped)
    }

    /// Runs `f` on the client in the session's thread (contacts, phase, statistics, captcha
    /// answers, logout …) and returns its result.
    pub fn with_client<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> R + Send + 'static,
    ) -> Result<R, Stopped> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        self.to_driver.send(Msg::Job(job)).map_err(|_| Stopped)?;
        rx.recv().map_err(|_| Stopped)
    }

    /// Answers [`Event::CaptchaRequired`].
    pub fn submit_captcha(&self, code: &str) -> Result<(), Stopped> {
        let code = code.to_string();
        self.with_client(move |c| c.submit_captcha(&code))
    }

    /// The state to resume from later (`None` unless online). It holds secrets.
    pub fn export_state(&self) -> Result<Option<ClientState>, Stopped> {
        self.with_client(|c| c.export_state().and_then(Result::ok))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Only a wake-up (the flag is what counts), so never wait for room in a full inbox.
        let _ = self.to_driver.try_send(Msg::Stop);
    }
}

/// One connection as the driver sees it.
enum Conn {
    /// Its thread is connecting.
    Opening,
    /// Open.
    Open(Writer),
}

struct Driver {
    client: Client,
    resolver: Arc<Resolver>,
    tls: Arc<TlsConfig>,
    to_self: SyncSender<Msg>,
    events: SyncSender<Event>,
    conns: HashMap<ConnId, Conn>,
    waiters: HashMap<MessageHandle, SyncSender<SendOutcome>>,
}

impl Driver {
    fn run(mut self, resume: Option<ClientState>, inbox: Receiver<Msg>, stop: &AtomicBool) {
        self.client.handle_input(Input::Time(Instant::now()));
        match resume.map(|state| self.client.import_state(state)) {
            Some(Ok(())) => {}
            // An unusable saved state: log in afresh (the core said why in its error).
            Some(Err(_)) | None => self.client.start(),
        }
        loop {
            let Some(deadline) = self.drain() else {
                return; // the application dropped its handle
            };
            let wait = deadline.saturating_duration_since(Instant::now());
            let msg = match inbox.recv_timeout(wait) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            if stop.load(Ordering::Relaxed) {
                return;
            }
            self.client.handle_input(Input::Time(Instant::now()));
            if let Some(msg) = msg {
                self.handle(msg);
            }
        }
    }

    /// Carries out outputs until the next deadline; `None` once nobody takes events.
    fn drain(&mut self) -> Option<Instant> {
        loop {
            match self.client.poll_output() {
                Output::Connect { conn, origin } => {
                    let tls = (origin.scheme == Scheme::Https).then(|| Arc::clone(&self.tls));
                    let opened = net::open(
                        Arc::clone(&self.resolver),
                        origin.host,
                        origin.port,
                        tls,
                        self.to_self.clone(),
                        move |report| Msg::Conn(conn, report),
                    );
                    match opened {
                        Ok(()) => drop(self.conns.insert(conn, Conn::Opening)),
                        Err(e) => self.client.handle_input(Input::ConnectFailed {
                            conn,
                            error: e.kind(),
                        }),
                    }
                }
                Output::Write { conn, bytes } => {
                    if let Some(Conn::Open(writer)) = self.conns.get_mut(&conn)
                        && let Err(e) = writer.write_all(&bytes)
                    {
                        self.client.handle_input(Input::Failed {
                            conn,
                            error: e.kind(),
                        });
                    }
                }
                // Dropping the writer shuts the socket down; the reader thread then ends.
                Output::Close { conn } => drop(self.conns.remove(&conn)),
                Output::Event(e) => {
                    if let Some((handle, outcome)) = SendOutcome::of(&e)
                        && let Some(w) = self.waiters.remove(&handle)
                    {
                        let _ = w.try_send(outcome);
                    }
                    self.events.send(e).ok()?;
                }
                Output::Timeout(at) => return Some(at),
            }
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Send {
                target,
                message,
                reply,
            } => {
                let handle = self.client.send(target, message);
                self.waiters.insert(handle, reply);
            }
            Msg::Job(job) => job(&mut self.client),
            Msg::Stop => {}
            Msg::Conn(conn, report) => self.report(conn, report),
        }
    }

    fn report(&mut self, conn: ConnId, report: Report) {
        // Reports for a connection the client closed are not wanted.
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        let input = match report {
            Report::Connected(writer) => {
                *state = Conn::Open(writer);
                Input::Connected { conn }
            }
            Report::ConnectFailed(error) => {
                self.conns.remove(&conn);
                Input::ConnectFailed { conn, error }
            }
            Report::Data(bytes) => {
                self.client.handle_input(Input::Data {
                    conn,
                    bytes: &bytes,
                });
                return;
            }
            Report::Eof => Input::Eof { conn },
            Report::Failed(error) => Input::Failed { conn, error },
        };
        self.client.handle_input(input);
    }
}
