//! Codec errors.
use std::fmt;

/// Why a request could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The URI has no host to put in `Host`, or a scheme other than http/https.
    InvalidUri(String),
    /// A header name is not a valid token, or a name/value/target holds CR, LF or NUL.
    InvalidHeader(String),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::InvalidUri(s) => write!(f, "invalid request target: {s}"),
            EncodeError::InvalidHeader(s) => write!(f, "invalid header: {s}"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why a response could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The connection ended before the message did.
    Incomplete {
        /// Which part was cut short: "head", "body", "chunked body".
        part: &'static str,
        /// Body bytes received (0 for a head).
        received: u64,
        /// Body bytes expected, when the framing says (`None` for chunked).
        expected: Option<u64>,
    },
    /// A limit of [`Limits`](super::Limits) was passed.
    Limit {
        /// Which limit.
        what: &'static str,
        /// Its value.
        limit: u64,
    },
    /// The bytes are not a valid HTTP/1.1 response.
    Protocol(String),
}

impl DecodeError {
    /// The connection ended mid-message.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, DecodeError::Incomplete { .. })
    }
    /// A size limit was passed.
    pub fn is_limit(&self) -> bool {
        matches!(self, DecodeError::Limit { .. })
    }
    /// The peer violated the protocol.
    pub fn is_protocol(&self) -> bool {
        matches!(self, DecodeError::Protocol(_))
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Incomplete {
                part,
                received,
                expected: Some(e),
            } => {
                write!(
                    f,
                    "connection closed mid-{part}: received {received} of {e} bytes"
                )
            }
            DecodeError::Incomplete {
                part,
                received,
                expected: None,
            } => {
                write!(f, "connection closed mid-{part} after {received} bytes")
            }
            DecodeError::Limit { what, limit } => write!(f, "{what} exceeds the limit of {limit}"),
            DecodeError::Protocol(s) => write!(f, "invalid response: {s}"),
        }
    }
}

impl std::error::Error for DecodeError {}
