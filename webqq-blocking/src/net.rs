//! Moving bytes for the client driver: a thread per connection attempt that connects
//! (through the [`Resolver`]) and for https does the TLS handshake, then stays on as the
//! connection's reader, feeding what it reads to the driver's channel. Writes are done by the
//! driver's thread through a [`Writer`].
//!
//! A TLS connection is shared between the two threads: the reader takes raw bytes from its
//! own handle of the socket and hands them to rustls, the writer encrypts into the socket;
//! both under one lock, which neither holds while blocked in a read.
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rustls::{ClientConfig, ClientConnection};
use rustls_pki_types::ServerName;

use crate::resolve::Resolver;

/// Bytes read per call; the core bounds what it keeps.
const READ_CHUNK: usize = 16 * 1024;
/// A connect attempt to one address gives up after this (the core has its own, usually
/// shorter, connect deadline and then simply closes the connection).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A write blocked this long (a peer that stopped reading) fails the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a connection's thread reports.
#[derive(Debug)]
pub(crate) enum Report {
    /// Connected (and for https, the handshake done): write through this.
    Connected(Writer),
    /// Could not connect.
    ConnectFailed(io::ErrorKind),
    /// Bytes arrived.
    Data(Vec<u8>),
    /// The peer closed its side.
    Eof,
    /// Reading failed.
    Failed(io::ErrorKind),
}

/// The driver's side of a connection. Dropping it shuts the socket down, which ends the
/// reader thread.
pub(crate) struct Writer {
    tcp: TcpStream,
    tls: Option<Arc<Mutex<ClientConnection>>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// Writes all of `bytes`, blocking at most [`WRITE_TIMEOUT`] per socket write.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &self.tls {
            None => self.tcp.write_all(bytes),
            Some(tls) => {
                let mut tls = tls.lock().unwrap_or_else(|p| p.into_inner());
                tls.writer().write_all(bytes)?;
                flush_tls(&mut tls, &mut self.tcp)
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(tls) = &self.tls {
            let mut tls = tls.lock().unwrap_or_else(|p| p.into_inner());
            tls.send_close_notify();
            let _ = flush_tls(&mut tls, &mut self.tcp);
        }
        let _ = self.tcp.shutdown(Shutdown::Both);
    }
}

fn flush_tls(tls: &mut ClientConnection, tcp: &mut TcpStream) -> io::Result<()> {
    while tls.wants_write() {
        tls.write_tls(tcp)?;
    }
    Ok(())
}

/// Starts the thread of one connection: it connects to `host:port` (TLS when `tls` is
/// given and the resolver does not ask for plain TCP), reports, then reads until EOF, an
/// error, or the driver no longer listens. Every report is wrapped by `wrap`. Fails only when
/// no thread can be started.
pub(crate) fn open<M: Send + 'static>(
    resolver: Arc<Resolver>,
    host: String,
    port: u16,
    tls: Option<Arc<ClientConfig>>,
    to_driver: SyncSender<M>,
    wrap: impl Fn(Report) -> M + Send + 'static,
) -> io::Result<()> {
    let spawned = thread::Builder::new()
        .name("webqq-conn".into())
        .spawn(move || {
            let (writer, reader) = match connect(&resolver, &host, port, tls) {
                Ok(pair) => pair,
                Err(e) => {
                    let _ = to_driver.send(wrap(Report::ConnectFailed(e.kind())));
                    return;
                }
            };
            if to_driver.send(wrap(Report::Connected(writer))).is_ok() {
                read_until_closed(reader, &to_driver, &wrap);
            }
        });
    spawned.map(drop)
}

/// The reader's side: its own handle of the socket and, for TLS, the shared session.
struct Reader {
    tcp: TcpStream,
    tls: Option<Arc<Mutex<ClientConnection>>>,
}

fn connect(
    resolver: &Resolver,
    host: &str,
    port: u16,
    tls: Option<Arc<ClientConfig>>,
) -> io::Result<(Writer, Reader)> {
    let resolved = crate::resolve::resolve(resolver, host, port)?;
    let mut tcp = connect_any(&resolved.addrs)?;
    tcp.set_nodelay(true)?;
    tcp.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let tls = match tls {
        Some(config) if !resolved.plain => {
            let name = ServerName::try_from(host.to_string())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
            let mut conn = ClientConnection::new(config, name)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            tcp.set_read_timeout(Some(CONNECT_TIMEOUT))?;
            while conn.is_handshaking() {
                conn.complete_io(&mut tcp)?;
            }
            tcp.set_read_timeout(None)?;
            Some(Arc::new(Mutex::new(conn)))
        }
        _ => None,
    };
    let reader = Reader {
        tcp: tcp.try_clone()?,
        tls: tls.clone(),
    };
    Ok((Writer { tcp, tls }, reader))
}

fn connect_any(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn read_until_closed<M>(
    mut reader: Reader,
    to_driver: &SyncSender<M>,
    wrap: &impl Fn(Report) -> M,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let report = match reader.tcp.read(&mut buf) {
            Ok(n) => match &reader.tls {
                None if n == 0 => Report::Eof,
                None => Report::Data(buf[..n].to_vec()),
                Some(tls) => decrypt(tls, &mut reader.tcp, &buf[..n]),
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Report::Failed(e.kind()),
        };
        if matches!(&report, Report::Data(d) if d.is_empty()) {
            continue; // TLS records that carried no application data
        }
        let last = !matches!(report, Report::Data(_));
        if to_driver.send(wrap(report)).is_err() || last {
            return;
        }
    }
}

/// Feeds raw bytes (none: the peer closed TCP) to rustls and takes the plaintext out. A TCP
/// close without TLS `close_notify` counts as an end of stream, as browsers treat it: HTTP's
/// own framing tells a cut-off response.
fn decrypt(tls: &Mutex<ClientConnection>, tcp: &mut TcpStream, mut raw: &[u8]) -> Report {
    let mut tls = tls.lock().unwrap_or_else(|p| p.into_inner());
    let mut plain = Vec::new();
    loop {
        if let Err(e) = tls.read_tls(&mut raw) {
            return Report::Failed(e.kind());
        }
        if tls.process_new_packets().is_err() {
            let _ = flush_tls(&mut tls, tcp); // the alert
            return Report::Failed(io::ErrorKind::InvalidData);
        }
        let ended = match tls.reader().read_to_end(&mut plain) {
            Ok(_) => true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => true,
            Err(e) => return Report::Failed(e.kind()),
        };
        if ended {
            return if plain.is_empty() {
                Report::Eof
            } else {
                Report::Data(plain)
            };
        }
        if raw.is_empty() {
            break;
        }
    }
    if let Err(e) = flush_tls(&mut tls, tcp) {
        return Report::Failed(e.kind());
    }
    Report::Data(plain)
}
