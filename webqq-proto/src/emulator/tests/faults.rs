//! Seeded faults (protocol §11.4) and strictness switches (protocol §11.3), each tested.
use super::*;
use crate::emulator::{
    DeliveryFaults, FaultAction, FaultRule, Faults, MaxMessage, ReusedMsgId, SendRate, Strictness,
    Target,
};
use serde_json::json;

fn faults(rules: Vec<FaultRule>) -> Faults {
    Faults {
        rules,
        ..Faults::default()
    }
}

fn send_buddy(h: &mut Harness, l: &Login, to: u64, text: &str, msg_id: u64) -> Value {
    let content = json!([text, ["font", {"name": "宋体", "size": 10, "style": [0, 0, 0], "color": "000000"}]]).to_string();
    let r = json!({"to": to, "content": content, "face": 522, "clientid": l.clientid, "msg_id": msg_id, "psessionid": l.psessionid});
    h.post_r(&format!("{}/channel/send_buddy_msg2", l.d()), &r)
        .json()
}

fn alice_uin(h: &mut Harness, l: &Login) -> u64 {
    let f = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    f["result"]["info"][0]["uin"].as_u64().unwrap()
}

/// Alice's session, to see what the bot's sends deliver.
fn alice_session(h: &mut Harness) -> (Login, HashMap<String, String>) {
    let bot_jar = std::mem::take(&mut h.jar);
    let alice = h.login(10002);
    let jar = std::mem::replace(&mut h.jar, bot_jar);
    (alice, jar)
}

#[test]
fn http_error_pages_per_endpoint() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    h.emu.set_faults(faults(vec![
        FaultRule::once("poll2", FaultAction::Status { status: 502 }),
        FaultRule::once("poll2", FaultAction::Status { status: 504 }),
        FaultRule::once("getvfwebqq", FaultAction::Status { status: 404 }),
    ]));
    let (_, r) = h.poll(&l);
    let r = r.unwrap();
    assert_eq!(r.status, 502);
    assert!(r.text().contains("502 Bad Gateway"));
    assert_eq!(h.poll(&l).1.unwrap().status, 504);
    assert!(h.poll(&l).1.is_none(), "faults used up: held again");
    assert_eq!(
        h.get("http://s.web2.qq.com/api/getvfwebqq?ptwebqq=x")
            .status,
        404
    );
    assert_eq!(h.emu.faults().rules[0].times, Some(0));
}

#[test]
fn any_retcode_on_any_cgi_and_a_raw_body() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    h.emu.set_faults(faults(vec![
        FaultRule::once(
            "get_user_friends2",
            FaultAction::Retcode {
                retcode: 6,
                delivered: 0.0,
            },
        ),
        FaultRule::once(
            "get_self_info2",
            FaultAction::Body {
                body: json!({"retcode":100000}),
            },
        ),
    ]));
    let r = h.post_r(
        "http://s.web2.qq.com/api/get_user_friends2",
        &json!({"vfwebqq": l.vfwebqq}),
    );
    assert_eq!(r.json(), json!({"retcode":6}), "capture #33");
    let r = h.get(&format!(
        "http://s.web2.qq.com/api/get_self_info2?vfwebqq={}",
        l.vfwebqq
    ));
    assert_eq!(r.json(), json!({"retcode":100000}));
}

#[test]
fn send_faults_deliver_with_the_given_probability() {
    let mut h = Harness::new(Profile::S2018);
    let (alice, _) = alice_session(&mut h);
    let _ = alice;
    let l = h.login(10001);
    let to = alice_uin(&mut h, &l);
    h.emu.set_faults(faults(vec![
        FaultRule::once(
            "send_buddy_msg2",
            FaultAction::Retcode {
                retcode: 1202,
                delivered: 1.0,
            },
        ),
        FaultRule::once(
            "send_buddy_msg2",
            FaultAction::Retcode {
                retcode: 100100,
                delivered: 0.0,
            },
        ),
        FaultRule::once(
            "send_buddy_msg2",
            FaultAction::Retcode {
                retcode: 100012,
                delivered: 0.0,
            },
        ),
    ]));
    assert_eq!(
        send_buddy(&mut h, &l, to, "a", 1),
        json!({"errmsg":"error!!!","retcode":1202}),
        "capture #23"
    );
    assert_eq!(send_buddy(&mut h, &l, to, "b", 2)["retcode"], 100100);
    assert_eq!(send_buddy(&mut h, &l, to, "c", 3)["retcode"], 100012);
    let texts: Vec<String> = h.emu.sent(10001).into_iter().map(|m| m.text).collect();
    assert_eq!(texts, vec!["a"], "1202 delivered anyway, the others not");
}

