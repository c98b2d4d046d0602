//! One connection's life as an explicit state machine, in the manner of h11's `_state.py`:
//! one enum of states, every transition in a method of [`Conn`] that checks where it comes
//! from. It also records what a failure needs for its classification (keepalive-race.md §8):
//! whether the connection was reused, how many request bytes were written, whether any byte
//! of the response arrived.
//!
//! ```text
//!  Connecting ──connected──▶ Idle ──start──▶ Sending ──write taken──▶ AwaitingHead
//!      │                      ▲                                          │ head
//!      │                      └───── end of response, reusable ──── ReadingBody
//!      └──────── failure, EOF, timeout, end not reusable (any state) ──▶ Closed
//! ```
use std::io;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method};

use super::codec::{DecodeError, DecodeEvent, DecoderConfig, ResponseDecoder, ResponseHead};
use super::keep_alive::idle_limit_from_hint;
use super::pool::PoolId;
use super::retry::Attempt;
use super::{ConnId, RequestId};

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Asked for; not yet established.
    Connecting,
    /// Established, no request on it: reusable.
    Idle,
    /// A request is assigned and its bytes wait in the output queue (nothing written yet).
    Sending,
    /// The request was handed out for writing; no complete response head yet.
    AwaitingHead,
    /// The head arrived; reading the body.
    ReadingBody,
    /// Closed or about to be (must close): never used again.
    Closed,
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The peer closed the connection before the response was complete.
    Closed,
    /// A read or write failed.
    Io(io::ErrorKind),
    /// The response was malformed or over a limit.
    Decode(DecodeError),
}

/// What the connection's bytes meant for the request on it.
#[derive(Debug)]
pub(crate) enum ConnEvent {
    Head(ResponseHead),
    Data(Bytes),
    /// The response is complete; `reusable` says whether the connection went back to Idle.
    End {
        trailers: HeaderMap,
        reusable: bool,
    },
    /// The exchange failed; the connection is Closed.
    Failed {
        attempt: Attempt,
        cause: Cause,
    },
}

/// One connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) id: ConnId,
    /// The pool of the connection's origin.
    pub(crate) pool: PoolId,
    state: ConnState,
    /// When the current state began (Idle: idle since).
    since: Instant,
    /// Connect deadline (Connecting) or head deadline (AwaitingHead).
    deadline: Option<Instant>,
    /// Exchanges completed on this connection.
    exchanges: u32,
    /// The server's `Keep-Alive: timeout` hint, as an idle limit.
    idle_limit: Option<Duration>,
    /// Cleared for good by `Connection: close` on either side or an HTTP/1.0 reply.
    keep_alive: bool,
    peer_closed: bool,
    read_buf: BytesMut,
    decoder: Option<ResponseDecoder>,
    /// The request on the connection (Sending, AwaitingHead, ReadingBody), or the retry it was
    /// opened for (Connecting).
    pub(crate) request: Option<RequestId>,
    reused: bool,
    written: u64,
    received: u64,
}

impl Conn {
    pub(crate) fn connecting(id: ConnId, pool: PoolId, now: Instant, timeout: Duration) -> Self {
        Conn {
            id,
            pool,
            state: ConnState::Connecting,
            since: now,
            deadline: Some(now + timeout),
            exchanges: 0,
            idle_limit: None,
            keep_alive: true,
            peer_closed: false,
            read_buf: BytesMut::new(),
            decoder: None,
            request: None,
            reused: false,
            written: 0,
            received: 0,
        }
    }

    pub(crate) fn state(&self) -> ConnState {
        self.state
    }

    /// The instant this connection needs attention: its connect or head deadline, or the end
    /// of its idle time.
    pub(crate) fn deadline(&self, idle_timeout: Duration) -> Option<Instant> {
        match self.state {
            ConnState::Idle => Some(
                self.since
                    + self
                        .idle_limit
                        .map_or(idle_timeout, |l| l.min(idle_timeout)),
            ),
            ConnState::Connecting | ConnState::AwaitingHead => self.deadline,
            _ => None,
        }
    }

    /// Connecting → Idle. False (and no change) from any other state.
    pub(crate) fn connected(&mut self, now: Instant) -> bool {
        if self.state != ConnState::Connecting {
            return false;
        }
        self.state = ConnState::Idle;
        self.since = now;
        self.deadline = None;
        true
    }

    /// Idle → Sending: `request` is assigned. `close_after` when the request carries
    /// `Connection: close` (RFC 9112 §9.6: no further request on this connection).
    pub(crate) fn start(
        &mut self,
        request: RequestId,
        method: Method,
        close_after: bool,
        config: DecoderConfig,
    ) {
        debug_assert_eq!(self.state, ConnState::Idle);
        self.state = ConnState::Sending;
        self.request = Some(request);
        self.reused = self.exchanges > 0;
        self.written = 0;
        self.received = 0;
        self.keep_alive &= !close_after;
        // The decoder of the last exchange is reused: it keeps what it learnt of the server's
        // heads (see `codec::head`).
        match &mut self.decoder {
            Some(decoder) => decoder.reset_for(method),
            None => self.decoder = Some(ResponseDecoder::new(config, method)),
        }
    }

