//! Incremental HTTP/1.1 request parsing for the emulator's listener.
//!
//! Fed bytes in any split, [`RequestParser::parse`] takes one request at a time from the front
//! of the connection's buffer and leaves the bytes of a following (pipelined) request there.
//! Bodies are delimited by `Content-Length` or `Transfer-Encoding: chunked` (RFC 9112 §6.3:
//! a request without either has no body). Every size is capped by the constants below, so a
//! client can never make the parser buffer without bound; every refusal is a
//! [`RequestError`], which the server answers with `400 Bad Request` and a close.
use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};

/// Most bytes of a request head (request line, fields, the empty line).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header fields in a head or a chunked trailer section.
pub const MAX_HEADERS: usize = 64;
/// Most bytes of a request body (after removing the chunked coding).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Most bytes of one chunk-size line, extensions included.
pub const MAX_CHUNK_LINE_BYTES: usize = 1024;
/// Most bytes of a chunked trailer section.
pub const MAX_TRAILER_BYTES: usize = 8 * 1024;

/// One complete request. `Debug` leaves out the query, header values and body, which carry
/// cookies and session tokens.
#[derive(Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Path part of the target (before `?`), as sent (percent-encoding kept).
    pub path: String,
    /// Query part of the target (after `?`, without it), empty when absent.
    pub query: String,
    /// Version of the request line.
    pub version: Version,
    /// Header fields.
    pub headers: HeaderMap,
    /// Body, transfer coding removed.
    pub body: Bytes,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_bytes", &self.query.len())
            .field("headers", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Request {
    /// The value of header `name` as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Host` without its port, lower-cased; empty when absent.
    pub fn host(&self) -> String {
        let host = self.header("host").unwrap_or("");
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        host.to_ascii_lowercase()
    }

    /// Whether the client lets the connection stay open after the response (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.headers.get_all("connection").iter().any(|v| {
                v.to_str()
                    .unwrap_or("")
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case(token))
            })
        };
        match self.version {
            Version::HTTP_11 => !has("close"),
            _ => has("keep-alive") && !has("close"),
        }
    }

    /// Whether `Accept-Encoding` lists gzip with a non-zero weight.
    pub fn accepts_gzip(&self) -> bool {
        self.headers.get_all("accept-encoding").iter().any(|v| {
            v.to_str().unwrap_or("").split(',').any(|item| {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or("").trim();
                let zero = parts.any(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=")
                        .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
                });
                (coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip"))
                    && !zero
            })
        })
    }

    /// The value of cookie `name` from the `Cookie` header(s).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.trim_matches('"').to_string())
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// A limit of this module was passed.
    Limit {
        /// Which limit.
        what: &'static str,
        /// Its value.
        limit: usize,
    },
    /// The head does not parse as an HTTP/1.x request.
    Syntax(String),
    /// `Content-Length` is not a number, or repeated with different values.
    ContentLength(String),
    /// A transfer coding other than a final `chunked`.
    TransferEncoding(String),
    /// The chunked body is malformed.
    Chunk(String),
    /// The connection ended in the middle of a request.
    Incomplete {
        /// Which part was cut short: "head", "body" or "chunked body".
        part: &'static str,
        /// Bytes of that part received.
        received: usize,
    },
}

impl RequestError {
    /// A size limit was passed.
    pub fn is_limit(&self) -> bool {
        matches!(self, RequestError::Limit { .. })
    }
    /// The bytes violate the protocol.
    pub fn is_protocol(&self) -> bool {
        matches!(
            self,
            RequestError::Syntax(_)
                | RequestError::ContentLength(_)
                | RequestError::TransferEncoding(_)
                | RequestError::Chunk(_)
        )
    }
    /// The connection ended mid-request.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, RequestError::Incomplete { .. })
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Limit { what, limit } => {
                write!(f, "request {what} exceeds the limit of {limit}")
            }
            RequestError::Syntax(s) => write!(f, "invalid request head: {s}"),
            RequestError::ContentLength(s) => write!(f, "invalid Content-Length: {s}"),
            RequestError::TransferEncoding(s) => write!(f, "unsupported Transfer-Encoding: {s}"),
            RequestError::Chunk(s) => write!(f, "invalid chunked body: {s}"),
            RequestError::Incomplete { part, received } => {
                write!(
                    f,
                    "connection closed mid-request {part} after {received} bytes"
                )
            }
        }
    }
}

