//! A received field section kept as it came: each field's parsed name and its value as a
//! zero-copy slice of the head. The `http::HeaderMap` view (a hash table of validated
//! `HeaderValue`s, two allocations and a hash per field) is built only when someone asks for
//! it; the decoder's and the agent's own questions (framing, `Keep-Alive`, `Set-Cookie`,
//! `Location`, `Content-Encoding`) are answered from the list, which for the handful of
//! fields a response carries is faster than hashing.
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use bytes::Bytes;
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

/// The header fields of a decoded response, in the order received.
///
/// Dereferences to an [`http::HeaderMap`] (built on first use and kept), so it reads like
/// one: `head.headers["content-type"]`, `.get(..)`, `.iter()`. Values were checked at decode
/// time to be valid `HeaderValue`s.
#[derive(Clone, Default)]
pub struct Fields {
    entries: Vec<(HeaderName, Bytes)>,
    /// Boxed: heads move through events and queues, and an unbuilt map should not make
    /// each move 100 bytes longer.
    map: OnceLock<Box<HeaderMap>>,
}

impl Fields {
    /// Fields from (name, value) pairs whose values are valid `HeaderValue` bytes (the decoder
    /// checks them).
    pub(super) fn from_checked(entries: Vec<(HeaderName, Bytes)>) -> Self {
        Fields {
            entries,
            map: OnceLock::new(),
        }
    }

    /// Number of fields (a name sent twice counts twice).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the head had no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fields as (name, raw value) pairs in the order received, without building the map.
    pub fn raw(&self) -> impl Iterator<Item = (&HeaderName, &[u8])> {
        self.entries.iter().map(|(n, v)| (n, v.as_ref()))
    }

    /// The `HeaderMap` view, built on first use.
    pub fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| {
            let mut map = HeaderMap::with_capacity(self.entries.len());
            for (name, value) in &self.entries {
                // Cannot fail: every value passed `is_valid_value` when decoded.
                if let Ok(value) = HeaderValue::from_maybe_shared(value.clone()) {
                    map.append(name.clone(), value);
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
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }
}

impl Deref for Fields {
    type Target = HeaderMap;
    fn deref(&self) -> &HeaderMap {
        self.map()
    }
}

impl From<HeaderMap> for Fields {
    fn from(map: HeaderMap) -> Self {
        let entries = map
            .iter()
            .map(|(n, v)| (n.clone(), Bytes::copy_from_slice(v.as_bytes())))
            .collect();
        Fields {
            entries,
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

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.map(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::from_checked(
            pairs
                .iter()
                .map(|(n, v)| {
                    (
                        HeaderName::from_bytes(n.as_bytes()).unwrap(),
                        Bytes::copy_from_slice(v.as_bytes()),
                    )
                })
                .collect(),
        )
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
}
