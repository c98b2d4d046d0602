//! One scripted-peer test per case of keepalive-race.md and issue 3 item 9, in virtual time.
mod harness;

use std::io;
use std::io::Write as _;

use harness::{Accept, Act, ServerIdle, Sim, ok, response, secs, tag};
use webqq_proto::http1::{
    AgentConfig, ConnState, MAX_ORIGINS, Origin, Replay, RequestError, Scheme, TimeoutPhase,
};

const A: &str = "http://a.test/";

fn config() -> AgentConfig {
    AgentConfig::default()
}

fn origin_a() -> Origin {
    Origin {
        scheme: Scheme::Http,
        host: "a.test".into(),
        port: 80,
    }
}

/// The server answers the first request on each connection and closes, without answering,
/// when a second request arrives on a kept-alive connection: the stale keep-alive race.
fn close_on_second(seen: &harness::Seen) -> harness::Reply {
    if seen.nth_on_conn == 0 {
        ok("first")
    } else {
        vec![Act::Eof]
    }
}

#[test]
fn close_while_idle_is_quiet_and_next_request_opens_a_fresh_connection() {
    let mut sim = Sim::new(config(), |_| ok("x"));
    sim.server_idle = ServerIdle::Close(secs(5.0));
    sim.submit("GET", A, b"", tag("one"));
    let later = sim.at(secs(10.0));
    sim.submit("GET", A, b"", tag("two").not_before(later));
    sim.run(secs(60.0));
    assert_eq!(
        sim.outcomes().iter().filter(|(_, r)| r.is_ok()).count(),
        2,
        "{}",
        sim.dump()
    );
    let two = sim.response("two").as_ref().unwrap();
    assert_eq!((two.attempts, two.reused), (1, false));
    let stats = sim.agent.stats();
    assert_eq!(
        (stats.connections_opened, stats.retries, stats.errors),
        (2, 0, 0)
    );
    // The server idle-closed both connections (the second after the run's last response).
    assert_eq!(stats.idle_closed_by_server, 2);
}

#[test]
fn close_after_get_written_is_retried_once_on_a_fresh_connection() {
    let mut sim = Sim::new(config(), close_on_second);
    sim.submit("GET", A, b"", tag("one"));
    let later = sim.at(secs(1.0));
    sim.submit("GET", A, b"", tag("two").not_before(later));
    sim.run(secs(60.0));
    let two = sim.response("two").as_ref().expect("retried GET succeeds");
    assert_eq!(two.body.as_ref(), b"first");
    assert_eq!((two.attempts, two.reused), (2, false));
    assert_eq!(sim.agent.stats().retries, 1);
    assert_eq!(
        sim.seen.len(),
        3,
        "server saw one, two (dropped), two again"
    );
    assert_eq!(
        sim.seen.iter().map(|s| s.conn_index).collect::<Vec<_>>(),
        [0, 0, 1]
    );
}

#[test]
fn close_after_post_written_is_a_precise_error_and_not_sent_twice() {
    let mut sim = Sim::new(config(), close_on_second);
    sim.submit("GET", A, b"", tag("one"));
    let later = sim.at(secs(1.0));
    sim.submit("POST", A, b"msg=hi", tag("post").not_before(later));
    sim.run(secs(60.0));
    match sim.response("post") {
        Err(RequestError::ConnectionClosed {
            reused: true,
            written,
            response_started: false,
        }) => {
            assert!(*written > 0)
        }
        other => panic!(
            "want ConnectionClosed{{reused: true, ..}}, got {other:?}\n{}",
            sim.dump()
        ),
    }
    assert_eq!(sim.seen.iter().filter(|s| s.method == "POST").count(), 1);
    assert_eq!(sim.agent.stats().retries, 0);
}

#[test]
fn post_marked_replayable_is_retried() {
    let mut sim = Sim::new(config(), close_on_second);
    sim.submit("GET", A, b"", tag("one"));
    let later = sim.at(secs(1.0));
    sim.submit(
        "POST",
        A,
        b"poll",
        tag("poll").not_before(later).replay(Replay::Always),
    );
    sim.run(secs(60.0));
    assert_eq!(sim.response("poll").as_ref().unwrap().attempts, 2);
    let posts: Vec<_> = sim.seen.iter().filter(|s| s.method == "POST").collect();
    assert_eq!(posts.len(), 2);
    assert!(
        posts.iter().all(|s| s.body == b"poll"),
        "body replayed intact"
    );
}