impl std::error::Error for RequestError {}

/// A parsed head waiting for its body.
#[derive(Debug)]
struct Head {
    method: Method,
    path: String,
    query: String,
    version: Version,
    headers: HeaderMap,
}

/// Where in the chunked coding the parser stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data, this many bytes left.
    Data(usize),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// Reading the trailer section, this many bytes so far.
    Trailers(usize),
}

/// Parser state: one request at a time.
#[derive(Debug)]
enum State {
    /// Waiting for a complete head; bytes already scanned for the blank line.
    Head { scanned: usize },
    /// Reading a `Content-Length` body.
    Length {
        head: Head,
        remaining: usize,
        body: BytesMut,
    },
    /// Reading a chunked body.
    Chunked {
        head: Head,
        chunk: Chunk,
        body: BytesMut,
    },
    /// A previous error; the connection is done.
    Failed,
}

/// Parses requests from a connection's buffer.
#[derive(Debug)]
pub struct RequestParser {
    state: State,
    /// The head now waiting for its body asked for `100 Continue` (RFC 9110 §10.1.1).
    expects_continue: bool,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser {
            state: State::Head { scanned: 0 },
            expects_continue: false,
        }
    }
}

impl RequestParser {
    /// Whether the parser is between requests (no byte of a next request consumed).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head { scanned: 0 })
    }

    /// True once after a head with `Expect: 100-continue` whose body has not arrived: the
    /// server should write `100 Continue` (curl waits for it before large POST bodies).
    pub fn take_continue(&mut self) -> bool {
        std::mem::take(&mut self.expects_continue)
    }

    /// Takes the next complete request from the front of `buf`, or `Ok(None)` when more bytes
    /// are needed. After an error the parser refuses everything.
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, RequestError> {
        let result = self.step(buf);
        match &result {
            Err(_) => self.state = State::Failed,
            // The body arrived with its head: a `100 Continue` now would follow the final
            // response (found by the `emulator_requests` fuzz target).
            Ok(Some(_)) => self.expects_continue = false,
            Ok(None) => {}
        }
        result
    }

    /// The connection ended: an error when a request had begun.
    pub fn eof(&self, buf: &BytesMut) -> Result<(), RequestError> {
        match &self.state {
            State::Head { .. } if buf.is_empty() => Ok(()),
            State::Head { .. } => Err(RequestError::Incomplete {
                part: "head",
                received: buf.len(),
            }),
            State::Length { body, .. } => Err(RequestError::Incomplete {
                part: "body",
                received: body.len(),
            }),
            State::Chunked { body, .. } => Err(RequestError::Incomplete {
                part: "chunked body",
                received: body.len(),
            }),
            State::Failed => Ok(()),
        }
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, RequestError> {
        loop {
            match &mut self.state {
                State::Failed => {
                    return Err(RequestError::Syntax("connection already failed".into()));
                }
                State::Head { scanned } => {
                    // RFC 9112 §2.2: ignore at least one empty line before the request line.
                    while buf.starts_with(b"\r\n") {
                        buf.advance(2);
                        *scanned = 0;
                    }
                    let start = scanned.saturating_sub(3);
                    let end = find(&buf[start..], b"\r\n\r\n").map(|i| start + i + 4);
                    let Some(end) = end else {
                        if buf.len() > MAX_HEAD_BYTES {
                            return Err(RequestError::Limit {
                                what: "head bytes",
                                limit: MAX_HEAD_BYTES,
                            });
                        }
                        *scanned = buf.len();
                        return Ok(None);
                    };
                    if end > MAX_HEAD_BYTES {
                        return Err(RequestError::Limit {
                            what: "head bytes",
                            limit: MAX_HEAD_BYTES,
                        });
                    }
                    let head_bytes = buf.split_to(end);
                    let head = parse_head(&head_bytes)?;
                    let framing = body_framing(&head.headers)?;
                    self.expects_continue = !matches!(framing, Framing::None)
                        && head.version == Version::HTTP_11
                        && head
                            .headers
                            .get("expect")
                            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
                    self.state = match framing {
                        Framing::None => {
                            self.state = State::Head { scanned: 0 };
                            return Ok(Some(finish(head, Bytes::new())));
                        }
                        Framing::Length(n) => State::Length {
                            head,
                            remaining: n,
                            body: BytesMut::new(),
                        },
                        Framing::Chunked => State::Chunked {
                            head,
                            chunk: Chunk::Size,
                            body: BytesMut::new(),
                        },
                    };
                }
                State::Length {
                    remaining, body, ..
                } => {
                    let take = (*remaining).min(buf.len());
                    body.extend_from_slice(&buf.split_to(take));
                    *remaining -= take;
                    if *remaining > 0 {
                        return Ok(None);
                    }
                    return Ok(Some(self.complete()));
                }
                State::Chunked { chunk, body, .. } => {
                    if !chunked_step(chunk, body, buf)? {
                        return Ok(None);
                    }
                    if *chunk == Chunk::Trailers(usize::MAX) {
                        return Ok(Some(self.complete()));
                    }
                }
            }
        }
    }

    fn complete(&mut self) -> Request {
        let state = std::mem::replace(&mut self.state, State::Head { scanned: 0 });
        match state {
            State::Length { head, body, .. } | State::Chunked { head, body, .. } => {
                finish(head, body.freeze())
            }
            _ => unreachable!("complete() is only called with a body state"),
        }
    }
}

