//! Hosting the sans-IO emulator on sockets (issue 5, item 7): one task owns the
//! [`Emulator`]; an accept loop per listener (plain TCP, or TLS with a certificate made by
//! rcgen) starts a connection task per client that feeds it bytes and writes what it answers.
use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_io::{Async, Timer};
use bytes::Bytes;
use futures_rustls::TlsAcceptor;
use futures_rustls::rustls::ServerConfig;
use smol::channel::{self, Receiver, Sender};
use smol::future::FutureExt;
use webqq_proto::emulator::{ConnId, Emulator, EmulatorConfig, Event, Input, Output};

use crate::driver::Spawner;
use crate::net::{self, Read};

/// Queued inputs for the emulator task before connection tasks wait.
const INBOX: usize = 4096;
/// Emulator events buffered per subscriber; later ones are dropped while it is behind.
const EVENT_BUFFER: usize = 4096;

type Job = Box<dyn FnOnce(&mut Emulator) + Send>;

enum Msg {
    Accepted { conn: ConnId, writes: Sender<Bytes> },
    Read { conn: ConnId, read: Read },
    Control(Job),
    Subscribe(Sender<Event>),
}

/// A running emulator. Dropping it stops it and every listener it serves.
pub struct EmulatorHost {
    to_core: Sender<Msg>,
    spawner: Spawner,
    next_conn: Arc<AtomicU64>,
    tasks: Vec<smol::Task<()>>,
}

impl std::fmt::Debug for EmulatorHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHost")
            .field("listeners", &(self.tasks.len() - 1))
            .finish_non_exhaustive()
    }
}

impl EmulatorHost {
    /// Starts the emulator on smol's global executor.
    pub fn start(config: EmulatorConfig) -> Result<Self, webqq_proto::emulator::world::WorldError> {
        EmulatorHost::start_on(&Spawner::Global, config)
    }

    /// Starts the emulator with its tasks on `spawner`.
    pub fn start_on(
        spawner: &Spawner,
        config: EmulatorConfig,
    ) -> Result<Self, webqq_proto::emulator::world::WorldError> {
        let emu = Emulator::new(config, Instant::now())?;
        let (to_core, inbox) = channel::bounded(INBOX);
        let task = spawner.spawn(run(emu, inbox));
        Ok(EmulatorHost {
            to_core,
            spawner: spawner.clone(),
            next_conn: Arc::new(AtomicU64::new(1)),
            tasks: vec![task],
        })
    }

    /// Serves plain HTTP on `addr` (port 0: any); returns the bound address.
    pub fn listen(&mut self, addr: SocketAddr) -> io::Result<SocketAddr> {
        self.serve(addr, None)
    }

    /// Serves HTTPS on `addr` with `tls` (see [`crate::tls::emulator_identity`]).
    pub fn listen_tls(
        &mut self,
        addr: SocketAddr,
        tls: Arc<ServerConfig>,
    ) -> io::Result<SocketAddr> {
        self.serve(addr, Some(TlsAcceptor::from(tls)))
    }

    fn serve(&mut self, addr: SocketAddr, tls: Option<TlsAcceptor>) -> io::Result<SocketAddr> {
        let listener = Async::<TcpListener>::bind(addr)?;
        let local = listener.get_ref().local_addr()?;
        let to_core = self.to_core.clone();
        let next = Arc::clone(&self.next_conn);
        let spawner = self.spawner.clone();
        let task = self.spawner.spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("accept on {local}: {e}");
                        Timer::after(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.get_ref().set_nodelay(true);
                let conn = ConnId(next.fetch_add(1, Ordering::Relaxed));
                tracing::trace!(?conn, %peer, "accepted");
                let to_core = to_core.clone();
                let tls = tls.clone();
                spawner
                    .spawn(async move {
                        let stream = match tls {
                            Some(acceptor) => match acceptor.accept(tcp).await {
                                Ok(s) => net::Connection::Tls(Box::new(s)),
                                Err(e) => {
                                    tracing::debug!(%peer, "TLS handshake failed: {e}");
                                    return;
                                }
                            },
                            None => net::Connection::Plain(tcp),
                        };
                        let (writes, queue) = channel::unbounded();
                        if to_core.send(Msg::Accepted { conn, writes }).await.is_ok() {
                            net::pump(stream, queue, to_core, move |read| Msg::Read { conn, read })
                                .await;
                        }
                    })
                    .detach();
            }
        });
        self.tasks.push(task);
        Ok(local)
    }

    /// Runs `f` on the emulator (the control API: `say`, `inject`, `sent`, `qr_confirm`,
    /// `kick`, `set_faults` …) and returns its result; its outputs are carried out after.
    pub async fn control<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Emulator) -> R + Send + 'static,
    ) -> R {
        let (tx, rx) = channel::bounded(1);
        let job: Job = Box::new(move |emu| {
            let _ = tx.try_send(f(emu));
        });
        self.to_core
            .send(Msg::Control(job))
            .await
            .expect("the emulator task runs as long as its host");
        rx.recv()
            .await
            .expect("the emulator task answers every job")
    }

    /// A stream of the emulator's events from now on (logins, captchas, QR codes, sends,
    /// requests served). A subscriber that falls behind loses events, never stalls the server.
    pub async fn subscribe(&self) -> Receiver<Event> {
        let (tx, rx) = channel::bounded(EVENT_BUFFER);
        let _ = self.to_core.send(Msg::Subscribe(tx)).await;
        rx
    }
}

async fn run(mut emu: Emulator, inbox: Receiver<Msg>) {
    let mut writers: HashMap<ConnId, Sender<Bytes>> = HashMap::new();
    let mut subscribers: Vec<Sender<Event>> = Vec::new();
    let mut timer = Timer::never();
    loop {
        // Carry out everything, then sleep until the next deadline or message.
        let deadline = loop {
            match emu.poll_output() {
                Output::Write { conn, bytes } => {
                    if let Some(w) = writers.get(&conn) {
                        let _ = w.try_send(bytes);
                    }
                }
                // The writer flushes what is queued, then shuts the stream down.
                Output::Close { conn } => drop(writers.remove(&conn)),
                Output::Event(e) => {
                    subscribers.retain(|s| !s.is_closed());
                    for s in &subscribers {
                        let _ = s.try_send(e.clone());
                    }
                }
                Output::Timeout(at) => break at,
            }
        };
        timer.set_at(deadline);
        let msg = async { Some(inbox.recv().await) }
            .or(async {
                (&mut timer).await;
                None
            })
            .await;
        let now = Instant::now();
        match msg {
            None => emu.handle_input(now, Input::Time),
            Some(Err(_)) => return,
            Some(Ok(Msg::Accepted { conn, writes })) => {
                writers.insert(conn, writes);
                emu.handle_input(now, Input::Accepted { conn });
            }
            Some(Ok(Msg::Read { conn, read })) => match read {
                Read::Data(bytes) => emu.handle_input(
                    now,
                    Input::Data {
                        conn,
                        bytes: bytes.into(),
                    },
                ),
                Read::Eof | Read::Failed => {
                    emu.handle_input(now, Input::Eof { conn });
                    writers.remove(&conn);
                }
            },
            Some(Ok(Msg::Control(job))) => {
                emu.handle_input(now, Input::Time);
                job(&mut emu);
            }
            Some(Ok(Msg::Subscribe(tx))) => subscribers.push(tx),
        }
    }
}
