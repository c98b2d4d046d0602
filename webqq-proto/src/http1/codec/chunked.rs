//! The chunked transfer coding (RFC 9112 §7.1) as an explicit state machine:
//!
//! ```text
//! Size ──size>0──▶ Data ──all read──▶ DataEnd ──CRLF──▶ Size
//!   └──size=0──▶ Trailers ──empty line──▶ (end, trailers)
//! ```
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! ```
use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::head::{SectionEnd, check_crlf_line_ends, offset_in};
use super::{DecodeError, DecoderConfig};

/// Where the decoder is inside a chunked body.
#[derive(Debug)]
enum State {
    /// Expecting a chunk-size line; `scanned` bytes of it were searched for its LF already.
    Size { scanned: usize },
    /// Inside chunk data, `remaining` bytes to go.
    Data { remaining: u64 },
    /// Expecting the CRLF that follows chunk data.
    DataEnd,
    /// After the last chunk, expecting the trailer section and its empty line.
    Trailers(SectionEnd),
}

/// What one step over the buffer found.
#[derive(Debug)]
pub(super) enum Chunk {
    /// Body bytes, split off the front of the buffer.
    Data(Bytes),
    /// The end of the body, with its trailer fields.
    End(HeaderMap),
}

/// Decodes one chunked body.
#[derive(Debug)]
pub(super) struct ChunkedDecoder {
    state: State,
    /// Body bytes announced by the chunk sizes so far (held to the body limit).
    announced: u64,
}

impl ChunkedDecoder {
    pub fn new() -> Self {
        ChunkedDecoder {
            state: State::Size { scanned: 0 },
            announced: 0,
        }
    }

    /// Takes framing bytes off the front of `buf` until it can return body data or the end,
    /// or needs more bytes (`Ok(None)`). `consumed` counts every byte taken.
    pub fn step(
        &mut self,
        buf: &mut BytesMut,
        config: &DecoderConfig,
        consumed: &mut u64,
    ) -> Result<Option<Chunk>, DecodeError> {
        loop {
            match &mut self.state {
                State::Size { scanned } => {
                    let Some((line_len, size)) = size_line(buf, scanned, config)? else {
                        return Ok(None);
                    };
                    buf.advance(line_len);
                    *consumed += line_len as u64;
                    self.announced = self
                        .announced
                        .checked_add(size)
                        .filter(|&total| total <= config.limits.max_body_bytes)
                        .ok_or(DecodeError::Limit {
                            what: "body bytes",
                            limit: config.limits.max_body_bytes,
                        })?;
                    self.state = if size == 0 {
                        State::Trailers(SectionEnd::default())
                    } else {
                        State::Data { remaining: size }
                    };
                }
                State::Data { remaining } => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let n = buf
                        .len()
                        .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = State::DataEnd;
                    }
                    *consumed += n as u64;
                    return Ok(Some(Chunk::Data(buf.split_to(n).freeze())));
                }
                State::DataEnd => {
                    // "chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF": exactly CRLF.
                    let have = buf.len().min(2);
                    if buf[..have] != b"\r\n"[..have] {
                        return Err(DecodeError::Protocol(
                            "chunk data is not followed by CRLF".into(),
                        ));
                    }
                    if have < 2 {
                        return Ok(None);
                    }
                    buf.advance(2);
                    *consumed += 2;
                    self.state = State::Size { scanned: 0 };
                }
                State::Trailers(end) => {
                    let Some((len, trailers)) = trailer_section(buf, end, config, false)? else {
                        return Ok(None);
                    };
                    buf.advance(len);
                    *consumed += len as u64;
                    return Ok(Some(Chunk::End(trailers)));
                }
            }
        }
    }

    /// The connection ended with `buf` left over: returns the error those bytes already are
    /// (a trailer section is parsed only once its end may have arrived), else `Ok(())`.
    pub fn check_at_eof(&mut self, buf: &[u8], config: &DecoderConfig) -> Result<(), DecodeError> {
        if let State::Trailers(end) = &mut self.state {
            trailer_section(buf, end, config, true)?;
        }
        Ok(())
    }
}

/// Reads a chunk-size line at the front of `buf`: `Ok(Some((line length, size)))`, or
/// `Ok(None)` when its LF has not arrived. RFC 9112 §7.1.1: "A recipient ... SHOULD limit the
/// total length of chunk extensions received"; the whole line is held to
/// [`Limits::max_chunk_line_bytes`](super::Limits::max_chunk_line_bytes), and extensions are
/// otherwise ignored ("A recipient MUST ignore unrecognized chunk extensions").
fn size_line(
    buf: &[u8],
    scanned: &mut usize,
    config: &DecoderConfig,
) -> Result<Option<(usize, u64)>, DecodeError> {
    let max = config.limits.max_chunk_line_bytes;
    let window = &buf[..buf.len().min(max)];
    let Some(lf) = window[*scanned..].iter().position(|&b| b == b'\n') else {
        if buf.len() >= max {
            return Err(DecodeError::Limit {
                what: "chunk-size line bytes",
                limit: max as u64,
            });
        }
        *scanned = window.len();
        return Ok(None);
    };
    let line = &window[..*scanned + lf + 1];
    if !line.ends_with(b"\r\n") {
        return Err(DecodeError::Protocol(
            "chunk-size line does not end in CRLF".into(),
        ));
    }
    // httparse accepts an empty size; RFC 9112 §7.1 wants `1*HEXDIG`.
    if !line[0].is_ascii_hexdigit() {
        return Err(DecodeError::Protocol(format!(
            "chunk-size line {:?} does not start with a hex digit",
            String::from_utf8_lossy(line.trim_ascii_end())
        )));
    }
    match httparse::parse_chunk_size(line) {
        Ok(httparse::Status::Complete((used, size))) if used == line.len() => {
            Ok(Some((line.len(), size)))
        }
        _ => Err(DecodeError::Protocol(format!(
            "invalid chunk-size line {:?}",
            String::from_utf8_lossy(line.trim_ascii_end())
        ))),
    }
}

/// Reads the trailer section after the last chunk: `trailer-section = *( field-line CRLF )`
/// followed by CRLF. RFC 9112 §7.1.2: "A recipient MUST NOT merge a received trailer field into
/// the header section"; the fields are returned on their own.
fn trailer_section(
    buf: &[u8],
    end: &mut SectionEnd,
    config: &DecoderConfig,
    force: bool,
) -> Result<Option<(usize, HeaderMap)>, DecodeError> {
    let max = config.limits.max_trailer_bytes;
    match buf {
        [] | [b'\r'] => return Ok(None),
        [b'\r', b'\n', ..] => return Ok(Some((2, HeaderMap::new()))),
        [b'\n', ..] if config.leniency.bare_lf => return Ok(Some((1, HeaderMap::new()))),
        [b'\n', ..] => {
            return Err(DecodeError::Protocol(
                "bare LF line terminator in the trailer section".into(),
            ));
        }
        _ => {}
    }
    if !force && !end.may_have_arrived(buf) && buf.len() <= max {
        return Ok(None);
    }
    let window = &buf[..buf.len().min(max)];
    let mut fields = vec![httparse::EMPTY_HEADER; config.limits.max_headers];
    let (len, parsed) = match httparse::parse_headers(window, &mut fields) {
        Ok(httparse::Status::Complete(done)) => done,
        Ok(httparse::Status::Partial) if buf.len() > max => {
            return Err(DecodeError::Limit {
                what: "trailer section bytes",
                limit: max as u64,
            });
        }
        Ok(httparse::Status::Partial) => {
            end.not_yet(buf.len());
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => {
            let limit = config.limits.max_headers as u64;
            return Err(DecodeError::Limit {
                what: "trailer fields",
                limit,
            });
        }
        Err(e) => return Err(DecodeError::Protocol(format!("{e} in the trailer section"))),
    };
    let section = &window[..len];
    if !config.leniency.bare_lf {
        let starts = parsed.iter().map(|f| offset_in(section, f.name.as_bytes()));
        check_crlf_line_ends(section, starts, "trailer section")?;
    }
    let mut trailers = HeaderMap::with_capacity(parsed.len());
    for field in parsed {
        let name = HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| {
            DecodeError::Protocol(format!("invalid trailer field name {:?}", field.name))
        })?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|_| DecodeError::Protocol(format!("invalid value of trailer field {name}")))?;
        trailers.append(name, value);
    }
    Ok(Some((len, trailers)))
}
