//! The control API, in Rust and as HTTP JSON under /_emulator/.
use super::*;
use crate::emulator::{ControlError, Faults, Target};
use serde_json::json;

fn control(h: &mut Harness, method: &str, path: &str, body: Option<Value>) -> Resp {
    let conn = h.open();
    let mut raw = format!("{method} /_emulator/{path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n");
    match body {
        Some(b) => {
            let b = b.to_string();
            raw.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        }
        None => raw.push_str("\r\n"),
    }
    h.feed(conn, raw.as_bytes());
    h.take_response(conn).expect("control answers at once")
}

#[test]
fn say_inject_sent_kick_in_rust() {
    let mut h = Harness::new(Profile::S2018);
    assert!(
        h.emu
            .say(1, Target::Buddy(10001), "x")
            .unwrap_err()
            .is_unknown()
    );
    assert!(
        matches!(
            h.emu.say(10004, Target::Group(200001), "x"),
            Err(ControlError::NotAMember { .. })
        ),
        "Carol is not in the group"
    );
    assert!(
        h.emu
            .inject(10001, json!({}))
            .unwrap_err()
            .is_not_logged_in()
    );
    let l = h.login(10001);
    h.emu.inject(10001, json!({"poll_type":"shake_message","value":{"msg_id":568,"from_uin":1,"to_uin":10001,"msg_id2":405490,"msg_type":9,"reply_ip":176498151}})).unwrap();
    let r = h.poll(&l).1.unwrap().json();
    assert_eq!(
        r["result"][0]["poll_type"], "shake_message",
        "injected verbatim"
    );
    h.emu.say(10002, Target::Buddy(10001), "hello").unwrap();
    let sent = h.emu.sent(10002);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text, "hello ");
    assert_eq!(sent[0].msg_id, None);
    // Kick: the held poll gets the kick_message (§6.5), then the session is gone.
    h.poll(&l).1.unwrap();
    let (conn, _) = h.poll(&l);
    h.emu.kick(10001, "elsewhere").unwrap();
    h.drain();
    let r = h.take_response(conn).unwrap().json();
    assert_eq!(r["result"][0]["poll_type"], "kick_message");
    assert_eq!(r["result"][0]["value"]["reason"], "elsewhere");
    assert_eq!(r["result"][0]["value"]["show_reason"], 1);
    assert_eq!(h.poll(&l).1.unwrap().json()["retcode"], 103);
    assert!(h.emu.sessions().is_empty());
}

