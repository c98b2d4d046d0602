//! The README's "Hostile input: what the user gets" table, row by row (issue 7 item 5). Each
//! class of bad input is fed through the layer the row names, and the test asserts the exact
//! typed error the user gets there, then feeds it through the whole `Client` (against the
//! scripted server, over a clean virtual network) and asserts that nothing else is lost: the
//! session keeps polling and later messages arrive, or the send gets its one outcome.
mod harness;
mod sim;

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use webqq_proto::ClientConfig;
use webqq_proto::http1::codec::{DecodeError, MAX_BODY_BYTES, MAX_HEAD_BYTES, MAX_HEADERS};
use webqq_proto::http1::{AgentConfig, RequestError};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::error::{DecodeError as ReplyError, DecodeErrorKind};
use webqq_proto::webqq::login_decode::{LoginError, parse_ptui_cb};
use webqq_proto::webqq::poll::{MAX_EVENTS_PER_POLL, PollReply, decode_poll};
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Event, OfflineReason, Phase, SessionConfig};

use sim::mini::{FRIEND, From, MiniServer, POLL_HOLD};
use sim::net::NetFaults;
use sim::{Server, ServerOut, Sim};

// ---- a server side that spoils chosen answers -------------------------------------------

/// Wraps a server side and writes `bytes` instead of its answer to the requests whose path
/// contains `path` (the `nth` of them, or all), closing afterwards when `close` is set. Both
/// servers used here write each answer in one write, in request order.
struct Hostile<S> {
    inner: S,
    path: &'static str,
    nth: Option<usize>,
    bytes: Vec<u8>,
    close: bool,
    /// Requests of `path` seen so far.
    matched: usize,
    /// The head of every request read.
    heads: Vec<String>,
    /// Per connection: request bytes not yet framed, and for each request framed whether its
    /// answer is to be spoiled.
    conns: HashMap<u64, (Vec<u8>, VecDeque<bool>)>,
    out: VecDeque<ServerOut>,
}

impl<S: Server> Hostile<S> {
    fn new(inner: S, path: &'static str, nth: Option<usize>, bytes: Vec<u8>) -> Self {
        Hostile {
            inner,
            path,
            nth,
            bytes,
            close: false,
            matched: 0,
            heads: Vec::new(),
            conns: HashMap::new(),
            out: VecDeque::new(),
        }
    }

    /// Frames the requests buffered on `conn` (head up to the blank line, then
    /// `Content-Length` bytes of body).
    fn frame(&mut self, conn: u64) {
        let (buf, spoil) = self.conns.entry(conn).or_default();
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len: usize = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() < end + 4 + len {
                return;
            }
            buf.drain(..end + 4 + len);
            let path = head.split(' ').nth(1).unwrap_or("").to_string();
            self.heads.push(head);
            let hit = path.contains(self.path) && {
                self.matched += 1;
                self.nth.is_none_or(|n| n + 1 == self.matched)
            };
            spoil.push_back(hit);
        }
    }
}

impl<S: Server> Server for Hostile<S> {
    fn accepted(&mut self, now: Instant, conn: u64) {
        self.inner.accepted(now, conn);
    }
    fn data(&mut self, now: Instant, conn: u64, bytes: &[u8]) {
        self.conns
            .entry(conn)
            .or_default()
            .0
            .extend_from_slice(bytes);
        self.frame(conn);
        self.inner.data(now, conn, bytes);
    }
    fn eof(&mut self, now: Instant, conn: u64) {
        self.inner.eof(now, conn);
    }
    fn time(&mut self, now: Instant) {
        self.inner.time(now);
    }
    fn poll(&mut self) -> ServerOut {
        if let Some(o) = self.out.pop_front() {
            return o;
        }
        match self.inner.poll() {
            ServerOut::Write(conn, bytes) => {
                let spoil = self
                    .conns
                    .get_mut(&conn)
                    .and_then(|(_, s)| s.pop_front())
                    .unwrap_or(false);
                if !spoil {
                    return ServerOut::Write(conn, bytes);
                }
                if self.close {
                    self.out.push_back(ServerOut::Close(conn));
                }
                ServerOut::Write(conn, Bytes::from(self.bytes.clone()))
            }
            other => other,
        }
    }
}

// ---- driving the client ------------------------------------------------------------------

fn client_config() -> ClientConfig {
    ClientConfig::new(SessionConfig::new(ProfileId::S2018, 0))
}