#[test]
fn close_on_a_fresh_connection_is_never_retried() {
    let mut sim = Sim::new(config(), |_| vec![Act::Eof]);
    sim.submit("GET", A, b"", tag("get"));
    sim.run(secs(60.0));
    assert!(
        matches!(
            sim.response("get"),
            Err(RequestError::ConnectionClosed {
                reused: false,
                response_started: false,
                ..
            })
        ),
        "{}",
        sim.dump()
    );
    assert_eq!(sim.seen.len(), 1);
}

#[test]
fn reset_mid_body_is_not_retried_even_for_get() {
    let mut sim = Sim::new(config(), |s| {
        if s.nth_on_conn == 0 {
            ok("first")
        } else {
            vec![
                Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial".to_vec()),
                Act::Reset,
            ]
        }
    });
    sim.submit("GET", A, b"", tag("one"));
    let later = sim.at(secs(1.0));
    sim.submit("GET", A, b"", tag("two").not_before(later));
    sim.run(secs(60.0));
    assert!(
        matches!(
            sim.response("two"),
            Err(RequestError::ConnectionReset {
                error: io::ErrorKind::ConnectionReset,
                reused: true,
                response_started: true,
                ..
            })
        ),
        "{:?}",
        sim.response("two")
    );
    assert_eq!(sim.seen.len(), 2);
}

#[test]
fn eof_mid_body_is_connection_closed_with_response_started() {
    let mut sim = Sim::new(config(), |_| {
        vec![
            Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec()),
            Act::Eof,
        ]
    });
    sim.submit("GET", A, b"", tag("get"));
    sim.run(secs(60.0));
    assert!(matches!(
        sim.response("get"),
        Err(RequestError::ConnectionClosed {
            response_started: true,
            ..
        })
    ));
}

#[test]
fn a_408_on_an_idle_connection_closes_it_without_error() {
    let mut sim = Sim::new(config(), |_| ok("x"));
    sim.server_idle = ServerIdle::Send408(secs(2.0));
    sim.submit("GET", A, b"", tag("one"));
    let later = sim.at(secs(5.0));
    sim.submit("GET", A, b"", tag("two").not_before(later));
    sim.run(secs(60.0));
    assert!(
        sim.responses.iter().all(|d| d.result.is_ok()),
        "{}",
        sim.dump()
    );
    let stats = sim.agent.stats();
    // Both connections got the 408 (the second after the run's last response).
    assert_eq!(
        (
            stats.connections_opened,
            stats.idle_closed_by_server,
            stats.retries
        ),
        (2, 2, 0)
    );
}

#[test]
fn connection_close_reply_ends_the_connection() {
    let mut sim = Sim::new(config(), |_| {
        vec![Act::Send(response(200, &["Connection: close"], "bye"))]
    });
    sim.submit("GET", A, b"", tag("one"));
    sim.run(secs(1.0));
    assert_eq!(
        sim.closed_by_agent.len(),
        1,
        "agent closes after Connection: close"
    );
    sim.submit("GET", A, b"", tag("two"));
    sim.run(secs(2.0));
    assert!(sim.responses.iter().all(|d| d.result.is_ok()));
    assert_eq!(sim.agent.stats().connections_opened, 2);
    assert_eq!(sim.agent.stats().reused, 0);
}

#[test]
fn connection_close_request_header_ends_the_connection() {
    let mut sim = Sim::new(config(), |_| ok("x"));
    let req = http::Request::get(A)
        .header("connection", "close")
        .body(bytes::Bytes::new())
        .unwrap();
    sim.agent.submit(req, tag("one"));
    sim.run(secs(1.0));
    assert_eq!(sim.closed_by_agent.len(), 1);
    assert_eq!(sim.agent.pool_status(&origin_a()).open, 0);
}

