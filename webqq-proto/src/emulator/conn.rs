//! One client connection as the server sees it: the receive buffer, the request parser, and
//! the responses owed, in request order (pipelining: a held poll delays the answers to the
//! requests behind it, as HTTP/1.1 requires).
use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::http::{MAX_BODY_BYTES, MAX_HEAD_BYTES, RequestParser};
use super::timers::TimerKey;

/// Most requests of one connection waiting for their responses; further pipelined bytes wait
/// in the buffer until earlier responses are written.
pub const MAX_PIPELINED: usize = 16;
/// Most unparsed bytes kept per connection (a head and a body, plus one more head).
pub const MAX_BUFFERED_BYTES: usize = 2 * MAX_HEAD_BYTES + MAX_BODY_BYTES;

/// A response owed on the connection.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Identifies the slot for a later answer (held poll, delayed response).
    pub id: u64,
    /// The client accepts gzip.
    pub gzip: bool,
    /// The client lets the connection stay open.
    pub keep_alive: bool,
    /// A HEAD request: the answer has no body.
    pub head_only: bool,
    /// The server closes the connection after this answer whatever the client asked.
    pub close_after: bool,
    /// What is known of the answer.
    pub state: SlotState,
}

/// The answer of a slot.
#[derive(Debug)]
pub(crate) enum SlotState {
    /// Not yet decided (a held poll).
    Waiting,
    /// Encoded, to be written at `at` (now, or later for a slow response).
    Ready {
        /// Wire bytes.
        bytes: Bytes,
        /// Close after writing.
        close: bool,
        /// Write only half and close (a reset mid-response).
        reset: bool,
        /// Not before this instant.
        at: Option<Instant>,
        /// A poll answer's account and messages, reported when it is written.
        carried: Option<(u64, Vec<super::PolledMessage>)>,
    },
}

/// Server-side connection state.
#[derive(Debug)]
pub(crate) struct Conn {
    /// Bytes received and not yet parsed.
    pub buf: BytesMut,
    /// The request parser.
    pub parser: RequestParser,
    /// Responses owed, oldest first.
    pub slots: VecDeque<Slot>,
    /// Requests received so far (a request on a connection with `served > 0` is on a reused,
    /// kept-alive connection).
    pub served: u64,
    /// Last byte received or response written.
    pub last_active: Instant,
    /// The pending idle-close timer.
    pub idle_timer: Option<TimerKey>,
}

impl Conn {
    /// A connection accepted at `now`.
    pub fn new(now: Instant) -> Self {
        Conn {
            buf: BytesMut::new(),
            parser: RequestParser::default(),
            slots: VecDeque::new(),
            served: 0,
            last_active: now,
            idle_timer: None,
        }
    }

    /// Nothing received and nothing owed.
    pub fn is_idle(&self) -> bool {
        self.slots.is_empty() && self.buf.is_empty()
    }
}
