//! `HttpDriver` over loopback against a small hand-written HTTP/1.1 server on threads: keep-
//! alive reuse, bodies larger than one read, several connections at once, a server's close of
//! an idle connection seen before a request is written to it, connect failures and deadlines.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use webqq_proto::emulator::EmulatorConfig;
use webqq_smol::http_driver::Finished;
use webqq_smol::proto::http1::{Agent, AgentConfig, RequestOptions};
use webqq_smol::{EmulatorHost, HttpDriver, Resolver};

/// What the server does with each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Answers every request with the body, keeping the connection open.
    KeepAlive,
    /// Answers one request (as if keeping the connection alive), then closes it.
    CloseAfterOne,
    /// Reads requests and never answers.
    Silent,
}

struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

fn serve(behaviour: Behaviour, body: Vec<u8>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (c, r) = (Arc::clone(&connections), Arc::clone(&requests));
    let body = Arc::new(body);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            c.fetch_add(1, Ordering::SeqCst);
            let (r, body) = (Arc::clone(&r), Arc::clone(&body));
            thread::spawn(move || answer(stream, behaviour, &body, &r));
        }
    });
    Server {
        addr,
        connections,
        requests,
    }
}

/// Reads one request head (and its `Content-Length` body); `None` at EOF.
fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        pending.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&pending[..head_end]).to_ascii_lowercase();
    let body_len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while pending.len() < head_end + body_len {
        let n = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        pending.extend_from_slice(&chunk[..n]);
    }
    pending.drain(..head_end + body_len);
    Some(())
}

fn answer(mut stream: TcpStream, behaviour: Behaviour, body: &[u8], requests: &AtomicUsize) {
    let mut pending = Vec::new();
    while read_request(&mut stream, &mut pending).is_some() {
        requests.fetch_add(1, Ordering::SeqCst);
        if let Behaviour::Silent = behaviour {
            continue;
        }
        // One write: head and body in two would wait for the client's delayed ACK (Nagle).
        let mut response =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        response.extend_from_slice(body);
        if stream.write_all(&response).is_err() {
            return;
        }
        if let Behaviour::CloseAfterOne = behaviour {
            return; // dropping the stream closes it
        }
    }
}

fn driver() -> HttpDriver<u32> {
    HttpDriver::new(Agent::new(AgentConfig::default(), Instant::now()))
}

fn get(addr: SocketAddr) -> http::Request<Bytes> {
    http::Request::get(format!("http://{addr}/x"))
        .body(Bytes::new())
        .unwrap()
}

fn post(addr: SocketAddr) -> http::Request<Bytes> {
    http::Request::post(format!("http://{addr}/send"))
        .body(Bytes::from_static(b"r=%7B%7D"))
        .unwrap()
}

fn body_of(done: Finished<u32>) -> Bytes {
    let (_, _, result) = done;
    let response = result.expect("request failed");
    assert_eq!(response.status, 200);
    response.body
}

#[test]
fn sequential_gets_share_one_connection() {
    let server = serve(Behaviour::KeepAlive, b"{\"retcode\":0}".to_vec());
    smol::block_on(async {
        let mut driver = driver();
        for i in 0..200 {
            driver.submit(get(server.addr), RequestOptions::new(i));
            let done = driver.next_response().await.expect("a response");
            assert_eq!(done.1, i, "responses come back in order");
            assert_eq!(body_of(done), &b"{\"retcode\":0}"[..]);
        }
        assert!(driver.next_response().await.is_none(), "nothing pending");
    });
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    assert_eq!(server.requests.load(Ordering::SeqCst), 200);
}

#[test]
fn body_larger_than_one_read_arrives_whole() {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let server = serve(Behaviour::KeepAlive, body.clone());
    let got = smol::block_on(async {
        let mut driver = driver();
        driver.submit(get(server.addr), RequestOptions::new(0));
        body_of(driver.next_response().await.unwrap())
    });
    assert_eq!(got.len(), body.len());
    assert!(got == body, "body bytes differ");
}

