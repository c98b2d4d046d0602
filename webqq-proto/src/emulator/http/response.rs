//! Responses as the emulator writes them: status, the few headers the real servers sent,
//! `Set-Cookie`s, and a body framed by `Content-Length` (gzip-compressed when the client asked
//! for it and the body is worth compressing; protocol §10 "Gzip": never unasked).
use std::io::Write;

use bytes::{BufMut, Bytes, BytesMut};
use http::StatusCode;

/// Bodies shorter than this are sent uncompressed even to a client that accepts gzip.
pub const GZIP_MIN_BYTES: usize = 256;

/// JSON content type of the CGIs (protocol §1.3, the one header capture).
pub const JSON: &str = "application/json; charset=utf-8";
/// Content type of the ptlogin JavaScript callbacks (protocol §1.3 recommendation).
pub const JS: &str = "application/javascript; charset=utf-8";
/// Content type of HTML pages.
pub const HTML: &str = "text/html; charset=utf-8";

/// A cookie the response sets.
#[derive(Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// Name.
    pub name: String,
    /// Value (may be a secret: not shown by `Debug`).
    pub value: String,
    /// `Domain` attribute (protocol §1.5 lists which cookie lives where).
    pub domain: &'static str,
    /// `Path` attribute.
    pub path: &'static str,
}

impl std::fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SetCookie({}=<redacted>; Domain={})",
            self.name, self.domain
        )
    }
}

impl SetCookie {
    /// A cookie on `domain` with path `/`.
    pub fn new(name: &str, value: impl Into<String>, domain: &'static str) -> Self {
        SetCookie {
            name: name.to_string(),
            value: value.into(),
            domain,
            path: "/",
        }
    }
}

/// A response before encoding. `Debug` shows the body's length only (login2 and getvfwebqq
/// bodies carry session tokens).
#[derive(Clone)]
pub struct Response {
    /// Status code.
    pub status: StatusCode,
    /// `Content-Type`, if any.
    pub content_type: Option<&'static str>,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// Cookies to set.
    pub cookies: Vec<SetCookie>,
    /// Body bytes (uncompressed).
    pub body: Bytes,
    /// Whether the server closes the connection after this response.
    pub close: bool,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("cookies", &self.cookies)
            .field("body_bytes", &self.body.len())
            .field("close", &self.close)
            .finish()
    }
}

impl Response {
    /// A 200 response with `body` of `content_type`.
    pub fn ok(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Response {
            status: StatusCode::OK,
            content_type: Some(content_type),
            location: None,
            cookies: Vec::new(),
            body: body.into(),
            close: false,
        }
    }

    /// A 200 JSON response.
    pub fn json(value: &serde_json::Value) -> Self {
        Response::ok(JSON, value.to_string())
    }

    /// A 200 JavaScript-callback response (ptlogin endpoints).
    pub fn js(text: impl Into<String>) -> Self {
        Response::ok(JS, text.into())
    }

    /// A response with `status` and an HTML `body`.
    pub fn html(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Response {
            status,
            ..Response::ok(HTML, body)
        }
    }

    /// A `302 Found` to `location`.
    pub fn redirect(location: impl Into<String>) -> Self {
        Response {
            status: StatusCode::FOUND,
            location: Some(location.into()),
            ..Response::ok(HTML, Bytes::new())
        }
    }

    /// Adds a cookie.
    pub fn with_cookie(mut self, cookie: SetCookie) -> Self {
        self.cookies.push(cookie);
        self
    }

    /// Marks the response as the last on its connection.
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    /// The wire bytes. `gzip`: the client accepts it. `close`: the connection ends after it.
    pub fn encode(&self, gzip: bool, close: bool) -> Bytes {
        self.encode_head_only(gzip, close, false)
    }

    /// As [`encode`](Self::encode); `head_only` for a HEAD request: the same head, no body.
    pub fn encode_head_only(&self, gzip: bool, close: bool, head_only: bool) -> Bytes {
        let compressed = (gzip && self.body.len() >= GZIP_MIN_BYTES)
            .then(|| gzip_bytes(&self.body))
            .flatten();
        let body: &[u8] = compressed.as_deref().unwrap_or(&self.body);
        let mut out = BytesMut::with_capacity(256 + body.len());
        let reason = reason_phrase(self.status);
        out.put_slice(format!("HTTP/1.1 {} {}\r\n", self.status.as_u16(), reason).as_bytes());
        out.put_slice(b"Server: Tencent/WebQQ-emulator\r\n");
        if let Some(ct) = self.content_type {
            out.put_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        if let Some(loc) = &self.location {
            out.put_slice(format!("Location: {loc}\r\n").as_bytes());
        }
        for c in &self.cookies {
            out.put_slice(
                format!(
                    "Set-Cookie: {}={}; Domain={}; Path={}\r\n",
                    c.name, c.value, c.domain, c.path
                )
                .as_bytes(),
            );
        }
        if compressed.is_some() {
            out.put_slice(b"Content-Encoding: gzip\r\n");
        }
        out.put_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        out.put_slice(if close {
            b"Connection: close\r\n" as &[u8]
        } else {
            b"Connection: keep-alive\r\n"
        });
        out.put_slice(b"\r\n");
        if !head_only {
            out.put_slice(body);
        }
        out.freeze()
    }
}

fn gzip_bytes(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

/// The reason phrase as the front proxy (nginx) wrote it.
pub fn reason_phrase(status: StatusCode) -> &'static str {
    match status.as_u16() {
        504 => "Gateway Time-out",
        _ => status.canonical_reason().unwrap_or("Unknown"),
    }
}
