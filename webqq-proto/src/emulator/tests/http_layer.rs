//! The HTTP/1.1 server side: parsing in any split, framing, keep-alive, pipelining, limits,
//! errors, gzip, the 404 page, idle close.
use super::*;
use crate::emulator::http::{MAX_BODY_BYTES, MAX_HEAD_BYTES, RequestError, RequestParser};
use bytes::BytesMut;

fn parse_all(bytes: &[u8], split: usize) -> Result<Vec<(String, String, Vec<u8>)>, RequestError> {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in [&bytes[..split], &bytes[split..]] {
        buf.extend_from_slice(piece);
        while let Some(req) = parser.parse(&mut buf)? {
            out.push((
                req.method.to_string(),
                format!("{}?{}", req.path, req.query),
                req.body.to_vec(),
            ));
        }
    }
    assert!(buf.is_empty() || out.is_empty() || parser.eof(&buf).is_err());
    Ok(out)
}

#[test]
fn requests_parse_the_same_in_every_split_and_pipelined() {
    let wire = concat!(
        "GET /check?uin=1 HTTP/1.1\r\nHost: check.ptlogin2.qq.com\r\n\r\n",
        "POST /channel/poll2 HTTP/1.1\r\nHost: d.web2.qq.com\r\nContent-Length: 5\r\n\r\nr=%7B",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
        "\r\nGET http://s.web2.qq.com/api/get_self_info2?t=1 HTTP/1.0\r\nHost: s.web2.qq.com\r\n\r\n",
    )
    .as_bytes();
    let want = vec![
        ("GET".to_string(), "/check?uin=1".to_string(), vec![]),
        (
            "POST".to_string(),
            "/channel/poll2?".to_string(),
            b"r=%7B".to_vec(),
        ),
        ("POST".to_string(), "/x?".to_string(), b"abcde".to_vec()),
        (
            "GET".to_string(),
            "/api/get_self_info2?t=1".to_string(),
            vec![],
        ),
    ];
    for split in 0..=wire.len() {
        assert_eq!(parse_all(wire, split).unwrap(), want, "split at {split}");
    }
}

#[test]
fn malformed_requests_are_typed_errors_naming_the_fault() {
    let big_head = format!(
        "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
        "a".repeat(MAX_HEAD_BYTES)
    );
    let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(100));
    let big_body = format!(
        "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    type Case = (
        &'static str,
        String,
        fn(&RequestError) -> bool,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "bad CL",
            "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n".into(),
            RequestError::is_protocol,
            "Content-Length",
        ),
        (
            "CL differs",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".into(),
            RequestError::is_protocol,
            "different",
        ),
        (
            "TE and CL",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n".into(),
            RequestError::is_protocol,
            "both",
        ),
        (
            "gzip TE",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n".into(),
            RequestError::is_protocol,
            "gzip",
        ),
        (
            "bad chunk",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".into(),
            RequestError::is_protocol,
            "chunk size",
        ),
        (
            "chunk CRLF",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc".into(),
            RequestError::is_protocol,
            "CRLF",
        ),
        (
            "bad line",
            "GET\r\n\r\n".into(),
            RequestError::is_protocol,
            "head",
        ),
        ("head size", big_head, RequestError::is_limit, "head bytes"),
        ("headers", many, RequestError::is_limit, "header count"),
        ("body size", big_body, RequestError::is_limit, "body bytes"),
    ];
    for (name, wire, pred, needle) in cases {
        let err = parse_all(wire.as_bytes(), wire.len()).expect_err(name);
        assert!(pred(&err), "{name}: {err:?}");
        assert!(
            err.to_string().contains(needle),
            "{name}: {err} should name {needle}"
        );
    }
}

