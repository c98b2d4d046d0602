//! Name resolution through an override map (design.md, Adapters): connections to a matched
//! host go to the override's address while the origin keeps its real name, so TLS names,
//! `Host` headers and cookie domains stay what the servers expect. Names not covered go to
//! the system resolver (`ToSocketAddrs`).
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// One override: a host name, or with a leading `*.` a domain and every name under it, on
/// one port or any, to a socket address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// `w.qq.com`, or `*.qq.com` for `qq.com` and every name under it (lower case).
    pub host: String,
    /// Only connections to this port (`None`: any port).
    pub port: Option<u16>,
    /// Where to connect instead.
    pub addr: SocketAddr,
    /// Plain TCP even for an `https` origin: an emulator's plain listener serves every
    /// virtual host whatever the scheme.
    pub plain: bool,
}

impl Override {
    fn matches(&self, host: &str, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        let host = host.to_ascii_lowercase();
        match self.host.strip_prefix("*.") {
            Some(domain) => {
                host == domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            None => host == self.host,
        }
    }
}

/// Where to connect for an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Candidates, tried in order.
    pub(crate) addrs: Vec<SocketAddr>,
    /// Skip TLS even for an `https` origin.
    pub(crate) plain: bool,
}

/// The override map, like curl's `--resolve`; earlier overrides win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolver {
    overrides: Vec<Override>,
}

impl Resolver {
    /// No overrides: the system resolver for everything.
    pub fn new() -> Self {
        Resolver::default()
    }

    /// Sends `host` (`*.domain` for a whole domain) on any port to `addr`, over TLS for
    /// https origins.
    pub fn insert(&mut self, host: &str, addr: SocketAddr) -> &mut Self {
        self.add(Override {
            host: host.to_ascii_lowercase(),
            port: None,
            addr,
            plain: false,
        })
    }

    /// Adds an override.
    pub fn add(&mut self, o: Override) -> &mut Self {
        self.overrides.push(o);
        self
    }

    /// Every `qq.com` host, on any port, to `addr` over plain TCP: an emulator's plain
    /// listener (such as [`serve`](crate::serve::serve)'s).
    pub fn emulator(addr: SocketAddr) -> Self {
        let mut r = Resolver::new();
        r.add(Override {
            host: "*.qq.com".into(),
            port: None,
            addr,
            plain: true,
        });
        r
    }

    /// The override for `host:port`, if any.
    pub fn lookup(&self, host: &str, port: u16) -> Option<&Override> {
        self.overrides.iter().find(|o| o.matches(host, port))
    }

    pub(crate) fn resolve(&self, host: &str, port: u16) -> io::Result<Resolved> {
        if let Some(o) = self.lookup(host, port) {
            return Ok(Resolved {
                addrs: vec![o.addr],
                plain: o.plain,
            });
        }
        let name = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = (name, port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no address"));
        }
        Ok(Resolved {
            addrs,
            plain: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_match_names_domains_and_ports() {
        let mut r = Resolver::new();
        r.add(Override {
            host: "s.web2.qq.com".into(),
            port: Some(443),
            addr: "127.0.0.1:8443".parse().unwrap(),
            plain: false,
        });
        r.insert("*.qq.com", "127.0.0.1:8080".parse().unwrap());
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
        let emu = Resolver::emulator("127.0.0.1:1".parse().unwrap());
        assert!(emu.resolve("w.qq.com", 443).unwrap().plain);
    }
}
