//! The client's vocabulary with its adapter (design.md, rule 2): connection inputs and the
//! time in ([`Input`], the engine's), connection work, events and the next deadline out
//! ([`Output`]).
use std::fmt;
use std::time::Instant;

use bytes::Bytes;

use crate::http1::{ConnId, Origin};
use crate::webqq::session::Event;

pub use crate::http1::Input;

/// What the client asks of its adapter, or tells the application.
///
/// `Debug` shows the length of `Write`, not its bytes (a request carries cookies).
pub enum Output {
    /// Open a connection to `origin`; report [`Input::Connected`] or
    /// [`Input::ConnectFailed`] for `conn`.
    Connect {
        /// The number the client gave this connection.
        conn: ConnId,
        /// Scheme, host and port (resolve the host through any override map; keep the name
        /// for TLS).
        origin: Origin,
    },
    /// Write all of `bytes` to `conn`, after earlier writes.
    Write {
        /// Which connection.
        conn: ConnId,
        /// The bytes.
        bytes: Bytes,
    },
    /// Close `conn`; no more inputs for it are wanted.
    Close {
        /// Which connection.
        conn: ConnId,
    },
    /// Hand this to the application.
    Event(Event),
    /// Nothing more to do now: feed [`Input::Time`] at this instant at the latest, or any
    /// input sooner, then poll again.
    Timeout(Instant),
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Connect { conn, origin } => write!(f, "Connect({conn}, {origin})"),
            Output::Write { conn, bytes } => write!(f, "Write({conn}, {} bytes)", bytes.len()),
            Output::Close { conn } => write!(f, "Close({conn})"),
            Output::Event(e) => write!(f, "Event({e:?})"),
            Output::Timeout(at) => write!(f, "Timeout({at:?})"),
        }
    }
}