/// A client logged in (QR) against the scripted server behind `hostile`, polling.
fn online(t0: Instant, hostile: Hostile<MiniServer>) -> Sim<Hostile<MiniServer>> {
    let mut sim = Sim::new(client_config(), hostile, NetFaults::clean(10), 1, t0);
    sim.client.start();
    let ok = sim.run(
        Duration::from_secs(60),
        |_, _| {},
        |s| s.count(|e| matches!(e, Event::Online { .. })) == 1,
    );
    assert!(ok, "never online: {:#?}", sim.events);
    sim
}

/// Lets `d` of virtual time pass.
fn wait<S: Server>(sim: &mut Sim<S>, d: Duration) {
    let until = sim.elapsed() + d;
    sim.run(until, |_, _| {}, |_| false);
}

/// Texts of the messages the application got.
fn texts<S: Server>(sim: &Sim<S>) -> Vec<String> {
    sim.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Message(m) => Some(m.message.plain_text()),
            _ => None,
        })
        .collect()
}

/// The poll was spoiled once: the session must still be polling, with nothing reported but
/// what the row expects, and a message said afterwards must arrive exactly once.
fn assert_keeps_polling(sim: &mut Sim<Hostile<MiniServer>>, row: &str) {
    assert_eq!(
        sim.server.matched, 2,
        "{row}: the spoiled poll was followed by another"
    );
    sim.server.inner.inject(From::Friend, "after");
    wait(sim, Duration::from_secs(5));
    let got = texts(sim);
    assert_eq!(
        got.iter().filter(|t| *t == "after").count(),
        1,
        "{row}: {got:?}"
    );
    assert_eq!(*sim.client.phase(), Phase::Online, "{row}");
    assert_eq!(
        sim.count(|e| matches!(
            e,
            Event::Relinking { .. } | Event::Relogin { .. } | Event::Offline { .. }
        )),
        0,
        "{row}: {:#?}",
        sim.events
    );
}

// ---- rows answered by the HTTP engine ----------------------------------------------------

/// A row the engine refuses: the bytes of the bad response and the exact error.
struct EngineRow {
    row: &'static str,
    response: fn() -> Vec<u8>,
    /// The server closes the connection right after (the lying `Content-Length`).
    close: bool,
    error: fn(&RequestError) -> bool,
    expected: &'static str,
}

fn head_over_limit() -> Vec<u8> {
    let pad = "a".repeat(MAX_HEAD_BYTES);
    format!("HTTP/1.1 200 OK\r\nX-Pad: {pad}\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

fn too_many_headers() -> Vec<u8> {
    let mut r = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..=MAX_HEADERS {
        r.push_str(&format!("X-H{i}: v\r\n"));
    }
    r.push_str("Content-Length: 0\r\n\r\n");
    r.into_bytes()
}

fn huge_content_length() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{{}}",
        MAX_BODY_BYTES + 1
    )
    .into_bytes()
}

fn lying_content_length() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"retcode\":0}".to_vec()
}

fn endless_chunk_extensions() -> Vec<u8> {
    let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5".to_vec();
    while r.len() < 64 * 1024 {
        r.extend_from_slice(b";ext=value");
    }
    r
}

fn gzip_bomb() -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..=MAX_BODY_BYTES >> 20 {
        z.write_all(&zeros).unwrap();
    }
    let body = z.finish().unwrap();
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(&body);
    r
}

fn limit(what: &'static str, limit: u64) -> impl Fn(&RequestError) -> bool {
    move |e| *e == RequestError::Decode(DecodeError::Limit { what, limit })
}

fn engine_rows() -> Vec<EngineRow> {
    vec![
        EngineRow {
            row: "response head over 64 KiB (MAX_HEAD_BYTES)",
            response: head_over_limit,
            close: false,
            error: |e| limit("response head bytes", MAX_HEAD_BYTES as u64)(e),
            expected: "Decode(Limit { what: \"response head bytes\", limit: 65536 })",
        },
        EngineRow {
            row: "more than 100 header fields (MAX_HEADERS)",
            response: too_many_headers,
            close: false,
            error: |e| limit("header fields in the response head", MAX_HEADERS as u64)(e),
            expected: "Decode(Limit { what: \"header fields in the response head\", limit: 100 })",
        },
        EngineRow {
            row: "huge Content-Length (MAX_BODY_BYTES)",
            response: huge_content_length,
            close: false,
            error: |e| limit("body bytes (Content-Length)", MAX_BODY_BYTES)(e),
            expected: "Decode(Limit { what: \"body bytes (Content-Length)\", limit: 16777216 })",
        },
        EngineRow {
            row: "lying Content-Length (body ends early)",
            response: lying_content_length,
            close: true,
            error: |e| {
                matches!(
                    e,
                    RequestError::ConnectionClosed {
                        response_started: true,
                        ..
                    }
                )
            },
            expected: "ConnectionClosed { response_started: true, .. }",
        },
        EngineRow {
            row: "endless chunk extensions",
            response: endless_chunk_extensions,
            close: false,
            error: |e| limit("chunk-size line bytes", 4096)(e),
            expected: "Decode(Limit { what: \"chunk-size line bytes\", limit: 4096 })",
        },
        EngineRow {
            row: "gzip bomb",
            response: gzip_bomb,
            close: false,
            error: |e| limit("decoded body bytes", MAX_BODY_BYTES)(e),
            expected: "Decode(Limit { what: \"decoded body bytes\", limit: 16777216 })",
        },
    ]
}

