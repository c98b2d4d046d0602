//! Incremental response decoding.
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, StatusCode, Version};

use super::{DecodeError, DecoderConfig, Framing};

/// A decoded status line and header section.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// HTTP version of the status line.
    pub version: Version,
    /// Status code.
    pub status: StatusCode,
    /// Reason phrase as received (may be empty).
    pub reason: Bytes,
    /// Header fields, in the order received.
    pub headers: HeaderMap,
    /// How the body is delimited and whether the connection may be reused.
    pub framing: Framing,
}

/// What the decoder found in the bytes fed so far.
#[derive(Debug, Clone)]
pub enum DecodeEvent {
    /// An interim 1xx response (not 101); the final response follows.
    Interim(ResponseHead),
    /// The head of the final response.
    Head(ResponseHead),
    /// A piece of the body (transfer coding removed, content coding untouched).
    Data(Bytes),
    /// The end of the response, with the trailer fields of a chunked body (else empty).
    End {
        /// Trailer fields.
        trailers: HeaderMap,
    },
}

/// Decodes one response at a time from a byte buffer owned by the caller.
#[derive(Debug)]
pub struct ResponseDecoder {
    config: DecoderConfig,
}

impl ResponseDecoder {
    /// A decoder waiting for the response to a request with method `method`.
    pub fn new(config: DecoderConfig, method: Method) -> Self {
        let _ = method;
        ResponseDecoder { config }
    }

    /// Takes what it can from the front of `buf` and returns the next event, or `Ok(None)`
    /// when more bytes are needed. Bytes after the end of this response stay in `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<DecodeEvent>, DecodeError> {
        let _ = (buf, &self.config);
        todo!("codec issue")
    }

    /// The connection ended: returns the last event (the end of a body delimited by EOF),
    /// `Ok(None)` when no response had started, or an `Incomplete` error.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<DecodeEvent>, DecodeError> {
        let _ = buf;
        todo!("codec issue")
    }
}