#[test]
fn concurrent_requests_use_several_connections() {
    let server = serve(Behaviour::KeepAlive, b"ok".to_vec());
    let done = smol::block_on(async {
        let mut driver = driver();
        for i in 0..12 {
            driver.submit(get(server.addr), RequestOptions::new(i));
        }
        driver.run_all().await
    });
    let mut tags: Vec<u32> = done.iter().map(|d| d.1).collect();
    tags.sort_unstable();
    assert_eq!(tags, (0..12).collect::<Vec<_>>());
    for d in done {
        assert_eq!(body_of(d), &b"ok"[..]);
    }
    let opened = server.connections.load(Ordering::SeqCst);
    assert!((2..=4).contains(&opened), "opened {opened} connections");
}

/// A POST is neither idempotent nor marked replayable: written to a connection the server
/// had already closed, it would fail with `ConnectionClosed` rather than be sent twice. The
/// driver reads the idle connection before the agent picks it, sees the close, and the POST
/// goes out on a fresh connection (keepalive-race.md §1).
#[test]
fn idle_close_is_seen_before_a_post_is_written() {
    let server = serve(Behaviour::CloseAfterOne, b"sent".to_vec());
    smol::block_on(async {
        let mut driver = driver();
        for i in 0..3 {
            driver.submit(post(server.addr), RequestOptions::new(i));
            let done = driver.next_response().await.unwrap();
            assert_eq!(body_of(done), &b"sent"[..], "POST #{i}");
            // The server's FIN arrives while nobody awaits the driver.
            smol::Timer::after(Duration::from_millis(30)).await;
        }
    });
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);
}

#[test]
fn refused_connection_fails_the_request() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (_, _, result) = smol::block_on(async {
        let mut driver = driver();
        driver.submit(get(addr), RequestOptions::new(0));
        driver.next_response().await.unwrap()
    });
    let error = result.expect_err("nothing listens there");
    assert!(error.is_connect(), "{error}");
}

#[test]
fn deadline_fails_a_request_the_server_never_answers() {
    let server = serve(Behaviour::Silent, Vec::new());
    let started = Instant::now();
    let (_, _, result) = smol::block_on(async {
        let mut driver = driver();
        let deadline = Instant::now() + Duration::from_millis(300);
        driver.submit(get(server.addr), RequestOptions::new(0).deadline(deadline));
        driver.next_response().await.unwrap()
    });
    let error = result.expect_err("no answer");
    assert!(error.is_timeout(), "{error}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(5),
        "waited {waited:?}"
    );
}

/// https through rustls, to the emulator's TLS listener under a real host name: refused with
/// the webpki roots alone, answered (twice, on one connection) when its CA is trusted.
#[test]
fn https_is_verified_and_kept_alive() {
    let id = webqq_smol::tls::emulator_identity().unwrap();
    let mut host = EmulatorHost::start(EmulatorConfig::default()).unwrap();
    let plain = host.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let secure = host
        .listen_tls("127.0.0.1:0".parse().unwrap(), id.config.clone())
        .unwrap();
    let url = "https://ui.ptlogin2.qq.com/cgi-bin/login";
    let request = || http::Request::get(url).body(Bytes::new()).unwrap();
    smol::block_on(async {
        let agent = || Agent::new(AgentConfig::default(), Instant::now());
        let resolver = || Resolver::emulator_tls(plain, secure);

        let mut untrusting = HttpDriver::with(agent(), resolver(), None);
        untrusting.submit(request(), RequestOptions::new(0));
        let (_, _, result) = untrusting.next_response().await.unwrap();
        let error = result.expect_err("the emulator's CA is not trusted");
        assert!(error.is_connect(), "{error}");

        let ca = webqq_smol::tls::client_config_with_ca_pem(&id.ca_pem).unwrap();
        let mut trusting = HttpDriver::with(agent(), resolver(), Some(ca));
        for i in 0..2 {
            trusting.submit(request(), RequestOptions::new(i));
            let (_, _, result) = trusting.next_response().await.unwrap();
            let response = result.expect("request over TLS failed");
            assert!(!response.body.is_empty(), "an empty login page");
        }
        let stats = trusting.agent().stats();
        assert_eq!((stats.connections_opened, stats.reused), (1, 1));
    });
}