/// The engine alone: the request ends with the row's error and the connection is closed.
#[test]
fn engine_rows_end_the_request_with_their_typed_error_and_close_the_connection() {
    for r in engine_rows() {
        let bytes = (r.response)();
        let close = r.close;
        let mut sim = harness::Sim::new(AgentConfig::default(), move |_| {
            let mut reply = vec![harness::Act::Send(bytes.clone())];
            if close {
                reply.push(harness::Act::Eof);
            }
            reply
        });
        sim.submit("GET", "http://a.test/", b"", harness::tag("bad"));
        sim.run(harness::secs(60.0));
        let got = sim.response("bad");
        assert!(
            got.as_ref().is_err_and(|e| (r.error)(e)),
            "{}: expected {}, got {got:?}",
            r.row,
            r.expected
        );
        assert!(sim.agent_conns().is_empty(), "{}: connection kept", r.row);
        assert_eq!(sim.seen.len(), 1, "{}: the request was sent again", r.row);
    }
}

/// Through the client, as a poll answer: the poll fails with that error, the session polls
/// again and a later message arrives.
#[test]
fn engine_rows_on_a_poll_leave_the_session_polling() {
    for r in engine_rows() {
        let t0 = Instant::now();
        let mut h = Hostile::new(MiniServer::new(t0, 1), "poll2", Some(0), (r.response)());
        h.close = r.close;
        let mut sim = online(t0, h);
        // The first poll is held, then answered idle: that answer is the bad one.
        wait(&mut sim, POLL_HOLD + Duration::from_secs(5));
        assert_eq!(sim.client.agent().stats().errors, 1, "{}", r.row);
        assert_keeps_polling(&mut sim, r.row);
    }
}