/// Advances the chunked decoder; `Ok(false)` = needs more bytes. The end of the body is
/// signalled by leaving `chunk` at `Trailers(usize::MAX)`.
fn chunked_step(
    chunk: &mut Chunk,
    body: &mut BytesMut,
    buf: &mut BytesMut,
) -> Result<bool, RequestError> {
    match *chunk {
        Chunk::Size => {
            let Some(line_end) = find(buf, b"\r\n") else {
                if buf.len() > MAX_CHUNK_LINE_BYTES {
                    return Err(RequestError::Limit {
                        what: "chunk-size line bytes",
                        limit: MAX_CHUNK_LINE_BYTES,
                    });
                }
                return Ok(false);
            };
            if line_end > MAX_CHUNK_LINE_BYTES {
                return Err(RequestError::Limit {
                    what: "chunk-size line bytes",
                    limit: MAX_CHUNK_LINE_BYTES,
                });
            }
            let line = buf.split_to(line_end + 2);
            let size = parse_chunk_size(&line[..line_end])?;
            if body.len().saturating_add(size) > MAX_BODY_BYTES {
                return Err(RequestError::Limit {
                    what: "body bytes",
                    limit: MAX_BODY_BYTES,
                });
            }
            *chunk = if size == 0 {
                Chunk::Trailers(0)
            } else {
                Chunk::Data(size)
            };
        }
        Chunk::Data(left) => {
            if buf.is_empty() {
                return Ok(false);
            }
            let take = left.min(buf.len());
            body.extend_from_slice(&buf.split_to(take));
            *chunk = if take == left {
                Chunk::DataEnd
            } else {
                Chunk::Data(left - take)
            };
        }
        Chunk::DataEnd => {
            if buf.len() < 2 {
                return Ok(false);
            }
            if &buf[..2] != b"\r\n" {
                return Err(RequestError::Chunk(
                    "chunk data not followed by CRLF".into(),
                ));
            }
            buf.advance(2);
            *chunk = Chunk::Size;
        }
        Chunk::Trailers(seen) => {
            let Some(line_end) = find(buf, b"\r\n") else {
                if seen + buf.len() > MAX_TRAILER_BYTES {
                    return Err(RequestError::Limit {
                        what: "trailer bytes",
                        limit: MAX_TRAILER_BYTES,
                    });
                }
                return Ok(false);
            };
            let seen = seen + line_end + 2;
            if seen > MAX_TRAILER_BYTES {
                return Err(RequestError::Limit {
                    what: "trailer bytes",
                    limit: MAX_TRAILER_BYTES,
                });
            }
            buf.advance(line_end + 2);
            // Trailer fields are read and dropped: no endpoint uses them.
            *chunk = Chunk::Trailers(if line_end == 0 { usize::MAX } else { seen });
        }
    }
    Ok(true)
}