#[test]
fn http10_reply_is_not_reused() {
    let mut sim = Sim::new(config(), |_| {
        vec![Act::Send(
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
        )]
    });
    sim.submit("GET", A, b"", tag("one"));
    sim.run(secs(1.0));
    sim.submit("GET", A, b"", tag("two"));
    sim.run(secs(2.0));
    let two = sim.response("two").as_ref().unwrap();
    assert_eq!(
        (two.version, two.body.as_ref(), two.reused),
        (http::Version::HTTP_10, &b"hi"[..], false)
    );
    assert_eq!(sim.agent.stats().connections_opened, 2);
}

#[test]
fn body_until_eof_is_complete_at_eof() {
    let mut sim = Sim::new(config(), |_| {
        vec![
            Act::Send(b"HTTP/1.1 200 OK\r\n\r\nhello ".to_vec()),
            Act::Wait(secs(0.5)),
            Act::Send(b"world".to_vec()),
            Act::Eof,
        ]
    });
    sim.submit("GET", A, b"", tag("get"));
    sim.run(secs(10.0));
    assert_eq!(
        sim.response("get").as_ref().unwrap().body.as_ref(),
        b"hello world"
    );
    assert_eq!(sim.agent.pool_status(&origin_a()).open, 0);
}

#[test]
fn redirect_chain_carries_cookies_from_every_hop() {
    let mut sim = Sim::new(config(), |s| {
        match (s.origin.host.as_str(), s.path.as_str()) {
            ("a.test", "/login") => vec![Act::Send(response(
                302,
                &[
                    "Location: http://b.test/check",
                    "Set-Cookie: ptwebqq=p1; Domain=a.test; Path=/",
                ],
                "",
            ))],
            ("b.test", "/check") => vec![Act::Send(response(
                303,
                &[
                    "Location: http://a.test/home",
                    "Set-Cookie: skey=s1; Domain=b.test; Path=/",
                ],
                "moved",
            ))],
            ("a.test", "/home") => {
                let cookie = s.header("cookie").unwrap_or("").to_string();
                vec![Act::Send(response(200, &["Set-Cookie: last=1"], &cookie))]
            }
            _ => vec![Act::Send(response(404, &[], ""))],
        }
    });
    sim.submit(
        "POST",
        "http://a.test/login",
        b"u=1&p=2",
        tag("login").follow_redirects(5),
    );
    sim.run(secs(10.0));
    let r = sim.response("login").as_ref().expect("redirects followed");
    assert_eq!((r.status.as_u16(), r.redirects), (200, 2));
    assert_eq!(
        r.body.as_ref(),
        b"ptwebqq=p1",
        "a.test cookie sent back to a.test only"
    );
    assert_eq!(r.uri.to_string(), "http://a.test/home");
    let methods: Vec<_> = sim
        .seen
        .iter()
        .map(|s| (s.method.as_str(), s.body.len()))
        .collect();
    assert_eq!(
        methods,
        [("POST", 7), ("GET", 0), ("GET", 0)],
        "302/303 turn POST into GET without body"
    );
    assert!(sim.seen[1].header("cookie").is_none());
    assert_eq!(sim.agent.cookies().get("b.test", "/", "skey"), Some("s1"));
    assert_eq!(sim.agent.cookies().get("a.test", "/", "last"), Some("1"));
}

#[test]
fn redirect_307_keeps_method_and_body_and_limit_is_enforced() {
    let mut sim = Sim::new(config(), |s| {
        if s.path == "/final" {
            ok(&String::from_utf8_lossy(&s.body))
        } else {
            vec![Act::Send(response(307, &["Location: /final"], ""))]
        }
    });
    sim.submit(
        "POST",
        "http://a.test/start",
        b"data",
        tag("ok").follow_redirects(1),
    );
    sim.run(secs(10.0));
    assert_eq!(sim.response("ok").as_ref().unwrap().body.as_ref(), b"data");
    assert_eq!(sim.seen[1].method, "POST");

    let mut sim = Sim::new(config(), |_| {
        vec![Act::Send(response(302, &["Location: /again"], ""))]
    });
    sim.submit("GET", A, b"", tag("loop").follow_redirects(3));
    sim.run(secs(10.0));
    assert_eq!(
        sim.response("loop").as_ref().unwrap_err(),
        &RequestError::TooManyRedirects { max: 3 }
    );
    assert_eq!(sim.seen.len(), 4);
    // Without follow_redirects the 3xx is the answer.
    sim.submit("GET", A, b"", tag("raw"));
    sim.run(secs(20.0));
    assert_eq!(sim.response("raw").as_ref().unwrap().status.as_u16(), 302);
}

