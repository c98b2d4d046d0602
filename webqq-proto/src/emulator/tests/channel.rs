//! poll2 holding and delivery, sends, fan-out, echo, registration, expiry (protocol §6–§8).
use super::*;
use crate::emulator::{Strictness, Target};
use serde_json::json;

/// The content string of a send (protocol §7.2: a JSON string holding the array, font last).
fn content(text: &str) -> String {
    json!([text, ["face", 13], ["font", {"name": "宋体", "size": 10, "style": [0, 0, 0], "color": "000000"}]]).to_string()
}

fn friend_uin(h: &mut Harness, l: &Login, qq_nick: &str) -> u64 {
    let r = json!({"vfwebqq": l.vfwebqq, "hash": h.list_hash(10001)});
    let friends = h
        .post_r("http://s.web2.qq.com/api/get_user_friends2", &r)
        .json();
    let info = friends["result"]["info"].as_array().unwrap().clone();
    info.iter().find(|i| i["nick"] == qq_nick).unwrap()["uin"]
        .as_u64()
        .unwrap()
}

fn group_gid(h: &mut Harness, l: &Login) -> (u64, u64) {
    let r = json!({"vfwebqq": l.vfwebqq, "hash": h.list_hash(10001)});
    let g = h
        .post_r("http://s.web2.qq.com/api/get_group_name_list_mask2", &r)
        .json();
    let g = &g["result"]["gnamelist"][0];
    (g["gid"].as_u64().unwrap(), g["code"].as_u64().unwrap())
}

#[test]
fn an_idle_poll_is_held_then_answered_with_the_profile_idle_reply() {
    let cases = [
        (
            Profile::W2013,
            Some(json!({"retcode":102,"errmsg":""})),
            200,
        ),
        (Profile::S2016, None, 504),
        (
            Profile::S2018,
            Some(json!({"retcode":0,"retmsg":"ok","errmsg":"error"})),
            200,
        ),
    ];
    for (profile, body, status) in cases {
        let mut h = Harness::new(profile);
        let login = h.login(10001);
        let (conn, r) = h.poll(&login);
        assert!(r.is_none(), "{profile:?}: held");
        h.advance(29_000);
        assert!(
            h.take_response(conn).is_none(),
            "{profile:?}: still held before 30 s"
        );
        h.advance(1_000);
        let r = h
            .take_response(conn)
            .expect("answered at the hold deadline");
        assert_eq!(r.status, status, "{profile:?}");
        if let Some(b) = body {
            assert_eq!(r.json(), b);
        } else {
            assert!(r.text().contains("504 Gateway Time-out"), "{}", r.text());
        }
    }
}

