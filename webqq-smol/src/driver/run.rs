//! The driver task: the `poll_output` loop of one client.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_io::Timer;
use bytes::Bytes;
use futures_rustls::rustls::ClientConfig as TlsConfig;
use smol::channel::{self, Receiver, Sender};
use smol::future::FutureExt;
use webqq_proto::client::{Input, Output};
use webqq_proto::http1::{ConnId, Origin, Scheme};
use webqq_proto::webqq::session::{Event, MessageHandle};
use webqq_proto::{Client, ClientConfig};

use super::{Msg, NetStats, SendJob, SendOutcome, SessionConfig, Spawner};
use crate::net::{self, Read};
use crate::resolve::Resolver;

/// One connection as the driver sees it.
enum Conn {
    /// The task is resolving / connecting / handshaking.
    Opening(smol::Task<()>),
    /// Open: its write queue and task, and when a write last found it quiet.
    Open {
        writes: Sender<Bytes>,
        task: smol::Task<()>,
        awaiting_since: Option<Instant>,
    },
}

pub(crate) struct Driver {
    client: Client,
    resume: Option<webqq_proto::ClientState>,
    resolver: Arc<Resolver>,
    tls: Option<Arc<TlsConfig>>,
    spawner: Spawner,
    to_self: Sender<Msg>,
    events: super::events::EventSender,
    conns: HashMap<ConnId, Conn>,
    waiters: HashMap<MessageHandle, Sender<(MessageHandle, SendOutcome)>>,
    stats: NetStats,
}

impl Driver {
    pub(crate) fn new(
        config: SessionConfig,
        spawner: Spawner,
        to_self: Sender<Msg>,
        events: super::events::EventSender,
    ) -> Driver {
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
            resolver: Arc::new(resolver),
            tls,
            spawner,
            to_self,
            events,
            conns: HashMap::new(),
            waiters: HashMap::new(),
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
        let mut timer = Timer::never();
        loop {
            self.client.handle_input(Input::Time(Instant::now()));
            let deadline = self.drain().await;
            timer.set_at(deadline);
            let msg = async { inbox.recv().await.ok() }
                .or(async {
                    (&mut timer).await;
                    None
                })
                .await;
            if let Some(msg) = msg {
                self.handle(msg);
            }
        }
    }

    /// Carries out outputs until the next deadline.
    async fn drain(&mut self) -> Instant {
        loop {
            match self.client.poll_output() {
                Output::Connect { conn, origin } => self.open(conn, origin),
                Output::Write { conn, bytes } => {
                    if let Some(Conn::Open {
                        writes,
                        awaiting_since,
                        ..
                    }) = self.conns.get_mut(&conn)
                    {
                        awaiting_since.get_or_insert_with(Instant::now);
                        let _ = writes.try_send(bytes);
                    }
                }
                Output::Close { conn } => match self.conns.remove(&conn) {
                    // Dropping the queue lets the writer flush and shut the stream down.
                    Some(Conn::Open { task, .. }) => task.detach(),
                    Some(Conn::Opening(task)) => drop(task),
                    None => {}
                },
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

    fn open(&mut self, conn: ConnId, origin: Origin) {
        let resolver = Arc::clone(&self.resolver);
        // `None` inside: plain TCP; an https origin without a TLS configuration fails to
        // connect rather than silently going plain.
        // An override to a plain listener (an emulator) makes even https origins plain TCP.
        let plain_override = || {
            self.resolver
                .overridden(&origin.host, origin.port)
                .is_some_and(|r| r.plain)
        };
        let tls = match origin.scheme {
            Scheme::Https if !plain_override() => Some(self.tls_config()),
            Scheme::Https | Scheme::Http => None,
        };
        let to_driver = self.to_self.clone();
        tracing::debug!(%conn, %origin, "connecting");
        let task = self.spawner.spawn(async move {
            let connected = match &tls {
                Some(None) => Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "no TLS configuration",
                )),
                Some(Some(config)) => {
                    net::connect(&resolver, &origin.host, origin.port, Some(config)).await
                }
                None => net::connect(&resolver, &origin.host, origin.port, None).await,
            };
            match connected {
                Ok(stream) => {
                    let (writes, queue) = channel::unbounded();
                    if to_driver
                        .send(Msg::Connected { conn, writes })
                        .await
                        .is_ok()
                    {
                        net::pump(stream, queue, to_driver, move |read| Msg::Read {
                            conn,
                            read,
                        })
                        .await;
                    }
                }
                Err(e) => {
                    tracing::debug!(%conn, %origin, "connect failed: {e}");
                    let error = e.kind();
                    let _ = to_driver.send(Msg::ConnectFailed { conn, error }).await;
                }
            }
        });
        self.conns.insert(conn, Conn::Opening(task));
    }

    /// The session's TLS configuration, built at its first https connection: a default one
    /// holds the webpki roots and a resumption cache (about 23 KB), which a session that
    /// only speaks plain HTTP (e.g. to an emulator) never needs. `None`: it cannot be built.
    fn tls_config(&mut self) -> Option<Arc<TlsConfig>> {
        if self.tls.is_none() {
            self.tls = crate::tls::client_config(None).ok();
        }
        self.tls.clone()
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
            Msg::Connected { conn, writes } => {
                let Some(Conn::Opening(task)) = self.conns.remove(&conn) else {
                    return; // closed meanwhile: dropping `writes` ends the task
                };
                self.stats.connected += 1;
                self.conns.insert(
                    conn,
                    Conn::Open {
                        writes,
                        task,
                        awaiting_since: None,
                    },
                );
                self.client.handle_input(Input::Connected { conn });
            }
            Msg::ConnectFailed { conn, error } => {
                if self.conns.remove(&conn).is_some() {
                    self.stats.connect_failed += 1;
                    self.client
                        .handle_input(Input::ConnectFailed { conn, error });
                }
            }
            Msg::Read { conn, read } => {
                let Some(Conn::Open { awaiting_since, .. }) = self.conns.get_mut(&conn) else {
                    return; // closed by the client: no more inputs wanted
                };
                if let Some(since) = awaiting_since.take() {
                    self.stats.latency.record(since.elapsed());
                }
                match read {
                    Read::Data(bytes) => self.client.handle_input(Input::Data {
                        conn,
                        bytes: &bytes,
                    }),
                    Read::Eof => self.client.handle_input(Input::Eof { conn }),
                    Read::Failed(error) => self.client.handle_input(Input::Failed { conn, error }),
                }
            }
        }
    }
}
