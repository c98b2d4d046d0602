//! Why a request has no response: [`RequestError`].
use std::fmt;
use std::io;

use super::codec::{DecodeError, EncodeError};

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection ([`AgentConfig::connect_timeout`](super::AgentConfig)).
    Connect,
    /// Waiting for the response head after the request was written.
    Head,
    /// The whole request ([`RequestOptions::deadline`](super::RequestOptions)).
    Request,
}

/// Why a request failed. Connection failures say exactly what was known, so that a caller
/// can tell "never reached the server" from "may have been applied" (keepalive-race.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The request is not one the agent can send (no http/https origin, bad header, ...).
    InvalidRequest(EncodeError),
    /// The connection could not be established.
    ConnectFailed {
        /// The socket layer's error kind.
        error: io::ErrorKind,
    },
    /// The server closed the connection before the response was complete, and the request
    /// could not safely be sent again.
    ConnectionClosed {
        /// The connection had carried an earlier exchange.
        reused: bool,
        /// Request bytes handed out for writing on this attempt.
        written: u64,
        /// At least one byte of the response had arrived.
        response_started: bool,
    },
    /// Reading or writing failed (reset, broken pipe, ...) before the response was complete,
    /// and the request could not safely be sent again.
    ConnectionReset {
        /// The socket layer's error kind.
        error: io::ErrorKind,
        /// The connection had carried an earlier exchange.
        reused: bool,
        /// Request bytes handed out for writing on this attempt.
        written: u64,
        /// At least one byte of the response had arrived.
        response_started: bool,
    },
    /// A deadline passed; the connection, if any, was closed.
    Timeout(TimeoutPhase),
    /// The response could not be decoded; its connection was closed.
    Decode(DecodeError),
    /// More redirects than the request allowed.
    TooManyRedirects {
        /// The limit that was reached.
        max: u8,
    },
    /// A redirect's `Location` is missing, not a URI, or not http/https.
    InvalidRedirect(String),
}

impl RequestError {
    /// The server closed the connection mid-exchange.
    pub fn is_connection_closed(&self) -> bool {
        matches!(self, RequestError::ConnectionClosed { .. })
    }
    /// An I/O error broke the connection mid-exchange.
    pub fn is_connection_reset(&self) -> bool {
        matches!(self, RequestError::ConnectionReset { .. })
    }
    /// A deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, RequestError::Timeout(_))
    }
    /// The connection could not be established.
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            RequestError::ConnectFailed { .. } | RequestError::Timeout(TimeoutPhase::Connect)
        )
    }
    /// The response was malformed or over a limit.
    pub fn is_decode(&self) -> bool {
        matches!(self, RequestError::Decode(_))
    }
    /// A redirect could not be followed.
    pub fn is_redirect(&self) -> bool {
        matches!(
            self,
            RequestError::TooManyRedirects { .. } | RequestError::InvalidRedirect(_)
        )
    }
    /// A short machine-readable name of the variant (used by `fetch --json`).
    pub fn kind(&self) -> &'static str {
        match self {
            RequestError::InvalidRequest(_) => "invalid_request",
            RequestError::ConnectFailed { .. } => "connect_failed",
            RequestError::ConnectionClosed { .. } => "connection_closed",
            RequestError::ConnectionReset { .. } => "connection_reset",
            RequestError::Timeout(_) => "timeout",
            RequestError::Decode(_) => "decode",
            RequestError::TooManyRedirects { .. } => "too_many_redirects",
            RequestError::InvalidRedirect(_) => "invalid_redirect",
        }
    }
}

fn conn_kind(reused: bool) -> &'static str {
    if reused { "reused" } else { "fresh" }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::InvalidRequest(e) => write!(f, "invalid request: {e}"),
            RequestError::ConnectFailed { error } => write!(f, "connect failed: {error}"),
            RequestError::ConnectionClosed {
                reused,
                written,
                response_started,
            } => write!(
                f,
                "server closed the {} connection after {written} request bytes were written, {}",
                conn_kind(*reused),
                if *response_started {
                    "mid-response"
                } else {
                    "before any response byte"
                }
            ),
            RequestError::ConnectionReset {
                error,
                reused,
                written,
                response_started,
            } => write!(
                f,
                "{error} on the {} connection after {written} request bytes were written, {}",
                conn_kind(*reused),
                if *response_started {
                    "mid-response"
                } else {
                    "before any response byte"
                }
            ),
            RequestError::Timeout(TimeoutPhase::Connect) => f.write_str("timed out connecting"),
            RequestError::Timeout(TimeoutPhase::Head) => {
                f.write_str("timed out waiting for the response head")
            }
            RequestError::Timeout(TimeoutPhase::Request) => f.write_str("request deadline passed"),
            RequestError::Decode(e) => write!(f, "bad response: {e}"),
            RequestError::TooManyRedirects { max } => write!(f, "more than {max} redirects"),
            RequestError::InvalidRedirect(s) => write!(f, "cannot follow redirect: {s}"),
        }
    }
}

impl std::error::Error for RequestError {}