#[test]
fn a_buddy_message_wakes_the_held_poll_with_the_captured_shape() {
    let mut h = Harness::new(Profile::W2013);
    let login = h.login(10001);
    let alice = friend_uin(&mut h, &login, "Alice");
    let (conn, _) = h.poll(&login);
    h.emu.say(10002, Target::Buddy(10001), "hi").unwrap();
    h.drain();
    let r = h.take_response(conn).expect("released at once").json();
    // Capture #45.
    let capture: Value = serde_json::from_str(r#"{"retcode":0,"result":[{"poll_type":"message","value":{"msg_id":32013,"from_uin":3593648688,"to_uin":112482900,"msg_id2":720289,"msg_type":9,"reply_ip":178848427,"time":1344348822,"content":[["font",{"size":8,"color":"000000","style":[0,0,0],"name":"Tahoma"}],"a "]}}]}"#).unwrap();
    assert_same_shape(&r, &capture, "poll");
    let v = &r["result"][0]["value"];
    assert_eq!(
        v["from_uin"], alice,
        "the sender's uin as this session sees it"
    );
    assert_eq!(v["to_uin"], 10001);
    assert_eq!(v["content"][1], "hi ");
}

#[test]
fn group_messages_fan_out_with_each_members_own_ids() {
    let mut h = Harness::new(Profile::W2014);
    let bot = h.login(10001);
    let (gid, code) = group_gid(&mut h, &bot);
    let bot_jar = h.jar.clone();
    // Alice logs in on her own "browser" (jar).
    h.jar.clear();
    let alice = h.login(10002);
    let alice_jar = h.jar.clone();
    let (agid, _) = group_gid(&mut h, &alice);
    assert_ne!(gid, agid, "gids are per session");
    let (aconn, _) = h.poll(&alice);
    // The bot sends to the group.
    h.jar = bot_jar;
    let r = json!({"group_uin": gid, "content": content("hello group"), "msg_id": 91310002, "clientid": bot.clientid, "psessionid": bot.psessionid});
    let reply = h
        .post_r("http://d.web2.qq.com/channel/send_qun_msg2", &r)
        .json();
    assert_eq!(reply, json!({"retcode":0,"result":"ok"}));
    h.jar = alice_jar;
    let got = h.take_response(aconn).unwrap().json();
    // Capture #47.
    let capture: Value = serde_json::from_str(r#"{"retcode":0,"result":[{"poll_type":"group_message","value":{"msg_id":538,"from_uin":2859929324,"to_uin":3072574066,"msg_id2":545490,"msg_type":43,"reply_ip":182424361,"group_code":2904892801,"send_uin":1951767953,"seq":3024,"time":1418955773,"info_seq":390179723,"content":[["font",{"size":12,"color":"000000","style":[0,0,0],"name":"\u5FAE\u8F6F\u96C5\u9ED1"}],"[\u50BB\u7B11]\u0001 "]}}]}"#).unwrap();
    assert_same_shape(&got, &capture, "group poll");
    let v = &got["result"][0]["value"];
    assert_eq!(v["from_uin"], agid);
    assert_ne!(
        v["group_code"], agid,
        "[W] group_code is the code, not the gid"
    );
    assert_eq!(
        v["info_seq"], 200001,
        "[W] info_seq = the real group number"
    );
    assert_eq!(
        v["content"][0][0], "font",
        "font first when received (§6.6)"
    );
    assert_eq!(v["content"][1], "hello group");
    assert_eq!(v["content"][2], json!(["face", 13]));
    let _ = code;
    let sent = h.emu.sent(10001);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].target, Target::Group(200001));
    assert_eq!(sent[0].text, "hello group[face 13]");
    assert_eq!(sent[0].msg_id, Some(91310002));
}

#[test]
fn discussion_messages_and_seq_grow_per_group() {
    let mut h = Harness::new(Profile::S2018);
    let bot = h.login(10001);
    let (conn, _) = h.poll(&bot);
    h.emu.say(10004, Target::Discussion(1), "lunch?").unwrap();
    h.drain();
    let r = h.take_response(conn).unwrap().json();
    let v = &r["result"][0]["value"];
    assert_eq!(r["result"][0]["poll_type"], "discu_message");
    assert_eq!(
        v["from_uin"], 10000,
        "§6.4: discussion messages come from 10000"
    );
    assert_eq!(v["msg_type"], 42);
    let did = v["did"].as_u64().unwrap();
    let list = h.get(&format!("http://s.web2.qq.com/api/get_discus_list?clientid=53999199&psessionid={}&vfwebqq={}&t=1", bot.psessionid, bot.vfwebqq)).json();
    assert_eq!(list["result"]["dnamelist"][0]["did"], did);
    h.emu.say(10002, Target::Group(200001), "one").unwrap();
    h.emu.say(10003, Target::Group(200001), "two").unwrap();
    let (_, r) = h.poll(&bot);
    let r = r.unwrap().json();
    let seqs: Vec<u64> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(
        r["result"][0]["value"]["group_code"], r["result"][0]["value"]["from_uin"],
        "[S] group_code = gid"
    );
}