/// Parses `1*HEXDIG [ chunk-ext ]` (RFC 9112 §7.1).
fn parse_chunk_size(line: &[u8]) -> Result<usize, RequestError> {
    let digits = line.split(|&b| b == b';').next().unwrap_or(&[]);
    let digits = trim_ows(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(RequestError::Chunk(format!(
            "bad chunk size {:?}",
            String::from_utf8_lossy(line)
        )));
    }
    if digits.len() > 8 {
        return Err(RequestError::Limit {
            what: "body bytes",
            limit: MAX_BODY_BYTES,
        });
    }
    let text =
        std::str::from_utf8(digits).map_err(|_| RequestError::Chunk("bad chunk size".into()))?;
    usize::from_str_radix(text, 16)
        .map_err(|_| RequestError::Chunk(format!("bad chunk size {text:?}")))
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

enum Framing {
    None,
    Length(usize),
    Chunked,
}

/// RFC 9112 §6.3 for requests: chunked if it is the final transfer coding (any other coding is
/// refused), else Content-Length, else no body. Both present is refused (request smuggling).
fn body_framing(headers: &HeaderMap) -> Result<Framing, RequestError> {
    let te: Vec<String> = headers
        .get_all("transfer-encoding")
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty())
        .collect();
    let lengths: Vec<&HeaderValue> = headers.get_all("content-length").iter().collect();
    if !te.is_empty() {
        if !lengths.is_empty() {
            return Err(RequestError::TransferEncoding(
                "both Transfer-Encoding and Content-Length".into(),
            ));
        }
        if te.len() != 1 || te[0] != "chunked" {
            return Err(RequestError::TransferEncoding(te.join(", ")));
        }
        return Ok(Framing::Chunked);
    }
    let mut value: Option<usize> = None;
    for v in lengths {
        for part in String::from_utf8_lossy(v.as_bytes()).split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RequestError::ContentLength(format!(
                    "{part:?} is not a number"
                )));
            }
            let n: usize = part.parse().unwrap_or(usize::MAX);
            if n > MAX_BODY_BYTES {
                return Err(RequestError::Limit {
                    what: "body bytes",
                    limit: MAX_BODY_BYTES,
                });
            }
            if value.is_some_and(|old| old != n) {
                return Err(RequestError::ContentLength(
                    "repeated with different values".into(),
                ));
            }
            value = Some(n);
        }
    }
    Ok(match value {
        None | Some(0) => Framing::None,
        Some(n) => Framing::Length(n),
    })
}

fn parse_head(bytes: &[u8]) -> Result<Head, RequestError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut fields);
    match req.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(RequestError::Syntax("head ends early".into()));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(RequestError::Limit {
                what: "header count",
                limit: MAX_HEADERS,
            });
        }
        Err(e) => return Err(RequestError::Syntax(e.to_string())),
    }
    let method = Method::from_bytes(req.method.unwrap_or("").as_bytes())
        .map_err(|_| RequestError::Syntax("bad method".into()))?;
    let version = match req.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let target = req.path.unwrap_or("");
    // Absolute-form targets (proxies, some clients) carry the host; keep only the path.
    let target = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    if !target.starts_with('/') && target != "*" {
        return Err(RequestError::Syntax(format!(
            "request target {target:?} is not origin-form"
        )));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = HeaderMap::new();
    for field in req.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| RequestError::Syntax(format!("bad field name {:?}", field.name)))?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|_| RequestError::Syntax(format!("bad value of field {:?}", field.name)))?;
        headers.append(name, value);
    }
    if version == Version::HTTP_11 && headers.get_all("host").iter().count() > 1 {
        return Err(RequestError::Syntax("more than one Host field".into()));
    }
    Ok(Head {
        method,
        path: path.to_string(),
        query: query.to_string(),
        version,
        headers,
    })
}

fn finish(head: Head, body: Bytes) -> Request {
    Request {
        method: head.method,
        path: head.path,
        query: head.query,
        version: head.version,
        headers: head.headers,
        body,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
