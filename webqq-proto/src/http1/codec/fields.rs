//! A received field section kept as it came: the head's bytes (one shared `Bytes`, no copy)
//! and, per field, where its name and value are in them (one allocation per head, nothing per
//! field). The `http::HeaderMap` view (a hash
//! table of validated `HeaderValue`s, two allocations and a hash per field) is built only when
//! someone asks for it; the decoder's and the agent's own questions (framing, `Keep-Alive`,
//! `Set-Cookie`, `Location`, `Content-Encoding`) are answered from the positions: each field's
//! name was classified once when decoded, so such a lookup compares one byte per field.
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};

/// Looking up field values by name: what the framing rules need, from a [`HeaderMap`] or a
/// decoded head's [`Fields`].
pub trait FieldLookup {
    /// The values of every field named `name`, in the order received.
    fn values_of<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a [u8]> + 'a;

    /// Whether a field named `name` is present.
    fn has(&self, name: &HeaderName) -> bool {
        self.values_of(name).next().is_some()
    }

    /// The value of the first field named `name`.
    fn first<'a>(&'a self, name: &'a HeaderName) -> Option<&'a [u8]> {
        self.values_of(name).next()
    }
}

impl FieldLookup for HeaderMap {
    fn values_of<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).into_iter().map(HeaderValue::as_bytes)
    }
}

/// The names the client itself looks up, recognised once per field when a head is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
enum Known {
    /// Any other name: looked up by comparing its bytes.
    #[default]
    Other,
    ContentLength,
    TransferEncoding,
    Connection,
    KeepAlive,
    SetCookie,
    ContentEncoding,
    Location,
}

impl Known {
    /// The name received as `name` (a token: httparse checked it). RFC 9110 §5.1: "Field names
    /// are case-insensitive".
    fn of(name: &[u8]) -> Known {
        let is = |known: &[u8]| token_eq_lowercase(name, known);
        match name.len() {
            8 if is(b"location") => Known::Location,
            10 if is(b"connection") => Known::Connection,
            10 if is(b"keep-alive") => Known::KeepAlive,
            10 if is(b"set-cookie") => Known::SetCookie,
            14 if is(b"content-length") => Known::ContentLength,
            16 if is(b"content-encoding") => Known::ContentEncoding,
            17 if is(b"transfer-encoding") => Known::TransferEncoding,
            _ => Known::Other,
        }
    }

    /// The name looked up: the standard ones compare as the small numbers `http` makes them.
    fn of_name(name: &HeaderName) -> Known {
        use http::header::{
            CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, LOCATION, SET_COOKIE, TRANSFER_ENCODING,
        };
        if *name == CONTENT_LENGTH {
            Known::ContentLength
        } else if *name == TRANSFER_ENCODING {
            Known::TransferEncoding
        } else if *name == CONNECTION {
            Known::Connection
        } else if *name == SET_COOKIE {
            Known::SetCookie
        } else if *name == CONTENT_ENCODING {
            Known::ContentEncoding
        } else if *name == LOCATION {
            Known::Location
        } else if name.as_str() == "keep-alive" {
            Known::KeepAlive
        } else {
            Known::Other
        }
    }
}

/// Whether the token `name` equals `lower` (lower-case letters and `-`) ignoring case. For
/// such bytes `b | 0x20` is exact: only `A`..`Z` map onto `a`..`z`, and the only other byte
/// mapping onto `-` (0x2d) is CR (0x0d), which is not a token byte.
fn token_eq_lowercase(name: &[u8], lower: &[u8]) -> bool {
    name.len() == lower.len() && name.iter().zip(lower).all(|(&a, &b)| a | 0x20 == b)
}

/// Where the first field of each [`Known`] name is: a lookup of a name the head lacks (most
/// are absent from most responses) answers without looking at the fields, and one of a name
/// it holds starts at its first field.
#[derive(Debug, Clone, Copy)]
struct FirstOf([u8; KNOWN_NAMES]);

/// The number of [`Known`] variants.
const KNOWN_NAMES: usize = Known::Location as usize + 1;
/// No such field.
const ABSENT: u8 = u8::MAX;

impl Default for FirstOf {
    fn default() -> Self {
        FirstOf([ABSENT; KNOWN_NAMES])
    }
}

