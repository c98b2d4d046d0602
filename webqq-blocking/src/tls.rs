//! TLS client configurations (rustls, ring provider): the webpki roots, plus any extra CA
//! such as an emulator's.
use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// Trusts the webpki roots and the certificates of the PEM file `extra_ca`, if given.
pub fn client_config(extra_ca: Option<&Path>) -> io::Result<Arc<ClientConfig>> {
    let pem = match extra_ca {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?,
        ),
        None => None,
    };
    build(pem.as_deref())
}

/// Trusts the webpki roots and the CA certificates in `pem`.
pub fn client_config_with_ca_pem(pem: &str) -> io::Result<Arc<ClientConfig>> {
    build(Some(pem.as_bytes()))
}

fn build(extra_pem: Option<&[u8]>) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.map_err(invalid)?).map_err(invalid)?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid("no certificate in the CA file"));
        }
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_a_certificate_is_refused() {
        let err = client_config_with_ca_pem("not a certificate").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(client_config(None).is_ok());
    }
}