#[test]
fn the_same_operations_over_http_json() {
    let mut h = Harness::new(Profile::S2018);
    // QR over HTTP: show, scan, confirm.
    h.get("https://ssl.ptlogin2.qq.com/ptqrshow?appid=501004106");
    let qrsig = h.jar["qrsig"].clone();
    let r = control(&mut h, "POST", "qr/scan", Some(json!({})));
    assert_eq!(r.json(), json!({"ok": true, "qrsig": qrsig}));
    let r = control(&mut h, "POST", "qr/confirm", Some(json!({"qq": 10001})));
    assert_eq!(r.json()["ok"], true);
    let poll = format!(
        "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken={}",
        hash33(&qrsig)
    );
    let cb = js_args(&h.get(&poll).text());
    let l = h.finish_login(10001, &cb);
    let sessions = control(&mut h, "GET", "sessions", None).json();
    assert_eq!(sessions["sessions"][0]["qq"], 10001);
    assert_eq!(sessions["sessions"][0]["registered"], true);
    // say / inject / sent.
    let r = control(
        &mut h,
        "POST",
        "say",
        Some(json!({"from": 10003, "to": {"group": 200001}, "text": "hi all"})),
    );
    assert_eq!(r.json(), json!({"ok": true}));
    let r = control(
        &mut h,
        "POST",
        "inject",
        Some(json!({"qq": 10001, "event": {"poll_type": "tips", "value": {}}})),
    );
    assert_eq!(r.status, 200);
    let got = h.poll(&l).1.unwrap().json();
    let types: Vec<&str> = got["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["poll_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["group_message", "tips"]);
    let sent = control(&mut h, "GET", "sent?qq=10003", None).json();
    assert_eq!(sent["sent"][0]["text"], "hi all ");
    assert_eq!(sent["sent"][0]["target"], json!({"group": 200001}));
    // faults round trip.
    let f = json!({"rules": [{"endpoint": "poll2", "action": {"kind": "status", "status": 502}, "times": 1}], "delivery": {"duplicate": 0.0}});
    assert_eq!(
        control(&mut h, "POST", "faults", Some(f)).json()["ok"],
        true
    );
    assert_eq!(h.poll(&l).1.unwrap().status, 502);
    let now = control(&mut h, "GET", "faults", None).json();
    assert_eq!(now["faults"]["rules"][0]["times"], 0);
    assert_eq!(h.emu.faults().rules.len(), 1);
    // retcode / strictness / expire / kick.
    assert_eq!(
        control(
            &mut h,
            "POST",
            "retcode",
            Some(json!({"qq": 10001, "retcode": 116}))
        )
        .json()["ok"],
        true
    );
    assert_eq!(h.poll(&l).1.unwrap().json()["retcode"], 116);
    assert_eq!(
        control(
            &mut h,
            "POST",
            "strictness",
            Some(json!({"registration": true}))
        )
        .json()["ok"],
        true
    );
    assert_eq!(
        control(&mut h, "GET", "strictness", None).json()["strictness"]["registration"],
        true
    );
    assert_eq!(
        control(&mut h, "POST", "expire", Some(json!({"qq": 10001}))).json()["ok"],
        true
    );
    assert!(h.events.contains(&Event::SessionEnded {
        qq: 10001,
        reason: "expired"
    }));
    // Errors: 404 for unknown accounts / not logged in, 400 for bad bodies, 404 page for unknown paths.
    let r = control(&mut h, "POST", "kick", Some(json!({"qq": 10001})));
    assert_eq!((r.status, r.json()["ok"].clone()), (404, json!(false)));
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("no live session")
    );
    assert_eq!(
        control(&mut h, "POST", "say", Some(json!({"from": "x"}))).status,
        400
    );
    assert_eq!(control(&mut h, "GET", "nothing", None).status, 404);
    let _ = Faults::default();
}