impl FirstOf {
    /// Field number `index` has the name `known`.
    fn saw(&mut self, known: Known, index: usize) {
        let slot = &mut self.0[known as usize];
        if *slot == ABSENT {
            // A first field past 253 is recorded as 254: lookups start there, still before it.
            *slot = u8::try_from(index).unwrap_or(ABSENT - 1).min(ABSENT - 1);
        }
    }

    /// Where to start looking for `known`, or `None` when the head has no such field.
    fn start(&self, known: Known) -> Option<usize> {
        let slot = self.0[known as usize];
        (slot != ABSENT).then_some(usize::from(slot))
    }
}

/// Where one field is in the source bytes. Offsets are `u32`: a head is at most
/// `max_head_bytes` long, far below 4 GiB (the decoder refuses a longer limit's overflow).
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    name_at: u32,
    value_at: u32,
    value_len: u32,
    name_len: u16,
    known: Known,
}

/// Builds the field positions of one head while it is parsed; see [`Fields::from_parts`].
#[derive(Default)]
pub(super) struct FieldsBuilder {
    spans: Vec<Span>,
    first: FirstOf,
}

impl FieldsBuilder {
    /// A builder with room for `fields` fields.
    pub(super) fn with_capacity(fields: usize) -> Self {
        FieldsBuilder {
            spans: Vec::with_capacity(fields),
            first: FirstOf::default(),
        }
    }

    /// Records a field whose name and value are at these positions of the head. Positions
    /// must fit in `u32` and names in `u16` (the head limit is checked before: see
    /// `config::MAX_HEAD_BYTES`); a longer one is an error for the caller to report.
    pub(super) fn push(
        &mut self,
        name: Range<usize>,
        value: Range<usize>,
        name_bytes: &[u8],
    ) -> bool {
        // Every position is at most the larger end, so one check covers all four.
        let (Ok(name_len), Ok(_)) = (
            u16::try_from(name.len()),
            u32::try_from(name.end.max(value.end)),
        ) else {
            return false;
        };
        let (name_at, value_at, value_len) =
            (name.start as u32, value.start as u32, value.len() as u32);
        let known = Known::of(name_bytes);
        self.first.saw(known, self.spans.len());
        self.spans.push(Span {
            name_at,
            value_at,
            value_len,
            name_len,
            known,
        });
        true
    }

    /// The (name, value) positions recorded so far.
    pub(super) fn ranges(&self) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + '_ {
        self.spans.iter().map(|span| {
            let name_at = span.name_at as usize;
            (
                name_at..name_at + usize::from(span.name_len),
                Fields::value_range(span),
            )
        })
    }
}

/// The header fields of a decoded response, in the order received.
///
/// Dereferences to an [`http::HeaderMap`] (built on first use and kept), so it reads like
/// one: `head.headers["content-type"]`, `.get(..)`, `.iter()`. Names were checked at decode
/// time to be tokens and values to be valid `HeaderValue`s (httparse refuses what `http`
/// refuses; tests below hold it to that).
#[derive(Clone, Default)]
pub struct Fields {
    /// The bytes the positions point into: the whole head as received.
    source: Bytes,
    /// Where each field is in `source`. Not inline: a head moves from the decoder to the
    /// caller's response through half a dozen values, and every byte of it is copied each time.
    spans: Vec<Span>,
    first: FirstOf,
    /// Boxed: heads move through events and queues, and an unbuilt map should not make
    /// each move 100 bytes longer.
    map: OnceLock<Box<HeaderMap>>,
}

impl Fields {
    /// Fields at the positions `builder` recorded in `source` (the head they were parsed from).
    pub(super) fn from_parts(source: Bytes, builder: FieldsBuilder) -> Self {
        Fields {
            source,
            spans: builder.spans,
            first: builder.first,
            map: OnceLock::new(),
        }
    }

    /// Number of fields (a name sent twice counts twice).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when the head had no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fields as (name as received, raw value) pairs in the order received, without
    /// building the map. Names are tokens (RFC 9110 §5.6.2), so ASCII.
    pub fn raw(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.spans.iter().map(|span| {
            let name = self.name_bytes(span);
            (
                std::str::from_utf8(name).unwrap_or_default(),
                self.value_bytes(span),
            )
        })
    }

    fn name_bytes(&self, span: &Span) -> &[u8] {
        let at = span.name_at as usize;
        &self.source[at..at + usize::from(span.name_len)]
    }