#[test]
fn seeded_probabilities_are_reproducible() {
    let run = |seed: u64| {
        let mut cfg = EmulatorConfig::demo(Profile::W2013);
        cfg.seed = seed;
        cfg.world.chatter_interval_ms = 0;
        cfg.faults = faults(vec![FaultRule {
            endpoint: Some("ver".into()),
            action: FaultAction::Status { status: 502 },
            probability: 0.5,
            times: None,
        }]);
        let mut h = Harness::with(cfg);
        (0..64)
            .map(|_| h.get("http://ui.ptlogin2.qq.com/cgi-bin/ver").status)
            .collect::<Vec<u16>>()
    };
    let a = run(9);
    assert_eq!(a, run(9), "same seed, same faults");
    let fails = a.iter().filter(|s| **s == 502).count();
    assert!((16..48).contains(&fails), "about half: {fails}");
    assert_ne!(a, run(10));
}

#[test]
fn poll_retcodes_116_rotation_120_and_121() {
    let mut cfg = EmulatorConfig::demo(Profile::W2014);
    cfg.world.chatter_interval_ms = 0;
    cfg.strictness.hash = true;
    let mut h = Harness::with(cfg);
    let l = h.login(10001);
    h.emu.set_faults(faults(vec![FaultRule::once(
        "poll2",
        FaultAction::Retcode {
            retcode: 116,
            delivered: 0.0,
        },
    )]));
    let r = h.poll(&l).1.unwrap().json();
    assert_eq!(r["retcode"], 116);
    let p = r["p"].as_str().unwrap().to_string();
    assert_eq!(p.len(), 48, "like the captured p (§6.3)");
    // The client sets ptwebqq=p; hashes now use it (§6.3, §4.1).
    let old_hash = h.list_hash(10001);
    h.jar.insert("ptwebqq".into(), p);
    let new_hash = h.list_hash(10001);
    let bad = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": old_hash, "vfwebqq": l.vfwebqq}),
        )
        .json();
    assert_eq!(bad["retcode"], 50);
    let good = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": new_hash, "vfwebqq": l.vfwebqq}),
        )
        .json();
    assert_eq!(good["retcode"], 0);
    // Control-forced 120 and 121 answer the held poll at once.
    let (conn, _) = h.poll(&l);
    h.emu.force_retcode(10001, 121).unwrap();
    h.drain();
    assert_eq!(
        h.take_response(conn).unwrap().json(),
        json!({"retcode":121,"t":"0"})
    );
    h.emu.force_retcode(10001, 120).unwrap();
    assert_eq!(
        h.poll(&l).1.unwrap().json(),
        json!({"retcode":120,"errmsg":""})
    );
}

#[test]
fn delivery_faults_duplicate_reorder_gap_and_unknown_types() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    h.emu.set_faults(Faults {
        delivery: DeliveryFaults {
            duplicate: 1.0,
            ..Default::default()
        },
        ..Faults::default()
    });
    h.emu.say(10002, Target::Buddy(10001), "twice").unwrap();
    let r = h.poll(&l).1.unwrap().json();
    let ev = r["result"].as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0], ev[1], "the same event, same msg_id (§6.8)");

    h.emu.set_faults(Faults {
        delivery: DeliveryFaults {
            reorder: 1.0,
            seq_gap: 1.0,
            ..Default::default()
        },
        ..Faults::default()
    });
    h.emu.say(10002, Target::Group(200001), "1").unwrap();
    h.emu.say(10002, Target::Group(200001), "2").unwrap();
    let r = h.poll(&l).1.unwrap().json();
    let seqs: Vec<u64> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![4, 2], "reversed batch, every seq skipping one");

    h.emu.set_faults(Faults {
        delivery: DeliveryFaults {
            unknown_poll_type: 1.0,
            ..Default::default()
        },
        ..Faults::default()
    });
    h.emu.say(10002, Target::Buddy(10001), "x").unwrap();
    let r = h.poll(&l).1.unwrap().json();
    assert_eq!(r["result"][0]["poll_type"], "av_request");
    assert_eq!(r["result"][1]["poll_type"], "message");
}