#[test]
fn error_responses_set_cookies_too() {
    let mut sim = Sim::new(config(), |_| {
        vec![Act::Send(response(500, &["Set-Cookie: e=1"], "oops"))]
    });
    sim.submit("GET", A, b"", tag("err"));
    sim.run(secs(1.0));
    assert_eq!(sim.response("err").as_ref().unwrap().status.as_u16(), 500);
    assert_eq!(sim.agent.cookies().get("a.test", "/", "e"), Some("1"));
}

#[test]
fn delayed_submit_is_not_sent_before_its_time() {
    let mut sim = Sim::new(config(), |_| ok("x"));
    let at = sim.at(secs(5.0));
    sim.submit("GET", A, b"", tag("late").not_before(at));
    sim.submit("GET", A, b"", tag("now"));
    sim.run(secs(60.0));
    let late = sim
        .seen
        .iter()
        .find(|s| s.at >= secs(5.0))
        .expect("sent at 5 s");
    assert!(late.at < secs(5.1));
    assert_eq!(sim.seen.len(), 2);
    assert!(sim.seen[0].at < secs(1.0));
    assert_eq!(
        sim.agent.stats().connections_opened,
        1,
        "the delayed request reuses the connection"
    );
}

#[test]
fn head_timeout_closes_the_connection_and_is_reported() {
    let mut sim = Sim::new(config(), |s| {
        if s.path == "/slow" {
            vec![]
        } else {
            ok("fast")
        }
    });
    sim.submit(
        "GET",
        "http://a.test/slow",
        b"",
        tag("slow").head_timeout(secs(2.0)),
    );
    sim.run(secs(1.0));
    let conn = *sim.agent_conns().first().unwrap();
    sim.run(secs(60.0));
    assert_eq!(
        sim.response("slow").as_ref().unwrap_err(),
        &RequestError::Timeout(TimeoutPhase::Head)
    );
    assert!(
        sim.closed_by_agent.contains(&conn),
        "a timed-out connection is never reused"
    );
    assert!(sim.responses[0].at >= secs(2.0) && sim.responses[0].at < secs(2.1));
    sim.submit("GET", A, b"", tag("next"));
    sim.run(secs(70.0));
    assert!(!sim.response("next").as_ref().unwrap().reused);
    assert_eq!(sim.agent.stats().timeouts, 1);
}

#[test]
fn connect_timeout_and_connect_failure() {
    let mut cfg = config();
    cfg.connect_timeout = secs(3.0);
    let mut sim = Sim::new(cfg, |_| ok("x"));
    sim.accept = Box::new(|i| {
        if i == 0 {
            Accept::Hang
        } else {
            Accept::Refuse(io::ErrorKind::ConnectionRefused)
        }
    });
    sim.submit("GET", A, b"", tag("hang"));
    sim.run(secs(60.0));
    assert_eq!(
        sim.response("hang").as_ref().unwrap_err(),
        &RequestError::Timeout(TimeoutPhase::Connect)
    );
    assert!(sim.responses[0].at >= secs(3.0) && sim.responses[0].at < secs(3.1));
    sim.submit("GET", A, b"", tag("refused"));
    sim.run(secs(70.0));
    assert_eq!(
        sim.response("refused").as_ref().unwrap_err(),
        &RequestError::ConnectFailed {
            error: io::ErrorKind::ConnectionRefused
        }
    );
    assert_eq!(sim.agent.pool_status(&origin_a()), Default::default());
}