    fn value_range(span: &Span) -> Range<usize> {
        let at = span.value_at as usize;
        at..at + span.value_len as usize
    }

    fn value_bytes(&self, span: &Span) -> &[u8] {
        &self.source[Self::value_range(span)]
    }

    /// The `HeaderMap` view, built on first use.
    pub fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| {
            let spans = &self.spans;
            let mut map = HeaderMap::with_capacity(spans.len());
            for span in spans {
                // Cannot fail: names and values were checked when decoded (see the type's doc).
                let name = HeaderName::from_bytes(self.name_bytes(span));
                let value =
                    HeaderValue::from_maybe_shared(self.source.slice(Self::value_range(span)));
                if let (Ok(name), Ok(value)) = (name, value) {
                    map.append(name, value);
                }
            }
            Box::new(map)
        })
    }

    /// The `HeaderMap` view, by value.
    pub fn into_map(mut self) -> HeaderMap {
        self.map();
        self.map.take().map(|map| *map).unwrap_or_default()
    }
}

/// Whether `value` is acceptable to `HeaderValue` (visible ASCII, SP, HTAB, obs-text): the
/// check `HeaderValue::from_maybe_shared` would make, made once at decode time.
pub(super) fn is_valid_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t')
}

impl FieldLookup for Fields {
    fn values_of<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a [u8]> + 'a {
        let wanted = name.as_str().as_bytes();
        let known = Known::of_name(name);
        let spans = match self.first.start(known) {
            Some(start) => &self.spans[start..],
            None => &[],
        };
        spans
            .iter()
            .filter(move |span| match known {
                Known::Other => {
                    span.known == Known::Other && self.name_bytes(span).eq_ignore_ascii_case(wanted)
                }
                _ => span.known == known,
            })
            .map(|span| self.value_bytes(span))
    }

    /// A known name is present when its first position was recorded: no field is looked at.
    fn has(&self, name: &HeaderName) -> bool {
        match Known::of_name(name) {
            Known::Other => self.values_of(name).next().is_some(),
            known => self.first.start(known).is_some(),
        }
    }
}

impl Deref for Fields {
    type Target = HeaderMap;
    fn deref(&self) -> &HeaderMap {
        self.map()
    }
}