#[test]
fn s2018_echoes_own_group_messages_and_s2016_replies_errcode() {
    let mut h = Harness::new(Profile::S2018);
    let bot = h.login(10001);
    let (gid, _) = group_gid(&mut h, &bot);
    let r = json!({"group_uin": gid, "content": content("me"), "face": 522, "msg_id": 1, "clientid": 53999199, "psessionid": bot.psessionid});
    assert_eq!(
        h.post_r("http://d1.web2.qq.com/channel/send_qun_msg2", &r)
            .json(),
        json!({"retcode":0,"result":"ok"})
    );
    let (_, echo) = h.poll(&bot);
    let echo = echo.expect("own message is queued").json();
    assert_eq!(echo["result"][0]["value"]["send_uin"], 10001);

    let mut h = Harness::new(Profile::S2016);
    let bot = h.login(10001);
    let alice = friend_uin(&mut h, &bot, "Alice");
    // Protocol §7.1 [S] body (qqbot).
    let r = json!({"to": alice, "content": content("hello"), "face": 522, "clientid": 53999199, "msg_id": 6000001, "psessionid": bot.psessionid});
    assert_eq!(
        h.post_r("http://d1.web2.qq.com/channel/send_buddy_msg2", &r)
            .json(),
        json!({"errCode":0,"msg":"send ok"})
    );
    let (conn, r) = h.poll(&bot);
    assert!(r.is_none(), "no echo of own messages before 2017-05");
    let _ = conn;
    assert_eq!(h.emu.sent(10001)[0].target, Target::Buddy(10002));
}

#[test]
fn sends_to_unknown_ids_are_refused_and_ended_sessions_answer_103() {
    let mut h = Harness::new(Profile::W2013);
    let bot = h.login(10001);
    let r = json!({"to": 1, "content": content("x"), "msg_id": 1, "clientid": "12345678", "psessionid": bot.psessionid});
    assert_eq!(
        h.post_r("http://d.web2.qq.com/channel/send_buddy_msg2", &r)
            .json()["retcode"],
        100001
    );
    let r = json!({"to": 1, "content": content("x"), "msg_id": 1, "clientid": "12345678", "psessionid": "nope"});
    assert_eq!(
        h.post_r("http://d.web2.qq.com/channel/send_buddy_msg2", &r)
            .json(),
        json!({"retcode":103,"errmsg":""})
    );
    // logout2 (§8.4) ends the session.
    let out = h.get(&format!(
        "http://d.web2.qq.com/channel/logout2?ids=&clientid=12345678&psessionid={}&t=1",
        bot.psessionid
    ));
    assert_eq!(out.json(), json!({"retcode":0,"result":"ok"}));
    let (_, r) = h.poll(&bot);
    assert_eq!(r.unwrap().json(), json!({"retcode":103,"errmsg":""}));
}

#[test]
fn the_registration_gate_answers_103_until_get_online_buddies2() {
    let cfg = EmulatorConfig {
        strictness: Strictness {
            registration: true,
            ..Strictness::lenient()
        },
        ..EmulatorConfig::demo(Profile::S2016)
    };
    let mut h = Harness::with(cfg);
    let cb = h.qr_ptlogin(10001);
    h.get(&cb[2]);
    let ptwebqq = h.jar["ptwebqq"].clone();
    let r = h.post_r("http://d1.web2.qq.com/channel/login2", &json!({"ptwebqq": ptwebqq, "clientid": 53999199, "psessionid": "", "status": "online"})).json();
    let ps = r["result"]["psessionid"].as_str().unwrap().to_string();
    let poll = json!({"ptwebqq": ptwebqq, "clientid": 53999199, "psessionid": ps, "key": ""});
    let (_, r) = h.start_poll("http://d1.web2.qq.com/channel/poll2", &poll);
    assert_eq!(r.unwrap().json(), json!({"errmsg":"error","retcode":103}));
    let online = h.get(&format!("http://d1.web2.qq.com/channel/get_online_buddies2?vfwebqq=x&clientid=53999199&psessionid={ps}&t=1")).json();
    // Protocol §5.10 shape.
    assert_same_shape(
        &online,
        &json!({"retcode":0,"result":[{"uin":1100872453,"status":"online","client_type":21}]}),
        "online",
    );
    let (_, r) = h.start_poll("http://d1.web2.qq.com/channel/poll2", &poll);
    assert!(r.is_none(), "registered: the poll is held");
}