#[test]
fn whole_request_deadline_covers_queueing_and_body() {
    let mut sim = Sim::new(config(), |_| {
        vec![
            Act::Send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab".to_vec()),
            Act::Wait(secs(10.0)),
            Act::Send(b"cd".to_vec()),
        ]
    });
    let deadline = sim.at(secs(3.0));
    sim.submit("GET", A, b"", tag("slow-body").deadline(deadline));
    let later = sim.at(secs(5.0));
    sim.submit(
        "GET",
        A,
        b"",
        tag("expires-while-delayed")
            .not_before(later)
            .deadline(sim.at(secs(4.0))),
    );
    sim.run(secs(60.0));
    assert_eq!(
        sim.response("slow-body").as_ref().unwrap_err(),
        &RequestError::Timeout(TimeoutPhase::Request)
    );
    assert_eq!(
        sim.response("expires-while-delayed").as_ref().unwrap_err(),
        &RequestError::Timeout(TimeoutPhase::Request)
    );
    assert_eq!(sim.seen.len(), 1);
}

#[test]
fn client_idle_timeout_closes_idle_connections() {
    let mut cfg = config();
    cfg.idle_timeout = secs(4.0);
    let mut sim = Sim::new(cfg, |_| ok("x"));
    sim.submit("GET", A, b"", tag("one"));
    sim.run(secs(3.0));
    assert_eq!(sim.agent.pool_status(&origin_a()).idle, 1);
    sim.run_until(secs(5.0));
    assert_eq!(sim.agent.pool_status(&origin_a()).open, 0);
    assert_eq!(sim.agent.stats().idle_expired, 1);
}

#[test]
fn pool_limit_fifo_and_lifo_reuse() {
    let mut sim = Sim::new(config(), |s| {
        vec![Act::Wait(secs(0.1)), Act::Send(response(200, &[], &s.path))]
    });
    for i in 0..10 {
        let path: &'static str = Box::leak(format!("http://a.test/{i}").into_boxed_str());
        sim.submit("GET", path, b"", tag(path));
    }
    sim.run(secs(0.001));
    assert_eq!(
        sim.agent.pool_status(&origin_a()).connecting,
        4,
        "per-origin limit"
    );
    sim.run(secs(60.0));
    assert_eq!(sim.agent.stats().connections_opened, 4);
    assert_eq!(sim.responses.len(), 10);
    let order: Vec<_> = sim.seen.iter().map(|s| s.path.clone()).collect();
    let want: Vec<_> = (0..10).map(|i| format!("/{i}")).collect();
    assert_eq!(order, want, "requests leave the queue in FIFO order");
}

#[test]
fn max_requests_per_connection() {
    let mut cfg = config();
    cfg.max_requests_per_conn = Some(2);
    let mut sim = Sim::new(cfg, |_| ok("x"));
    for t in ["1", "2", "3"] {
        sim.submit("GET", A, b"", tag(t));
        sim.run(secs(60.0));
    }
    assert_eq!(
        sim.seen.iter().map(|s| s.conn_index).collect::<Vec<_>>(),
        [0, 0, 1]
    );
}

#[test]
fn gzip_body_is_decoded_and_accept_encoding_advertised() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"{\"retcode\":0}").unwrap();
    let body = gz.finish().unwrap();
    let mut sim = Sim::new(config(), move |_| {
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(&body);
        vec![Act::Send(bytes)]
    });
    sim.submit("GET", A, b"", tag("gz"));
    sim.run(secs(1.0));
    assert_eq!(
        sim.response("gz").as_ref().unwrap().body.as_ref(),
        b"{\"retcode\":0}"
    );
    assert_eq!(sim.seen[0].header("accept-encoding"), Some("gzip, deflate"));
}

#[test]
fn cancel_drops_the_request_and_its_connection() {
    let mut sim = Sim::new(config(), |_| {
        vec![Act::Wait(secs(5.0)), Act::Send(response(200, &[], "late"))]
    });
    let id = sim.submit("GET", A, b"", tag("cancelled"));
    sim.run(secs(1.0));
    assert!(sim.agent.cancel(id));
    assert!(!sim.agent.cancel(id));
    sim.run(secs(10.0));
    assert!(
        sim.responses.is_empty(),
        "a cancelled request gets no response"
    );
    assert_eq!(sim.closed_by_agent.len(), 1);
}

