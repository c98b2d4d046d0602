//! How a response body is delimited (RFC 9112 §6.3) and whether the connection may be reused
//! afterwards (RFC 9112 §9.3): one pure function, [`framing`].
use http::{HeaderMap, Method, StatusCode, Version};

use super::DecodeError;

/// How the body of one response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body at all (HEAD, 1xx, 204, 304, or `Content-Length: 0`).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the server closes the connection.
    UntilEof,
}

/// The framing decision for one response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// How the body ends.
    pub body: BodyFraming,
    /// Whether the connection may carry another request after this response.
    pub keep_alive: bool,
}

/// Decides the body framing and connection reuse of a response to `method` with `status`,
/// `version` and `headers`, following RFC 9112 §6.3 in order.
pub fn framing(
    method: &Method,
    status: StatusCode,
    version: Version,
    headers: &HeaderMap,
) -> Result<Framing, DecodeError> {
    let _ = (method, status, version, headers);
    todo!("codec issue")
}
