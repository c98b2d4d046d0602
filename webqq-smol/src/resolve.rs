//! Name resolution for the smol driver: the [`Resolver`] override map (shared with the other
//! adapters, in `webqq-proto`), then the system resolver for names it does not cover.
use std::io;

pub use webqq_proto::http1::resolve::{
    HostPattern, Override, OverrideParseError, Resolved, Resolver,
};

/// Addresses for `host:port`: the override's, or the system resolver's.
pub(crate) async fn resolve(resolver: &Resolver, host: &str, port: u16) -> io::Result<Resolved> {
    if let Some(r) = resolver.overridden(host, port) {
        return Ok(r);
    }
    let name = host.trim_start_matches('[').trim_end_matches(']');
    let addrs = smol::net::resolve((name, port)).await?;
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no address"));
    }
    Ok(Resolved {
        addrs,
        plain: false,
    })
}
