//! Name resolution for the blocking driver: the [`Resolver`] override map (shared with the
//! other adapters, in `webqq-proto`), then the system resolver (`ToSocketAddrs`) for names it
//! does not cover.
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

pub use webqq_proto::http1::resolve::{
    HostPattern, Override, OverrideParseError, Resolved, Resolver,
};

/// Addresses for `host:port`: the override's, or the system resolver's.
pub(crate) fn resolve(resolver: &Resolver, host: &str, port: u16) -> io::Result<Resolved> {
    if let Some(r) = resolver.overridden(host, port) {
        return Ok(r);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_answers_without_asking_the_system() {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let got = resolve(&Resolver::emulator(addr), "w.qq.com", 443).unwrap();
        assert_eq!((got.addrs, got.plain), (vec![addr], true));
        let got = resolve(&Resolver::new(), "127.0.0.1", 80).unwrap();
        assert_eq!(
            (got.addrs, got.plain),
            (vec!["127.0.0.1:80".parse().unwrap()], false)
        );
    }
}
