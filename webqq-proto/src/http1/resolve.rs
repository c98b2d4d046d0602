//! The host override map every adapter resolves through (design.md, Adapters), like curl's
//! `--resolve`: the connection goes to the override's address while the origin keeps its real
//! host name, so TLS names, `Host` headers and cookie domains stay what the servers expect.
//! Pure data: names an override does not cover are the adapter's to look up.
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// Which host names an override applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Exactly this name (lower case).
    Exact(String),
    /// This domain and every name under it (`*.qq.com` matches `qq.com` and `d1.web2.qq.com`).
    Domain(String),
}

impl HostPattern {
    fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        match self {
            HostPattern::Exact(h) => *h == host,
            HostPattern::Domain(d) => {
                host == *d
                    || host
                        .strip_suffix(d.as_str())
                        .is_some_and(|p| p.ends_with('.'))
            }
        }
    }
}

/// One override: names (and optionally only one port of them) to a socket address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The names.
    pub host: HostPattern,
    /// Only connections to this port of them (`None`: any port).
    pub port: Option<u16>,
    /// Where to connect instead.
    pub addr: SocketAddr,
    /// Speak plain TCP even to an `https` origin: for an emulator's plain listener, which
    /// serves every virtual host whatever the scheme.
    pub plain: bool,
}

/// `HOST[:PORT]=ADDR` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideParseError(String);

impl fmt::Display for OverrideParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad override {:?}: expected HOST[:PORT]=IP:PORT (HOST may be *.domain)",
            self.0
        )
    }
}

impl std::error::Error for OverrideParseError {}

impl FromStr for Override {
    type Err = OverrideParseError;

    /// `HOST=ADDR`, `HOST:PORT=ADDR` or `*.DOMAIN[:PORT]=ADDR`, ADDR an `IP:PORT`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || OverrideParseError(s.to_string());
        let (lhs, addr) = s.split_once('=').ok_or_else(err)?;
        let addr: SocketAddr = addr.trim().parse().map_err(|_| err())?;
        let (name, port) = match lhs.rsplit_once(':') {
            Some((n, p)) => (n, Some(p.parse::<u16>().map_err(|_| err())?)),
            None => (lhs, None),
        };
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(err());
        }
        let host = match name.strip_prefix("*.") {
            Some(d) if !d.is_empty() => HostPattern::Domain(d.to_string()),
            _ => HostPattern::Exact(name),
        };
        Ok(Override {
            host,
            port,
            addr,
            plain: false,
        })
    }
}

/// Where to connect for an origin, and whether TLS is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Candidate addresses, tried in order.
    pub addrs: Vec<SocketAddr>,
    /// An override asked for plain TCP even though the origin is `https`.
    pub plain: bool,
}

/// The override map; names it does not cover go to the adapter's system resolver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolver {
    overrides: Vec<Override>,
}

impl Resolver {
    /// No overrides: the system resolver for everything.
    pub fn new() -> Self {
        Resolver::default()
    }

    /// Adds an override; earlier ones win.
    pub fn add(&mut self, o: Override) -> &mut Self {
        self.overrides.push(o);
        self
    }

    /// Every `qq.com` host, on any port, to `addr` over plain TCP: an emulator's `--listen`.
    pub fn emulator(addr: SocketAddr) -> Self {
        let mut r = Resolver::new();
        r.add(Override {
            host: HostPattern::Domain("qq.com".into()),
            port: None,
            addr,
            plain: true,
        });
        r
    }

    /// Every `qq.com` host to `tls_addr` for https origins and to `plain_addr` for http
    /// ones: an emulator's `--tls-listen` and `--listen` (trust its CA).
    pub fn emulator_tls(plain_addr: SocketAddr, tls_addr: SocketAddr) -> Self {
        let mut r = Resolver::new();
        for (port, addr) in [(443, tls_addr), (80, plain_addr)] {
            r.add(Override {
                host: HostPattern::Domain("qq.com".into()),
                port: Some(port),
                addr,
                plain: false,
            });
        }
        r
    }

    /// The overrides, in order.
    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }

    /// The override for `host:port`, if any.
    pub fn lookup(&self, host: &str, port: u16) -> Option<&Override> {
        self.overrides
            .iter()
            .find(|o| o.port.is_none_or(|p| p == port) && o.host.matches(host))
    }

    /// Where the override for `host:port` sends it, if one covers it; otherwise the adapter
    /// asks the system resolver.
    pub fn overridden(&self, host: &str, port: u16) -> Option<Resolved> {
        self.lookup(host, port).map(|o| Resolved {
            addrs: vec![o.addr],
            plain: o.plain,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_match_like_curl_resolve() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let mut r = Resolver::new();
        r.add("s.web2.qq.com:443=127.0.0.1:8443".parse().unwrap());
        r.add("*.qq.com=127.0.0.1:8080".parse().unwrap());
        // (host, port, expected address)
        let cases = [
            ("s.web2.qq.com", 443, Some("127.0.0.1:8443")),
            ("S.WEB2.QQ.COM", 80, Some("127.0.0.1:8080")),
            ("qq.com", 80, Some("127.0.0.1:8080")),
            ("d1.web2.qq.com", 443, Some("127.0.0.1:8080")),
            ("notqq.com", 80, None),
            ("example.org", 80, None),
        ];
        for (host, port, want) in cases {
            let got = r.lookup(host, port).map(|o| o.addr.to_string());
            assert_eq!(got.as_deref(), want, "{host}:{port}");
        }
        assert!(!r.lookup("qq.com", 1).unwrap().plain);
        assert!(
            Resolver::emulator(addr)
                .lookup("w.qq.com", 443)
                .unwrap()
                .plain
        );
        for bad in ["qq.com", "=1.2.3.4:5", "a=b", "a:x=1.2.3.4:5", "a=1.2.3.4"] {
            assert!(bad.parse::<Override>().is_err(), "{bad}");
        }
    }
}
