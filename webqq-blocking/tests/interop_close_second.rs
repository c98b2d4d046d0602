//! A small server that answers the first request on each connection and, when a second one
//! arrives on the kept-alive connection, closes without answering: the stale keep-alive race
//! made certain. A GET succeeds after one retry; a POST fails with
//! `ConnectionClosed { reused: true, .. }` and the server saw it once.
mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::{driver, fetch};
use webqq_blocking::proto::http1::RequestError;

/// Requests the server read, as "METHOD path" strings.
type Log = Arc<Mutex<Vec<String>>>;

fn serve(listener: TcpListener, log: Log) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        let log = log.clone();
        std::thread::spawn(move || handle(stream, log));
    }
}

/// Reads one request (head and Content-Length body) from `stream`.
fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        if let Ok(httparse::Status::Complete(n)) = req.parse(buf) {
            let len: usize = req
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .unwrap_or(0);
            if buf.len() >= n + len {
                let line = format!("{} {}", req.method.unwrap(), req.path.unwrap());
                buf.drain(..n + len);
                return Some(line);
            }
        }
        let mut chunk = [0; 4096];
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn handle(mut stream: TcpStream, log: Log) {
    let mut buf = Vec::new();
    let Some(first) = read_request(&mut stream, &mut buf) else {
        return;
    };
    log.lock().unwrap().push(first);
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
    if let Some(second) = read_request(&mut stream, &mut buf) {
        log.lock().unwrap().push(second);
    }
    // Dropping the stream closes the connection without an answer.
}

fn start() -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Log::default();
    let l = log.clone();
    std::thread::spawn(move || serve(listener, l));
    (port, log)
}

#[test]
fn get_on_a_connection_closed_under_it_succeeds_after_one_retry() {
    let (port, log) = start();
    let mut d = driver();
    let base = format!("http://127.0.0.1:{port}");
    assert!(fetch(&mut d, "GET", &format!("{base}/one"), "").is_ok());
    let r =
        fetch(&mut d, "GET", &format!("{base}/two"), "").expect("retried on a fresh connection");
    assert_eq!(
        (r.attempts, r.reused, r.body.as_ref()),
        (2, false, &b"first"[..])
    );
    assert_eq!(d.agent().stats().retries, 1);
    assert_eq!(*log.lock().unwrap(), ["GET /one", "GET /two", "GET /two"]);
}

#[test]
fn post_on_a_connection_closed_under_it_fails_precisely_and_is_not_sent_twice() {
    let (port, log) = start();
    let mut d = driver();
    let base = format!("http://127.0.0.1:{port}");
    assert!(fetch(&mut d, "GET", &format!("{base}/one"), "").is_ok());
    let err = fetch(&mut d, "POST", &format!("{base}/send"), "msg=hi").unwrap_err();
    assert!(
        matches!(err, RequestError::ConnectionClosed { reused: true, response_started: false, written, .. } if written > 0)
            || matches!(
                err,
                RequestError::ConnectionReset {
                    reused: true,
                    response_started: false,
                    ..
                }
            ),
        "{err:?}"
    );
    // Give a (wrong) retry time to arrive before checking it did not.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(*log.lock().unwrap(), ["GET /one", "POST /send"]);
    assert_eq!(d.agent().stats().retries, 0);
}