#[test]
fn eof_mid_request_is_incomplete() {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::from("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    assert!(parser.parse(&mut buf).unwrap().is_none());
    let err = parser.eof(&buf).unwrap_err();
    assert!(err.is_incomplete());
    assert!(err.to_string().contains("body after 3 bytes"), "{err}");
    assert!(RequestParser::default().eof(&BytesMut::new()).is_ok());
}

#[test]
fn unknown_paths_get_the_front_proxy_404_page() {
    let mut h = Harness::new(Profile::S2018);
    for url in [
        "http://d1.web2.qq.com/channel/nothing",
        "http://s.web2.qq.com/channel/poll2",
        "http://example.com/",
    ] {
        let r = h.get(url);
        assert_eq!(r.status, 404, "{url}");
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(r.text().contains("<title>404 Not Found</title>") && r.text().contains("nginx"));
    }
}

#[test]
fn keep_alive_pipelining_and_close() {
    let mut h = Harness::new(Profile::S2018);
    let conn = h.open();
    // Two pipelined requests in one write: two responses, in order, connection kept.
    let mut wire = h.raw_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None);
    wire.extend(h.raw_request("GET", "http://d1.web2.qq.com/nothing", None));
    h.feed(conn, &wire);
    let first = h.take_response(conn).unwrap();
    let second = h.take_response(conn).unwrap();
    assert_eq!((first.status, second.status), (200, 404));
    assert_eq!(first.text(), "ptuiV(201210240930);\r\n");
    assert_eq!(first.header("connection"), Some("keep-alive"));
    assert!(h.closed.is_empty());
    // Connection: close is honoured.
    h.feed(
        conn,
        b"GET /cgi-bin/ver HTTP/1.1\r\nHost: ui.ptlogin2.qq.com\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        h.take_response(conn).unwrap().header("connection"),
        Some("close")
    );
    assert_eq!(h.closed, vec![conn]);
    // HTTP/1.0 without keep-alive closes too.
    let c2 = h.open();
    h.feed(
        c2,
        b"GET /cgi-bin/ver HTTP/1.0\r\nHost: ui.ptlogin2.qq.com\r\n\r\n",
    );
    assert!(h.take_response(c2).is_some());
    assert!(h.closed.contains(&c2));
}

#[test]
fn a_bad_request_is_answered_400_and_closed() {
    let mut h = Harness::new(Profile::S2018);
    let conn = h.open();
    h.feed(
        conn,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n",
    );
    let r = h.take_response(conn).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(h.closed, vec![conn]);
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, Event::BadRequest { error, .. } if error.is_protocol()))
    );
    // Bytes after the close are ignored, not a panic.
    h.feed(conn, b"GET / HTTP/1.1\r\n\r\n");
    assert!(h.take_response(conn).is_none());
}

#[test]
fn gzip_only_when_asked_and_worth_it() {
    let mut h = Harness::new(Profile::S2018);
    let login = h.login(10001);
    let url = format!(
        "http://s.web2.qq.com/api/get_self_info2?vfwebqq={}&t=1",
        login.vfwebqq
    );
    let plain = h.get(&url);
    assert_eq!(plain.header("content-encoding"), None);
    h.extra_headers
        .push(("Accept-Encoding".into(), "gzip, deflate".into()));
    let zipped = h.get(&url);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(zipped.json()["result"]["nick"], "webqq-rs bot");
    // Short bodies stay plain even when gzip is accepted.
    assert_eq!(
        h.get("http://ui.ptlogin2.qq.com/cgi-bin/ver")
            .header("content-encoding"),
        None
    );
    h.extra_headers.pop();
    h.extra_headers
        .push(("Accept-Encoding".into(), "gzip;q=0".into()));
    assert_eq!(h.get(&url).header("content-encoding"), None);
}

#[test]
fn idle_keep_alive_connections_are_closed_after_the_configured_time() {
    let mut cfg = EmulatorConfig::demo(Profile::S2018);
    cfg.timing.idle_close_ms = Some(1000);
    let mut h = Harness::with(cfg);
    let conn = h.open();
    let raw = h.raw_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None);
    h.feed(conn, &raw);
    assert!(h.take_response(conn).is_some());
    h.advance(900);
    assert!(h.closed.is_empty());
    // Activity restarts the clock.
    h.feed(conn, &raw);
    h.advance(900);
    assert!(h.closed.is_empty());
    h.advance(200);
    assert_eq!(h.closed, vec![conn]);
}

