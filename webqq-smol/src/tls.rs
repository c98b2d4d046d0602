//! TLS with rustls (ring provider): the client side trusts the webpki roots plus any extra
//! CA (e.g. the emulator's), the server side serves a certificate made with rcgen.
use std::io;
use std::path::Path;
use std::sync::Arc;

use futures_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Names the emulator's certificate covers: every virtual host of every era (protocol §1.1)
/// by wildcard, the bare domains, and loopback for direct use.
const EMULATOR_NAMES: &[&str] = &[
    "qq.com",
    "*.qq.com",
    "*.ptlogin2.qq.com",
    "*.web2.qq.com",
    "*.captcha.qq.com",
    "*.gtimg.cn",
    "*.idqqimg.com",
    "localhost",
    "127.0.0.1",
];

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// A client configuration trusting the webpki roots and the certificates of `extra_ca`
/// (a PEM file), if given.
pub fn client_config(extra_ca: Option<&Path>) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        let pem = std::fs::read(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        add_pem(&mut roots, &pem)?;
    }
    client_config_with(roots)
}

/// A client configuration trusting only the CA certificates in `pem` (and the webpki roots).
pub fn client_config_with_ca_pem(pem: &str) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    add_pem(&mut roots, pem.as_bytes())?;
    client_config_with(roots)
}

fn add_pem(roots: &mut RootCertStore, pem: &[u8]) -> io::Result<()> {
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        roots.add(cert.map_err(invalid)?).map_err(invalid)?;
        added += 1;
    }
    if added == 0 {
        return Err(invalid("no certificate in the CA file"));
    }
    Ok(())
}

fn client_config_with(roots: RootCertStore) -> io::Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A freshly made CA and a server configuration whose certificate it signed.
pub struct ServerIdentity {
    /// The CA certificate, PEM: what clients must trust.
    pub ca_pem: String,
    /// The server side.
    pub config: Arc<ServerConfig>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity").finish_non_exhaustive()
    }
}

/// Makes a self-signed CA and a certificate for every emulator host name, signed by it.
pub fn emulator_identity() -> io::Result<ServerIdentity> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(invalid)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "webqq-rs emulator CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca =
        CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(invalid)?).map_err(invalid)?;
    let names: Vec<String> = EMULATOR_NAMES.iter().map(|s| s.to_string()).collect();
    let mut leaf = CertificateParams::new(names).map_err(invalid)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "webqq-rs emulator");
    let leaf_key = KeyPair::generate().map_err(invalid)?;
    let cert = leaf.signed_by(&leaf_key, &ca).map_err(invalid)?;
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(invalid)?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone(), ca.der().clone()], key)
        .map_err(invalid)?;
    Ok(ServerIdentity {
        ca_pem: ca.pem(),
        config: Arc::new(config),
    })
}
