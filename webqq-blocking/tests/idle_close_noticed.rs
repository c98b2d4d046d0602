//! A server that answers one request per connection and closes the connection 20 ms later
//! without saying so (no `Connection: close`): a keep-alive server closing an idle connection.
//! The driver must notice the close before reusing the connection (keepalive-race.md §1),
//! so a POST sent 100 ms later goes out on a fresh connection and succeeds, with no retry.
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{driver, fetch};

fn serve(listener: TcpListener) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // The whole request: a head and a 4-byte body.
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") || !buf.ends_with(b"body") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            std::thread::sleep(Duration::from_millis(20));
        });
    }
}

#[test]
fn a_post_after_the_server_closed_the_idle_connection_goes_out_on_a_fresh_one() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || serve(listener));
    let mut d = driver();
    let url = format!("http://127.0.0.1:{port}/send");
    for round in 0..3 {
        if round > 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
        let response = fetch(&mut d, "POST", &url, "body").expect("POST succeeds");
        assert_eq!(response.body, "ok");
        assert!(
            !response.reused,
            "round {round}: a closed connection was reused"
        );
    }
    let stats = d.agent().stats();
    assert_eq!(stats.retries, 0, "{stats:?}");
    assert_eq!(stats.connections_opened, 3, "{stats:?}");
    assert_eq!(stats.idle_closed_by_server, 2, "{stats:?}");
}
