//! The emulator's own HTTP/1.1 server side: request parsing and response writing.
mod request;
mod response;

pub use request::{
    MAX_BODY_BYTES, MAX_CHUNK_LINE_BYTES, MAX_HEAD_BYTES, MAX_HEADERS, MAX_TRAILER_BYTES, Request,
    RequestError, RequestParser,
};
pub use response::{GZIP_MIN_BYTES, HTML, JS, JSON, Response, SetCookie, reason_phrase};