#[test]
fn transport_faults_close_on_arrival_reset_and_delay() {
    let mut h = Harness::new(Profile::S2018);
    h.emu.set_faults(faults(vec![FaultRule::once(
        "ver",
        FaultAction::CloseOnArrival,
    )]));
    let conn = h.open();
    let raw = h.raw_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None);
    h.feed(conn, &raw);
    assert!(
        h.take_response(conn).is_some(),
        "a fresh connection is not affected"
    );
    h.feed(conn, &raw);
    assert!(h.take_response(conn).is_none());
    assert_eq!(
        h.closed,
        vec![conn],
        "closed exactly when the request arrived on the kept-alive connection"
    );
    assert!(h.written[&conn].is_empty());

    h.emu.set_faults(faults(vec![FaultRule::once(
        "ver",
        FaultAction::ResetMidResponse,
    )]));
    let (c2, r) = h.try_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None);
    assert!(r.is_none());
    assert!(h.closed.contains(&c2));
    assert!(!h.written[&c2].is_empty(), "half a response was written");

    h.emu.set_faults(faults(vec![FaultRule::once(
        "ver",
        FaultAction::Delay { ms: 5000 },
    )]));
    let (c3, r) = h.try_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None);
    assert!(r.is_none());
    h.advance(4_999);
    assert!(h.take_response(c3).is_none());
    h.advance(1);
    assert_eq!(h.take_response(c3).unwrap().status, 200);
}

#[test]
fn strict_headers_cookies_and_clientid() {
    let mut h = Harness::new(Profile::W2014);
    let l = h.login(10001);
    h.emu.set_strictness(Strictness {
        referer: true,
        user_agent: true,
        ..Strictness::lenient()
    });
    h.extra_headers.clear();
    let r = h.get(&format!(
        "http://s.web2.qq.com/api/get_self_info2?vfwebqq={}",
        l.vfwebqq
    ));
    assert_eq!(
        r.json(),
        json!({"retcode":100101}),
        "[W] no UA/Referer (§11.3)"
    );
    h.extra_headers
        .push(("User-Agent".into(), "Mozilla/5.0".into()));
    h.extra_headers
        .push(("Referer".into(), "http://evil.example/qq.com".into()));
    assert_eq!(
        h.get(&format!(
            "http://s.web2.qq.com/api/get_self_info2?vfwebqq={}",
            l.vfwebqq
        ))
        .json()["retcode"],
        100101
    );
    h.extra_headers.pop();
    h.extra_headers.push((
        "Referer".into(),
        "http://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1".into(),
    ));
    assert_eq!(
        h.get(&format!(
            "http://s.web2.qq.com/api/get_self_info2?vfwebqq={}",
            l.vfwebqq
        ))
        .json()["retcode"],
        0
    );

    h.emu.set_strictness(Strictness {
        cookies: true,
        clientid: true,
        ..Strictness::lenient()
    });
    let wrong = json!({"clientid": "99999999", "psessionid": l.psessionid, "key": 0, "ids": []});
    let r = h
        .start_poll("http://d.web2.qq.com/channel/poll2", &wrong)
        .1
        .unwrap();
    assert_eq!(
        r.json(),
        json!({"retcode":122,"errmsg":"wrong web client3"})
    );
    let jar = std::mem::take(&mut h.jar);
    let r = h.poll(&l).1.unwrap();
    assert_eq!(
        r.json(),
        json!({"retcode":108,"errmsg":""}),
        "cookies missing"
    );
    h.jar = jar;
    assert!(h.poll(&l).1.is_none());
}

