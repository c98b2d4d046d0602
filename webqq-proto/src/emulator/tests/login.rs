//! The login flows of protocol §3 for every profile.
use super::*;
use crate::emulator::{FaultAction, FaultRule, Strictness, World};
use serde_json::json;

#[test]
fn every_profile_logs_in_through_its_own_flow() {
    for profile in Profile::ALL {
        let mut h = Harness::new(profile);
        let login = h.login(10001);
        assert!(
            login.psessionid.starts_with("8368046764"),
            "{profile:?}: §2.1 layout"
        );
        assert_eq!(h.emu.sessions().len(), 1, "{profile:?}");
        assert!(h.events.contains(&Event::LoggedIn { qq: 10001 }));
    }
}

#[test]
fn w2013_check_and_login_follow_the_captured_shapes() {
    let mut h = Harness::new(Profile::W2013);
    let check = h.get("http://check.ptlogin2.qq.com/check?uin=10001&appid=1003903&r=0.5");
    let text = check.text();
    // Capture #5: ptui_checkVC('0','!PTH','\x00\x00\x00\x00\x64\x74\x8b\x05');
    let args = js_args(&text);
    assert!(
        text.starts_with("ptui_checkVC('0','!") && text.ends_with("');\r\n"),
        "{text}"
    );
    assert_eq!(args.len(), 3);
    assert_eq!(args[1].len(), 4);
    assert_eq!(
        salt_of(&args[2]),
        10001u64.to_be_bytes(),
        "the salt is the QQ number (§3.3)"
    );
    let cb = h.password_ptlogin(10001, "password");
    // Capture #11: the early form answers the u1 page and sets ptwebqq at /login.
    assert_eq!(
        cb[..5],
        [
            "0",
            "0",
            "http://web2.qq.com/loginproxy.html?login2qq=1&webqq_type=10",
            "0",
            "登录成功！"
        ]
    );
    assert_eq!(cb[5], "webqq-rs bot");
    let ptwebqq = h.jar["ptwebqq"].clone();
    assert_eq!(ptwebqq.len(), 64);
    assert!(
        h.jar["skey"].starts_with('@') && h.jar["skey"].len() == 10,
        "skey = @ + 9 chars (§1.5)"
    );
    assert_eq!(h.jar["uin"], "o0000010001", "o + 10 digits (§1.5)");
}

