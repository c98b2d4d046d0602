//! The driver task: the `poll_output` loop of one client, its connections polled by the task
//! itself ([`Sockets`]): no task, channel or buffer per connection or read.
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use smol::channel::{Receiver, Sender};
use smol::future::FutureExt;
use webqq_proto::client::{Input, Output};
use webqq_proto::http1::ConnId;
use webqq_proto::webqq::session::{Event, MessageHandle};
use webqq_proto::{Client, ClientConfig};

use super::{MAX_LATENCY_SAMPLES, Msg, NetStats, SendOutcome, SessionConfig};
use crate::sockets::{Sockets, Wake};

pub(crate) struct Driver {
    client: Client,
    resume: Option<webqq_proto::ClientState>,
    sockets: Sockets,
    events: Sender<Event>,
    waiters: HashMap<MessageHandle, Sender<SendOutcome>>,
    /// When a write last found each connection quiet (no response awaited): the start of a
    /// latency sample, ended by the next read.
    awaiting_since: BTreeMap<ConnId, Instant>,
    stats: NetStats,
    /// Where the next latency sample goes once the samples are full (the oldest one).
    next_sample: usize,
}

/// What ended a wait.
enum Woke {
    Handle(Option<Msg>),
    Socket(Wake),
}

impl Driver {
    pub(crate) fn new(config: SessionConfig, events: Sender<Event>) -> Driver {
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
            next_sample: 0,
        }
    }

    pub(crate) async fn run(mut self, inbox: Receiver<Msg>) {
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
            // The handle first: its messages are few, and a busy connection must not
            // starve them.
            let woke = async { Woke::Handle(inbox.recv().await.ok()) }
                .or(async { Woke::Socket(self.sockets.wait(deadline).await) })
                .await;
            match woke {
                Woke::Handle(Some(msg)) => self.handle(msg),
                // Every handle is gone: nobody can read events or stop the session.
                Woke::Handle(None) => return,
                Woke::Socket(wake) => self.feed(wake),
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
            let _ = w.try_send(outcome);
        }
    }

    fn handle(&mut self, msg: Msg) {
        self.client.handle_input(Input::Time(Instant::now()));
        match msg {
            Msg::Send {
                target,
                message,
                reply,
            } => {
                let handle = self.client.send(target, message);
                self.waiters.insert(handle, reply);
            }
            Msg::Inspect(job) => job(&mut self.client, &self.stats),
        }
    }

    fn feed(&mut self, wake: Wake) {
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
                    bytes: self.sockets.received(n),
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
        let Some(since) = self.awaiting_since.remove(&conn) else {
            return;
        };
        let latencies = &mut self.stats.latencies;
        if latencies.len() < MAX_LATENCY_SAMPLES {
            latencies.push(since.elapsed());
        } else {
            latencies[self.next_sample] = since.elapsed();
            self.next_sample = (self.next_sample + 1) % MAX_LATENCY_SAMPLES;
        }
    }
}