    /// Whether the exchange on it started on a reused connection.
    pub(crate) fn reused(&self) -> bool {
        self.reused
    }

    /// Sending → AwaitingHead: the request's bytes were handed to the driver.
    pub(crate) fn write_taken(&mut self, now: Instant, len: usize, head_timeout: Option<Duration>) {
        if self.state != ConnState::Sending {
            return;
        }
        self.state = ConnState::AwaitingHead;
        self.written += len as u64;
        self.since = now;
        self.deadline = head_timeout.map(|t| now + t);
    }

    /// Whether any byte of the current exchange's request was handed out for writing.
    pub(crate) fn has_written(&self) -> bool {
        self.written > 0
    }

    fn attempt(&self) -> Attempt {
        Attempt {
            reused: self.reused,
            written: self.written,
            response_started: self.received > 0,
        }
    }

    fn exchange_in_progress(&self) -> bool {
        matches!(
            self.state,
            ConnState::Sending | ConnState::AwaitingHead | ConnState::ReadingBody
        )
    }

    /// Bytes arrived. Returns false when they were not wanted (no exchange in progress, or
    /// the request was not written yet): the caller then closes the connection, as Go does
    /// with unsolicited bytes on an idle connection (a `408` there means "closing").
    pub(crate) fn receive(&mut self, bytes: &[u8]) -> bool {
        match self.state {
            ConnState::AwaitingHead | ConnState::ReadingBody => {
                self.received += bytes.len() as u64;
                self.read_buf.extend_from_slice(bytes);
                true
            }
            _ => false,
        }
    }

    /// The peer closed its side.
    pub(crate) fn receive_eof(&mut self) {
        self.peer_closed = true;
    }

    /// Any state → Closed, reporting the failure of the exchange in progress, if any.
    pub(crate) fn fail(&mut self, cause: Cause) -> Option<ConnEvent> {
        let had_exchange = self.exchange_in_progress();
        self.close();
        had_exchange.then(|| ConnEvent::Failed {
            attempt: self.attempt(),
            cause,
        })
    }

    /// Any state → Closed.
    pub(crate) fn close(&mut self) {
        self.state = ConnState::Closed;
        self.decoder = None;
        self.deadline = None;
    }

    /// The next thing the received bytes (and EOF) say about the exchange, or `None` when
    /// more input is needed or no exchange is in progress.
    pub(crate) fn next_event(
        &mut self,
        now: Instant,
        max_requests: Option<u32>,
    ) -> Option<ConnEvent> {
        if !matches!(self.state, ConnState::AwaitingHead | ConnState::ReadingBody) {
            if self.peer_closed && self.state == ConnState::Sending {
                return self.fail(Cause::Closed);
            }
            return None;
        }
        let decoder = self.decoder.as_mut()?;
        loop {
            let decoded = match decoder.decode(&mut self.read_buf) {
                Ok(None) if self.peer_closed => decoder.decode_eof(&mut self.read_buf),
                other => other,
            };
            match decoded {
                Ok(Some(DecodeEvent::Interim(_))) => continue,
                Ok(Some(DecodeEvent::Head(head))) => {
                    self.keep_alive &= head.framing.keep_alive;
                    self.idle_limit = idle_limit_from_hint(&head.headers);
                    self.state = ConnState::ReadingBody;
                    self.deadline = None;
                    return Some(ConnEvent::Head(head));
                }
                Ok(Some(DecodeEvent::Data(data))) => return Some(ConnEvent::Data(data)),
                Ok(Some(DecodeEvent::End { trailers })) => {
                    return Some(self.end(now, trailers, max_requests));
                }
                Ok(None) if self.peer_closed => return self.fail(Cause::Closed),
                Ok(None) => return None,
                Err(e) if e.is_incomplete() => return self.fail(Cause::Closed),
                Err(e) => return self.fail(Cause::Decode(e)),
            }
        }
    }

    /// AwaitingHead/ReadingBody → Idle (reusable) or Closed. Bytes already waiting after the
    /// end are unsolicited (we never pipeline), so they make the connection unusable.
    fn end(&mut self, now: Instant, trailers: HeaderMap, max_requests: Option<u32>) -> ConnEvent {
        self.exchanges += 1;
        let reusable = self.keep_alive
            && !self.peer_closed
            && self.read_buf.is_empty()
            && max_requests.is_none_or(|max| self.exchanges < max);
        if reusable {
            self.state = ConnState::Idle;
            self.since = now;
            self.deadline = None;
        } else {
            self.close();
        }
        ConnEvent::End { trailers, reusable }
    }
}