#[test]
fn hostile_bytes_never_panic_or_grow_without_bound() {
    let mut h = Harness::new(Profile::S2018);
    let conn = h.open();
    // A slow head that never ends: refused once past the head limit.
    for _ in 0..(MAX_HEAD_BYTES / 1000 + 2) {
        h.feed(conn, &[b'a'; 1000]);
    }
    assert!(h.closed.contains(&conn));
    // Random garbage in random splits.
    let mut rng = crate::emulator::rng::Rng::new(3);
    for _ in 0..200 {
        let c = h.open();
        let n = rng.range(1, 300) as usize;
        let bytes = rng.bytes(n);
        h.feed(c, &bytes);
        h.emu.handle_input(h.now, Input::Eof { conn: c });
        h.drain();
    }
    assert_eq!(
        h.emu.connection_count(),
        0,
        "every connection was closed or ended"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Requests of the protocol plus garbage, to be cut at random places.
    fn pieces() -> impl Strategy<Value = Vec<Vec<u8>>> {
        let request = prop_oneof![
            Just(b"GET /cgi-bin/ver HTTP/1.1\r\nHost: ui.ptlogin2.qq.com\r\n\r\n".to_vec()),
            Just(b"POST /channel/poll2 HTTP/1.1\r\nHost: d1.web2.qq.com\r\nContent-Length: 9\r\n\r\nr=%7B%7D&".to_vec()),
            Just(b"POST /x HTTP/1.1\r\nHost: d.web2.qq.com\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nr=\r\n0\r\n\r\n".to_vec()),
            Just(b"GET /_emulator/sessions HTTP/1.1\r\nHost: a\r\n\r\n".to_vec()),
            Just(b"POST /_emulator/say HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..64),
        ];
        proptest::collection::vec(request, 1..8)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Whatever a client sends, in whatever splits, the emulator neither panics nor keeps
        /// more than its limits, and every connection ends up answered, waiting or closed.
        #[test]
        fn any_bytes_in_any_split_are_handled(pieces in pieces(), cuts in proptest::collection::vec(1usize..40, 1..20), seed in any::<u64>()) {
            let mut cfg = EmulatorConfig::demo(Profile::S2018);
            cfg.seed = seed;
            let mut h = Harness::with(cfg);
            let conn = h.open();
            let wire: Vec<u8> = pieces.concat();
            let mut at = 0;
            for cut in cuts.iter().cycle() {
                if at >= wire.len() {
                    break;
                }
                let end = (at + cut).min(wire.len());
                h.feed(conn, &wire[at..end]);
                at = end;
            }
            h.advance(60_000);
            h.emu.handle_input(h.now, Input::Eof { conn });
            h.drain();
            prop_assert_eq!(h.emu.connection_count(), 0);
            // Everything written parses as responses.
            let mut out = h.written.remove(&conn).unwrap_or_default();
            while !out.is_empty() {
                prop_assert!(parse_response(&mut out).is_some(), "a truncated or invalid response");
            }
        }
    }
}

#[test]
fn no_100_continue_when_the_body_came_with_the_head() {
    // RFC 9110 §10.1.1: 100 Continue is for a client waiting to send the body; when the body
    // is already here, the final response is all that is owed (a 1xx after it would be read
    // as the answer to the next request).
    let mut h = Harness::new(Profile::S2018);
    let conn = h.open();
    h.feed(
        conn,
        b"POST /channel/poll3 HTTP/1.1\r\nHost: d1.web2.qq.com\r\nExpect: 100-continue\r\n\
          Content-Length: 2\r\n\r\nr=",
    );
    assert_eq!(h.take_response(conn).unwrap().status, 404);
    assert_eq!(h.written.remove(&conn).unwrap_or_default(), b"");
    h.feed(
        conn,
        b"GET /cgi-bin/ver HTTP/1.1\r\nHost: ui.ptlogin2.qq.com\r\n\r\n",
    );
    assert_eq!(h.take_response(conn).unwrap().status, 200);
}

#[test]
fn expect_100_continue_and_head_requests() {
    let mut h = Harness::new(Profile::S2018);
    let conn = h.open();
    let body = r#"{"from":10002,"to":{"buddy":10001},"text":"hi"}"#;
    let head = format!(
        "POST /_emulator/say HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    h.feed(conn, head.as_bytes());
    assert_eq!(
        h.written.remove(&conn).unwrap(),
        b"HTTP/1.1 100 Continue\r\n\r\n"
    );
    h.feed(conn, body.as_bytes());
    assert_eq!(h.take_response(conn).unwrap().json()["ok"], true);
    // HEAD: the same head (Content-Length included), no body; the connection stays usable.
    h.feed(
        conn,
        b"HEAD /cgi-bin/ver HTTP/1.1\r\nHost: ui.ptlogin2.qq.com\r\n\r\n",
    );
    let raw = String::from_utf8(h.written.remove(&conn).unwrap()).unwrap();
    assert!(
        raw.starts_with("HTTP/1.1 200 OK\r\n")
            && raw.contains("Content-Length: 22\r\n")
            && raw.ends_with("\r\n\r\n"),
        "{raw}"
    );
    h.feed(
        conn,
        b"GET /cgi-bin/ver HTTP/1.1\r\nHost: ui.ptlogin2.qq.com\r\n\r\n",
    );
    assert_eq!(
        h.take_response(conn).unwrap().text(),
        "ptuiV(201210240930);\r\n"
    );
}

#[test]
fn thousands_of_pipelined_requests_in_one_write_are_answered_in_order() {
    let mut h = Harness::new(Profile::S2018);
    let conn = h.open();
    let one = b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n";
    let n = crate::emulator::conn::MAX_BUFFERED_BYTES / one.len() - 1;
    let wire: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
    h.feed(conn, &wire);
    let mut answered = 0;
    while let Some(r) = h.take_response(conn) {
        assert_eq!(r.status, 404);
        answered += 1;
    }
    assert_eq!(
        answered, n,
        "every pipelined request, none lost, no deep recursion"
    );
    assert!(h.closed.is_empty());
}

mod every_endpoint {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any endpoint with any mix of real tokens, ids and garbage as parameters, under any
        /// profile and strictness: an answer, never a panic.
        #[test]
        fn any_parameters_on_any_endpoint_are_answered(
            profile in 0usize..5,
            strict in any::<bool>(),
            calls in proptest::collection::vec((any::<prop::sample::Index>(), proptest::collection::vec((0usize..12, 0usize..9), 0..6), any::<bool>()), 1..40),
        ) {
            let profile = Profile::ALL[profile];
            let mut cfg = EmulatorConfig::demo(profile);
            cfg.world.chatter_interval_ms = 0;
            if strict {
                cfg.strictness = crate::emulator::Strictness::strict(profile);
            }
            let mut h = Harness::with(cfg);
            let l = h.login(10001);
            let routes = crate::emulator::route::all_routes();
            let names = ["psessionid", "vfwebqq", "ptwebqq", "clientid", "to", "group_uin", "did", "tuin", "gcode", "content", "msg_id", "newstatus"];
            let values = [l.psessionid.clone(), l.vfwebqq.clone(), "".into(), "null".into(), "0".into(), "18446744073709551616".into(), "-1".into(), "[\"x\",[\"font\",{}]]".into(), "online".into()];
            for (route, params, post) in calls {
                let (host, path) = routes[route.index(routes.len())];
                let mut map = serde_json::Map::new();
                for (n, v) in &params {
                    map.insert(names[*n].to_string(), Value::String(values[*v].clone()));
                }
                let url = format!("http://{host}{path}");
                let answer = if post {
                    h.start_poll(&url, &Value::Object(map)).1
                } else {
                    let q: String = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(map.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())))
                        .finish();
                    h.try_request("GET", &format!("{url}?{q}"), None).1
                };
                // None: a held poll.
                let Some(r) = answer else { continue };
                prop_assert!(r.status >= 200 && r.status < 600);
            }
        }
    }
}