#[test]
fn strict_send_checks_reuse_rate_and_length() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    let to = alice_uin(&mut h, &l);
    h.emu.set_strictness(Strictness {
        reused_msg_id: Some(ReusedMsgId::Retcode1202),
        ..Strictness::lenient()
    });
    assert_eq!(send_buddy(&mut h, &l, to, "a", 7)["retcode"], 0);
    assert_eq!(send_buddy(&mut h, &l, to, "b", 7)["retcode"], 1202);
    h.emu.set_strictness(Strictness {
        reused_msg_id: Some(ReusedMsgId::Drop),
        ..Strictness::lenient()
    });
    assert_eq!(send_buddy(&mut h, &l, to, "c", 7)["retcode"], 0);
    assert_eq!(h.emu.sent(10001).len(), 1, "only the first was delivered");

    h.emu.set_strictness(Strictness {
        max_message: Some(MaxMessage {
            bytes: 720,
            retcode: 1202,
        }),
        ..Strictness::lenient()
    });
    assert_eq!(
        send_buddy(&mut h, &l, to, &"长".repeat(241), 100)["retcode"],
        1202,
        "723 bytes"
    );
    assert_eq!(
        send_buddy(&mut h, &l, to, &"长".repeat(240), 101)["retcode"],
        0
    );

    let mut cfg = EmulatorConfig::demo(Profile::S2018);
    cfg.world.chatter_interval_ms = 0;
    cfg.strictness.send_rate = Some(SendRate {
        interval_ms: 500,
        burst: 2,
        delivered: 0.0,
    });
    let mut h = Harness::with(cfg);
    let l = h.login(10001);
    let to = alice_uin(&mut h, &l);
    let codes: Vec<i64> = (0..3)
        .map(|i| {
            send_buddy(&mut h, &l, to, "x", 200 + i)["retcode"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(codes, vec![0, 0, 1202], "a bucket of two");
    h.advance(500);
    assert_eq!(
        send_buddy(&mut h, &l, to, "y", 300)["retcode"],
        0,
        "a token came back"
    );
}

#[test]
fn strict_login2_host_under_smartqq() {
    let mut cfg = EmulatorConfig::demo(Profile::S2016);
    cfg.strictness.login2_host = true;
    let mut h = Harness::with(cfg);
    let cb = h.qr_ptlogin(10001);
    h.get(&cb[2]);
    let r = json!({"ptwebqq": h.jar["ptwebqq"], "clientid": 53999199, "psessionid": "", "status": "online"});
    assert_eq!(
        h.post_r("http://d.web2.qq.com/channel/login2", &r).status,
        403,
        "§3.10: d.web2 answered 403 from 2015-12"
    );
    assert_eq!(
        h.post_r("http://d1.web2.qq.com/channel/login2", &r).json()["retcode"],
        0
    );
}

#[test]
fn rapid_polls_and_requests_keep_the_timer_set_small() {
    let mut cfg = EmulatorConfig::demo(Profile::S2018);
    cfg.world.chatter_interval_ms = 0;
    cfg.timing.idle_close_ms = Some(5_000);
    let mut h = Harness::with(cfg);
    let l = h.login(10001);
    let base = h.emu.timer_count();
    for _ in 0..500 {
        h.poll(&l);
    }
    let conn = h.open();
    let raw = h.raw_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None);
    for _ in 0..500 {
        h.feed(conn, &raw);
        assert!(h.take_response(conn).is_some());
    }
    // One hold timer per session and one idle timer per connection, however fast the client.
    assert!(
        h.emu.timer_count() <= base + 500 + 2,
        "{} timers",
        h.emu.timer_count()
    );
    assert!(h.emu.timer_count() - h.emu.connection_count() <= base + 2);
}

#[test]
fn absurd_fault_values_are_clamped_not_panics() {
    let mut h = Harness::new(Profile::S2018);
    h.emu.set_faults(faults(vec![
        FaultRule::once("ver", FaultAction::Delay { ms: u64::MAX }),
        FaultRule::once("ver", FaultAction::Status { status: 204 }),
        FaultRule {
            endpoint: Some("ver".into()),
            action: FaultAction::Status { status: 503 },
            probability: f64::NAN,
            times: None,
        },
    ]));
    let (conn, r) = h.try_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None);
    assert!(r.is_none(), "delayed (30 days at most)");
    h.advance(crate::emulator::timers::MAX_WAIT_MS);
    assert_eq!(h.take_response(conn).unwrap().status, 200);
    assert_eq!(
        h.get("http://ui.ptlogin2.qq.com/cgi-bin/ver").status,
        502,
        "204 is no error page: 502 instead"
    );
    assert_eq!(
        h.get("http://ui.ptlogin2.qq.com/cgi-bin/ver").status,
        200,
        "a NaN probability never fires"
    );
}