#[test]
fn captcha_answers_over_http() {
    let mut world = World::demo();
    world.accounts[0].captcha = true;
    let mut h = Harness::with(EmulatorConfig {
        world,
        ..EmulatorConfig::demo(Profile::W2013)
    });
    assert_eq!(control(&mut h, "GET", "captcha?qq=10001", None).status, 400);
    h.get("http://check.ptlogin2.qq.com/check?uin=10001&appid=1003903");
    h.get("http://captcha.qq.com/getimage?aid=1003903&uin=10001");
    let answer = control(&mut h, "GET", "captcha?qq=10001", None).json()["answer"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(Some(answer), h.emu.captcha_answer(10001));
}

use crate::emulator::World;

#[test]
fn friend_requests_joins_leaves_and_renames_over_http_json() {
    let mut h = Harness::new(Profile::S2018);
    h.get("https://ssl.ptlogin2.qq.com/ptqrshow?appid=501004106");
    let qrsig = h.jar["qrsig"].clone();
    control(&mut h, "POST", "qr/scan", Some(json!({})));
    control(&mut h, "POST", "qr/confirm", Some(json!({"qq": 10001})));
    let poll = format!(
        "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken={}",
        hash33(&qrsig)
    );
    let cb = js_args(&h.get(&poll).text());
    let l = h.finish_login(10001, &cb);
    let ok = json!({"ok": true});
    let r = control(
        &mut h,
        "POST",
        "friend_request",
        Some(json!({"from": 10004, "to": 10001, "msg": "again?"})),
    );
    assert_eq!(r.json(), ok);
    let r = control(
        &mut h,
        "POST",
        "group/leave",
        Some(json!({"qq": 10003, "group": 200001})),
    );
    assert_eq!(r.json(), ok);
    let r = control(
        &mut h,
        "POST",
        "group/join",
        Some(json!({"qq": 10004, "group": 200001})),
    );
    assert_eq!(r.json(), ok);
    let got = h.poll(&l).1.unwrap().json();
    let items: Vec<(&str, &str)> = got["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["poll_type"].as_str().unwrap(),
                e["value"]["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            ("system_message", "verify_required"),
            ("sys_g_msg", "group_leave"),
            ("sys_g_msg", "group_join"),
        ]
    );
    assert_eq!(got["result"][0]["value"]["account"], 10004);
    assert_eq!(got["result"][0]["value"]["msg"], "again?");
    // Refusals: a second join, a leave of a non-member, an unknown account.
    let again = control(
        &mut h,
        "POST",
        "group/join",
        Some(json!({"qq": 10004, "group": 200001})),
    );
    assert_eq!(again.status, 400);
    let gone = control(
        &mut h,
        "POST",
        "group/leave",
        Some(json!({"qq": 10003, "group": 200001})),
    );
    assert_eq!(gone.status, 400);
    // The same refusals in Rust, by their predicates.
    let again = h.emu.join_group(10004, 200001).unwrap_err();
    assert!(
        again.is_bad_request() && !again.is_not_a_member(),
        "{again}"
    );
    let gone = h.emu.leave_group(10003, 200001).unwrap_err();
    assert!(gone.is_not_a_member() && !gone.is_bad_request(), "{gone}");
    assert!(h.emu.join_group(10004, 1).unwrap_err().is_unknown());
    assert!(
        h.emu
            .friend_request(10004, 10002, "")
            .unwrap_err()
            .is_not_logged_in()
    );
    let r = control(
        &mut h,
        "POST",
        "rename",
        Some(json!({"qq": 99, "nick": "x"})),
    );
    assert_eq!(r.status, 404);
    let r = control(
        &mut h,
        "POST",
        "rename",
        Some(json!({"qq": 10003, "nick": "Robert"})),
    );
    assert_eq!(r.json(), ok);
    assert!(h.emu.rename(10003, "Bobby").is_ok());
    // The next list fetch shows the new nickname.
    let friends = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    let nicks: Vec<&str> = friends["result"]["info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["nick"].as_str().unwrap())
        .collect();
    assert!(
        nicks.contains(&"Bobby") && !nicks.contains(&"Robert"),
        "{nicks:?}"
    );
}

#[test]
fn say_batch_says_all_in_order_or_none() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    let say = |from, to, text: &str| crate::emulator::Say {
        from,
        to,
        text: text.into(),
    };
    // In Rust: Carol is not in the group, so nothing of the batch is said.
    let e = h
        .emu
        .say_batch(&[
            say(10002, Target::Buddy(10001), "one"),
            say(10004, Target::Group(200001), "two"),
        ])
        .unwrap_err();
    assert_eq!(e.index, 1);
    assert!(matches!(e.error, ControlError::NotAMember { .. }));
    assert!(e.to_string().starts_with("message 1 of the batch: "), "{e}");
    assert!(
        h.emu.sent(10002).is_empty(),
        "the first was not said either"
    );
    h.emu
        .say_batch(&[
            say(10002, Target::Buddy(10001), "one"),
            say(10003, Target::Buddy(10001), "two"),
        ])
        .unwrap();
    // Over HTTP: the answer counts them; the held poll gets them in order.
    let r = control(
        &mut h,
        "POST",
        "say_batch",
        Some(json!({"messages": [
            {"from": 10002, "to": {"buddy": 10001}, "text": "three"},
            {"from": 10003, "to": {"group": 200001}, "text": "four"}]})),
    );
    assert_eq!(r.json(), json!({"ok": true, "said": 2}));
    let got = h.poll(&l).1.unwrap().json();
    let texts: Vec<&str> = got["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"]["content"][1].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["one ", "two ", "three ", "four "]);
    // An unknown sender anywhere: 404 naming its position; a malformed body: 400.
    let r = control(
        &mut h,
        "POST",
        "say_batch",
        Some(json!({"messages": [
            {"from": 10002, "to": {"buddy": 10001}, "text": "x"},
            {"from": 1, "to": {"buddy": 10001}, "text": "y"}]})),
    );
    assert_eq!(r.status, 404);
    let error = r.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("message 1 of the batch") && error.contains("account 1"),
        "{error}"
    );
    assert_eq!(
        control(&mut h, "POST", "say_batch", Some(json!({"messages": 3}))).status,
        400
    );
    assert_eq!(
        h.emu.sent(10002).len(),
        2,
        "the refused batches said nothing"
    );
}