#[test]
fn unsolicited_bytes_after_a_response_make_the_connection_unusable() {
    let mut sim = Sim::new(config(), |_| {
        let mut bytes = response(200, &[], "x");
        bytes.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        vec![Act::Send(bytes)]
    });
    sim.submit("GET", A, b"", tag("one"));
    sim.run(secs(1.0));
    assert!(sim.response("one").is_ok());
    assert_eq!(sim.agent.pool_status(&origin_a()).open, 0);
}

#[test]
fn an_invalid_request_is_answered_with_an_error() {
    let mut sim = Sim::new(config(), |_| ok("x"));
    sim.submit("GET", "/relative", b"", tag("bad"));
    sim.run(secs(1.0));
    assert!(matches!(
        sim.response("bad"),
        Err(RequestError::InvalidRequest(_))
    ));
    let _ = ConnState::Idle;
}

#[test]
fn keep_alive_timeout_hint_shortens_the_idle_time() {
    let mut sim = Sim::new(config(), |_| {
        vec![Act::Send(response(
            200,
            &["Keep-Alive: timeout=2, max=100"],
            "x",
        ))]
    });
    sim.submit("GET", A, b"", tag("one"));
    let soon = sim.at(secs(1.0));
    sim.submit("GET", A, b"", tag("within").not_before(soon));
    let later = sim.at(secs(2.8));
    sim.submit("GET", A, b"", tag("after").not_before(later));
    sim.run(secs(60.0));
    assert!(sim.response("within").as_ref().unwrap().reused);
    assert!(
        !sim.response("after").as_ref().unwrap().reused,
        "idle 1.8 s > 2 s less margin"
    );
    assert!(sim.agent.stats().idle_expired >= 1);
}

/// The server's idle close and the client's request cross on the wire (5 ms each way): the
/// request is written into a connection whose FIN is already in flight.
fn crossing(method: &'static str) -> Sim {
    let mut sim = Sim::new(config(), |_| ok("x"));
    sim.latency = secs(0.005);
    sim.server_idle = ServerIdle::Close(secs(1.0));
    sim.submit("GET", A, b"", tag("first"));
    // The first response leaves the server at 15 ms; the server closes at 1.015 s and its FIN
    // reaches the client at 1.020 s. Send in between.
    let at = sim.at(secs(1.017));
    sim.submit(method, A, b"body", tag("crossing").not_before(at));
    sim.run(secs(60.0));
    sim
}

#[test]
fn idle_close_crossing_a_get_is_retried() {
    let sim = crossing("GET");
    let r = sim
        .response("crossing")
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}\n{}", sim.dump()));
    assert_eq!((r.attempts, r.reused), (2, false));
    assert_eq!(sim.seen.len(), 2, "the server never read the crossing copy");
}

#[test]
fn idle_close_crossing_a_post_is_reported_not_repeated() {
    let sim = crossing("POST");
    assert!(
        matches!(
            sim.response("crossing"),
            Err(RequestError::ConnectionClosed {
                reused: true,
                response_started: false,
                ..
            })
        ),
        "{:?}\n{}",
        sim.response("crossing"),
        sim.dump()
    );
    assert_eq!(sim.agent.stats().retries, 0);
}

#[test]
fn a_run_is_reproducible() {
    fn scenario() -> Vec<String> {
        let mut sim = Sim::new(config(), |s| {
            let cookie = format!(
                "Set-Cookie: c{}={}; Domain=qq.test; Path=/",
                s.path.len(),
                s.conn_index
            );
            vec![Act::Send(response(
                200,
                &[&cookie, "Set-Cookie: z=1; Path=/"],
                "x",
            ))]
        });
        for host in ["a", "b", "c", "d", "e"] {
            for path in ["/", "/xx", "/yyyy"] {
                let url: &'static str =
                    Box::leak(format!("http://{host}.qq.test{path}").into_boxed_str());
                sim.submit("GET", url, b"", tag(url));
            }
        }
        sim.run(secs(10.0));
        let mut log = sim.trace.clone();
        log.extend(
            sim.seen
                .iter()
                .map(|s| format!("{} {:?}", s.origin, s.header("cookie"))),
        );
        log
    }
    assert_eq!(scenario(), scenario());
}

