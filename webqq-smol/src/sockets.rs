//! The connections of one driver, polled by the driver's own task (design.md, Adapters).
//!
//! No task, channel or thread per connection: a wait polls every connection (and the one
//! timer) itself, so a response is read and handed to the core in the same wake-up that saw
//! it arrive. The read buffer is the caller's: one per [`HttpDriver`](crate::HttpDriver),
//! one per thread for sessions (a session holds none). A connection's readiness is awaited before it is read
//! (see [`Connection::poll_read_ready`]), and the timer is re-armed only when the deadline
//! moves earlier: a deadline that moved later lets it fire early once, which costs one
//! spurious wake-up instead of a timer update (and the reactor notification it makes) per
//! request.
use std::collections::{BTreeMap, VecDeque};
use std::future::{Future, poll_fn};
use std::io::{self, Read as _};
use std::ops::Bound;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_io::Timer;
use bytes::{Buf, Bytes};
use futures_rustls::rustls::ClientConfig as TlsConfig;
use smol::io::{AsyncRead, AsyncWrite};
use webqq_proto::http1::{ConnId, Origin, Scheme};

use crate::net::{self, Connection};
use crate::resolve::Resolver;
/// When nobody polled the connections for longer than this, idle ones are probed before the
/// core may hand one a request: a server may have closed it meanwhile (keepalive-race.md §1).
/// Within a millisecond of the last poll a connection is as good as known alive, and the
/// core's retry rules cover the race that remains.
pub(crate) const PROBE_IDLE_AFTER: Duration = Duration::from_millis(1);

type Opening = Pin<Box<dyn Future<Output = io::Result<Connection>> + Send>>;

enum Slot {
    /// Resolving, connecting, handshaking.
    Opening(Opening),
    Open(Open),
}

struct Open {
    stream: Connection,
    /// Bytes the core handed out and not yet written, in order.
    queue: VecDeque<Bytes>,
    /// Bytes were written since the last flush (TLS buffers them).
    unflushed: bool,
    /// Read before asking the reactor: a request was just written (a server on the same
    /// machine has often answered by the time the driver looks) or the last read filled the
    /// buffer. A read that finds nothing costs one system call; a wait in async-io's reactor
    /// costs five (the socket's interest re-armed, the reactor's timerfd set and re-armed,
    /// its notifier drained and re-armed) besides the `epoll_wait`.
    read_first: bool,
    /// EOF or a failure was reported: nothing more to read.
    ended: bool,
}

/// What a wait found. The bytes of `Data(_, n)` are the first `n` of the buffer the wait was
/// given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    Connected(ConnId),
    ConnectFailed(ConnId, io::ErrorKind),
    Data(ConnId, usize),
    Eof(ConnId),
    Failed(ConnId, io::ErrorKind),
    /// The deadline passed (or an earlier one armed before it).
    Time,
}

/// A driver's connections and timer.
pub(crate) struct Sockets {
    slots: BTreeMap<ConnId, Slot>,
    resolver: Arc<Resolver>,
    /// For https origins; the webpki roots are loaded at the first one when not given.
    tls: Option<Arc<TlsConfig>>,
    timer: Timer,
    armed: Option<Instant>,
    /// Where the next wait starts polling, so that a busy connection cannot starve the rest.
    next: ConnId,
}

impl Sockets {
    pub(crate) fn new(resolver: Resolver, tls: Option<Arc<TlsConfig>>) -> Sockets {
        Sockets {
            slots: BTreeMap::new(),
            resolver: Arc::new(resolver),
            tls,
            timer: Timer::never(),
            armed: None,
            next: ConnId(0),
        }
    }

    /// Starts opening `conn`; a later wait reports `Connected` or `ConnectFailed`.
    pub(crate) fn open(&mut self, conn: ConnId, origin: Origin) {
        // `None`: plain TCP. An https origin without a TLS configuration fails to connect
        // rather than silently going plain; an override to a plain listener (an emulator)
        // makes it plain TCP without building one.
        let plain_override = || {
            self.resolver
                .overridden(&origin.host, origin.port)
                .is_some_and(|r| r.plain)
        };
        let tls = match origin.scheme {
            Scheme::Https if !plain_override() => Some(self.tls_config()),
            Scheme::Https | Scheme::Http => None,
        };
        let resolver = Arc::clone(&self.resolver);
        let opening = async move {
            let tls = tls.transpose()?;
            net::connect(&resolver, &origin.host, origin.port, tls.as_ref()).await
        };
        self.slots.insert(conn, Slot::Opening(Box::pin(opening)));
    }

    /// The TLS configuration, built at the first https connection: a default one holds the
    /// webpki roots and a resumption cache (about 23 KB), which a driver that only speaks
    /// plain HTTP never needs.
    fn tls_config(&mut self) -> io::Result<Arc<TlsConfig>> {
        if let Some(config) = &self.tls {
            return Ok(Arc::clone(config));
        }
        let config = crate::tls::client_config(None)?;
        self.tls = Some(Arc::clone(&config));
        Ok(config)
    }

    /// Queues `bytes` for `conn`; they are written by the next wait, in order. Fails when
    /// `conn` is not open.
    pub(crate) fn write(&mut self, conn: ConnId, bytes: Bytes) -> Result<(), io::ErrorKind> {
        match self.slots.get_mut(&conn) {
            Some(Slot::Open(open)) => {
                open.queue.push_back(bytes);
                Ok(())
            }
            _ => Err(io::ErrorKind::NotConnected),
        }
    }