#[test]
fn sessions_expire_when_idle_and_after_their_lifetime() {
    let mut cfg = EmulatorConfig::demo(Profile::W2014);
    cfg.world.chatter_interval_ms = 0;
    cfg.timing.session_idle_ms = 60_000;
    cfg.timing.session_lifetime_ms = 600_000;
    cfg.timing.poll_hold_ms = 30_000;
    let mut h = Harness::with(cfg);
    let bot = h.login(10001);
    h.advance(61_000);
    assert!(h.emu.sessions().is_empty(), "no poll for a minute: expired");
    assert!(h.events.contains(&Event::SessionEnded {
        qq: 10001,
        reason: "idle"
    }));
    let (_, r) = h.poll(&bot);
    assert_eq!(r.unwrap().json()["retcode"], 103);
    // A polling session lives until its lifetime.
    let bot = h.login(10001);
    for _ in 0..25 {
        let (conn, r) = h.poll(&bot);
        if r.is_some() {
            break;
        }
        h.advance(30_000);
        assert!(h.take_response(conn).is_some());
    }
    let ended: Vec<&Event> = h
        .events
        .iter()
        .filter(|e| matches!(e, Event::SessionEnded { .. }))
        .collect();
    assert!(
        h.events.contains(&Event::SessionEnded {
            qq: 10001,
            reason: "lifetime"
        }),
        "{ended:?}"
    );
}

#[test]
fn a_second_poll_releases_the_first_and_pipelined_requests_wait_behind_a_held_poll() {
    let mut h = Harness::new(Profile::W2013);
    let bot = h.login(10001);
    let (first, _) = h.poll(&bot);
    let (second, _) = h.poll(&bot);
    assert_eq!(
        h.take_response(first).unwrap().json()["retcode"],
        102,
        "one poll outstanding per session (§6.1)"
    );
    assert!(h.take_response(second).is_none());
    // On one connection: a poll, then a pipelined request: its answer waits for the poll's.
    let conn = h.open();
    let poll = json!({"clientid": "12345678", "psessionid": bot.psessionid, "key": 0, "ids": []});
    let body = format!(
        "r={}",
        form_urlencoded::byte_serialize(poll.to_string().as_bytes()).collect::<String>()
    );
    let mut wire = h.raw_request("POST", "http://d.web2.qq.com/channel/poll2", Some(&body));
    wire.extend(h.raw_request("GET", "http://ui.ptlogin2.qq.com/cgi-bin/ver", None));
    h.feed(conn, &wire);
    assert_eq!(h.take_response(second).unwrap().json()["retcode"], 102);
    assert!(
        h.take_response(conn).is_none(),
        "the ver answer waits behind the held poll"
    );
    h.emu.say(10002, Target::Buddy(10001), "wake").unwrap();
    h.drain();
    assert_eq!(
        h.take_response(conn).unwrap().json()["result"][0]["poll_type"],
        "message"
    );
    assert_eq!(
        h.take_response(conn).unwrap().text(),
        "ptuiV(201210240930);\r\n"
    );
}

#[test]
fn change_status_tells_friends_and_offline_logs_out() {
    let mut h = Harness::new(Profile::W2014);
    let bot = h.login(10001);
    let bot_jar = h.jar.clone();
    h.jar.clear();
    let alice = h.login(10002);
    let (aconn, _) = h.poll(&alice);
    h.jar = bot_jar;
    let r = h.get(&format!("http://d.web2.qq.com/channel/change_status2?newstatus=away&clientid=12345678&psessionid={}&t=1", bot.psessionid));
    assert_eq!(r.json(), json!({"retcode":0,"result":"ok"}), "capture #39");
    let got = h.take_response(aconn).unwrap().json();
    assert_eq!(got["result"][0]["poll_type"], "buddies_status_change");
    assert_eq!(got["result"][0]["value"]["status"], "away");
    h.get(&format!("http://d.web2.qq.com/channel/change_status2?newstatus=offline&clientid=12345678&psessionid={}&t=1", bot.psessionid));
    assert!(h.events.contains(&Event::SessionEnded {
        qq: 10001,
        reason: "logout"
    }));
}