#[test]
fn seeded_kick_and_expiry_on_poll() {
    let mut h = Harness::new(Profile::S2016);
    let l = h.login(10001);
    h.emu.set_faults(faults(vec![FaultRule::once(
        "poll2",
        FaultAction::Kick {
            reason: "elsewhere".into(),
        },
    )]));
    let r = h.poll(&l).1.unwrap().json();
    assert_eq!(r["result"][0]["poll_type"], "kick_message");
    assert_eq!(h.poll(&l).1.unwrap().json()["retcode"], 103);
    let l = h.login(10001);
    h.emu
        .set_faults(faults(vec![FaultRule::once("poll2", FaultAction::Expire)]));
    assert_eq!(
        h.poll(&l).1.unwrap().json(),
        json!({"errmsg":"error","retcode":103})
    );
    assert!(h.events.contains(&Event::SessionEnded {
        qq: 10001,
        reason: "expired"
    }));
    assert_eq!(h.poll(&l).1.unwrap().json()["retcode"], 103);
}

/// `Event::PollAnswered` comes right before the write of the poll answer it describes, with
/// the answer's chat messages (not its other events), and says when a fault cut it short;
/// `SentMessage::seq` shows the number a `seq_gap` skipped.
#[test]
fn poll_answers_report_their_messages_before_their_bytes() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    h.emu.set_faults(Faults {
        rules: vec![],
        delivery: DeliveryFaults {
            unknown_poll_type: 1.0,
            ..DeliveryFaults::default()
        },
    });
    let (conn, r) = h.poll(&l);
    assert!(r.is_none(), "held");
    h.drain();
    h.emu
        .say(10002, Target::Buddy(10001), "hello")
        .expect("said");
    let mut seen = Vec::new();
    loop {
        match h.emu.poll_output() {
            Output::Event(Event::PollAnswered {
                conn: c,
                qq,
                messages,
                complete,
            }) => {
                let texts: Vec<String> = messages.into_iter().map(|m| m.text).collect();
                seen.push(format!("answered {c:?} {qq} {texts:?} {complete}"));
            }
            Output::Write { conn: c, .. } => seen.push(format!("write {c:?}")),
            Output::Timeout(_) => break,
            _ => {}
        }
    }
    assert_eq!(
        seen,
        vec![
            format!("answered {conn:?} 10001 [\"hello \"] true"),
            format!("write {conn:?}"),
        ]
    );

    // Cut short by a fault: reported as incomplete.
    h.emu.set_faults(Faults {
        rules: vec![FaultRule::once("poll2", FaultAction::ResetMidResponse)],
        delivery: DeliveryFaults {
            seq_gap: 1.0,
            ..DeliveryFaults::default()
        },
    });
    h.emu
        .say(10003, Target::Group(200001), "in the group")
        .expect("said");
    h.events.clear();
    let (conn, _) = h.poll(&l);
    let answered: Vec<&Event> = h
        .events
        .iter()
        .filter(|e| matches!(e, Event::PollAnswered { .. }))
        .collect();
    assert_eq!(answered.len(), 1);
    assert!(matches!(
        answered[0],
        Event::PollAnswered { conn: c, complete: false, messages, .. }
            if *c == conn && messages.len() == 1 && messages[0].text == "in the group "
    ));
    assert!(h.closed.contains(&conn));
    let seqs: Vec<Option<u64>> = h.emu.sent(10003).iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![Some(2)], "seq 1 skipped on purpose");
}