#[test]
fn cookies_exported_as_json_resume_in_a_new_agent() {
    let mut first = Sim::new(config(), |_| {
        vec![Act::Send(response(
            200,
            &["Set-Cookie: ptwebqq=abc123; Domain=qq.test; Path=/"],
            "x",
        ))]
    });
    first.submit("GET", "http://ptlogin2.qq.test/login", b"", tag("login"));
    first.run(secs(1.0));
    let json = first.agent.cookies().to_json().unwrap();

    let mut second = Sim::new(config(), |s| ok(s.header("cookie").unwrap_or("none")));
    *second.agent.cookies_mut() = webqq_proto::http1::CookieJar::from_json(&json).unwrap();
    second.submit(
        "GET",
        "http://d1.web2.qq.test/channel/poll2",
        b"",
        tag("poll"),
    );
    second.run(secs(1.0));
    assert_eq!(
        second.response("poll").as_ref().unwrap().body.as_ref(),
        b"ptwebqq=abc123"
    );
}

#[test]
fn a_408_answering_a_request_on_a_reused_connection_is_retried_for_any_method() {
    let script = |s: &harness::Seen| {
        if s.nth_on_conn == 0 && s.conn_index == 0 {
            ok("first")
        } else if s.nth_on_conn == 1 {
            vec![
                Act::Send(response(408, &["Connection: close"], "")),
                Act::Eof,
            ]
        } else {
            ok(&format!("{} on a fresh connection", s.method))
        }
    };
    let mut sim = Sim::new(config(), script);
    sim.submit("GET", A, b"", tag("one"));
    let later = sim.at(secs(1.0));
    sim.submit("POST", A, b"msg", tag("post").not_before(later));
    sim.run(secs(60.0));
    let post = sim
        .response("post")
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}\n{}", sim.dump()));
    assert_eq!((post.status.as_u16(), post.attempts), (200, 2));
    assert_eq!(post.body.as_ref(), b"POST on a fresh connection");

    // On a fresh connection the 408 is the answer.
    let mut sim = Sim::new(config(), |_| {
        vec![
            Act::Send(response(408, &["Connection: close"], "")),
            Act::Eof,
        ]
    });
    sim.submit("GET", A, b"", tag("fresh"));
    sim.run(secs(60.0));
    assert_eq!(sim.response("fresh").as_ref().unwrap().status.as_u16(), 408);
    assert_eq!(sim.seen.len(), 1);
}

/// A server whose every redirect names a new host: the agent keeps a pool per origin it has
/// seen, so past `MAX_ORIGINS` such a redirect fails instead of growing them without bound.
#[test]
fn redirects_to_ever_new_origins_stop_at_the_origin_limit() {
    let mut next_host = 0usize;
    let mut sim = Sim::new(config(), move |_| {
        next_host += 1;
        let location = format!("Location: http://h{next_host}.test/");
        vec![Act::Send(response(302, &[&location], ""))]
    });
    let tags = ["r0", "r1", "r2", "r3", "r4"];
    assert!(tags.len() * usize::from(u8::MAX) > MAX_ORIGINS);
    for t in tags {
        sim.submit("GET", A, b"", tag(t).follow_redirects(u8::MAX));
    }
    sim.run(secs(600.0));
    let refused = tags
        .iter()
        .filter(|t| {
            matches!(sim.response(t), Err(RequestError::InvalidRedirect(e)) if e.contains("origin"))
        })
        .count();
    assert!(refused >= 1, "{}", sim.dump());
    // Each answer named a new host: the five first requests went to a.test, every other one
    // to one of the MAX_ORIGINS - 1 hosts a.test's pool left room for.
    assert_eq!(sim.seen.len(), tags.len() + MAX_ORIGINS - 1);
    let hosts: std::collections::BTreeSet<_> = sim.seen.iter().map(|s| &s.origin.host).collect();
    assert_eq!(hosts.len(), MAX_ORIGINS);
}