impl From<HeaderMap> for Fields {
    /// Fields with the map's names and values, copied into one buffer.
    fn from(map: HeaderMap) -> Self {
        let mut source = BytesMut::new();
        let mut builder = FieldsBuilder::default();
        for (name, value) in &map {
            let name_at = source.len();
            source.extend_from_slice(name.as_str().as_bytes());
            let value_at = source.len();
            source.extend_from_slice(value.as_bytes());
            let pushed = builder.push(
                name_at..value_at,
                value_at..source.len(),
                name.as_str().as_bytes(),
            );
            debug_assert!(pushed, "a header map over 4 GiB");
        }
        Fields {
            source: source.freeze(),
            spans: builder.spans,
            first: builder.first,
            map: OnceLock::from(Box::new(map)),
        }
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a HeaderName, &'a HeaderValue);
    type IntoIter = http::header::Iter<'a, HeaderValue>;
    fn into_iter(self) -> Self::IntoIter {
        self.map().iter()
    }
}

impl PartialEq for Fields {
    /// Equal as header maps (the order of different names does not matter), as before the
    /// map was built lazily.
    fn eq(&self, other: &Fields) -> bool {
        self.map() == other.map()
    }
}

impl Eq for Fields {}

impl PartialEq<HeaderMap> for Fields {
    fn eq(&self, other: &HeaderMap) -> bool {
        self.map() == other
    }
}

/// Fields whose values are credentials: `Debug` names them but never shows the value.
const SECRET_FIELDS: [&str; 4] = [
    "set-cookie",
    "cookie",
    "authorization",
    "proxy-authorization",
];

impl fmt::Debug for Fields {
    /// Names and values as received, except the values of [`SECRET_FIELDS`] (a WebQQ login's
    /// `Set-Cookie` fields carry its session keys).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self.raw() {
            if SECRET_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                list.entry(&format_args!("{name}: <redacted>"));
            } else {
                list.entry(&format_args!("{name}: {}", String::from_utf8_lossy(value)));
            }
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_fields_but_never_credentials() {
        let f = fields(&[
            ("Content-Length", "5"),
            ("Set-Cookie", "ptwebqq=SECRET1; path=/"),
            ("COOKIE", "skey=SECRET2"),
            ("Authorization", "Bearer SECRET3"),
        ]);
        let shown = format!("{f:?}");
        assert!(shown.contains("Content-Length: 5"), "{shown}");
        assert!(shown.contains("Set-Cookie: <redacted>"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    /// Fields as a decoded head holds them: positions in one source of `Name: value` lines.
    fn fields(pairs: &[(&str, &str)]) -> Fields {
        let mut source = Vec::new();
        let mut builder = FieldsBuilder::default();
        for (n, v) in pairs {
            let name_at = source.len();
            source.extend_from_slice(n.as_bytes());
            source.extend_from_slice(b": ");
            let value_at = source.len();
            source.extend_from_slice(v.as_bytes());
            source.extend_from_slice(b"\r\n");
            let name = name_at..name_at + n.len();
            assert!(builder.push(name, value_at..value_at + v.len(), n.as_bytes()));
        }
        Fields::from_parts(Bytes::from(source), builder)
    }

    #[test]
    fn names_are_case_insensitive_known_or_not() {
        let f = fields(&[
            ("Content-Length", "5"),
            ("CONNECTION", "close"),
            ("X-Tencent-Id", "7"),
            ("Keep-Alive", "timeout=5"),
            ("Content-Lengthy", "no"),
        ]);
        let keep_alive = HeaderName::from_static("keep-alive");
        let id = HeaderName::from_static("x-tencent-id");
        assert_eq!(f.first(&http::header::CONTENT_LENGTH), Some(&b"5"[..]));
        assert_eq!(f.first(&http::header::CONNECTION), Some(&b"close"[..]));
        assert_eq!(f.first(&keep_alive), Some(&b"timeout=5"[..]));
        assert_eq!(f.first(&id), Some(&b"7"[..]));
        assert_eq!(
            f.first(&HeaderName::from_static("content-lengthy")),
            Some(&b"no"[..])
        );
        assert!(!f.has(&http::header::TRANSFER_ENCODING));
        // `has` answers a known name from the first positions alone: the same as a lookup.
        for name in [
            http::header::CONTENT_LENGTH,
            http::header::CONNECTION,
            http::header::TRANSFER_ENCODING,
            http::header::SET_COOKIE,
            http::header::LOCATION,
            keep_alive.clone(),
            id.clone(),
            HeaderName::from_static("content-lengthy"),
            HeaderName::from_static("x-absent"),
        ] {
            let present = f.values_of(&name).next().is_some();
            assert_eq!(f.has(&name), present, "{name}");
            assert_eq!(f.map().contains_key(&name), present, "{name}");
        }
        assert_eq!(f.map()["x-tencent-id"], "7");
        let names: Vec<&str> = f.raw().map(|(n, _)| n).collect();
        assert_eq!(
            names[..2],
            ["Content-Length", "CONNECTION"],
            "names as received"
        );
    }

    /// The `| 0x20` comparison agrees with `eq_ignore_ascii_case` on every token, each known
    /// name changed in every position to every byte.
    #[test]
    fn known_names_compare_like_eq_ignore_ascii_case() {
        let is_token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        let known = [
            "location",
            "connection",
            "keep-alive",
            "set-cookie",
            "content-length",
            "content-encoding",
            "transfer-encoding",
        ];
        for name in known {
            for at in 0..name.len() {
                for b in (0..=255u8).filter(|&b| is_token(b)) {
                    let mut got = name.as_bytes().to_vec();
                    got[at] = b;
                    assert_eq!(
                        token_eq_lowercase(&got, name.as_bytes()),
                        got.eq_ignore_ascii_case(name.as_bytes()),
                        "{name} with {b:#04x} at {at}"
                    );
                }
            }
        }
    }

    /// Past the 254th field, where a first position is no longer recorded exactly.
    #[test]
    fn known_names_are_found_far_down_a_long_head() {
        let names: Vec<String> = (0..300).map(|i| format!("x-f{i}")).collect();
        let mut pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        pairs[0] = ("Set-Cookie", "a=1");
        pairs[280] = ("set-cookie", "b=2");
        pairs[299] = ("Content-Length", "5");
        pairs[260] = ("Connection", "close");
        let f = fields(&pairs);
        let cookies: Vec<&[u8]> = f.values_of(&http::header::SET_COOKIE).collect();
        assert_eq!(cookies, [&b"a=1"[..], b"b=2"]);
        assert_eq!(f.first(&http::header::CONTENT_LENGTH), Some(&b"5"[..]));
        assert_eq!(f.first(&http::header::CONNECTION), Some(&b"close"[..]));
        assert_eq!(f.first(&HeaderName::from_static("x-f298")), Some(&b"v"[..]));
        assert!(!f.has(&http::header::LOCATION));
    }

    #[test]
    fn many_fields_keep_their_order() {
        let names: Vec<String> = (0..40).map(|i| format!("x-f{i}")).collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), n.as_str())).collect();
        let f = fields(&pairs);
        assert_eq!(f.len(), 40);
        let got: Vec<(&str, &[u8])> = f.raw().collect();
        let want: Vec<(&str, &[u8])> = pairs.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        assert_eq!(got, want);
        assert_eq!(f.map().len(), 40);
    }

