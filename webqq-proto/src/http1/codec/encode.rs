//! Request encoding: `http::Request<Bytes>` → HTTP/1.1 wire bytes.
use bytes::{BufMut, Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use super::EncodeError;
use super::authority::host_and_port;

/// Appends the HTTP/1.1 wire form of `req` to `out`: the request line with the origin-form
/// target (RFC 9112 §3.2.1), `Host` from the URI authority, then the caller's headers in their
/// order, then `Content-Length` when there is a body (and for an empty POST/PUT), then the
/// body. The request line is always `HTTP/1.1`.
///
/// A `Host` header set by the caller replaces the generated one (RFC 9112 §3.2 allows exactly
/// one). A caller's `Content-Length` must match the body; `Transfer-Encoding` is refused (the
/// encoder always frames by length). CR, LF or NUL in the target, a header name or a value is
/// refused, so a field can never be injected. On error `out` is left as it was.
pub fn encode_request(req: &http::Request<Bytes>, out: &mut BytesMut) -> Result<(), EncodeError> {
    encode_request_with(req, &[], out)
}

/// [`encode_request`], with `extra` fields written after the request's own: what a client
/// adds to every request (`Accept-Encoding`, the cookie jar's `Cookie`) without inserting it
/// into each request's `HeaderMap` first. `Host`, `Content-Length` and `Transfer-Encoding`
/// are the encoder's and are refused there.
pub fn encode_request_with(
    req: &http::Request<Bytes>,
    extra: &[(HeaderName, HeaderValue)],
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    check_extra(extra)?;
    let extra_len: usize = extra
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    out.reserve(estimated_len(req) + extra_len);
    let length = encode_start(req, out)?;
    put_extra(extra, out);
    encode_end(length, req.body(), out);
    Ok(())
}

/// A request encoded once, in the two parts that surround the fields a client adds per
/// attempt (see [`encode_request_with`]): `start` (request line, `Host`, the request's own
/// fields) and `end` (`Content-Length`, the empty line, the body).
#[derive(Clone)]
pub(crate) struct EncodedParts {
    pub start: Bytes,
    pub end: Bytes,
}

impl std::fmt::Debug for EncodedParts {
    /// Lengths only: the bytes hold the query (session keys) and the request's own fields.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedParts")
            .field("start_len", &self.start.len())
            .field("end_len", &self.end.len())
            .finish()
    }
}

impl EncodedParts {
    /// Encodes `req` (the checks of [`encode_request`]).
    pub(crate) fn new(req: &http::Request<Bytes>) -> Result<EncodedParts, EncodeError> {
        let mut out = BytesMut::with_capacity(estimated_len(req));
        let length = encode_start(req, &mut out)?;
        let start = out.split().freeze();
        encode_end(length, req.body(), &mut out);
        Ok(EncodedParts {
            start,
            end: out.freeze(),
        })
    }

    /// Appends the request with `extra` fields to `out`: the same bytes as
    /// [`encode_request_with`] on the request these parts were made from. The extra fields
    /// are the agent's own (`Accept-Encoding`, the jar's `Cookie`: checked `HeaderValue`s,
    /// never the encoder's names), so they are not checked again here (a debug assertion
    /// holds that).
    pub(crate) fn write_with(&self, extra: &[(HeaderName, HeaderValue)], out: &mut BytesMut) {
        debug_assert!(check_extra(extra).is_ok());
        out.reserve(self.start.len() + self.end.len() + 64);
        out.extend_from_slice(&self.start);
        put_extra(extra, out);
        out.extend_from_slice(&self.end);
    }
}

