//! Connections: opening a client's ([`connect`], plain or TLS, polled by the client drivers'
//! `Sockets`), and the emulator host's [`pump`] (one task per accepted connection, a reader
//! feeding the core's channel and a writer draining the connection's write queue).
use std::io::{self, Read as _};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use async_io::Async;
use bytes::Bytes;
use futures_rustls::TlsConnector;
use futures_rustls::rustls::ClientConfig;
use rustls_pki_types::ServerName;
use smol::channel::{Receiver, Sender};
use smol::future::FutureExt;
use smol::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::resolve::Resolver;

/// Bytes read per call; the cores bound what they keep. A plain connection reads into a
/// buffer on the stack (only what arrived is copied out), so an idle one holds no buffer.
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// A TLS session (client or server side), or any other stream that reads and writes.
pub(crate) trait Duplex: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Duplex for T {}

/// A connection, plain or TLS.
pub(crate) enum Connection {
    /// Plain TCP: its readiness can be awaited without a read.
    Plain(Async<TcpStream>),
    /// TLS over TCP (boxed: rustls' state is large).
    Tls(Box<dyn Duplex>),
}

/// What a connection's reader saw.
#[derive(Debug)]
pub(crate) enum Read {
    /// Bytes arrived.
    Data(Vec<u8>),
    /// The peer closed its side.
    Eof,
    /// Reading or writing failed.
    Failed,
}

impl From<io::Result<Vec<u8>>> for Read {
    fn from(r: io::Result<Vec<u8>>) -> Read {
        match r {
            Ok(v) if v.is_empty() => Read::Eof,
            Ok(v) => Read::Data(v),
            Err(_) => Read::Failed,
        }
    }
}

/// Runs one connection until the core drops its write queue (the writer then flushes what
/// is queued, shuts the stream down and the task ends) or writing fails. Everything read is
/// handed to the core as `wrap(Read)`.
pub(crate) async fn pump<M: Send + 'static>(
    stream: Connection,
    writes: Receiver<Bytes>,
    to_core: Sender<M>,
    wrap: impl Fn(Read) -> M + Send + Sync,
) {
    match stream {
        Connection::Plain(tcp) => {
            let read_side = async {
                loop {
                    let read = Read::from(tcp.read_with(read_once).await);
                    if !forward(read, &to_core, &wrap).await {
                        break;
                    }
                }
                // The writer decides when the connection ends (the core drops its queue).
                smol::future::pending::<()>().await;
            };
            write_side(&tcp, writes, &to_core, &wrap)
                .or(read_side)
                .await;
        }
        Connection::Tls(stream) => {
            let (mut reader, writer) = smol::io::split(stream);
            let read_side = async {
                let mut buf = vec![0u8; READ_CHUNK];
                loop {
                    let got = reader.read(&mut buf).await.map(|n| buf[..n].to_vec());
                    if !forward(Read::from(got), &to_core, &wrap).await {
                        break;
                    }
                }
                smol::future::pending::<()>().await;
            };
            write_side(writer, writes, &to_core, &wrap)
                .or(read_side)
                .await;
        }
    }
}

/// One non-blocking read into a stack buffer; only the bytes read are kept.
fn read_once(mut tcp: &TcpStream) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; READ_CHUNK];
    let n = std::io::Read::read(&mut tcp, &mut buf)?;
    Ok(buf[..n].to_vec())
}

/// Hands `read` to the core; whether to keep reading.
async fn forward<M>(read: Read, to_core: &Sender<M>, wrap: &impl Fn(Read) -> M) -> bool {
    let last = !matches!(read, Read::Data(_));
    to_core.send(wrap(read)).await.is_ok() && !last
}

/// Writes what the core queues until it drops the queue, then shuts the stream down.
async fn write_side<M>(
    mut writer: impl AsyncWrite + Unpin,
    writes: Receiver<Bytes>,
    to_core: &Sender<M>,
    wrap: &impl Fn(Read) -> M,
) {
    while let Ok(bytes) = writes.recv().await {
        let done = match writer.write_all(&bytes).await {
            Ok(()) => writer.flush().await,
            Err(e) => Err(e),
        };
        if done.is_err() {
            let _ = to_core.send(wrap(Read::Failed)).await;
            return;
        }
    }
    let _ = writer.close().await;
}

impl Connection {
    /// Reads into `buf` once bytes (or EOF, or an error) are there. On plain TCP the reactor
    /// is asked first unless `eager` (when bytes are probably waiting, a read first may save
    /// the reactor round trip; when they are not, it is a wasted system call).
    pub(crate) fn poll_read_ready(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        mut eager: bool,
    ) -> Poll<io::Result<usize>> {
        match self {
            Connection::Plain(tcp) => loop {
                if !eager {
                    ready!(tcp.poll_readable(cx))?;
                }
                match tcp.get_ref().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => eager = false,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    done => return Poll::Ready(done),
                }
            },
            Connection::Tls(tls) => Pin::new(tls).poll_read(cx, buf),
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Connection::Tls(tls) => Pin::new(tls).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Connection::Tls(tls) => Pin::new(tls).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Connection::Tls(tls) => Pin::new(tls).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(tcp) => Pin::new(tcp).poll_close(cx),
            Connection::Tls(tls) => Pin::new(tls).poll_close(cx),
        }
    }
}

/// Opens a connection to `host:port` through the resolver, with TLS when `tls` and the
/// override (if any) does not ask for plain TCP.
pub(crate) async fn connect(
    resolver: &Resolver,
    host: &str,
    port: u16,
    tls: Option<&Arc<ClientConfig>>,
) -> io::Result<Connection> {
    let resolved = crate::resolve::resolve(resolver, host, port).await?;
    let tcp = connect_any(&resolved.addrs).await?;
    match tls {
        Some(config) if !resolved.plain => {
            let name = ServerName::try_from(host.to_string())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
            let stream = TlsConnector::from(Arc::clone(config))
                .connect(name, tcp)
                .await?;
            Ok(Connection::Tls(Box::new(stream)))
        }
        _ => Ok(Connection::Plain(tcp)),
    }
}

async fn connect_any(addrs: &[SocketAddr]) -> io::Result<Async<TcpStream>> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        match Async::<TcpStream>::connect(*addr).await {
            Ok(s) => {
                let _ = s.get_ref().set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
