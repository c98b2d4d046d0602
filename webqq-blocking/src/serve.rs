//! Hosting the sans-IO emulator on std::net (feature `emulator`), so that blocking programs
//! and tests need no async runtime: one thread owns the [`Emulator`] and writes what it
//! answers, an accept thread takes connections, and a reader thread per connection feeds
//! it what arrives.
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use webqq_proto::emulator::{ConnId, Emulator, Input, Output};

/// Inputs queued for the emulator's thread before reader threads wait.
const INBOX: usize = 4096;
/// Bytes read per call.
const READ_CHUNK: usize = 16 * 1024;
/// A client that stops reading for this long has its connection failed, so that it cannot
/// stall the emulator's thread for longer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause after a failed `accept`, so that a lasting failure does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

type Job = Box<dyn FnOnce(&mut Emulator) + Send>;

enum Msg {
    Accepted(ConnId, TcpStream),
    Data(ConnId, Vec<u8>),
    Eof(ConnId),
    Control(Job),
    Stop,
}

/// A running emulator on a listener. Dropping it stops the emulator and closes its
/// connections.
pub struct EmulatorServer {
    addr: SocketAddr,
    to_core: SyncSender<Msg>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for EmulatorServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Serves `emulator` on `listener` (plain HTTP; every virtual host on one port, see
/// [`Resolver::emulator`](crate::Resolver::emulator)).
pub fn serve(emulator: Emulator, listener: TcpListener) -> io::Result<EmulatorServer> {
    let addr = listener.local_addr()?;
    let (to_core, inbox) = mpsc::sync_channel(INBOX);
    let stop = Arc::new(AtomicBool::new(false));
    thread::Builder::new()
        .name("webqq-emulator".into())
        .spawn(move || run(emulator, inbox))?;
    let (tx, stopped) = (to_core.clone(), Arc::clone(&stop));
    thread::Builder::new()
        .name("webqq-emulator-accept".into())
        .spawn(move || accept(listener, tx, &stopped))?;
    Ok(EmulatorServer {
        addr,
        to_core,
        stop,
    })
}

impl EmulatorServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Runs `f` on the emulator (its control API: `say`, `captcha_answer`, `qr_confirm`,
    /// `force_retcode`, `set_faults`, `sent` …) and returns its result; the outputs it
    /// causes are carried out after.
    pub fn control<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Emulator) -> R + Send + 'static,
    ) -> R {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |emu| {
            let _ = tx.send(f(emu));
        });
        self.to_core
            .send(Msg::Control(job))
            .expect("the emulator thread runs as long as its server");
        rx.recv().expect("the emulator thread answers every job")
    }
}

impl Drop for EmulatorServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.to_core.send(Msg::Stop);
        // Wakes the accept thread so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn accept(listener: TcpListener, to_core: SyncSender<Msg>, stop: &AtomicBool) {
    let mut next = 1;
    for tcp in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(tcp) = tcp else {
            // Out of descriptors, say: give the connections a moment to end.
            thread::sleep(ACCEPT_BACKOFF);
            continue;
        };
        let conn = ConnId(next);
        next += 1;
        let (Ok(reader), Ok(())) = (tcp.try_clone(), tcp.set_write_timeout(Some(WRITE_TIMEOUT)))
        else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        if to_core.send(Msg::Accepted(conn, tcp)).is_err() {
            return;
        }
        let to_core = to_core.clone();
        let _ = thread::Builder::new()
            .name("webqq-emulator-conn".into())
            .spawn(move || read(conn, reader, &to_core));
    }
}

fn read(conn: ConnId, mut tcp: TcpStream, to_core: &SyncSender<Msg>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let msg = match tcp.read(&mut buf) {
            Ok(0) | Err(_) => Msg::Eof(conn),
            Ok(n) => Msg::Data(conn, buf[..n].to_vec()),
        };
        let last = matches!(msg, Msg::Eof(_));
        if to_core.send(msg).is_err() || last {
            return;
        }
    }
}

fn run(mut emu: Emulator, inbox: Receiver<Msg>) {
    let mut writers: HashMap<ConnId, TcpStream> = HashMap::new();
    loop {
        let deadline = loop {
            match emu.poll_output() {
                Output::Write { conn, bytes } => {
                    let failed = writers
                        .get_mut(&conn)
                        .is_some_and(|w| w.write_all(&bytes).is_err());
                    if failed {
                        close(&mut writers, conn, Shutdown::Both);
                        emu.handle_input(Instant::now(), Input::Eof { conn });
                    }
                }
                // The reader thread ends when the client closes its side in turn.
                Output::Close { conn } => close(&mut writers, conn, Shutdown::Write),
                Output::Event(_) => {}
                Output::Timeout(at) => break at,
            }
        };
        let msg = match inbox.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let now = Instant::now();
        match msg {
            None => emu.handle_input(now, Input::Time),
            Some(Msg::Accepted(conn, tcp)) => {
                writers.insert(conn, tcp);
                emu.handle_input(now, Input::Accepted { conn });
            }
            Some(Msg::Data(conn, bytes)) => emu.handle_input(
                now,
                Input::Data {
                    conn,
                    bytes: Bytes::from(bytes),
                },
            ),
            Some(Msg::Eof(conn)) => {
                emu.handle_input(now, Input::Eof { conn });
                close(&mut writers, conn, Shutdown::Both);
            }
            Some(Msg::Control(job)) => {
                emu.handle_input(now, Input::Time);
                job(&mut emu);
            }
            Some(Msg::Stop) => {
                for (_, w) in writers.drain() {
                    let _ = w.shutdown(Shutdown::Both);
                }
                return;
            }
        }
    }
}

fn close(writers: &mut HashMap<ConnId, TcpStream>, conn: ConnId, how: Shutdown) {
    if let Some(w) = writers.remove(&conn) {
        let _ = w.shutdown(how);
    }
}
