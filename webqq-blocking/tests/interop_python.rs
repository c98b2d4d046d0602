//! The agent against Python's `http.server` in HTTP/1.1 mode (`protocol_version =
//! "HTTP/1.1"`): keep-alive reuse, HEAD, a 404 with `Connection: close`, an HTTP/1.0 server.
//! Skipped with a note when python3 is missing.
mod common;

use std::process::{Command, Stdio};

use common::{Guard, TempDir, driver, fetch, free_port, have, wait_for_port};

const SERVER: &str = r#"
import http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = sys.argv[2]
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"#;

fn start(dir: &TempDir, protocol: &str) -> Option<(u16, Guard)> {
    if !have("python3", "--version") {
        println!("SKIPPED: python3 is not installed");
        return None;
    }
    std::fs::write(dir.0.join("hello.txt"), "hello from python\n").unwrap();
    let port = free_port();
    let child = Command::new("python3")
        .args(["-c", SERVER, &port.to_string(), protocol])
        .current_dir(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3");
    let guard = Guard(child);
    assert!(wait_for_port(port), "python http.server did not start");
    Some((port, guard))
}

#[test]
fn python_http11_server_keeps_connections_alive() {
    let dir = TempDir::new("py11");
    let Some((port, _server)) = start(&dir, "HTTP/1.1") else {
        return;
    };
    let mut d = driver();
    let url = format!("http://127.0.0.1:{port}/hello.txt");
    let first = fetch(&mut d, "GET", &url, "").unwrap();
    assert_eq!(
        (first.status.as_u16(), first.version),
        (200, http::Version::HTTP_11)
    );
    assert_eq!(first.body.as_ref(), b"hello from python\n");
    let second = fetch(&mut d, "GET", &url, "").unwrap();
    assert!(second.reused, "HTTP/1.1 server keeps the connection");
    let head = fetch(&mut d, "HEAD", &url, "").unwrap();
    assert_eq!((head.status.as_u16(), head.body.len()), (200, 0));
    assert!(head.headers.contains_key("content-length"));
    let missing = fetch(&mut d, "GET", &format!("http://127.0.0.1:{port}/nope"), "").unwrap();
    assert_eq!(missing.status.as_u16(), 404);
    let after = fetch(&mut d, "GET", &url, "").unwrap();
    assert!(!after.reused, "the 404 said Connection: close");
    let stats = d.agent().stats();
    assert_eq!((stats.connections_opened, stats.errors), (2, 0));
}

#[test]
fn python_http10_server_gets_a_connection_per_request() {
    let dir = TempDir::new("py10");
    let Some((port, _server)) = start(&dir, "HTTP/1.0") else {
        return;
    };
    let mut d = driver();
    let url = format!("http://127.0.0.1:{port}/hello.txt");
    for _ in 0..3 {
        let r = fetch(&mut d, "GET", &url, "").unwrap();
        assert_eq!(
            (r.version, r.reused, r.body.as_ref()),
            (http::Version::HTTP_10, false, &b"hello from python\n"[..])
        );
    }
    assert_eq!(d.agent().stats().connections_opened, 3);
}
