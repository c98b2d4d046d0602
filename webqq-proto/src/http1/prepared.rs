//! A request sent many times (a poll, a heartbeat, a benchmark's GET): checked, its origin
//! found and its head encoded once; each submit then costs a reference count instead of
//! building, checking, encoding and dropping an `http::Request` with its `HeaderMap` and `Uri`.
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Request, header};

use super::codec::{EncodeError, EncodedParts};
use super::origin::Origin;

/// A request prepared for [`Agent::submit_prepared`](super::Agent::submit_prepared). Cloning
/// it is a reference count; the agent treats each submit exactly as a submit of
/// [`request`](Self::request) (same bytes on the wire, same cookies, retries, redirects).
#[derive(Clone)]
pub struct PreparedRequest {
    inner: Arc<Prepared>,
}

struct Prepared {
    request: Request<Bytes>,
    origin: Origin,
    encoded: EncodedParts,
    flags: RequestFlags,
}

/// What the agent learns from a request's own fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestFlags {
    /// The caller set `Accept-Encoding` itself.
    pub accept_encoding_given: bool,
    /// The caller set `Cookie` itself: the jar does not touch it.
    pub own_cookie: bool,
    /// The request carries `Connection: close`.
    pub close_after: bool,
}

impl RequestFlags {
    pub(crate) fn of(headers: &HeaderMap) -> RequestFlags {
        RequestFlags {
            accept_encoding_given: headers.contains_key(header::ACCEPT_ENCODING),
            own_cookie: headers.contains_key(header::COOKIE),
            close_after: wants_close(headers),
        }
    }
}

/// RFC 9112 §9.6: a request with the `close` connection option ends its connection.
pub(crate) fn wants_close(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("close"))
}

impl PreparedRequest {
    /// Checks and encodes `request` (an absolute http/https URI; the checks of
    /// [`encode_request`](super::codec::encode_request)).
    pub fn new(request: Request<Bytes>) -> Result<PreparedRequest, EncodeError> {
        let origin = Origin::from_uri(request.uri()).ok_or_else(|| {
            EncodeError::InvalidUri(format!("{}: not an absolute http(s) URI", request.uri()))
        })?;
        let encoded = EncodedParts::new(&request)?;
        let flags = RequestFlags::of(request.headers());
        Ok(PreparedRequest {
            inner: Arc::new(Prepared {
                request,
                origin,
                encoded,
                flags,
            }),
        })
    }

    /// The request it was made from.
    pub fn request(&self) -> &Request<Bytes> {
        &self.inner.request
    }

    /// The request's origin.
    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    pub(crate) fn flags(&self) -> RequestFlags {
        self.inner.flags
    }

    /// Appends the request with the agent's `extra` fields to `out` (what
    /// `encode_request_with` writes; see `EncodedParts::write_with`).
    pub(crate) fn write_with(&self, extra: &[(HeaderName, HeaderValue)], out: &mut BytesMut) {
        self.inner.encoded.write_with(extra, out);
    }
}

impl std::fmt::Debug for PreparedRequest {
    /// Method, origin and path only: fields may hold cookies, and WebQQ's queries hold
    /// session keys (`ptwebqq`, `vfwebqq`, `psessionid`: protocol §3.9, §5.6).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("method", self.inner.request.method())
            .field("origin", &format_args!("{}", self.inner.origin))
            .field("path", &self.inner.request.uri().path())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::codec::encode_request_with;

    #[test]
    fn prepared_bytes_are_encode_request_with_s() {
        let extra = [
            (
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("gzip, deflate"),
            ),
            (header::COOKIE, HeaderValue::from_static("a=1; b=2")),
        ];
        let requests = [
            Request::get("http://127.0.0.1:18080/small.json").body(Bytes::new()),
            Request::post("http://d1.web2.qq.com/channel/poll2?x=1")
                .header("referer", "http://d1.web2.qq.com/proxy.html")
                .header("connection", "keep-alive, Close")
                .body(Bytes::from_static(b"r=%7B%7D")),
            Request::put("https://Example.COM:8443/a").body(Bytes::new()),
        ];
        for request in requests {
            let request = request.unwrap();
            let prepared = PreparedRequest::new(request.clone()).unwrap();
            for extra in [&extra[..], &extra[..1], &[]] {
                let (mut want, mut got) = (BytesMut::new(), BytesMut::new());
                encode_request_with(&request, extra, &mut want).unwrap();
                prepared.write_with(extra, &mut got);
                assert_eq!(got, want, "{} {}", request.method(), request.uri());
            }
        }
        let post = PreparedRequest::new(
            Request::post("http://h/")
                .header("connection", "keep-alive, Close")
                .body(Bytes::new())
                .unwrap(),
        )
        .unwrap();
        assert!(post.flags().close_after);
        assert!(!post.flags().own_cookie);
        assert_eq!(post.origin().to_string(), "http://h:80");
    }

    #[test]
    fn debug_shows_neither_query_nor_fields() {
        let prepared = PreparedRequest::new(
            Request::get("http://s.web2.qq.com/api/getvfwebqq?ptwebqq=SECRETKEY&t=1")
                .header("cookie", "skey=@SECRETCOOKIE")
                .body(Bytes::new())
                .unwrap(),
        )
        .unwrap();
        let shown = format!("{prepared:?}");
        assert!(shown.contains("/api/getvfwebqq"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn what_cannot_be_sent_is_refused_when_prepared() {
        let bad = [
            Request::get("/relative").body(Bytes::new()).unwrap(),
            Request::get("ftp://h/").body(Bytes::new()).unwrap(),
            Request::get("http://h/")
                .header("transfer-encoding", "chunked")
                .body(Bytes::new())
                .unwrap(),
        ];
        for request in bad {
            let uri = request.uri().clone();
            assert!(PreparedRequest::new(request).is_err(), "{uri}");
        }
    }
}
