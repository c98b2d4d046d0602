//! HTTP/1.1 codec: request encoding and incremental response decoding.
//!
//! - [`encode_request`] turns an `http::Request<Bytes>` into wire bytes.
//! - [`ResponseDecoder`] is fed bytes in any split and yields [`DecodeEvent`]s: interim heads,
//!   the final head, body data and the end of each response. It consumes only the bytes of the
//!   current response and leaves those of a following (pipelined) response in the buffer.
//! - [`framing`] is the one pure function that decides how a response body is delimited
//!   (RFC 9112 §6.3) and whether the connection may be reused (RFC 9112 §9.3).
//! - [`ContentDecoder`] undoes `Content-Encoding: gzip | deflate` within the body limit.

mod config;
mod content;
mod decode;
mod encode;
mod error;
mod framing;

pub use config::{DecoderConfig, Leniency, Limits};
pub use content::ContentDecoder;
pub use decode::{DecodeEvent, ResponseDecoder, ResponseHead};
pub use encode::encode_request;
pub use error::{DecodeError, EncodeError};
pub use framing::{BodyFraming, Framing, framing};
