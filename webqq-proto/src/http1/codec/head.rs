//! One response head (status line and field section): parsed by httparse, plus the rules
//! httparse leaves to us (bare LF, empty lines before the status line, obs-fold unfolding, the
//! head-size limit). The head is parsed again only when an empty line can have arrived, so
//! feeding a head one byte at a time costs linear, not quadratic, time.
use std::mem::MaybeUninit;
use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};
use http::{StatusCode, Version};

use super::config::MAX_HEADERS;
use super::fields::{Fields, FieldsBuilder, is_valid_value};
use super::{DecodeError, DecoderConfig, Leniency};

/// A parsed head before the framing decision.
pub(super) struct RawHead {
    pub version: Version,
    pub status: StatusCode,
    pub reason: Bytes,
    pub headers: Fields,
}

/// Reads response heads from the front of a buffer. Holds no allocation: a head's fields are
/// positions in the head's own bytes (see [`Fields`]).
#[derive(Debug)]
pub(super) struct HeadReader {
    parser: httparse::ParserConfig,
    end: SectionEnd,
    /// Bytes of empty lines skipped before the status line (lenient mode only).
    skipped: usize,
}

impl HeadReader {
    pub fn new(leniency: &Leniency) -> Self {
        let mut parser = httparse::ParserConfig::default();
        parser
            .allow_obsolete_multiline_headers_in_responses(leniency.obs_fold)
            .allow_spaces_after_header_name_in_responses(leniency.spaces_before_colon)
            .allow_multiple_spaces_in_response_status_delimiters(
                leniency.multiple_spaces_in_status_line,
            );
        HeadReader {
            parser,
            end: SectionEnd::default(),
            skipped: 0,
        }
    }

    /// Forgets the head in progress (the buffer is the caller's, so nothing else to drop).
    pub fn reset(&mut self) {
        self.end = SectionEnd::default();
        self.skipped = 0;
    }

