//! Moving bytes: one task per connection, a reader feeding the core's channel and a writer
//! draining the connection's write queue. Used by the client driver and the emulator host.
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

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
const READ_CHUNK: usize = 16 * 1024;

/// Any byte stream that reads and writes: a TLS session, or a connection whoever holds it
/// no longer needs to tell apart.
pub(crate) trait Duplex: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Duplex for T {}

/// A connection, plain or TLS.
pub(crate) enum Stream {
    /// Plain TCP.
    Plain(Async<TcpStream>),
    /// TLS over TCP.
    Tls(Box<dyn Duplex>),
}

impl Stream {
    /// The connection as one boxed stream, for code that reads and writes it alike.
    pub(crate) fn boxed(self) -> Box<dyn Duplex> {
        match self {
            Stream::Plain(tcp) => Box::new(tcp),
            Stream::Tls(tls) => tls,
        }
    }
}

/// What a connection's reader saw.
#[derive(Debug)]
pub(crate) enum Read {
    /// Bytes arrived.
    Data(Vec<u8>),
    /// The peer closed its side.
    Eof,
    /// Reading or writing failed.
    Failed(io::ErrorKind),
}

impl From<io::Result<Vec<u8>>> for Read {
    fn from(r: io::Result<Vec<u8>>) -> Read {
        match r {
            Ok(v) if v.is_empty() => Read::Eof,
            Ok(v) => Read::Data(v),
            Err(e) => Read::Failed(e.kind()),
        }
    }
}

/// Runs one connection until the core drops its write queue (the writer then flushes what
/// is queued, shuts the stream down and the task ends) or writing fails. Everything read is
/// handed to the core as `wrap(Read)`.
pub(crate) async fn pump<M: Send + 'static>(
    stream: Stream,
    writes: Receiver<Bytes>,
    to_core: Sender<M>,
    wrap: impl Fn(Read) -> M + Send + Sync,
) {
    match stream {
        Stream::Plain(tcp) => {
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
        Stream::Tls(stream) => {
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
        if let Err(e) = done {
            let _ = to_core.send(wrap(Read::Failed(e.kind()))).await;
            return;
        }
    }
    let _ = writer.close().await;
}

/// Opens a connection to `host:port` through the resolver, with TLS when `tls` and the
/// override (if any) does not ask for plain TCP.
pub(crate) async fn connect(
    resolver: &Resolver,
    host: &str,
    port: u16,
    tls: Option<&Arc<ClientConfig>>,
) -> io::Result<Stream> {
    let resolved = crate::resolve::resolve(resolver, host, port).await?;
    let tcp = connect_any(&resolved.addrs).await?;
    match tls {
        Some(config) if !resolved.plain => {
            let name = ServerName::try_from(host.to_string())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
            let stream = TlsConnector::from(Arc::clone(config))
                .connect(name, tcp)
                .await?;
            Ok(Stream::Tls(Box::new(stream)))
        }
        _ => Ok(Stream::Plain(tcp)),
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