/// Checks `req` and writes its request line, `Host` and own fields; returns the
/// `Content-Length` to write after the extra fields, if any. On error `out` is untouched.
fn encode_start(
    req: &http::Request<Bytes>,
    out: &mut BytesMut,
) -> Result<Option<usize>, EncodeError> {
    let uri = req.uri();
    let target = origin_form(uri)?;
    let headers = req.headers();
    check_headers(headers)?;
    let length = content_length(req.method(), headers, req.body().len())?;
    let host = if headers.contains_key(HOST) {
        None
    } else {
        Some(host_value(uri)?)
    };
    let mut digits = [0u8; 20];

    out.put_slice(req.method().as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(target.as_bytes());
    out.put_slice(b" HTTP/1.1\r\n");
    if let Some((host, port)) = host {
        out.put_slice(b"host: ");
        out.put_slice(host.as_bytes());
        if let Some(port) = port {
            out.put_u8(b':');
            out.put_slice(decimal(port.into(), &mut digits));
        }
        out.put_slice(b"\r\n");
    }
    for (name, value) in headers {
        put_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    Ok(length)
}

fn put_extra(extra: &[(HeaderName, HeaderValue)], out: &mut BytesMut) {
    for (name, value) in extra {
        put_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
}

/// Writes `Content-Length` (when `length` is given), the empty line and the body.
fn encode_end(length: Option<usize>, body: &Bytes, out: &mut BytesMut) {
    if let Some(length) = length {
        let mut digits = [0u8; 20];
        put_field(out, b"content-length", decimal(length as u64, &mut digits));
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
}

fn put_field(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

fn estimated_len(req: &http::Request<Bytes>) -> usize {
    let fields: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    let target = req.uri().path_and_query().map_or(1, |pq| pq.as_str().len());
    req.method().as_str().len() + target + fields + req.body().len() + 96
}

/// RFC 9112 §3.2.1: "origin-form = absolute-path [ "?" query ]"; an empty path is sent as
/// "/". The scheme must be http or https (the only ones this client speaks).
fn origin_form(uri: &Uri) -> Result<&str, EncodeError> {
    match uri.scheme_str() {
        Some("http" | "https") | None => {}
        Some(other) => {
            return Err(EncodeError::InvalidUri(format!(
                "unsupported scheme {other:?}"
            )));
        }
    }
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let target = if target.is_empty() { "/" } else { target };
    if !target.starts_with('/') {
        return Err(EncodeError::InvalidUri(format!(
            "target {target:?} is not an absolute path"
        )));
    }
    if let Some(b) = target.bytes().find(|&b| is_forbidden(b) || b == b' ') {
        return Err(EncodeError::InvalidUri(format!(
            "target holds byte {b:#04x}"
        )));
    }
    Ok(target)
}

/// `n` in decimal, written into the end of `digits` (no allocation: this runs per request).
fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &digits[at..];
        }
    }
}

/// RFC 9112 §3.2: "Host = uri-host [ ":" port ]"; the port is left out when it is the
/// scheme's default (RFC 9110 §4.2: 80 for http, 443 for https). Returns the host and the
/// port to write, if any.
fn host_value(uri: &Uri) -> Result<(&str, Option<u16>), EncodeError> {
    let (host, port) = host_and_port(uri);
    let host = host
        .filter(|h| !h.is_empty())
        .ok_or_else(|| EncodeError::InvalidUri(format!("no host in {uri}")))?;
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    Ok((host, port.filter(|&port| port != default_port)))
}

/// Every name must be a token (RFC 9110 §5.1) and no name or value may hold CR, LF or NUL
/// (RFC 9110 §5.5: "a recipient of CR, LF, or NUL within a field value MUST either reject the
/// message or replace each of those characters with SP"). `http`'s types already promise
/// this, but values built with its unchecked constructors do not, so it is checked here.
fn check_headers(headers: &HeaderMap) -> Result<(), EncodeError> {
    check_fields(headers.iter())?;
    if headers.contains_key(TRANSFER_ENCODING) {
        return Err(EncodeError::InvalidHeader(
            "Transfer-Encoding is not supported: the encoder frames bodies by length".into(),
        ));
    }
    Ok(())
}

/// [`check_headers`] for the extra fields, which also may not be the encoder's own.
fn check_extra(extra: &[(HeaderName, HeaderValue)]) -> Result<(), EncodeError> {
    check_fields(extra.iter().map(|(n, v)| (n, v)))?;
    match extra
        .iter()
        .find(|(n, _)| [HOST, CONTENT_LENGTH, TRANSFER_ENCODING].contains(n))
    {
        Some((name, _)) => Err(EncodeError::InvalidHeader(format!(
            "{name} is the encoder's to write, not an extra field"
        ))),
        None => Ok(()),
    }
}

fn check_fields<'a>(
    fields: impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)>,
) -> Result<(), EncodeError> {
    for (name, value) in fields {
        if name.as_str().is_empty() || !name.as_str().bytes().all(is_token_byte) {
            return Err(EncodeError::InvalidHeader(format!(
                "name {:?} is not a token",
                name.as_str()
            )));
        }
        if value.as_bytes().iter().any(|&b| is_forbidden(b)) {
            return Err(EncodeError::InvalidHeader(format!(
                "value of {name} holds CR, LF or NUL"
            )));
        }
    }
    Ok(())
}