#[test]
fn the_w2013_heartbeat_answers() {
    let mut h = Harness::new(Profile::W2013);
    let r = h.get("http://web.qq.com/web2/get_msg_tip?uin=&tp=1&id=0&retype=1&rc=1&lv=3&t=1");
    assert_eq!(r.json()["retcode"], 0);
}

#[test]
fn the_demo_world_chatters_while_someone_is_logged_in() {
    let mut h = Harness::with(EmulatorConfig::demo(Profile::S2018));
    h.advance(60_000);
    assert!(h.emu.sent(10002).is_empty(), "nobody online: silence");
    let bot = h.login(10001);
    let (conn, _) = h.poll(&bot);
    h.advance(20_000);
    let r = h
        .take_response(conn)
        .expect("a chatter line arrived")
        .json();
    assert_eq!(r["retcode"], 0);
    assert!(
        r["result"][0]["poll_type"]
            .as_str()
            .unwrap()
            .ends_with("message")
    );
}

#[test]
fn events_survive_a_poll_whose_connection_closed() {
    let mut h = Harness::new(Profile::S2018);
    let bot = h.login(10001);
    let (conn, _) = h.poll(&bot);
    h.emu.handle_input(h.now, Input::Eof { conn });
    h.drain();
    h.emu
        .say(10002, Target::Buddy(10001), "still here")
        .unwrap();
    h.drain();
    assert!(h.take_response(conn).is_none());
    let r = h.poll(&bot).1.expect("queued, answered at once").json();
    assert_eq!(r["result"][0]["value"]["content"][1], "still here ");
}

