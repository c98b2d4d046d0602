//! The host and port of a URI's authority, split by hand: `http::Uri::host` and `port_u16`
//! give the same answers but search with generic string patterns, and both run for every
//! request (the pool key and the `Host` field).
use http::Uri;

/// RFC 3986 §3.2: `authority = [ userinfo "@" ] host [ ":" port ]`, where an IPv6 literal host
/// keeps its brackets. Returns the host (`None` when the URI has no authority) and the port
/// (`None` when absent or not a number), as `Uri::host` and `Uri::port_u16` do.
pub(crate) fn host_and_port(uri: &Uri) -> (Option<&str>, Option<u16>) {
    let Some(authority) = uri.authority().map(|a| a.as_str()) else {
        return (None, None);
    };
    let bytes = authority.as_bytes();
    // One pass: the last '@', the first ':' after it, and the last ':'.
    let (mut last_at, mut first_colon, mut last_colon) = (None, None, None);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'@' {
            last_at = Some(i);
            first_colon = None;
        } else if b == b':' {
            first_colon.get_or_insert(i);
            last_colon = Some(i);
        }
    }
    let host_start = last_at.map_or(0, |at| at + 1);
    let rest = &bytes[host_start..];
    let host_len = if rest.first() == Some(&b'[') {
        rest.iter()
            .position(|&b| b == b']')
            .map_or(rest.len(), |at| at + 1)
    } else {
        first_colon.map_or(rest.len(), |colon| colon - host_start)
    };
    let host = &authority[host_start..host_start + host_len];
    let port = last_colon.and_then(|colon| port_number(&bytes[colon + 1..]));
    (Some(host), port)
}

/// RFC 3986 §3.2.3: `port = *DIGIT`, here one that fits in `u16`; digits only (no sign).
fn port_number(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    let mut n: u32 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(b - b'0');
    }
    u16::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_answers_as_http() {
        let uris = [
            "http://d1.web2.qq.com/channel/poll2",
            "http://127.0.0.1:18080/small.json",
            "https://Example.COM:8443/",
            "http://[::1]:81/",
            "http://[::1]/",
            "http://user:pw@h:8080/a",
            "http://user@h/a",
            "http://a@b@h:81/",
            "http://u:p@[::1]:82/",
            "http://h:/a",
            "http://h:80",
            "http://h:65535/",
            "http://h:65536/",
            "http://h:00080/",
            "/relative/only",
            "*",
        ];
        for s in uris {
            let uri: Uri = s.parse().unwrap();
            assert_eq!(host_and_port(&uri), (uri.host(), uri.port_u16()), "{s}");
        }
    }
}
