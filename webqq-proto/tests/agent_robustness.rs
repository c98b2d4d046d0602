//! Whatever the network does, the agent must not panic, must not loop, and must answer every
//! submitted request exactly once (design.md rule 4) once its deadline has passed.
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use webqq_proto::http1::{Agent, AgentConfig, ConnId, Input, Output, Replay, RequestOptions};

#[derive(Debug, Clone)]
enum Net {
    Submit {
        host: u8,
        post: bool,
        replay: u8,
        redirects: u8,
    },
    Connected(usize),
    ConnectFailed(usize),
    Data(usize, Vec<u8>),
    Eof(usize),
    Failed(usize),
    Advance(u32),
    Cancel(u64),
}

/// Bytes that are often a valid response (so exchanges complete) and sometimes junk.
fn response_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()),
        Just(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec()),
        Just(b"HTTP/1.1 302 Found\r\nLocation: http://h1.test/next\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n".to_vec()),
        Just(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n".to_vec()),
        Just(b"HTTP/1.0 200 OK\r\n\r\nuntil eof".to_vec()),
        Just(b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()),
        Just(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nxyz".to_vec()),
        Just(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ]
}

fn net() -> impl Strategy<Value = Net> {
    prop_oneof![
        3 => (0u8..3, any::<bool>(), 0u8..3, 0u8..3).prop_map(|(host, post, replay, redirects)| Net::Submit { host, post, replay, redirects }),
        3 => any::<usize>().prop_map(Net::Connected),
        1 => any::<usize>().prop_map(Net::ConnectFailed),
        4 => (any::<usize>(), response_bytes()).prop_map(|(c, b)| Net::Data(c, b)),
        1 => any::<usize>().prop_map(Net::Eof),
        1 => any::<usize>().prop_map(Net::Failed),
        2 => (0u32..20_000).prop_map(Net::Advance),
        1 => any::<u64>().prop_map(Net::Cancel),
    ]
}

fn drain(
    agent: &mut Agent<u64>,
    now: Instant,
    conns: &mut Vec<ConnId>,
    answered: &mut BTreeMap<u64, u32>,
) {
    for _ in 0..10_000 {
        match agent.poll_output(now) {
            Output::Connect { conn, .. } => {
                assert!(!conns.contains(&conn), "connection ids are never reused");
                conns.push(conn);
            }
            Output::Write { conn, bytes } => {
                assert!(conns.contains(&conn) && !bytes.is_empty());
            }
            Output::Close { .. } => {}
            Output::Response { id, tag, .. } => {
                assert_eq!(id.0, tag, "the tag comes back with its request");
                *answered.entry(tag).or_default() += 1;
            }
            Output::Timeout(at) => {
                assert!(at >= now, "a deadline in the past would spin the driver");
                return;
            }
        }
    }
    panic!("no Timeout after 10000 outputs");
}

fn run(ops: Vec<Net>) {
    let start = Instant::now();
    let mut now = start;
    let config = AgentConfig {
        head_timeout: Some(Duration::from_secs(15)),
        ..Default::default()
    };
    let mut agent: Agent<u64> = Agent::new(config, start);
    let mut conns: Vec<ConnId> = Vec::new();
    let mut answered = BTreeMap::new();
    let mut submitted = Vec::new();
    let mut cancelled = Vec::new();
    for op in ops {
        let pick = |i: usize| (!conns.is_empty()).then(|| conns[i % conns.len()]);
        match op {
            Net::Submit {
                host,
                post,
                replay,
                redirects,
            } => {
                let method = if post { "POST" } else { "GET" };
                let request = http::Request::builder()
                    .method(method)
                    .uri(format!("http://h{host}.test/x"))
                    .body(Bytes::from_static(b"data"))
                    .unwrap();
                let replay = [Replay::Auto, Replay::Always, Replay::Never][replay as usize];
                let tag = submitted.len() as u64;
                let options = RequestOptions::new(tag)
                    .replay(replay)
                    .follow_redirects(redirects)
                    .deadline(now + Duration::from_secs(100));
                assert_eq!(agent.submit(request, options).0, tag);
                submitted.push(tag);
            }
            Net::Connected(i) => {
                if let Some(conn) = pick(i) {
                    agent.handle_input(Input::Connected { conn });
                }
            }
            Net::ConnectFailed(i) => {
                if let Some(conn) = pick(i) {
                    agent.handle_input(Input::ConnectFailed {
                        conn,
                        error: ErrorKind::ConnectionRefused,
                    });
                }
            }
            Net::Data(i, bytes) => {
                if let Some(conn) = pick(i) {
                    agent.handle_input(Input::Data {
                        conn,
                        bytes: &bytes,
                    });
                }
            }
            Net::Eof(i) => {
                if let Some(conn) = pick(i) {
                    agent.handle_input(Input::Eof { conn });
                }
            }
            Net::Failed(i) => {
                if let Some(conn) = pick(i) {
                    agent.handle_input(Input::Failed {
                        conn,
                        error: ErrorKind::ConnectionReset,
                    });
                }
            }
            Net::Advance(ms) => now += Duration::from_millis(ms.into()),
            Net::Cancel(k) => {
                if !submitted.is_empty() {
                    let tag = submitted[(k % submitted.len() as u64) as usize];
                    if agent.cancel(webqq_proto::http1::RequestId(tag)) {
                        cancelled.push(tag);
                    }
                }
            }
        }
        drain(&mut agent, now, &mut conns, &mut answered);
    }
    // Past every deadline, everything is answered.
    now += Duration::from_secs(200);
    drain(&mut agent, now, &mut conns, &mut answered);
    assert_eq!(agent.pending(), 0);
    for tag in submitted {
        let want = u32::from(!cancelled.contains(&tag));
        assert_eq!(
            answered.get(&tag).copied().unwrap_or(0),
            want,
            "request {tag} answered once, or never if cancelled"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn every_request_is_answered_exactly_once_and_nothing_panics(ops in prop::collection::vec(net(), 1..80)) {
        run(ops);
    }
}