    /// Drops `conn` (opening or open) and what was queued for it.
    pub(crate) fn close(&mut self, conn: ConnId) {
        self.slots.remove(&conn);
    }

    /// Open connections with nothing queued and not ended: the ones a probe may read.
    pub(crate) fn quiet(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.slots.iter().filter_map(|(&conn, slot)| match slot {
            Slot::Open(open) if !open.ended && open.queue.is_empty() => Some(conn),
            _ => None,
        })
    }

    /// Reads `conn` without waiting: what a server sent to an idle connection (usually its
    /// close) is seen before a request is written to it. Reads into `buf`.
    pub(crate) fn probe(&mut self, conn: ConnId, buf: &mut [u8]) -> Option<Wake> {
        let Some(Slot::Open(open)) = self.slots.get_mut(&conn) else {
            return None;
        };
        let read = match &mut open.stream {
            Connection::Plain(tcp) => match tcp.get_ref().read(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    return None;
                }
                done => done,
            },
            Connection::Tls(tls) => {
                let mut cx = Context::from_waker(Waker::noop());
                match Pin::new(tls).poll_read(&mut cx, buf) {
                    Poll::Pending => return None,
                    Poll::Ready(done) => done,
                }
            }
        };
        Some(open.took(conn, read, buf.len()))
    }

    /// Writes what is queued and waits until a connection opens, fails, has bytes (read into
    /// `buf`) or ends, or `deadline` passes.
    pub(crate) async fn wait(&mut self, deadline: Instant, buf: &mut [u8]) -> Wake {
        self.arm(deadline);
        poll_fn(|cx| self.poll_wake(cx, buf)).await
    }

    /// Makes the next waits end by `deadline`.
    pub(crate) fn arm(&mut self, deadline: Instant) {
        if self.armed.is_none_or(|at| deadline < at) {
            self.timer.set_at(deadline);
            self.armed = Some(deadline);
        }
    }

    /// One poll of [`wait`](Self::wait) after [`arm`](Self::arm): for a caller that hands
    /// the bytes to its core within the poll, from a buffer it holds only meanwhile.
    pub(crate) fn poll_wake(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Wake> {
        let after = (Bound::Excluded(self.next), Bound::Unbounded);
        let up_to = (Bound::Unbounded, Bound::Included(self.next));
        let mut found = None;
        for (&conn, slot) in self.slots.range_mut(after) {
            if let Poll::Ready(wake) = slot.poll(conn, cx, buf) {
                found = Some((conn, wake));
                break;
            }
        }
        if found.is_none() {
            for (&conn, slot) in self.slots.range_mut(up_to) {
                if let Poll::Ready(wake) = slot.poll(conn, cx, buf) {
                    found = Some((conn, wake));
                    break;
                }
            }
        }
        if let Some((conn, wake)) = found {
            self.next = conn;
            if let Wake::ConnectFailed(..) = wake {
                self.slots.remove(&conn);
            }
            return Poll::Ready(wake);
        }
        if Pin::new(&mut self.timer).poll(cx).is_ready() {
            self.armed = None;
            return Poll::Ready(Wake::Time);
        }
        Poll::Pending
    }
}

impl Slot {
    fn poll(&mut self, conn: ConnId, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Wake> {
        match self {
            Slot::Opening(opening) => match opening.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Err(e)) => Poll::Ready(Wake::ConnectFailed(conn, e.kind())),
                Poll::Ready(Ok(stream)) => {
                    *self = Slot::Open(Open {
                        stream,
                        queue: VecDeque::new(),
                        unflushed: false,
                        read_first: false,
                        ended: false,
                    });
                    Poll::Ready(Wake::Connected(conn))
                }
            },
            Slot::Open(open) => open.poll(conn, cx, buf),
        }
    }
}

impl Open {
    fn poll(&mut self, conn: ConnId, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Wake> {
        if self.ended {
            return Poll::Pending;
        }
        if let Err(e) = self.poll_write_queue(cx) {
            self.ended = true;
            return Poll::Ready(Wake::Failed(conn, e.kind()));
        }
        match self.stream.poll_read_ready(cx, buf, self.read_first) {
            Poll::Pending => {
                // The read found nothing: wait for readiness from now on.
                self.read_first = false;
                Poll::Pending
            }
            Poll::Ready(read) => Poll::Ready(self.took(conn, read, buf.len())),
        }
    }

    /// Writes (and flushes) what the socket takes now; the rest stays queued.
    fn poll_write_queue(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while let Some(front) = self.queue.front_mut() {
            match Pin::new(&mut self.stream).poll_write(cx, front) {
                Poll::Pending => return Ok(()),
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    self.unflushed = true;
                    self.read_first = true;
                    front.advance(n);
                    if front.is_empty() {
                        self.queue.pop_front();
                    }
                }
                Poll::Ready(Err(e)) => return Err(e),
            }
        }
        if self.unflushed {
            if let Poll::Ready(done) = Pin::new(&mut self.stream).poll_flush(cx) {
                self.unflushed = false;
                done?;
            }
        }
        Ok(())
    }

    /// The wake for a read's outcome; marks the connection ended after EOF or an error.
    fn took(&mut self, conn: ConnId, read: io::Result<usize>, capacity: usize) -> Wake {
        match read {
            Ok(0) => {
                self.ended = true;
                Wake::Eof(conn)
            }
            Ok(n) => {
                self.read_first = n == capacity;
                Wake::Data(conn, n)
            }
            Err(e) => {
                self.ended = true;
                Wake::Failed(conn, e.kind())
            }
        }
    }
}