/// Through the client, as a send's answer: the server saw the send, so it is `Uncertain`
/// (never resent, never a false failure), and the next send goes through.
#[test]
fn engine_rows_on_a_send_make_it_uncertain_and_the_next_one_is_sent() {
    for r in engine_rows() {
        let t0 = Instant::now();
        let mut h = Hostile::new(
            MiniServer::new(t0, 1),
            "send_buddy_msg2",
            Some(0),
            (r.response)(),
        );
        h.close = r.close;
        let mut sim = online(t0, h);
        let first = sim
            .client
            .send(Target::Friend(FRIEND), Message::text("one"));
        wait(&mut sim, Duration::from_secs(10));
        let second = sim
            .client
            .send(Target::Friend(FRIEND), Message::text("two"));
        wait(&mut sim, Duration::from_secs(10));
        let outcomes: Vec<&Event> = sim
            .events
            .iter()
            .map(|(_, e)| e)
            .filter(|e| {
                matches!(
                    e,
                    Event::Sent { .. } | Event::Uncertain { .. } | Event::SendFailed { .. }
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            vec![
                &Event::Uncertain {
                    handle: first,
                    retcode: None
                },
                &Event::Sent { handle: second }
            ],
            "{}",
            r.row
        );
        assert_eq!(sim.server.inner.delivered.get("one"), Some(&1), "{}", r.row);
        assert_eq!(*sim.client.phase(), Phase::Online, "{}", r.row);
    }
}

// ---- rows answered by the WebQQ decoders ------------------------------------------------

fn response_200(body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r
}

fn message_event(msg_id: u64, text: &str) -> String {
    format!(
        r#"{{"poll_type":"message","value":{{"msg_id":{msg_id},"from_uin":{FRIEND},"to_uin":1,"msg_id2":{msg_id},"msg_type":9,"reply_ip":1,"time":{msg_id},"content":[["font",{{"size":10,"color":"000000","style":[0,0,0],"name":"x"}}],"{text}"]}}}}"#
    )
}

/// The exact error of a body that is not JSON at all.
fn json_error(body: &[u8]) -> ReplyError {
    ReplyError {
        what: "poll2",
        kind: DecodeErrorKind::Json(
            serde_json::from_slice::<Value>(body)
                .unwrap_err()
                .to_string(),
        ),
    }
}

/// Deep or invalid JSON, invalid UTF-8 in a poll body: the poll decoder's typed error; the
/// session counts one failure, polls again, and nothing already delivered is lost.
#[test]
fn malformed_poll_bodies_are_a_typed_error_and_the_session_polls_again() {
    let deep = format!(
        r#"{{"retcode":0,"result":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    )
    .into_bytes();
    let rows: Vec<(&str, Vec<u8>)> = vec![
        ("deep JSON", deep),
        (
            "invalid JSON",
            br#"{"retcode":0,"result":[{"poll_type":"#.to_vec(),
        ),
        (
            "invalid UTF-8",
            b"{\"retcode\":0,\"result\":[\"\xff\xfe\"]}".to_vec(),
        ),
    ];
    for (row, body) in rows {
        let err = match decode_poll(&body) {
            Err(e) => e,
            Ok(other) => panic!("{row}: decoded as {other:?}"),
        };
        assert_eq!(err, json_error(&body), "{row}");
        assert!(err.is_malformed(), "{row}");

        let t0 = Instant::now();
        let h = Hostile::new(
            MiniServer::new(t0, 1),
            "poll2",
            Some(1),
            response_200(&body),
        );
        let mut sim = online(t0, h);
        // Poll 0 carries a message; poll 1's answer is the bad body.
        sim.server.inner.inject(From::Friend, "before");
        wait(&mut sim, POLL_HOLD + Duration::from_secs(5));
        assert_eq!(
            sim.server.matched, 3,
            "{row}: polled again after the bad body"
        );
        sim.server.inner.inject(From::Friend, "after");
        wait(&mut sim, Duration::from_secs(5));
        assert_eq!(texts(&sim), vec!["before", "after"], "{row}");
        assert_eq!(*sim.client.phase(), Phase::Online, "{row}");
    }
}

/// Unknown `poll_type`s become `Event::Unknown { raw }`; more than `MAX_EVENTS_PER_POLL`
/// events in one answer: the rest are reported as one `Unknown`. The messages beside them
/// arrive, and the session keeps polling.
#[test]
fn unknown_and_excess_poll_events_are_reported_not_dropped() {
    let unknown = r#"{"poll_type":"av_request","value":{"msg_id":9,"from_uin":1,"to_uin":2}}"#;
    let mixed = format!(
        r#"{{"retcode":0,"result":[{unknown},{}]}}"#,
        message_event(1, "beside")
    );
    let many: Vec<String> = (1..=MAX_EVENTS_PER_POLL as u64 + 6)
        .map(|i| message_event(i, &format!("m{i}")))
        .collect();
    let many = format!(r#"{{"retcode":0,"result":[{}]}}"#, many.join(","));
    let rows: Vec<(&str, String, usize, &str)> = vec![
        ("unknown poll_type", mixed, 1, "av_request"),
        (
            "more than 1,024 events in one poll (MAX_EVENTS_PER_POLL)",
            many,
            MAX_EVENTS_PER_POLL,
            "6 more events dropped",
        ),
    ];
    for (row, body, messages, unknown_raw) in rows {
        let Ok(PollReply::Events(items)) = decode_poll(body.as_bytes()) else {
            panic!("{row}: not decoded as events");
        };
        assert_eq!(items.len(), messages + 1, "{row}");

        let t0 = Instant::now();
        let h = Hostile::new(
            MiniServer::new(t0, 1),
            "poll2",
            Some(0),
            response_200(body.as_bytes()),
        );
        let mut sim = online(t0, h);
        // The held poll's idle answer is replaced by the batch.
        wait(&mut sim, POLL_HOLD + Duration::from_secs(5));
        assert_eq!(texts(&sim).len(), messages, "{row}");
        let raws: Vec<String> = sim
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Unknown { raw } => Some(raw.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(raws.len(), 1, "{row}: {raws:?}");
        assert!(raws[0].contains(unknown_raw), "{row}: {raws:?}");
        assert_keeps_polling(&mut sim, row);
    }
}

// ---- rows of the login -------------------------------------------------------------------

/// A malformed `ptuiCB` from `ptqrlogin`: the step is retried `step_retries` times, then the
/// session is `Offline { LoginFailed(Unreachable(<the parser's error>)) }`.
#[test]
fn malformed_ptui_cb_is_retried_then_offline_with_the_parsers_error() {
    for bad in [&b"ptuiCB('0','0'"[..], b"<html>busy</html>", b"ptuiCB();"] {
        let parser = parse_ptui_cb(bad).unwrap_err();
        assert!(parser.is_malformed(), "{parser}");
        assert_eq!(parser.what, "ptuiCB");

        let t0 = Instant::now();
        let h = Hostile::new(MiniServer::new(t0, 1), "ptqrlogin", None, response_200(bad));
        let mut sim = Sim::new(client_config(), h, NetFaults::clean(10), 1, t0);
        sim.client.start();
        wait(&mut sim, Duration::from_secs(120));
        let retries = SessionConfig::new(ProfileId::S2018, 0).step_retries as usize;
        assert_eq!(sim.server.matched, retries + 1, "{parser}");
        let offline: Vec<&Event> = sim
            .events
            .iter()
            .map(|(_, e)| e)
            .filter(|e| matches!(e, Event::Offline { .. }))
            .collect();
        assert_eq!(
            offline,
            vec![&Event::Offline {
                reason: OfflineReason::LoginFailed(LoginError::Unreachable(parser.to_string()))
            }]
        );
    }
}

/// A malformed `ptui_checkVC` from `/check` (password eras, against the emulator): the same
/// rule, with the check parser's error.
#[cfg(feature = "emulator")]
#[test]
fn malformed_ptui_check_vc_is_retried_then_offline_with_the_parsers_error() {
    use sim::emu::{BOT, EmuServer};
    use webqq_proto::emulator::{Emulator, EmulatorConfig, Profile};
    use webqq_proto::webqq::login_decode::parse_check_vc;
    use webqq_proto::webqq::password::PasswordMd5;

    for bad in [
        &b"ptui_checkVC('0');"[..],
        b"ptui_checkVC(",
        b"<html>busy</html>",
    ] {
        let parser = parse_check_vc(bad).unwrap_err();
        assert!(parser.is_malformed(), "{parser}");

        let t0 = Instant::now();
        let emu = Emulator::new(EmulatorConfig::demo(Profile::W2014), t0).unwrap();
        let h = Hostile::new(EmuServer::new(emu), "/check?", None, response_200(bad));
        let mut cfg = SessionConfig::new(ProfileId::W2014, BOT);
        cfg.password = Some(PasswordMd5::from_password("password"));
        let retries = cfg.step_retries as usize;
        let mut sim = Sim::new(ClientConfig::new(cfg), h, NetFaults::clean(10), 1, t0);
        sim.client.start();
        wait(&mut sim, Duration::from_secs(120));
        assert_eq!(sim.server.matched, retries + 1, "{parser}");
        assert_eq!(
            sim.count(|e| *e
                == Event::Offline {
                    reason: OfflineReason::LoginFailed(LoginError::Unreachable(parser.to_string()))
                }),
            1,
            "{:#?}",
            sim.events
        );
    }
}

// ---- header injection --------------------------------------------------------------------

/// CR/LF in user text travels form-encoded in the body: the server reads the text exactly as
/// written and no request carries a header the text tried to add.
#[test]
fn crlf_in_user_text_injects_no_header() {
    let text = "hi\r\nX-Injected: yes\r\n\r\nGET /evil HTTP/1.1\r\nHost: evil";
    let t0 = Instant::now();
    let h = Hostile::new(MiniServer::new(t0, 1), "/evil", None, Vec::new());
    let mut sim = online(t0, h);
    let h = sim.client.send(Target::Friend(FRIEND), Message::text(text));
    wait(&mut sim, Duration::from_secs(10));
    assert_eq!(sim.count(|e| *e == Event::Sent { handle: h }), 1);
    assert_eq!(sim.server.inner.delivered.get(text), Some(&1));
    assert_eq!(sim.server.matched, 0, "a request line was injected");
    let injected: Vec<&String> = sim
        .server
        .heads
        .iter()
        .filter(|h| h.lines().any(|l| l.starts_with("X-Injected")))
        .collect();
    assert!(injected.is_empty(), "{injected:?}");
    assert!(
        sim.server
            .heads
            .iter()
            .any(|h| h.contains("send_buddy_msg2"))
    );
}
