//! What a finished request gives back.
use bytes::Bytes;
use http::{HeaderMap, StatusCode, Uri, Version};

use super::codec::Fields;

/// A complete response, its body content-decoded.
///
/// `Debug` shows header names but not values, the body's length and the URI's path without
/// its query (they may hold session keys and cookies).
#[derive(Clone)]
pub struct Response {
    /// HTTP version of the status line.
    pub version: Version,
    /// Status code.
    pub status: StatusCode,
    /// Reason phrase as received.
    pub reason: Bytes,
    /// Header fields as received (`Content-Encoding` kept even though the body is decoded);
    /// reads as an `http::HeaderMap`, built on first use (see [`Fields`]).
    pub headers: Fields,
    /// The body, gzip/deflate content coding removed.
    pub body: Bytes,
    /// Trailer fields of a chunked body.
    pub trailers: HeaderMap,
    /// The URI this response came from (after redirects).
    pub uri: Uri,
    /// Times the final request was sent: 1, or 2 after a retry on a fresh connection.
    pub attempts: u32,
    /// The final attempt went out on a reused connection.
    pub reused: bool,
    /// Redirects followed.
    pub redirects: u8,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("version", &self.version)
            .field("status", &self.status)
            .field(
                "headers",
                &self.headers.raw().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            // Not the query: WebQQ's hold session keys (`ptwebqq`, `vfwebqq`, `psessionid`).
            .field("path", &self.uri.path())
            .field("attempts", &self.attempts)
            .field("reused", &self.reused)
            .field("redirects", &self.redirects)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_query_and_no_field_value() {
        let mut headers = http::HeaderMap::new();
        headers.insert("set-cookie", "ptwebqq=SECRETCOOKIE".parse().unwrap());
        let response = Response {
            version: http::Version::HTTP_11,
            status: http::StatusCode::OK,
            reason: Bytes::from_static(b"OK"),
            headers: headers.into(),
            body: Bytes::from_static(b"{}"),
            trailers: HeaderMap::new(),
            uri: "http://s.web2.qq.com/api/getvfwebqq?ptwebqq=SECRETKEY&t=1"
                .parse()
                .unwrap(),
            attempts: 1,
            reused: false,
            redirects: 0,
        };
        let shown = format!("{response:?}");
        assert!(
            shown.contains("/api/getvfwebqq") && shown.contains("set-cookie"),
            "{shown}"
        );
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