#[test]
fn temporary_session_messages_go_through_a_group_signature() {
    let mut h = Harness::new(Profile::W2014);
    let bot = h.login(10001);
    let bot_jar = std::mem::take(&mut h.jar);
    let bob = h.login(10003);
    let bob_jar = std::mem::replace(&mut h.jar, bot_jar);
    let (gid, code) = group_gid(&mut h, &bot);
    let info = h
        .get(&format!(
            "http://s.web2.qq.com/api/get_group_info_ext2?gcode={code}&vfwebqq={}",
            bot.vfwebqq
        ))
        .json();
    let bob_uin = info["result"]["minfo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["nick"] == "Bob &amp; Co")
        .unwrap()["uin"]
        .as_u64()
        .unwrap();
    let sig = h.get(&format!("http://d.web2.qq.com/channel/get_c2cmsg_sig2?id={gid}&to_uin={bob_uin}&service_type=0&clientid=12345678&psessionid={}&t=1", bot.psessionid)).json();
    assert_same_shape(
        &sig,
        &json!({"retcode":0,"result":{"type":0,"value":"ab","flags":{"text":1,"pic":1,"file":1,"audio":1,"video":1}}}),
        "c2c sig",
    );
    let r = json!({"to": bob_uin, "group_sig": sig["result"]["value"], "face": 0, "content": content("psst"), "msg_id": 5, "service_type": 0, "clientid": "12345678", "psessionid": bot.psessionid});
    assert_eq!(
        h.post_r("http://d.web2.qq.com/channel/send_sess_msg2", &r)
            .json()["retcode"],
        0
    );
    h.jar = bob_jar;
    let got = h.poll(&bob).1.unwrap().json();
    // Capture #49.
    let capture: Value = serde_json::from_str(r#"{"retcode":0,"result":[{"poll_type":"sess_message","value":{"msg_id":25144,"from_uin":167017143,"to_uin":1070772010,"msg_id2":139233,"msg_type":140,"reply_ip":176752037,"time":1365931836,"id":2581801127,"ruin":444674479,"service_type":1,"flags":{"text":1,"pic":1,"file":1,"audio":1,"video":1},"content":[["font",{"size":9,"color":"000000","style":[0,0,0],"name":"Tahoma"}],"2\u8F7D3 ",["face",1]," "]}}]}"#).unwrap();
    assert_same_shape(&got, &capture, "sess");
    assert_eq!(
        got["result"][0]["value"]["ruin"], 10001,
        "ruin = the sender's QQ number"
    );
    // A bad signature is refused; SmartQQ 2016+ blocked temporary sessions (1202).
    let r = json!({"to": bob_uin, "group_sig": "zz", "content": content("x"), "msg_id": 6, "service_type": 0, "clientid": "12345678", "psessionid": bot.psessionid});
    assert_eq!(
        h.post_r("http://d.web2.qq.com/channel/send_sess_msg2", &r)
            .json()["retcode"],
        100001
    );
    let gface = h
        .get(&format!(
            "http://d.web2.qq.com/channel/get_gface_sig2?clientid=12345678&psessionid={}&t=1",
            bot.psessionid
        ))
        .json();
    assert_same_shape(
        &gface,
        &json!({"retcode":0,"result":{"reply":0,"gface_key":"E3MR8qZFt9xvRYRp","gface_sig":"70448d"}}),
        "gface sig (capture #41)",
    );
}

#[test]
fn rotating_ptwebqq_forever_keeps_one_working_value() {
    let mut h = Harness::new(Profile::S2018);
    let bot = h.login(10001);
    let before = h.emu.server.session_token_count();
    let mut last = String::new();
    for _ in 0..50 {
        h.emu.force_retcode(10001, 116).unwrap();
        last = h.poll(&bot).1.unwrap().json()["p"]
            .as_str()
            .unwrap()
            .to_string();
    }
    let tokens = h.emu.server.session_token_count();
    assert_eq!(tokens, before, "no token piles up after 50 rotations");
    let r = h
        .get(&format!(
            "http://s.web2.qq.com/api/getvfwebqq?ptwebqq={last}&clientid=53999199&psessionid=&t=1"
        ))
        .json();
    assert_eq!(r["retcode"], 0, "the newest ptwebqq works");
}

#[test]
fn s2018_poll_answers_close_their_connection_like_the_2017_capture() {
    for (profile, closes) in [
        (Profile::S2018, true),
        (Profile::S2016, false),
        (Profile::W2013, false),
    ] {
        let mut h = Harness::new(profile);
        let bot = h.login(10001);
        let (conn, _) = h.poll(&bot);
        h.emu.say(10002, Target::Buddy(10001), "x").unwrap();
        h.drain();
        let r = h.take_response(conn).unwrap();
        assert_eq!(
            r.header("connection"),
            Some(if closes { "close" } else { "keep-alive" }),
            "{profile:?}"
        );
        assert_eq!(h.closed.contains(&conn), closes, "{profile:?}");
    }
}

#[test]
fn typing_and_shakes_reach_the_peer_like_capture_53() {
    let mut h = Harness::new(Profile::S2018);
    let bot = h.login(10001);
    let bot_jar = std::mem::take(&mut h.jar);
    let alice = h.login(10002);
    let alice_jar = std::mem::replace(&mut h.jar, bot_jar.clone());
    let alice_uin = friend_uin(&mut h, &bot, "Alice");
    for (path, poll_type, capture) in [
        (
            "input_notify2",
            "input_notify",
            r#"{"retcode":0,"result":[{"poll_type":"input_notify","value": {"msg_id":21940,"from_uin":3228283951,"to_uin":1,"msg_id2":3588813984,"msg_type":121,"reply_ip":4294967295} }]}"#,
        ),
        (
            "shake2",
            "shake_message",
            r#"{"retcode":0,"result":[{"poll_type":"shake_message","value":{"msg_id":568,"from_uin":2822367047,"to_uin":2501542492,"msg_id2":405490,"msg_type":9,"reply_ip":176498151}}]}"#,
        ),
    ] {
        h.jar = bot_jar.clone();
        let r = h.get(&format!("http://d1.web2.qq.com/channel/{path}?clientid=53999199&to_uin={alice_uin}&t=1&psessionid={}", bot.psessionid));
        assert_eq!(r.json(), json!({"retcode":0,"result":"ok"}));
        h.jar = alice_jar.clone();
        let got = h.poll(&alice).1.unwrap().json();
        assert_eq!(got["result"][0]["poll_type"], poll_type);
        assert_same_shape(&got, &serde_json::from_str(capture).unwrap(), path);
    }
}