    /// Bytes of leading empty lines skipped so far for the current head.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Takes one complete head off the front of `buf`, or returns `Ok(None)` when it has not
    /// fully arrived. `force` parses even when no empty line arrived (to classify the bytes
    /// at EOF as invalid rather than incomplete).
    pub fn read(
        &mut self,
        buf: &mut BytesMut,
        config: &DecoderConfig,
        force: bool,
    ) -> Result<Option<RawHead>, DecodeError> {
        self.skip_empty_lines(buf, config)?;
        if buf.is_empty() {
            return Ok(None);
        }
        let max = config.limits.max_head_bytes;
        if !force && !self.end.may_have_arrived(buf) && buf.len() <= max {
            return Ok(None);
        }
        // The parser sees at most `max` bytes, so whether a head is complete, invalid or too
        // long is decided on the same bytes however the input was split.
        let window = &buf[..buf.len().min(max)];
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut heap_slots;
        let slots = if config.limits.max_headers <= MAX_HEADERS {
            &mut slots[..config.limits.max_headers]
        } else {
            heap_slots = vec![MaybeUninit::uninit(); config.limits.max_headers];
            &mut heap_slots[..]
        };
        let mut response = httparse::Response::new(&mut []);
        let parsed = self
            .parser
            .parse_response_with_uninit_headers(&mut response, window, slots);
        let len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if buf.len() > max => {
                return Err(DecodeError::Limit {
                    what: "response head bytes",
                    limit: max as u64,
                });
            }
            Ok(httparse::Status::Partial) => {
                self.end.not_yet(buf.len());
                return Ok(None);
            }
            Err(httparse::Error::TooManyHeaders) => {
                let limit = config.limits.max_headers as u64;
                return Err(DecodeError::Limit {
                    what: "header fields in the response head",
                    limit,
                });
            }
            Err(e) => return Err(DecodeError::Protocol(format!("{e} in the response head"))),
        };
        let version = match response.version {
            Some(0) => Version::HTTP_10,
            _ => Version::HTTP_11,
        };
        let code = response.code.unwrap_or_default();
        let status = StatusCode::from_u16(code).map_err(|_| {
            DecodeError::Protocol(format!("status code {code:03} is not in 100..=999"))
        })?;
        let head = &buf[..len];
        // The line-end rule of `check_crlf_line_ends`, checked in the pass that records the
        // fields: the head ends in CRLF CRLF, and every field line starts after a CRLF.
        let crlf_only = !config.leniency.bare_lf;
        if crlf_only && !head.ends_with(b"\r\n\r\n") {
            return Err(bare_lf("response head"));
        }
        let mut fields = FieldsBuilder::with_capacity(response.headers.len());
        let mut folded = false;
        for field in response.headers.iter() {
            let name = field.name.as_bytes();
            let name_at = offset_in(head, name);
            if crlf_only && name_at >= 2 && head[name_at - 2..name_at] != *b"\r\n" {
                return Err(bare_lf("response head"));
            }
            let value_at = if field.value.is_empty() {
                name_at
            } else {
                offset_in(head, field.value)
            };
            let value = value_at..value_at + field.value.len();
            if !fields.push(name_at..name_at + name.len(), value, name) {
                // Only with limits raised past what `Fields` records: names of 64 KiB, heads
                // of 4 GiB.
                let (what, limit) = if name.len() > usize::from(u16::MAX) {
                    ("bytes of a header field name", u64::from(u16::MAX))
                } else {
                    ("response head bytes", u64::from(u32::MAX))
                };
                return Err(DecodeError::Limit { what, limit });
            }
            folded |= is_folded(field, &config.leniency)?;
        }
        // httparse gives the reason unless it holds obs-text; then it is found by hand.
        let reason = match response.reason {
            Some(r) if !r.is_empty() => {
                offset_in(head, r.as_bytes())..offset_in(head, r.as_bytes()) + r.len()
            }
            _ => reason_range(head, config.leniency.multiple_spaces_in_status_line),
        };
        let mut head = buf.split_to(len);
        if folded {
            unfold_in_place(&mut head, &fields)?;
        }
        let head = head.freeze();
        let reason = head.slice(reason);
        self.end = SectionEnd::default();
        Ok(Some(RawHead {
            version,
            status,
            reason,
            headers: Fields::from_parts(head, fields),
        }))
    }

    /// RFC 9112 §2.2: "a user agent ... SHOULD ignore at least one empty line (CRLF) received
    /// prior to the request-line" is for servers; for a response we reject such lines unless
    /// [`Leniency::empty_lines_before_status`] is on, then skip them within the head limit.
    fn skip_empty_lines(
        &mut self,
        buf: &mut BytesMut,
        config: &DecoderConfig,
    ) -> Result<(), DecodeError> {
        if !matches!(buf.first(), Some(b'\r' | b'\n')) {
            return Ok(());
        }
        if !config.leniency.empty_lines_before_status {
            return Err(DecodeError::Protocol(
                "empty line before the status line".into(),
            ));
        }
        loop {
            let n = match &buf[..] {
                [b'\n', ..] => 1,
                [b'\r', b'\n', ..] => 2,
                _ => break,
            };
            buf.advance(n);
            self.skipped += n;
            // Search positions were relative to the bytes just dropped.
            self.end = SectionEnd::default();
            if self.skipped > config.limits.max_head_bytes {
                let limit = config.limits.max_head_bytes as u64;
                return Err(DecodeError::Limit {
                    what: "empty lines before the status line",
                    limit,
                });
            }
        }
        Ok(())
    }
}

/// Remembers how far a buffer was searched for the empty line that ends a field section.
#[derive(Debug, Default)]
pub(super) struct SectionEnd {
    /// `None` until a parse found the section incomplete; then where to search next.
    scan_from: Option<usize>,
}

impl SectionEnd {
    /// Whether a parse is worth trying: never tried yet, or an LF followed by an empty line
    /// (CRLF or LF) arrived since the last try.
    pub fn may_have_arrived(&mut self, buf: &[u8]) -> bool {
        let Some(from) = self.scan_from else {
            return true;
        };
        let mut at = from.min(buf.len());
        while let Some(p) = buf[at..].iter().position(|&b| b == b'\n') {
            let lf = at + p;
            let next = &buf[lf + 1..];
            if next.starts_with(b"\n") || next.starts_with(b"\r\n") {
                return true;
            }
            at = lf + 1;
        }
        self.not_yet(buf.len());
        false
    }

