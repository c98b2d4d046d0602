//! The driver task: the `poll_output` loop of one client, its connections polled by the task
//! itself ([`Sockets`]): no task, channel or buffer per connection or read.
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::future::poll_fn;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use smol::channel::{Receiver, Sender};
use smol::future::FutureExt;
use webqq_proto::client::{Input, Output};
use webqq_proto::http1::ConnId;
use webqq_proto::webqq::session::{Event, MessageHandle};
use webqq_proto::{Client, ClientConfig};

use super::events::EventSender;
use super::{Msg, NetStats, SendJob, SendOutcome, SessionConfig};
use crate::net::READ_CHUNK;
use crate::sockets::{Sockets, Wake};

thread_local! {
    /// The read buffer of every session polled on this thread. A read's bytes are handed to
    /// the client in the same poll that read them, so no session holds a buffer between
    /// polls (10,000 sessions with 16 KiB each would hold 160 MB).
    static READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

pub(crate) struct Driver {
    client: Client,
    resume: Option<webqq_proto::ClientState>,
    sockets: Sockets,
    events: EventSender,
    waiters: HashMap<MessageHandle, Sender<(MessageHandle, SendOutcome)>>,
    /// When a write last found each connection quiet (no response awaited): the start of a
    /// latency sample, ended by the next read.
    awaiting_since: BTreeMap<ConnId, Instant>,
    stats: NetStats,
}

/// What ended a wait.
enum Woke {
    Handle(Option<Msg>),
    /// A connection or the timer woke the task; what it found was fed to the client.
    Socket,
}

impl Driver {
    pub(crate) fn new(config: SessionConfig, events: EventSender) -> Driver {
        let SessionConfig {
            client,
            resume,
            resolver,
            tls,
        } = config;
        let client_config: ClientConfig = client;
        Driver {
            client: Client::new(client_config, Instant::now()),
            resume,
            sockets: Sockets::new(resolver, tls),
            events,
            waiters: HashMap::new(),
            awaiting_since: BTreeMap::new(),
            stats: NetStats::default(),
        }
    }

    /// The task's body. The driver is boxed: an async fn keeps its arguments in its state
    /// beside the moved-in locals, and an inline driver (3.4 KB, the `Client` most of it) was
    /// held twice per session.
    pub(crate) async fn run(mut self: Box<Self>, inbox: Receiver<Msg>) {
        self.client.handle_input(Input::Time(Instant::now()));
        match self.resume.take() {
            Some(state) => {
                if let Err(e) = self.client.import_state(state) {
                    tracing::warn!("saved state unusable ({e}); logging in afresh");
                    self.client.start();
                }
            }
            None => self.client.start(),
        }
        loop {
            self.client.handle_input(Input::Time(Instant::now()));
            let deadline = self.drain().await;
            self.sockets.arm(deadline);
            // The handle first: its messages are few, and a busy connection must not
            // starve them.
            let woke = async { Woke::Handle(inbox.recv().await.ok()) }
                .or(poll_fn(|cx| self.poll_sockets(cx)))
                .await;
            match woke {
                Woke::Handle(Some(msg)) => self.handle(msg),
                // Every handle is gone: nobody can read events or stop the session.
                Woke::Handle(None) => return,
                Woke::Socket => {}
            }
        }
    }

    /// Carries out outputs until the next deadline.
    async fn drain(&mut self) -> Instant {
        loop {
            match self.client.poll_output() {
                Output::Connect { conn, origin } => {
                    tracing::debug!(%conn, %origin, "connecting");
                    self.sockets.open(conn, origin);
                }
                Output::Write { conn, bytes } => match self.sockets.write(conn, bytes) {
                    Ok(()) => {
                        self.awaiting_since.entry(conn).or_insert_with(Instant::now);
                    }
                    Err(error) => self.client.handle_input(Input::Failed { conn, error }),
                },
                Output::Close { conn } => {
                    self.sockets.close(conn);
                    self.awaiting_since.remove(&conn);
                }
                Output::Event(e) => {
                    self.resolve_waiter(&e);
                    // Waits while the application is behind (only this session waits); fails
                    // only once the handle, and with it this task, is being dropped.
                    let _ = self.events.send(e).await;
                }
                Output::Timeout(at) => return at,
            }
        }
    }

    fn resolve_waiter(&mut self, e: &Event) {
        if let Some((handle, outcome)) = SendOutcome::of(e)
            && let Some(w) = self.waiters.remove(&handle)
        {
            let _ = w.try_send((handle, outcome));
        }
    }

    fn handle(&mut self, msg: Msg) {
        self.client.handle_input(Input::Time(Instant::now()));
        match msg {
            Msg::Send(job) => {
                let SendJob {
                    target,
                    message,
                    reply,
                } = *job;
                let handle = self.client.send(target, message);
                self.waiters.insert(handle, reply);
            }
            Msg::Inspect(job) => job(&mut self.client, &self.stats),
        }
    }

    /// Polls the connections and the timer; what they found is fed to the client within
    /// this poll, from the thread's read buffer.
    fn poll_sockets(&mut self, cx: &mut Context<'_>) -> Poll<Woke> {
        READ_BUF.with_borrow_mut(|buf| {
            let wake = ready!(self.sockets.poll_wake(cx, buf));
            self.feed(wake, buf);
            Poll::Ready(Woke::Socket)
        })
    }

    /// Hands `wake` to the client; the bytes of `Data` are in `buf`.
    fn feed(&mut self, wake: Wake, buf: &[u8]) {
        self.client.handle_input(Input::Time(Instant::now()));
        let input = match wake {
            Wake::Connected(conn) => {
                self.stats.connected += 1;
                Input::Connected { conn }
            }
            Wake::ConnectFailed(conn, error) => {
                tracing::debug!(%conn, "connect failed: {error}");
                self.stats.connect_failed += 1;
                Input::ConnectFailed { conn, error }
            }
            Wake::Data(conn, n) => {
                self.sample_latency(conn);
                Input::Data {
                    conn,
                    bytes: &buf[..n],
                }
            }
            Wake::Eof(conn) => {
                self.sample_latency(conn);
                Input::Eof { conn }
            }
            Wake::Failed(conn, error) => {
                self.sample_latency(conn);
                Input::Failed { conn, error }
            }
            // The clock was read above.
            Wake::Time => return,
        };
        self.client.handle_input(input);
    }

    /// Ends the latency sample of `conn`, if one is running.
    fn sample_latency(&mut self, conn: ConnId) {
        if let Some(since) = self.awaiting_since.remove(&conn) {
            self.stats.latency.record(since.elapsed());
        }
    }
}
