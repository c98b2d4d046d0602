//! The session's TLS: an https origin is verified against the webpki roots plus the extra CA,
//! and the extra CA is both needed and enough. The server is one rustls connection on a thread
//! that answers the first request (ptlogin's QR image) and reports how its handshake went.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use webqq_blocking::{Resolver, Session, SessionConfig};
use webqq_proto::ClientConfig;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::session::{self, Event};

const QR_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\
    Set-Cookie: qrsig=SIG; Path=/; Domain=ptlogin2.qq.com\r\n\
    Content-Length: 4\r\n\r\n\x89PNG";

/// A CA (PEM) and a server configuration for `*.ptlogin2.qq.com` signed by it.
fn identity() -> (String, Arc<rustls::ServerConfig>) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["*.ptlogin2.qq.com".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    (ca.pem(), Arc::new(config))
}

/// Serves one TLS connection: answers the first request head; reports the handshake's result.
fn tls_server(config: Arc<rustls::ServerConfig>) -> (SocketAddr, Receiver<Result<(), String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let mut conn = rustls::ServerConnection::new(config).unwrap();
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut tcp) {
                let _ = tx.send(Err(e.to_string()));
                return;
            }
        }
        let _ = tx.send(Ok(()));
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let _ = tls.write_all(QR_RESPONSE);
        thread::sleep(Duration::from_secs(2)); // keep the connection up while the test reads
    });
    (addr, rx)
}

fn qr_session(addr: SocketAddr, ca_pem: Option<&str>) -> Session {
    let mut config = SessionConfig::new(ClientConfig::new(session::SessionConfig::new(
        ProfileId::S2018,
        0,
    )));
    let mut resolver = Resolver::new();
    resolver.add(format!("*.qq.com={addr}").parse().unwrap());
    config.resolver = resolver;
    config.tls = ca_pem.map(|pem| webqq_blocking::tls::client_config_with_ca_pem(pem).unwrap());
    Session::start(config).unwrap()
}

fn qr_code_within(session: &Session, wait: Duration) -> bool {
    let until = std::time::Instant::now() + wait;
    while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
        if let Ok(Some(Event::QrCode { png })) = session.recv_timeout(left) {
            assert_eq!(&png[..], b"\x89PNG");
            return true;
        }
    }
    false
}

#[test]
fn the_extra_ca_is_needed_and_enough() {
    let (ca_pem, config) = identity();

    // Webpki roots only: the handshake is refused and no response is taken.
    let (addr, handshake) = tls_server(Arc::clone(&config));
    let untrusting = qr_session(addr, None);
    let result = handshake.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(result.is_err(), "a handshake succeeded without the CA");
    assert!(!qr_code_within(&untrusting, Duration::from_millis(300)));

    // With the CA: verified, and the QR image arrives through TLS.
    let (addr, handshake) = tls_server(config);
    let trusting = qr_session(addr, Some(&ca_pem));
    assert_eq!(
        handshake.recv_timeout(Duration::from_secs(10)).unwrap(),
        Ok(())
    );
    assert!(qr_code_within(&trusting, Duration::from_secs(10)));
}