/// The `Content-Length` to add, if any. RFC 9110 §8.6: "A user agent SHOULD send
/// Content-Length in a request when the method defines a meaning for enclosed content and it
/// is not sending Transfer-Encoding" (POST and PUT, even when empty), and for any body.
fn content_length(
    method: &Method,
    headers: &HeaderMap,
    body_len: usize,
) -> Result<Option<usize>, EncodeError> {
    let given = headers.get_all(CONTENT_LENGTH).iter().collect::<Vec<_>>();
    if !given.is_empty() {
        let body = body_len.to_string();
        if given.iter().any(|v| v.as_bytes() != body.as_bytes()) {
            return Err(EncodeError::InvalidHeader(format!(
                "Content-Length does not match the body of {body_len} bytes"
            )));
        }
        return Ok(None);
    }
    let needs_length = body_len > 0 || *method == Method::POST || *method == Method::PUT;
    Ok(needs_length.then_some(body_len))
}

fn is_forbidden(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0)
}

/// RFC 9110 §5.6.2: `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^"
/// / "_" / "`" / "|" / "~" / DIGIT / ALPHA`.
fn is_token_byte(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// [`is_token_byte`] as a table: it runs on every byte of every header name sent.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Request};

    fn encode(req: Request<Bytes>) -> Result<String, EncodeError> {
        let mut out = BytesMut::new();
        encode_request(&req, &mut out)?;
        Ok(String::from_utf8(out.to_vec()).unwrap())
    }

    fn get(uri: &str) -> http::request::Builder {
        Request::get(uri)
    }

    #[test]
    fn extra_fields_follow_the_request_s_own_and_may_not_be_the_encoder_s() {
        use http::header::{ACCEPT_ENCODING, COOKIE};
        let req = get("http://h/a")
            .header("x-a", "1")
            .body(Bytes::new())
            .unwrap();
        let extra = [
            (ACCEPT_ENCODING, HeaderValue::from_static("gzip")),
            (COOKIE, HeaderValue::from_static("k=v")),
        ];
        let mut out = BytesMut::new();
        encode_request_with(&req, &extra, &mut out).unwrap();
        assert_eq!(
            out,
            "GET /a HTTP/1.1\r\nhost: h\r\nx-a: 1\r\naccept-encoding: gzip\r\ncookie: k=v\r\n\r\n"
        );
        for name in [HOST, CONTENT_LENGTH, TRANSFER_ENCODING] {
            let mut out = BytesMut::new();
            let extra = [(name.clone(), HeaderValue::from_static("1"))];
            let err = encode_request_with(&req, &extra, &mut out).unwrap_err();
            assert!(err.to_string().contains(name.as_str()), "{err}");
            assert!(out.is_empty());
        }
    }

    #[test]
    fn request_line_uses_origin_form_and_host_from_authority() {
        // RFC 9112 §3.2.1 origin-form; §3.2 Host = uri-host [ ":" port ], default port left out.
        let table = [
            (
                "http://d.web2.qq.com/channel/poll2?x=1",
                "GET /channel/poll2?x=1 HTTP/1.1\r\nhost: d.web2.qq.com\r\n\r\n",
            ),
            (
                "http://s.web2.qq.com",
                "GET / HTTP/1.1\r\nhost: s.web2.qq.com\r\n\r\n",
            ),
            ("http://h:80/a", "GET /a HTTP/1.1\r\nhost: h\r\n\r\n"),
            ("http://h:8080/a", "GET /a HTTP/1.1\r\nhost: h:8080\r\n\r\n"),
            ("https://h:443/a", "GET /a HTTP/1.1\r\nhost: h\r\n\r\n"),
            ("https://h:80/a", "GET /a HTTP/1.1\r\nhost: h:80\r\n\r\n"),
            ("http://user:pw@h/a", "GET /a HTTP/1.1\r\nhost: h\r\n\r\n"),
            (
                "http://[::1]:8080/",
                "GET / HTTP/1.1\r\nhost: [::1]:8080\r\n\r\n",
            ),
        ];
        for (uri, want) in table {
            assert_eq!(
                encode(get(uri).body(Bytes::new()).unwrap()).unwrap(),
                want,
                "{uri}"
            );
        }
    }

    #[test]
    fn headers_keep_the_callers_order_and_content_length_follows_the_body() {
        let req = Request::post("http://d1.web2.qq.com/channel/send_buddy_msg2")
            .header("referer", "http://d1.web2.qq.com/proxy.html")
            .header("cookie", "a=1")
            .header("accept", "*/*")
            .body(Bytes::from_static(b"r=%7B%7D"))
            .unwrap();
        assert_eq!(
            encode(req).unwrap(),
            "POST /channel/send_buddy_msg2 HTTP/1.1\r\nhost: d1.web2.qq.com\r\n\
             referer: http://d1.web2.qq.com/proxy.html\r\ncookie: a=1\r\naccept: */*\r\n\
             content-length: 8\r\n\r\nr=%7B%7D"
        );
    }

    #[test]
    fn content_length_for_bodies_and_empty_post_put_only() {
        // RFC 9110 §8.6: send Content-Length "when the method defines a meaning for enclosed
        // content".
        let table = [
            (Method::POST, "", true),
            (Method::PUT, "", true),
            (Method::GET, "", false),
            (Method::DELETE, "", false),
            (Method::GET, "x", true),
        ];
        for (method, body, want) in table {
            let req = Request::builder()
                .method(method.clone())
                .uri("http://h/")
                .body(Bytes::from(body))
                .unwrap();
            let wire = encode(req).unwrap();
            let has = wire.contains(&format!("content-length: {}\r\n", body.len()));
            assert_eq!(has, want, "{method} {body:?}: {wire:?}");
        }
    }

    #[test]
    fn callers_host_and_matching_length_are_not_duplicated() {
        let req = get("http://h/")
            .header("Host", "other")
            .header("content-length", "2")
            .body(Bytes::from("ab"))
            .unwrap();
        assert_eq!(
            encode(req).unwrap(),
            "GET / HTTP/1.1\r\nhost: other\r\ncontent-length: 2\r\n\r\nab"
        );
        let wrong = get("http://h/")
            .header("content-length", "3")
            .body(Bytes::from("ab"))
            .unwrap();
        assert!(matches!(encode(wrong), Err(EncodeError::InvalidHeader(_))));
        let te = get("http://h/")
            .header("transfer-encoding", "chunked")
            .body(Bytes::new())
            .unwrap();
        assert!(matches!(encode(te), Err(EncodeError::InvalidHeader(_))));
    }

    #[test]
    fn injection_and_bad_uris_are_refused_and_leave_out_untouched() {
        // Safe code cannot build a header value holding CRLF; `check_headers` guards the
        // unchecked constructors (covered by `token_and_forbidden_byte_rules`).
        assert!(HeaderValue::from_bytes(b"a\r\nx: y").is_err());
        let mut req = get("http://h/").body(Bytes::new()).unwrap();
        req.headers_mut()
            .insert("x-ok", HeaderValue::from_static("fine"));
        let mut out = BytesMut::from(&b"keep"[..]);
        encode_request(&req, &mut out).unwrap();
        assert!(out.starts_with(b"keepGET / HTTP/1.1\r\n"));

        for uri in ["ftp://h/", "/relative", "*"] {
            let req = get(uri).body(Bytes::new()).unwrap();
            let mut out = BytesMut::new();
            assert!(
                matches!(
                    encode_request(&req, &mut out),
                    Err(EncodeError::InvalidUri(_))
                ),
                "{uri}"
            );
            assert!(out.is_empty());
        }
    }

    #[test]
    fn token_and_forbidden_byte_rules() {
        // RFC 9110 §5.6.2 tchar; §5.5 CR, LF, NUL never in a field value.
        for b in 0..=255u8 {
            let token = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_token_byte(b), token, "{b:#04x}");
            assert_eq!(
                is_forbidden(b),
                b == b'\r' || b == b'\n' || b == 0,
                "{b:#04x}"
            );
        }
    }
}
