//! Request encoding.
use bytes::{Bytes, BytesMut};

use super::EncodeError;

/// Appends the HTTP/1.1 wire form of `req` to `out`: origin-form target, `Host` from the URI
/// authority, `Content-Length` when there is a body (and for an empty POST/PUT), then the
/// caller's headers in their order.
pub fn encode_request(req: &http::Request<Bytes>, out: &mut BytesMut) -> Result<(), EncodeError> {
    let _ = (req, out);
    todo!("codec issue")
}