    /// A parse of `len` bytes found no complete section.
    pub fn not_yet(&mut self, len: usize) {
        // An LF in the last two bytes may still become part of an empty line.
        self.scan_from = Some(len.saturating_sub(2));
    }
}

/// RFC 9112 §2.2: "Although the line terminator for the start-line and fields is the sequence
/// CRLF, a recipient MAY recognize a single LF as a line terminator". We don't unless asked:
/// every field line must start right after CRLF and the section must end in CRLF CRLF (or be
/// the lone CRLF of an empty trailer section).
pub(super) fn check_crlf_line_ends(
    block: &[u8],
    mut field_starts: impl Iterator<Item = usize>,
    what: &str,
) -> Result<(), DecodeError> {
    let ends_ok = block.ends_with(b"\r\n\r\n") || block == b"\r\n";
    if ends_ok && field_starts.all(|s| s < 2 || &block[s - 2..s] == b"\r\n") {
        Ok(())
    } else {
        Err(bare_lf(what))
    }
}

fn bare_lf(what: &str) -> DecodeError {
    DecodeError::Protocol(format!("bare LF line terminator in the {what}"))
}

/// Whether a field's value holds an obs-fold to unfold (only accepted when
/// [`Leniency::obs_fold`] is on; httparse refuses it otherwise).
fn is_folded(field: &httparse::Header<'_>, leniency: &Leniency) -> Result<bool, DecodeError> {
    let folded = leniency.obs_fold && field.value.contains(&b'\n');
    if folded && !leniency.bare_lf && has_bare_lf(field.value) {
        return Err(DecodeError::Protocol(format!(
            "bare LF line terminator in field {}",
            String::from_utf8_lossy(field.name.as_bytes())
        )));
    }
    Ok(folded)
}

fn has_bare_lf(s: &[u8]) -> bool {
    s.iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || s[i - 1] != b'\r'))
}

/// RFC 9112 §5.2: "A user agent that receives an obs-fold in a response message ... MUST
/// replace each received obs-fold with one or more SP octets prior to interpreting the field
/// value." Each CR and LF of the fold becomes SP, in place: the value keeps its length and
/// position, and the head stays one buffer.
fn unfold_in_place(head: &mut BytesMut, fields: &FieldsBuilder) -> Result<(), DecodeError> {
    for (name, value) in fields.ranges() {
        let value = &mut head[value];
        if !value.contains(&b'\n') {
            continue;
        }
        for b in value.iter_mut() {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        // httparse checked the folded lines; the unfolded whole is checked once more.
        if !is_valid_value(value) {
            return Err(DecodeError::Protocol(format!(
                "invalid value of header field {}",
                String::from_utf8_lossy(&head[name])
            )));
        }
    }
    Ok(())
}

/// Position of the reason phrase in a head: `HTTP-version SP status-code SP [reason-phrase]`
/// (RFC 9112 §4), whose syntax httparse has already checked.
fn reason_range(head: &[u8], lenient_spaces: bool) -> Range<usize> {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = &head[..line_end];
    let line_len = line.strip_suffix(b"\r").unwrap_or(line).len();
    let is_sp = |i: usize| i < line_len && head[i] == b' ';
    let mut at = "HTTP/1.1".len();
    while is_sp(at) {
        at += 1;
    }
    at += 3;
    if is_sp(at) {
        at += 1;
        while lenient_spaces && is_sp(at) {
            at += 1;
        }
    }
    at.min(line_len)..line_len
}

/// Where the slice `part` (borrowed from `whole`) starts within `whole`.
pub(super) fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name longer than `Fields` records (only reachable with the head limit raised) is a
    /// typed limit error, not a panic or a wrong name.
    #[test]
    fn a_name_over_64_kib_is_a_limit_error() {
        let mut config = DecoderConfig::default();
        config.limits.max_head_bytes = 200_000;
        let name = "x".repeat(70_000);
        let wire = format!("HTTP/1.1 200 OK\r\n{name}: v\r\nContent-Length: 0\r\n\r\n");
        let mut buf = BytesMut::from(wire.as_bytes());
        let mut reader = HeadReader::new(&config.leniency);
        let err = reader
            .read(&mut buf, &config, false)
            .err()
            .expect("an error");
        assert!(err.is_limit(), "{err}");
        assert!(err.to_string().contains("header field name"), "{err}");
    }
}