#[test]
fn login2_reply_matches_capture_19() {
    let mut h = Harness::new(Profile::W2013);
    let cb = h.password_ptlogin(10001, "password");
    let ptwebqq = h.jar["ptwebqq"].clone();
    let skey = h.jar["skey"].clone();
    let _ = cb;
    // Protocol §3.10 [W] body with the extra form fields of §1.2.
    let r = format!(
        "r={}&clientid=12345678&psessionid=null",
        form_urlencoded::byte_serialize(
            json!({"status":"online","ptwebqq":ptwebqq,"passwd_sig":"","clientid":"12345678","psessionid":null}).to_string().as_bytes()
        )
        .collect::<String>()
    );
    let reply = h
        .try_request("POST", "http://d.web2.qq.com/channel/login2", Some(&r))
        .1
        .unwrap()
        .json();
    let capture: Value = serde_json::from_str(r#"{"retcode":0,"result":{"uin":1421032531,"cip":2013211875,"index":1060,"port":43415,"status":"online","vfwebqq":"e7ce7913336ad0d28de9cdb9b46a57e4a6127161e35b87d09486001870226ec1fca4c2ba31c025c7","psessionid":"8368046764001e636f6e6e7365727665725f77656271714031302e3133332e34312e32303200006b2900001544016e0400533cb3546d0000000a4046674d4652585136496d00000028e7ce7913336ad0d28de9cdb9b46a57e4a6127161e35b87d09486001870226ec1fca4c2ba31c025c7","user_state":0,"f":0}}"#).unwrap();
    assert_same_shape(&reply, &capture, "login2");
    let result = &reply["result"];
    assert_eq!(result["uin"], 10001, "own uin = QQ number");
    let ps = result["psessionid"].as_str().unwrap();
    let vf = result["vfwebqq"].as_str().unwrap();
    assert_eq!(vf.len(), 80);
    assert!(
        ps.ends_with(vf),
        "[W] the psessionid ends with the vfwebqq (§2.1)"
    );
    assert!(
        ps.contains(&crate::emulator::rng::hex_lower(skey.as_bytes())),
        "the psessionid carries the skey"
    );
}

#[test]
fn w2014_and_s2015_go_through_check_sig() {
    for (profile, sig) in [(Profile::W2014, "&ptsig="), (Profile::S2015, "&ptsigx=")] {
        let mut h = Harness::new(profile);
        let cb = h.password_ptlogin(10001, "password");
        assert!(
            cb[2].starts_with(
                "http://ptlogin4.web2.qq.com/check_sig?pttype=1&uin=10001&service=login"
            ),
            "{cb:?}"
        );
        assert!(cb[2].contains(sig));
        assert_eq!(
            h.jar.contains_key("ptwebqq"),
            profile == Profile::W2014,
            "[S] ptwebqq comes from check_sig (§1.5)"
        );
        let r = h.get(&cb[2]);
        assert_eq!(r.status, 302);
        assert_eq!(r.header("location"), Some(profile.s_url()));
        let names: Vec<String> = r.set_cookies().into_iter().map(|(n, _)| n).collect();
        for c in ["p_skey", "p_uin", "pt4_token"] {
            assert!(
                names.contains(&c.to_string()),
                "{profile:?} check_sig sets {c}"
            );
        }
        assert_eq!(
            names.contains(&"ptwebqq".to_string()),
            profile == Profile::S2015
        );
        // A ticket works once.
        assert_eq!(h.get(&cb[2]).status, 403);
    }
}

#[test]
fn s2015_check_has_five_arguments_and_a_random_salt() {
    let mut h = Harness::new(Profile::S2015);
    let text = h.get("https://ssl.ptlogin2.qq.com/check?pt_tea=1&uin=10001&appid=501004106&js_ver=10120&js_type=0&login_sig=&u1=http%3A%2F%2Fw.qq.com%2Fproxy.html&r=0.1").text();
    let args = js_args(&text);
    assert_eq!(args.len(), 5, "{text}");
    assert_eq!(args[0], "0");
    assert_eq!(args[3].len(), 64, "pt_verifysession");
    assert_eq!(args[4], "1", "isRandSalt");
    assert_ne!(salt_of(&args[2]), 10001u64.to_be_bytes());
}

#[test]
fn wrong_password_wrong_code_and_missing_check_are_refused_like_the_real_server() {
    for profile in [Profile::W2013, Profile::S2015] {
        let mut h = Harness::new(profile);
        // Capture #9 / #7: '3' wrong password, with the account number as last argument.
        let cb = h.password_ptlogin(10001, "wrong");
        assert_eq!(
            cb[..5],
            ["3", "0", "", "0", "您输入的帐号或密码不正确，请重新输入。"],
            "{profile:?}"
        );
        assert_eq!(cb[5], "10001");
        // A wrong verify code: '4'.
        let check = js_args(
            &h.get("http://check.ptlogin2.qq.com/check?uin=10001&appid=1")
                .text(),
        );
        let url = format!(
            "https://ssl.ptlogin2.qq.com/login?u=10001&p=00&verifycode=!ZZZ&aid=1&login_sig=x&salt={}",
            check[2]
        );
        let cb = js_args(&h.get(&url).text());
        if check[1] != "!ZZZ" {
            assert_eq!(cb[0], "4", "{profile:?}");
        }
        // Without /check first: '4','2' page expired.
        let mut h = Harness::new(profile);
        let cb = js_args(
            &h.get("https://ssl.ptlogin2.qq.com/login?u=10001&p=00&verifycode=!ABC")
                .text(),
        );
        assert_eq!(cb[..2], ["4", "2"]);
        // An unknown account: '3'.
        let cb = js_args(
            &h.get("https://ssl.ptlogin2.qq.com/login?u=999&p=00&verifycode=!ABC")
                .text(),
        );
        assert_eq!(cb[0], "3");
    }
    // QR-only eras have no password login.
    let mut h = Harness::new(Profile::S2016);
    h.get("https://ssl.ptlogin2.qq.com/check?uin=10001&appid=501004106");
    assert_eq!(
        js_args(
            &h.get("https://ssl.ptlogin2.qq.com/login?u=10001&p=00&verifycode=!ABC")
                .text()
        )[0],
        "7"
    );
}

#[test]
fn a_captcha_account_needs_the_image_answer() {
    let mut world = World::demo();
    world.accounts[0].captcha = true;
    let cfg = EmulatorConfig {
        world,
        ..EmulatorConfig::demo(Profile::W2014)
    };
    let mut h = Harness::with(cfg);
    let text = h
        .get("http://check.ptlogin2.qq.com/check?uin=10001&appid=1003903")
        .text();
    let args = js_args(&text);
    // Capture #3: ptui_checkVC('1','<cap_cd>','\x00…');
    assert_eq!(args[0], "1", "{text}");
    assert!(h.emu.captcha_answer(10001).is_none(), "no image yet");
    let img = h.get("http://captcha.qq.com/getimage?aid=1003903&uin=10001&r=0.2");
    assert_eq!(img.header("content-type"), Some("image/jpeg"));
    assert!(img.set_cookies().iter().any(|(n, _)| n == "verifysession"));
    let answer = h.emu.captcha_answer(10001).unwrap();
    assert!(h.events.iter().any(|e| *e
        == Event::CaptchaIssued {
            qq: 10001,
            answer: answer.clone()
        }));
    // The helper reads the answer and logs in (the typed code is case-insensitive).
    let cb = h.password_ptlogin(10001, "password");
    assert_eq!(cb[0], "0", "{cb:?}");
}

#[test]
fn the_qr_state_machine_goes_66_67_0_and_expires_to_65() {
    let mut h = Harness::new(Profile::S2018);
    let cb = h.qr_ptlogin(10001);
    // Capture #15: ptuiCB('0','0','<check_sig URL>','0','登录成功！', '<nick>') + CRLF.
    assert_eq!(cb[0], "0");
    assert!(cb[2].contains("service=ptqrlogin") && cb[2].contains("pt_login_type=3"));
    assert_eq!(cb[5], "webqq-rs bot");
    assert_eq!(h.jar["superuin"], "o0000010001");
    // A spent code answers 65.
    let qrsig = h.jar["qrsig"].clone();
    let poll = format!(
        "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken={}",
        hash33(&qrsig)
    );
    assert_eq!(js_args(&h.get(&poll).text())[0], "65");
    // A new code expires after the QR lifetime.
    h.get("https://ssl.ptlogin2.qq.com/ptqrshow?appid=501004106");
    let poll = format!(
        "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken={}",
        hash33(&h.jar["qrsig"])
    );
    assert_eq!(js_args(&h.get(&poll).text())[0], "66");
    h.advance(119_000);
    assert_eq!(js_args(&h.get(&poll).text())[0], "66");
    h.advance(2_000);
    let text = h.get(&poll).text();
    assert_eq!(js_args(&text)[0], "65", "{text}");
    assert!(text.contains("二维码已失效"));
    assert!(h.emu.qr_scan(None).is_err(), "nothing left to scan");
    assert!(h.emu.qr_confirm(None, 424242).is_err(), "unknown account");
}

#[test]
fn strict_ptqrtoken_and_login_sig() {
    let cfg = EmulatorConfig {
        strictness: Strictness::strict(Profile::S2018),
        ..EmulatorConfig::demo(Profile::S2018)
    };
    let mut h = Harness::with(cfg);
    h.get("https://ssl.ptlogin2.qq.com/ptqrshow?appid=501004106");
    assert_eq!(
        h.get("https://ssl.ptlogin2.qq.com/ptqrlogin?aid=501004106")
            .status,
        403,
        "§3.8: no ptqrtoken → 403"
    );
    let good = format!(
        "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken={}",
        hash33(&h.jar["qrsig"])
    );
    assert_eq!(h.get(&good).status, 200);

    let cfg = EmulatorConfig {
        strictness: Strictness::strict(Profile::W2013),
        ..EmulatorConfig::demo(Profile::W2013)
    };
    let mut h = Harness::with(cfg);
    h.get("http://check.ptlogin2.qq.com/check?uin=10001&appid=1003903");
    let cb = js_args(
        &h.get("https://ssl.ptlogin2.qq.com/login?u=10001&p=00&verifycode=!ABC")
            .text(),
    );
    assert_eq!(cb[0], "7", "§11.3: no login_sig → parameter error");
}

#[test]
fn login_faults_answer_the_chosen_ptuicb_code() {
    let mut h = Harness::new(Profile::W2014);
    h.emu.set_faults(crate::emulator::Faults {
        rules: vec![
            FaultRule::once("login", FaultAction::LoginCode { code: 71 }),
            FaultRule::once("login", FaultAction::Abnormal),
        ],
        ..Default::default()
    });
    let cb = h.password_ptlogin(10001, "password");
    assert_eq!(cb[0], "71");
    assert!(cb[4].contains("禁止登录"));
    let cb = h.password_ptlogin(10001, "password");
    assert_eq!(cb[0], "0");
    assert!(
        cb[2].starts_with("http://aq.qq.com/"),
        "abnormal account (§3.6)"
    );
    let cb = h.password_ptlogin(10001, "password");
    assert!(cb[2].contains("check_sig"), "the faults were used up");
}

#[test]
fn the_login_page_carries_login_sig() {
    let mut h = Harness::new(Profile::W2013);
    let page = h.get("https://ui.ptlogin2.qq.com/cgi-bin/login?daid=164&appid=1003903");
    assert!(
        page.text()
            .contains("var g_login_sig=encodeURIComponent(\"")
    );
    assert!(page.text().contains("g_pt_version"));
    assert!(h.jar.contains_key("pt_login_sig"));
}

#[test]
fn getvfwebqq_answers_the_captured_shape_and_refuses_strangers() {
    let mut h = Harness::new(Profile::S2016);
    assert_eq!(
        h.get("http://s.web2.qq.com/api/getvfwebqq?ptwebqq=nope&clientid=53999199&psessionid=&t=1")
            .json(),
        json!({"retcode":100001})
    );
    let cb = h.qr_ptlogin(10001);
    h.get(&cb[2]);
    let ptwebqq = h.jar["ptwebqq"].clone();
    let r = h.get(&format!("http://s.web2.qq.com/api/getvfwebqq?ptwebqq={ptwebqq}&clientid=53999199&psessionid=&t=1")).json();
    assert_same_shape(
        &r,
        &json!({"retcode":0,"result":{"vfwebqq":"aca0"}}),
        "getvfwebqq",
    );
    assert_eq!(r["result"]["vfwebqq"].as_str().unwrap().len(), 80);
}

#[test]
fn a_new_login_gets_new_ids_and_the_old_session_hears_121_then_relinks() {
    let mut h = Harness::new(Profile::S2018);
    let first = h.login(10001);
    let friends = |h: &mut Harness, l: &Login| {
        let r = json!({"vfwebqq": l.vfwebqq, "hash": h.list_hash(10001)});
        h.post_r("http://s.web2.qq.com/api/get_user_friends2", &r)
            .json()["result"]["friends"]
            .clone()
    };
    let f1 = friends(&mut h, &first);
    assert_eq!(f1, friends(&mut h, &first), "stable within a session");
    let second = h.login(10001);
    assert_ne!(second.psessionid, first.psessionid);
    let f2 = friends(&mut h, &second);
    assert_ne!(
        f1[0]["uin"], f2[0]["uin"],
        "different after a new login (§11.2)"
    );
    // The replaced session's poll: {"retcode":121,"t":"0"} (§8.2).
    let (_, r) = h.poll(&first);
    assert_eq!(r.unwrap().json(), json!({"retcode":121,"t":"0"}));
    assert!(h.events.contains(&Event::SessionEnded {
        qq: 10001,
        reason: "replaced"
    }));
    // Relink: login2 with the old psessionid revives it (§3.10), replacing the newer one.
    let r = json!({"ptwebqq": h.jar["ptwebqq"], "clientid": 53999199, "psessionid": first.psessionid, "key": "", "state": "online"});
    let relinked = h.post_r("http://d1.web2.qq.com/channel/login2", &r).json();
    assert_eq!(relinked["retcode"], 0);
    assert_eq!(relinked["result"]["psessionid"], first.psessionid.as_str());
    let (_, r) = h.poll(&second);
    assert_eq!(r.unwrap().json()["retcode"], 121);
    // An unknown psessionid cannot relink: 103.
    let r = json!({"ptwebqq": "x", "clientid": 53999199, "psessionid": "83680467deadbeef", "status": "online"});
    assert_eq!(
        h.post_r("http://d1.web2.qq.com/channel/login2", &r).json()["retcode"],
        103
    );
}

#[test]
fn pt4_auth_turns_a_saved_supertoken_into_a_new_login() {
    let mut h = Harness::new(Profile::S2018);
    let first = h.login(10001);
    let token = h.jar["supertoken"].clone();
    let url = format!(
        "https://ssl.ptlogin2.qq.com/pt4_auth?daid=164&appid=501004106&auth_token={}",
        crate::webqq::hash::time33(&token)
    );
    let text = h.get(&url).text();
    let args = js_args(&text);
    assert_eq!(args[0], "0", "{text}");
    assert!(args[1].starts_with("http://ptlogin4.web2.qq.com/check_sig?"));
    let cb = vec!["0".to_string(), "0".to_string(), args[1].clone()];
    let second = h.finish_login(10001, &cb);
    assert_ne!(first.psessionid, second.psessionid);
    assert_eq!(
        js_args(
            &h.get("https://ssl.ptlogin2.qq.com/pt4_auth?daid=164&appid=501004106&auth_token=1")
                .text()
        )[0],
        "1"
    );
}

#[test]
fn strict_cookies_need_the_verifysession_back_on_login() {
    let cfg = EmulatorConfig {
        strictness: Strictness {
            cookies: true,
            ..Strictness::lenient()
        },
        ..EmulatorConfig::demo(Profile::W2014)
    };
    let mut h = Harness::with(cfg);
    // With the jar (ptvfsession cookie) the login passes.
    assert_eq!(h.password_ptlogin(10001, "password")[0], "0");
    // Without cookies: ptuiCB('24',…) (protocol §3.6, capture #7).
    let check = js_args(
        &h.get("http://check.ptlogin2.qq.com/check?uin=10001&appid=1003903")
            .text(),
    );
    h.jar.clear();
    let p = crate::webqq::password::scheme_b(
        &PasswordMd5::from_password("password"),
        &salt_of(&check[2]),
        &check[1],
    );
    let cb = js_args(
        &h.get(&format!(
            "https://ssl.ptlogin2.qq.com/login?u=10001&p={p}&verifycode={}",
            check[1]
        ))
        .text(),
    );
    assert_eq!(cb[0], "24");
    assert!(cb[4].contains("cookies"));
}

#[test]
fn strict_cookies_with_a_captcha_need_the_image_verifysession() {
    let mut world = World::demo();
    world.accounts[0].captcha = true;
    let cfg = EmulatorConfig {
        world,
        strictness: Strictness {
            cookies: true,
            ..Strictness::lenient()
        },
        ..EmulatorConfig::demo(Profile::W2014)
    };
    let mut h = Harness::with(cfg);
    assert_eq!(
        h.password_ptlogin(10001, "password")[0],
        "0",
        "the image's verifysession cookie is replayed"
    );
    let check = js_args(
        &h.get("http://check.ptlogin2.qq.com/check?uin=10001&appid=1003903")
            .text(),
    );
    h.get("http://captcha.qq.com/getimage?aid=1003903&uin=10001");
    let answer = h.emu.captcha_answer(10001).unwrap();
    h.jar.remove("verifysession");
    let p = crate::webqq::password::scheme_b(
        &PasswordMd5::from_password("password"),
        &salt_of(&check[2]),
        &answer,
    );
    let cb = js_args(
        &h.get(&format!(
            "https://ssl.ptlogin2.qq.com/login?u=10001&p={p}&verifycode={answer}"
        ))
        .text(),
    );
    assert_eq!(cb[0], "24");
    // Since 2015 the value may come as pt_verifysession_v1 instead (protocol §3.6).
    h.get("http://captcha.qq.com/getimage?aid=1003903&uin=10001");
    let answer = h.emu.captcha_answer(10001).unwrap();
    let vs = h.jar.remove("verifysession").unwrap();
    let p = crate::webqq::password::scheme_b(
        &PasswordMd5::from_password("password"),
        &salt_of(&check[2]),
        &answer,
    );
    let cb = js_args(&h.get(&format!("https://ssl.ptlogin2.qq.com/login?u=10001&p={p}&verifycode={answer}&pt_verifysession_v1={vs}")).text());
    assert_eq!(cb[0], "0");
}

#[test]
fn debug_output_never_shows_tokens_or_cookies() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    let conn = h.open();
    let raw = h.raw_request(
        "POST",
        "http://d1.web2.qq.com/channel/poll2",
        Some(&format!("r={}", l.psessionid)),
    );
    h.feed(conn, &raw[..raw.len() - 5]);
    let shown = format!("{:?}", h.emu);
    for secret in [&h.jar["skey"], &h.jar["ptwebqq"], &l.psessionid, &l.vfwebqq] {
        assert!(!shown.contains(secret.as_str()), "{shown}");
    }
    let mut buf = bytes::BytesMut::from(&raw[..]);
    let req = crate::emulator::http::RequestParser::default()
        .parse(&mut buf)
        .unwrap()
        .unwrap();
    let shown = format!("{req:?}");
    assert!(
        !shown.contains(&h.jar["skey"]) && !shown.contains(&l.psessionid),
        "{shown}"
    );
    assert!(shown.contains("cookie"), "header names are shown: {shown}");
}

#[test]
fn logging_in_again_and_again_keeps_two_sessions_at_most() {
    let mut h = Harness::new(Profile::S2018);
    let mut logins = Vec::new();
    for _ in 0..20 {
        logins.push(h.login(10001));
    }
    assert!(
        h.emu.server.session_count() <= 2,
        "{}",
        h.emu.server.session_count()
    );
    assert!(
        h.emu.timer_count() <= 10,
        "forgotten sessions leave no timers: {}",
        h.emu.timer_count()
    );
    // The newest works; the one before hears 121; older ones are gone (103).
    assert!(h.poll(&logins[19]).1.is_none());
    assert_eq!(h.poll(&logins[18]).1.unwrap().json()["retcode"], 121);
    assert_eq!(h.poll(&logins[0]).1.unwrap().json()["retcode"], 103);
}
