//! HTTP/1.1 codec: request encoding and incremental response decoding, sans I/O.
//!
//! - [`encode_request`] turns an `http::Request<Bytes>` into wire bytes.
//! - [`ResponseDecoder`] is fed bytes in any split and yields [`DecodeEvent`]s: interim heads,
//!   the final head, body data (split off the caller's buffer, no copy) and the end of each
//!   response. It consumes only the bytes of the current response and leaves those of a
//!   following (pipelined) response in the buffer; [`ResponseDecoder::reset_for`] moves on to
//!   it.
//! - [`framing`] is the one pure function that decides how a response body is delimited
//!   (RFC 9112 §6.3) and whether the connection may be reused (RFC 9112 §9.3).
//! - [`ContentDecoder`] undoes `Content-Encoding: gzip | deflate` within the body limit.
//! - [`DecoderConfig`] holds the [`Limits`] and the [`Leniency`] switches (all strict by
//!   default); every failure is a [`DecodeError`] with `is_incomplete` / `is_limit` /
//!   `is_protocol`.
//! - [`decode_all`] drives a decoder over a whole connection's bytes and collects
//!   [`Message`]s.
//!
//! # Example
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use http::{Method, Request};
//! use webqq_proto::http1::codec::{
//!     BodyFraming, DecodeEvent, DecoderConfig, ResponseDecoder, encode_request,
//! };
//!
//! // Encode a request.
//! let req = Request::post("http://d1.web2.qq.com/channel/poll2")
//!     .header("referer", "http://d1.web2.qq.com/proxy.html")
//!     .body(Bytes::from_static(b"r=%7B%7D"))
//!     .unwrap();
//! let mut wire = BytesMut::new();
//! encode_request(&req, &mut wire).unwrap();
//! assert!(wire.starts_with(b"POST /channel/poll2 HTTP/1.1\r\nhost: d1.web2.qq.com\r\n"));
//!
//! // Decode its response, arriving in two reads, with the next response's first bytes
//! // behind it.
//! let mut decoder = ResponseDecoder::new(DecoderConfig::default(), Method::POST);
//! let mut buf = BytesMut::new();
//! let mut body = Vec::new();
//! let mut ended = false;
//! for read in [&b"HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n{\"retcode\":0,"[..],
//!              &b"\"result\":\"ok\"}HTTP/1.1 2"[..]] {
//!     buf.extend_from_slice(read);
//!     while let Some(event) = decoder.decode(&mut buf).unwrap() {
//!         match event {
//!             DecodeEvent::Interim(_) => {}
//!             DecodeEvent::Head(head) => {
//!                 assert_eq!(head.status, 200);
//!                 assert_eq!(head.framing.body, BodyFraming::Length(27));
//!                 assert!(head.framing.keep_alive);
//!             }
//!             DecodeEvent::Data(data) => body.extend_from_slice(&data),
//!             DecodeEvent::End { trailers } => {
//!                 assert!(trailers.is_empty());
//!                 ended = true;
//!             }
//!         }
//!     }
//! }
//! assert!(ended);
//! assert_eq!(body, b"{\"retcode\":0,\"result\":\"ok\"}");
//! assert_eq!(&buf[..], b"HTTP/1.1 2"); // the next response, untouched
//!
//! // The server closes mid-head: an incomplete response, not a clean close.
//! decoder.reset_for(Method::GET);
//! let err = decoder.decode_eof(&mut buf).unwrap_err();
//! assert!(err.is_incomplete());
//! ```

mod authority;
mod chunked;
mod collect;
mod config;
mod content;
mod decode;
mod encode;
mod error;
mod fields;
mod framing;
mod head;

pub(crate) use authority::host_and_port;
pub use collect::{Decoded, Message, decode_all};
pub use config::{
    DecoderConfig, Leniency, Limits, MAX_BODY_BYTES, MAX_CHUNK_LINE_BYTES, MAX_HEAD_BYTES,
    MAX_HEADERS, MAX_TRAILER_BYTES,
};
pub use content::ContentDecoder;
pub use decode::{DecodeEvent, ResponseDecoder, ResponseHead};
pub(crate) use encode::EncodedParts;
pub use encode::{encode_request, encode_request_with};
pub use error::{DecodeError, EncodeError};
pub use fields::{FieldLookup, Fields};
pub use framing::{BodyFraming, Framing, framing};
