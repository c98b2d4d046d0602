//! Connections to the bot (HTTP POST and reverse WebSocket): plain TCP for `http://` and
//! `ws://`, rustls for `https://` and `wss://`, trusting the webpki roots and the CA the
//! gateway was given ([`GatewayConfig::tls`](super::GatewayConfig::tls), `--ca` on the
//! command line).
use std::sync::Arc;

use futures_rustls::rustls::ClientConfig;

use crate::net::{self, Duplex};
use crate::resolve::Resolver;

/// Which scheme pair a URL may use: `(plain, secure, default plain port, default secure port)`.
pub(crate) type Schemes = (&'static str, &'static str, u16, u16);
/// `http://` and `https://`.
pub(crate) const HTTP: Schemes = ("http", "https", 80, 443);
/// `ws://` and `wss://`.
pub(crate) const WS: Schemes = ("ws", "wss", 80, 443);

/// Connects to the host of `uri`, with TLS when its scheme is the secure one of `schemes`.
pub(crate) async fn dial(
    uri: &http::Uri,
    schemes: Schemes,
    tls: Option<&Arc<ClientConfig>>,
) -> Result<Box<dyn Duplex>, String> {
    let (plain, secure, plain_port, secure_port) = schemes;
    let secure = match uri.scheme_str() {
        Some(s) if s == plain => false,
        Some(s) if s == secure => true,
        _ => {
            return Err(format!(
                "{uri}: the scheme must be {plain}:// or {secure}://"
            ));
        }
    };
    let host = uri.host().ok_or_else(|| format!("{uri}: no host"))?;
    let port = uri
        .port_u16()
        .unwrap_or(if secure { secure_port } else { plain_port });
    let config = match (secure, tls) {
        (false, _) => None,
        (true, Some(c)) => Some(Arc::clone(c)),
        (true, None) => Some(crate::tls::client_config(None).map_err(|e| e.to_string())?),
    };
    net::connect(&Resolver::new(), host, port, config.as_ref())
        .await
        .map(net::Stream::boxed)
        .map_err(|e| format!("{uri}: {e}"))
}