    #[test]
    fn lookups_and_the_map_agree() {
        let f = fields(&[
            ("content-type", "application/json"),
            ("set-cookie", "a=1"),
            ("x-tencent", "q"),
            ("set-cookie", "b=2"),
        ]);
        let cookie = http::header::SET_COOKIE;
        let got: Vec<&[u8]> = f.values_of(&cookie).collect();
        assert_eq!(got, [&b"a=1"[..], b"b=2"]);
        assert!(f.has(&http::header::CONTENT_TYPE));
        assert!(!f.has(&http::header::LOCATION));
        assert_eq!(
            f.first(&HeaderName::from_static("x-tencent")),
            Some(&b"q"[..])
        );
        let map = f.map();
        assert_eq!(map.get_all(&cookie).iter().count(), 2);
        assert_eq!(map["content-type"], "application/json");
        assert_eq!(f.len(), 4);
        assert_eq!(
            Fields::from(map.clone()),
            f,
            "a map round trip keeps the fields"
        );
        assert_eq!(f, *map);
        assert_eq!(f.clone().into_map(), *map);
    }

    #[test]
    fn value_validity_is_header_value_s() {
        for b in 0..=255u8 {
            let v = [b'a', b, b'z'];
            assert_eq!(
                is_valid_value(&v),
                HeaderValue::from_bytes(&v).is_ok(),
                "byte {b:#04x}"
            );
        }
    }
}

#[cfg(test)]
mod httparse_guarantee {
    use super::is_valid_value;

    /// The decoder skips its own check of values httparse parsed: httparse refuses every byte
    /// in a field value that `HeaderValue` refuses (CR and LF end the line instead).
    #[test]
    fn httparse_refuses_every_byte_header_value_refuses() {
        for b in 0..=255u8 {
            if is_valid_value(&[b]) || b == b'\r' || b == b'\n' {
                continue;
            }
            let mut wire = b"HTTP/1.1 200 OK\r\nA: x".to_vec();
            wire.extend_from_slice(&[b, b'y']);
            wire.extend_from_slice(b"\r\n\r\n");
            let mut slots = [httparse::EMPTY_HEADER; 4];
            let parsed = httparse::Response::new(&mut slots).parse(&wire);
            assert!(parsed.is_err(), "byte {b:#04x} accepted: {parsed:?}");
        }
    }

    /// `Fields::map` parses names that httparse accepted: httparse refuses every name byte
    /// `HeaderName` refuses.
    #[test]
    fn httparse_refuses_every_name_byte_header_name_refuses() {
        for b in 0..=255u8 {
            let name = [b'x', b];
            if http::HeaderName::from_bytes(&name).is_ok() {
                continue;
            }
            let mut wire = b"HTTP/1.1 200 OK\r\nx".to_vec();
            wire.push(b);
            wire.extend_from_slice(b": v\r\n\r\n");
            let mut slots = [httparse::EMPTY_HEADER; 4];
            let parsed = httparse::Response::new(&mut slots).parse(&wire);
            let name_kept = parsed.is_ok() && slots[0].name.len() == 2;
            assert!(!name_kept, "byte {b:#04x} accepted in a name: {parsed:?}");
        }
    }
}
