//! The server's `Keep-Alive: timeout=N` hint (RFC 2068 §19.7.1.1, still sent by Apache and
//! others): a server that says it closes idle connections after N seconds should not be sent
//! a request on one idle for about N seconds (keepalive-race.md §8).
use std::time::Duration;

use http::header::HeaderName;

use super::codec::FieldLookup;

static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// The longest the client keeps a connection idle when the server announced `timeout=N`:
/// N less a margin of half of N, at most one second, so that a request is not sent into the
/// server's own closing moment. `None` when no usable hint was given.
pub fn idle_limit_from_hint(headers: &impl FieldLookup) -> Option<Duration> {
    let value = std::str::from_utf8(headers.first(&KEEP_ALIVE)?).ok()?;
    let secs: u64 = value.split(',').find_map(|param| {
        let (name, v) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("timeout")
            .then(|| v.trim().trim_matches('"').parse().ok())?
    })?;
    let hint = Duration::from_secs(secs);
    Some(hint - (hint / 2).min(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn keep_alive_hint_table() {
        let ms = Duration::from_millis;
        let cases = [
            (Some("timeout=5, max=100"), Some(ms(4000))),
            (Some("max=100, Timeout=60"), Some(ms(59_000))),
            (Some("timeout=1"), Some(ms(500))),
            (Some("timeout=0"), Some(ms(0))),
            (Some("timeout=\"3\""), Some(ms(2000))),
            (Some("timeout=soon"), None),
            (Some("max=5"), None),
            (None, None),
        ];
        for (value, want) in cases {
            let mut h = HeaderMap::new();
            if let Some(v) = value {
                h.insert(&KEEP_ALIVE, HeaderValue::from_static(v));
            }
            assert_eq!(idle_limit_from_hint(&h), want, "{value:?}");
        }
    }
}
