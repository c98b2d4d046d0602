//! Connections to the bot (HTTP POST and reverse WebSocket): plain TCP for `http://` and
//! `ws://`, rustls for `https://` and `wss://`, trusting the webpki roots and the CA the
//! gateway was given ([`GatewayConfig::tls`](super::GatewayConfig::tls), `--ca` on the
//! command line).
use std::sync::{Arc, OnceLock};

use futures_rustls::rustls::ClientConfig;

use crate::net::{self, Connection};
use crate::resolve::Resolver;

/// Which scheme pair a URL may use: `(plain, secure, default plain port, default secure port)`.
pub(crate) type Schemes = (&'static str, &'static str, u16, u16);
/// `http://` and `https://`.
pub(crate) const HTTP: Schemes = ("http", "https", 80, 443);
/// `ws://` and `wss://`.
pub(crate) const WS: Schemes = ("ws", "wss", 80, 443);

/// The client TLS configuration of one gateway: the one it was given, else the webpki roots
/// alone, built at the first secure dial and shared by every later one (building it parses
/// every root certificate, too much work to repeat per webhook POST).
#[derive(Debug, Default)]
pub(crate) struct ClientTls {
    given: Option<Arc<ClientConfig>>,
    built: OnceLock<Arc<ClientConfig>>,
}

impl ClientTls {
    /// `given`: the configuration from [`GatewayConfig::tls`](super::GatewayConfig::tls).
    pub(crate) fn new(given: Option<Arc<ClientConfig>>) -> ClientTls {
        ClientTls {
            given,
            built: OnceLock::new(),
        }
    }

    /// The configuration for a secure connection.
    pub(crate) fn config(&self) -> Result<Arc<ClientConfig>, String> {
        if let Some(c) = self.given.as_ref().or(self.built.get()) {
            return Ok(Arc::clone(c));
        }
        let c = crate::tls::client_config(None).map_err(|e| e.to_string())?;
        Ok(Arc::clone(self.built.get_or_init(|| c)))
    }
}

/// Connects to the host of `uri`, with TLS when its scheme is the secure one of `schemes`.
pub(crate) async fn dial(
    uri: &http::Uri,
    schemes: Schemes,
    tls: &ClientTls,
) -> Result<Connection, String> {
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
    let config = if secure { Some(tls.config()?) } else { None };
    net::connect(&Resolver::new(), host, port, config.as_ref())
        .await
        .map_err(|e| format!("{uri}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_is_built_once() {
        let tls = ClientTls::new(None);
        let (a, b) = (tls.config().unwrap(), tls.config().unwrap());
        assert!(Arc::ptr_eq(&a, &b), "every secure dial shares one config");
        let given = crate::tls::client_config(None).unwrap();
        let tls = ClientTls::new(Some(Arc::clone(&given)));
        assert!(Arc::ptr_eq(&tls.config().unwrap(), &given));
        assert!(tls.built.get().is_none(), "nothing built when one is given");
    }
}
