//! Where a connection goes: the pool key (scheme, host, port).
use std::fmt;

use http::Uri;

use super::codec::host_and_port;

/// The URI scheme of an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Plain TCP.
    Http,
    /// TLS over TCP (the driver does the TLS).
    Https,
}

impl Scheme {
    /// The scheme's default port.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Scheme, host and port: connections are pooled and limited per origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// http or https.
    pub scheme: Scheme,
    /// Host name or IP literal, lower-cased (IPv6 literals keep their brackets).
    pub host: String,
    /// Port (the scheme's default when the URI has none).
    pub port: u16,
}

impl Origin {
    /// The origin of an absolute `http`/`https` URI, or `None` when the URI has no host or
    /// another scheme.
    pub fn from_uri(uri: &Uri) -> Option<Origin> {
        let (scheme, host, port) = origin_parts(uri)?;
        Some(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether this is the origin of scheme, `host` (in any case) and port.
    pub(crate) fn is(&self, scheme: Scheme, host: &str, port: u16) -> bool {
        // The host is usually written in lower case already: a byte comparison first.
        self.scheme == scheme
            && self.port == port
            && (self.host == host || self.host.eq_ignore_ascii_case(host))
    }
}

/// [`Origin::from_uri`] without the allocation of the lower-cased host: scheme, host as
/// written, port.
pub(crate) fn origin_parts(uri: &Uri) -> Option<(Scheme, &str, u16)> {
    let scheme = match uri.scheme_str()? {
        s if s.eq_ignore_ascii_case("http") => Scheme::Http,
        s if s.eq_ignore_ascii_case("https") => Scheme::Https,
        _ => return None,
    };
    let (host, port) = host_and_port(uri);
    let host = host.filter(|h| !h.is_empty())?;
    Some((scheme, host, port.unwrap_or(scheme.default_port())))
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_from_uri_table() {
        type Want = Option<(Scheme, &'static str, u16)>;
        let cases: &[(&str, Want)] = &[
            (
                "http://Example.COM/a",
                Some((Scheme::Http, "example.com", 80)),
            ),
            ("https://x.org:8443/", Some((Scheme::Https, "x.org", 8443))),
            (
                "http://127.0.0.1:8080",
                Some((Scheme::Http, "127.0.0.1", 8080)),
            ),
            ("http://[::1]:81/", Some((Scheme::Http, "[::1]", 81))),
            ("ftp://x.org/", None),
            ("/relative", None),
        ];
        for (uri, want) in cases {
            let got = Origin::from_uri(&uri.parse().unwrap());
            let want = want.map(|(scheme, host, port)| Origin {
                scheme,
                host: host.into(),
                port,
            });
            assert_eq!(got, want, "{uri}");
        }
    }
}
