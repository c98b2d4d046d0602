//! The I/O vocabulary between the [`Agent`](super::Agent) and a driver (design.md, rule 2):
//! what the driver tells the agent ([`Input`]) and what the agent asks of it ([`Output`]).
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::time::Instant;

use bytes::Bytes;

use super::{Origin, RequestError, Response};

/// Names one connection for the agent's whole life. The agent picks the number when it asks
/// for the connection ([`Output::Connect`]); the driver maps it to its socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// Names one submitted request; its [`Output::Response`] carries it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req#{}", self.0)
    }
}

/// Hashes the agent's own sequential ids ([`ConnId`], [`RequestId`]) with one multiply
/// (Fibonacci hashing): they are numbers the agent hands out, not network input, so there is
/// no flooding to defend against and SipHash would be wasted work on every lookup.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by an agent id.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// What happened on the driver's side. Feed each with [`Agent::handle_input`](super::Agent::handle_input),
/// then call [`Agent::poll_output`](super::Agent::poll_output) until it returns a timeout.
///
/// `Debug` shows the length of `Data`, not its bytes (they may hold cookies).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// The connection asked for by [`Output::Connect`] is established (TCP and, for https, TLS).
    Connected {
        /// Which connection.
        conn: ConnId,
    },
    /// The connection asked for could not be established.
    ConnectFailed {
        /// Which connection.
        conn: ConnId,
        /// Why, as the socket layer said it.
        error: io::ErrorKind,
    },
    /// Bytes were read from the connection. The driver keeps reading idle connections too,
    /// so that a server's close of an idle connection is noticed early (keepalive-race.md §1).
    Data {
        /// Which connection.
        conn: ConnId,
        /// The bytes read, in order.
        bytes: &'a [u8],
    },
    /// The peer closed its side of the connection (a read returned 0 bytes).
    Eof {
        /// Which connection.
        conn: ConnId,
    },
    /// A read or write failed (for example ECONNRESET or EPIPE).
    Failed {
        /// Which connection.
        conn: ConnId,
        /// The error's kind.
        error: io::ErrorKind,
    },
    /// The time is now this; deadlines up to it are due at the next `poll_output`.
    Time(Instant),
}

/// What the agent wants done, or tells. `T` is the caller's tag type (see
/// [`RequestOptions`](super::RequestOptions)).
///
/// `Debug` shows the length of `Write`, not its bytes (a request carries cookies).
pub enum Output<T> {
    /// Open a connection to `origin` and report [`Input::Connected`] or
    /// [`Input::ConnectFailed`] for `conn`.
    Connect {
        /// The number the agent gave this connection.
        conn: ConnId,
        /// Where to connect (scheme, host, port). The driver may resolve the host through an
        /// override map; the agent keeps using the real name for `Host` and cookies.
        origin: Origin,
    },
    /// Write all of `bytes` to `conn`, in order after earlier writes. The agent counts them as
    /// written from the moment it hands them out; a driver that fails to write them reports
    /// [`Input::Failed`].
    Write {
        /// Which connection.
        conn: ConnId,
        /// The bytes, usually one whole encoded request.
        bytes: Bytes,
    },
    /// Close `conn` and forget it; no more inputs for it are wanted (any that come are ignored).
    Close {
        /// Which connection.
        conn: ConnId,
    },
    /// A submitted request is finished: exactly one such output per submitted request that was
    /// not cancelled.
    Response {
        /// The id [`submit`](super::Agent::submit) returned.
        id: RequestId,
        /// The caller's tag given at submit.
        tag: T,
        /// The response (boxed: it is large and outputs move through a queue), or why there
        /// is none.
        result: Result<Box<Response>, RequestError>,
    },
    /// Nothing more to do now. Call `poll_output` again when this instant is reached, or as
    /// soon as any input was handled or a request was submitted or cancelled.
    Timeout(Instant),
}

impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Connected { conn } => write!(f, "Connected({conn})"),
            Input::ConnectFailed { conn, error } => write!(f, "ConnectFailed({conn}, {error:?})"),
            Input::Data { conn, bytes } => write!(f, "Data({conn}, {} bytes)", bytes.len()),
            Input::Eof { conn } => write!(f, "Eof({conn})"),
            Input::Failed { conn, error } => write!(f, "Failed({conn}, {error:?})"),
            Input::Time(now) => write!(f, "Time({now:?})"),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Connect { conn, origin } => write!(f, "Connect({conn}, {origin})"),
            Output::Write { conn, bytes } => write!(f, "Write({conn}, {} bytes)", bytes.len()),
            Output::Close { conn } => write!(f, "Close({conn})"),
            Output::Response { id, tag, result } => f
                .debug_struct("Response")
                .field("id", id)
                .field("tag", tag)
                .field("result", result)
                .finish(),
            Output::Timeout(at) => write!(f, "Timeout({at:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_bytes() {
        let secret = b"Cookie: skey=@s3cr3t";
        let input = Input::Data {
            conn: ConnId(1),
            bytes: secret,
        };
        assert_eq!(format!("{input:?}"), "Data(conn#1, 20 bytes)");
        let output: Output<()> = Output::Write {
            conn: ConnId(1),
            bytes: Bytes::from_static(secret),
        };
        assert_eq!(format!("{output:?}"), "Write(conn#1, 20 bytes)");
    }
}
