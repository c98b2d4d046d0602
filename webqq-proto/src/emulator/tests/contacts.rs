//! The §5 CGIs: reply shapes against the captures, per-session ids, strict checks.
use super::*;
use crate::emulator::{Strictness, Target};
use serde_json::json;

fn s_get(h: &mut Harness, path: &str, l: &Login) -> Value {
    let sep = if path.contains('?') { '&' } else { '?' };
    h.get(&format!(
        "http://s.web2.qq.com/api/{path}{sep}vfwebqq={}&clientid=53999199&psessionid={}&t=1",
        l.vfwebqq, l.psessionid
    ))
    .json()
}

#[test]
fn friend_and_group_lists_match_captures_25_and_27() {
    let mut h = Harness::new(Profile::W2014);
    let l = h.login(10001);
    // Protocol §5.1 [W] body.
    let friends = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"h":"hello","hash": h.list_hash(10001),"vfwebqq": l.vfwebqq}),
        )
        .json();
    let capture25: Value = serde_json::from_str(r#"{"categories":[{"index":1,"name":"Acquaintances","sort":1}],"friends":[{"categories":0,"flag":0,"uin":2440652742}],"info":[{"face":0,"flag":25707010,"nick":"\u547c\u5438","uin":2440652742}],"marknames":[{"uin":1,"markname":"m","type":0}],"vipinfo":[{"is_vip":0,"u":2440652742,"vip_level":0}]}"#).unwrap();
    assert_same_shape(&friends["result"], &capture25, "friends");
    let r = &friends["result"];
    assert_eq!(r["friends"].as_array().unwrap().len(), 3);
    assert_eq!(
        r["marknames"].as_array().unwrap().len(),
        2,
        "two friends have marknames"
    );
    assert_eq!(
        r["categories"].as_array().unwrap().len(),
        2,
        "category 0 is not listed (§5.1)"
    );
    assert_eq!(r["info"][2]["nick"], "Carol");
    assert_eq!(r["friends"][2]["categories"], 2);
    assert_eq!(r["friends"][2]["uin"], r["info"][2]["uin"]);
    assert_ne!(
        r["friends"][0]["uin"], 10002,
        "uins are opaque, not QQ numbers"
    );

    let groups = h
        .post_r(
            "http://s.web2.qq.com/api/get_group_name_list_mask2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    let capture27: Value = serde_json::from_str(r#"{"retcode":0,"result":{"gmasklist":[],"gnamelist":[{"flag":17825793,"name":"EGE","gid":3772225519,"code":1713443374}],"gmarklist":[]}}"#).unwrap();
    assert_same_shape(&groups, &capture27, "groups");
    assert_eq!(groups["result"]["gnamelist"][0]["name"], "Rustaceans");
}

#[test]
fn group_info_matches_capture_31_with_roles_and_cards() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    let groups = h
        .post_r(
            "http://s.web2.qq.com/api/get_group_name_list_mask2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    let code = groups["result"]["gnamelist"][0]["code"].as_u64().unwrap();
    let gid = groups["result"]["gnamelist"][0]["gid"].as_u64().unwrap();
    let info = s_get(&mut h, &format!("get_group_info_ext2?gcode={code}"), &l);
    let capture31: Value = serde_json::from_str(r#"{"retcode":0,"result":{"stats":[{"client_type":1,"uin":56360327,"stat":10}],"minfo":[{"nick":"evildoer","province":"","gender":"male","uin":56360327,"country":"","city":""}],"ginfo":{"face":0,"memo":"","class":10026,"fingermemo":"","code":3968641865,"createtime":1339647698,"flag":1,"level":0,"name":"","gid":2698833507,"owner":909998471,"members":[{"muin":56360327,"mflag":0}],"option":2},"cards":[{"muin":3777107595,"card":""}],"vipinfo":[{"vip_level":0,"u":56360327,"is_vip":0}]}}"#).unwrap();
    assert_same_shape(&info, &capture31, "group info");
    let r = &info["result"];
    assert_eq!(r["ginfo"]["gid"], gid);
    assert_eq!(r["ginfo"]["members"].as_array().unwrap().len(), 3);
    assert_eq!(
        r["ginfo"]["members"][0]["mflag"].as_u64().unwrap() & 1,
        1,
        "Alice is admin (mflag & 1)"
    );
    assert_eq!(r["ginfo"]["members"][2]["mflag"].as_u64().unwrap() & 1, 0);
    assert_eq!(r["ginfo"]["owner"], r["ginfo"]["members"][0]["muin"]);
    assert_eq!(r["cards"].as_array().unwrap().len(), 2);
    assert_eq!(r["cards"][1]["card"], "bot");
    // Lenient: a gid where the code belongs still works; strict: {"retcode":6} (§11.3).
    assert_eq!(
        s_get(&mut h, &format!("get_group_info_ext2?gcode={gid}"), &l)["retcode"],
        0
    );
    h.emu.set_strictness(Strictness {
        gid_as_code: true,
        ..Strictness::lenient()
    });
    assert_eq!(
        s_get(&mut h, &format!("get_group_info_ext2?gcode={gid}"), &l),
        json!({"retcode":6})
    );
}

#[test]
fn discussion_info_matches_capture_35() {
    let mut h = Harness::new(Profile::W2014);
    let l = h.login(10001);
    let list = s_get(&mut h, "get_discus_list", &l);
    assert_same_shape(
        &list,
        &json!({"retcode":0,"result":{"dnamelist":[{"name":"good day","did":2006892653}]}}),
        "discus list",
    );
    let did = list["result"]["dnamelist"][0]["did"].as_u64().unwrap();
    let info = h.get(&format!("http://d.web2.qq.com/channel/get_discu_info?did={did}&vfwebqq={}&clientid=12345678&psessionid={}&t=1", l.vfwebqq, l.psessionid)).json();
    let capture35: Value = serde_json::from_str(r#"{"retcode":0,"result":{"info":{"did":2006892653,"discu_owner":1657605740,"discu_name":"good day","info_seq":2,"mem_list":[{"mem_uin":1960624993,"ruin":21984709}]},"mem_status":[{"uin":1657605740,"status":"online","client_type":1}],"mem_info":[{"uin":1960624993,"nick":"21984709"}]}}"#).unwrap();
    assert_same_shape(&info, &capture35, "discu info");
    let mem = info["result"]["info"]["mem_list"].as_array().unwrap();
    assert!(
        mem.iter().any(|m| m["ruin"] == 10004),
        "ruin = the real QQ number (§5.5)"
    );
}

#[test]
fn profile_cgis_answer_the_documented_fields() {
    let mut h = Harness::new(Profile::W2014);
    let l = h.login(10001);
    let friends = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    let alice = friends["result"]["info"][0]["uin"].as_u64().unwrap();
    // Protocol §5.7 field list.
    let info = s_get(
        &mut h,
        &format!("get_friend_info2?tuin={alice}&verifysession=&code="),
        &l,
    );
    let want = [
        "face",
        "birthday",
        "occupation",
        "phone",
        "allow",
        "college",
        "uin",
        "constel",
        "blood",
        "stat",
        "homepage",
        "country",
        "city",
        "uiuin",
        "personal",
        "nick",
        "shengxiao",
        "email",
        "token",
        "province",
        "account",
        "gender",
        "mobile",
        "vip_info",
        "client_type",
    ];
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(keys(&info["result"]), want);
    assert_eq!(info["result"]["nick"], "Alice");
    assert_eq!(info["result"]["gender"], "female");
    // Protocol §5.9 field list.
    let me = s_get(&mut h, "get_self_info2", &l);
    let want = [
        "birthday",
        "face",
        "phone",
        "occupation",
        "allow",
        "college",
        "uin",
        "blood",
        "constel",
        "lnick",
        "vfwebqq",
        "homepage",
        "vip_info",
        "city",
        "country",
        "personal",
        "shengxiao",
        "nick",
        "email",
        "province",
        "account",
        "gender",
        "mobile",
    ];
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(keys(&me["result"]), want);
    assert_eq!(me["result"]["face"], 522);
    assert_eq!(me["result"]["account"], 10001);
    // §5.6 uin → QQ number; §5.8 signature; §5.12 level.
    let uin2 = s_get(
        &mut h,
        &format!("get_friend_uin2?tuin={alice}&type=1&verifysession=&code="),
        &l,
    );
    assert_same_shape(
        &uin2,
        &json!({"retcode":0,"result":{"uiuin":"","account":2489288370_u64,"uin":10077914}}),
        "friend_uin2",
    );
    assert_eq!(uin2["result"]["account"], 10002);
    let nick = s_get(&mut h, &format!("get_single_long_nick2?tuin={alice}"), &l);
    assert_eq!(
        nick,
        json!({"retcode":0,"result":[{"uin":alice,"lnick":"hello world"}]})
    );
    let level = s_get(&mut h, &format!("get_qq_level2?tuin={alice}"), &l);
    assert_same_shape(
        &level,
        &json!({"retcode":0,"result":{"level":37,"days":1534,"hours":12219,"remainDays":62,"tuin":1990734287}}),
        "level",
    );
    assert_eq!(
        s_get(&mut h, "get_friend_info2?tuin=1", &l),
        json!({"retcode":6})
    );
    // Capture #37 (second body): a stranger's profile.
    let capture37: Value = serde_json::from_str(r#"{"retcode":0,"result":{"face":0,"birthday":{"month":0,"year":0,"day":0},"phone":"","occupation":"","allow":1,"college":"","uin":2842465527,"blood":0,"constel":0,"homepage":"","stat":10,"country":"","city":"","personal":"","nick":"平凡","shengxiao":0,"email":"","token":"d04e","client_type":1,"province":"","gender":"male","mobile":"-"}}"#).unwrap();
    let stranger = s_get(
        &mut h,
        &format!("get_stranger_info2?tuin={alice}&verifysession=&gid=0&code="),
        &l,
    );
    assert_same_shape(&stranger, &capture37, "stranger");
}

#[test]
fn recent_list_remembers_conversations() {
    let mut h = Harness::new(Profile::S2018);
    let l = h.login(10001);
    h.emu.say(10002, Target::Buddy(10001), "hey").unwrap();
    h.emu.say(10003, Target::Group(200001), "yo").unwrap();
    let r = h
        .post_r(
            "http://d1.web2.qq.com/channel/get_recent_list2",
            &json!({"vfwebqq": l.vfwebqq, "clientid": 53999199, "psessionid": l.psessionid}),
        )
        .json();
    assert_same_shape(
        &r,
        &json!({"retcode":0,"result":[{"uin":273149476,"type":1}]}),
        "recent",
    );
    let types: Vec<u64> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_u64().unwrap())
        .collect();
    assert_eq!(types, vec![1, 0], "newest first: the group, then the buddy");
}

#[test]
fn strict_hash_and_vfwebqq_checks() {
    let mut cfg = EmulatorConfig::demo(Profile::W2014);
    cfg.strictness = Strictness {
        hash: true,
        vfwebqq: true,
        ..Strictness::lenient()
    };
    let mut h = Harness::with(cfg);
    let l = h.login(10001);
    let bad = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": "00", "vfwebqq": l.vfwebqq}),
        )
        .json();
    assert_eq!(bad, json!({"retcode":50}), "§4.1: a wrong hash gives 50");
    let good = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    assert_eq!(good["retcode"], 0);
    // W2014 also took QSORT for friends, but only PWERR for groups (§11.1).
    let ptwebqq = h.jar["ptwebqq"].clone();
    let qsort = crate::webqq::hash::ListHash::QSort.compute(10001, &ptwebqq);
    let r = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": qsort, "vfwebqq": l.vfwebqq}),
        )
        .json();
    assert_eq!(r["retcode"], 0);
    let r = h
        .post_r(
            "http://s.web2.qq.com/api/get_group_name_list_mask2",
            &json!({"hash": qsort, "vfwebqq": l.vfwebqq}),
        )
        .json();
    assert_eq!(r["retcode"], 50);
    let r = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": "wrong"}),
        )
        .json();
    assert_eq!(r, json!({"retcode":100001}), "§11.3: vfwebqq mismatch");
}

#[test]
fn s2018_accepts_the_empty_ptwebqq_hash_of_mojo() {
    let mut cfg = EmulatorConfig::demo(Profile::S2018);
    cfg.strictness = Strictness {
        hash: true,
        ..Strictness::lenient()
    };
    let mut h = Harness::with(cfg);
    let l = h.login(10001);
    let empty = crate::webqq::hash::ListHash::EcOk.compute(10001, "");
    // Capture #29: Mojo's GET with r= in the query.
    let r = format!(
        "r={}",
        form_urlencoded::byte_serialize(
            json!({"hash": empty, "vfwebqq": l.vfwebqq})
                .to_string()
                .as_bytes()
        )
        .collect::<String>()
    );
    let got = h
        .get(&format!(
            "http://s.web2.qq.com/api/get_group_name_list_mask2?{r}"
        ))
        .json();
    assert_eq!(got["retcode"], 0, "{got}");
}

fn form_post(h: &mut Harness, url: &str, form: &str) -> Value {
    h.try_request("POST", url, Some(form)).1.unwrap().json()
}

#[test]
fn management_cgis_change_the_world() {
    let mut h = Harness::new(Profile::W2014);
    let l = h.login(10001);
    let list = |h: &mut Harness| {
        h.post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json()["result"]
            .clone()
    };
    let before = list(&mut h);
    let bob = before["info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["nick"] == "Bob &amp; Co")
        .unwrap()["uin"]
        .as_u64()
        .unwrap();
    // Protocol §5.12: form fields, not r=.
    let ok = json!({"retcode":0,"result":"ok"});
    assert_eq!(
        form_post(
            &mut h,
            "http://s.web2.qq.com/api/change_mark_name2",
            &format!("tuin={bob}&markname=Bobby&vfwebqq={}", l.vfwebqq)
        ),
        ok
    );
    assert_eq!(
        form_post(
            &mut h,
            "http://s.web2.qq.com/api/modify_friend_group",
            &format!("tuin={bob}&newid=2&vfwebqq={}", l.vfwebqq)
        ),
        ok
    );
    assert_eq!(
        form_post(
            &mut h,
            "http://s.web2.qq.com/api/modify_friend_group",
            &format!("tuin={bob}&newid=9&vfwebqq={}", l.vfwebqq)
        ),
        json!({"retcode":6}),
        "no category 9"
    );
    let after = list(&mut h);
    assert!(
        after["marknames"]
            .as_array()
            .unwrap()
            .contains(&json!({"uin": bob, "markname": "Bobby", "type": 0}))
    );
    assert!(
        after["friends"]
            .as_array()
            .unwrap()
            .contains(&json!({"flag": 0, "uin": bob, "categories": 2}))
    );
    // The signature (§5.8).
    let r = format!(
        "r={}",
        form_urlencoded::byte_serialize(
            json!({"nlk": "new sig", "vfwebqq": l.vfwebqq})
                .to_string()
                .as_bytes()
        )
        .collect::<String>()
    );
    assert_eq!(
        form_post(&mut h, "http://s.web2.qq.com/api/set_long_nick2", &r),
        ok
    );
    let me = h
        .get(&format!(
            "http://s.web2.qq.com/api/get_self_info2?vfwebqq={}",
            l.vfwebqq
        ))
        .json();
    assert_eq!(me["result"]["lnick"], "new sig");
    // Delete Bob on both sides, then accept him back (allow_and_add2, capture #63's body).
    assert_eq!(
        form_post(
            &mut h,
            "http://s.web2.qq.com/api/delete_friend",
            &format!("tuin={bob}&delType=2&vfwebqq={}", l.vfwebqq)
        ),
        ok
    );
    assert_eq!(list(&mut h)["friends"].as_array().unwrap().len(), 2);
    let r = format!(
        "r={}",
        form_urlencoded::byte_serialize(
            json!({"account": 10003, "gid": 1, "mname": "B", "vfwebqq": l.vfwebqq})
                .to_string()
                .as_bytes()
        )
        .collect::<String>()
    );
    assert_eq!(
        form_post(&mut h, "http://s.web2.qq.com/api/allow_and_add2", &r),
        ok
    );
    let again = list(&mut h);
    assert_eq!(again["friends"].as_array().unwrap().len(), 3);
    assert!(
        again["marknames"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["markname"] == "B")
    );
    // Business card, then leaving the group and the discussion.
    let groups = h
        .post_r(
            "http://s.web2.qq.com/api/get_group_name_list_mask2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    let code = groups["result"]["gnamelist"][0]["code"].as_u64().unwrap();
    let card = h
        .get(&format!(
            "http://s.web2.qq.com/api/get_self_business_card2?gcode={code}&vfwebqq={}&t=1",
            l.vfwebqq
        ))
        .json();
    assert_same_shape(
        &card,
        &json!({"retcode":0,"result":{"phone":"","muin":1,"email":"","remark":"","gcode":409088807,"name":"xiehuc","gender":2}}),
        "business card",
    );
    assert_eq!(card["result"]["name"], "bot");
    let r = format!(
        "r={}",
        form_urlencoded::byte_serialize(
            json!({"gcode": code.to_string(), "vfwebqq": l.vfwebqq})
                .to_string()
                .as_bytes()
        )
        .collect::<String>()
    );
    assert_eq!(
        form_post(&mut h, "http://s.web2.qq.com/api/quit_group2", &r),
        ok
    );
    let groups = h
        .post_r(
            "http://s.web2.qq.com/api/get_group_name_list_mask2",
            &json!({"hash": h.list_hash(10001), "vfwebqq": l.vfwebqq}),
        )
        .json();
    assert_eq!(groups["result"]["gnamelist"], json!([]));
    let did = s_get(&mut h, "get_discus_list", &l)["result"]["dnamelist"][0]["did"]
        .as_u64()
        .unwrap();
    let r = h.get(&format!(
        "http://d.web2.qq.com/channel/quit_discu?did={did}&clientid=1&psessionid={}&vfwebqq={}&t=1",
        l.psessionid, l.vfwebqq
    ));
    assert_eq!(r.json(), ok);
    assert_eq!(
        s_get(&mut h, "get_discus_list", &l)["result"]["dnamelist"],
        json!([])
    );
    assert!(
        h.emu.say(10001, Target::Group(200001), "x").is_err(),
        "no longer a member"
    );
}

#[test]
fn friendship_and_membership_changes_reach_the_other_sessions() {
    let mut h = Harness::new(Profile::W2014);
    let bot = h.login(10001);
    let bot_jar = std::mem::take(&mut h.jar);
    let alice = h.login(10002);
    let alice_jar = std::mem::replace(&mut h.jar, bot_jar);
    let (aconn, _) = {
        let saved = std::mem::replace(&mut h.jar, alice_jar.clone());
        let r = h.poll(&alice);
        h.jar = saved;
        r
    };
    // The bot deletes Alice on both sides: Alice hears buddylist_change.
    let friends = h
        .post_r(
            "http://s.web2.qq.com/api/get_user_friends2",
            &json!({"vfwebqq": bot.vfwebqq}),
        )
        .json();
    let alice_uin = friends["result"]["info"][0]["uin"].as_u64().unwrap();
    let r = h
        .try_request(
            "POST",
            "http://s.web2.qq.com/api/delete_friend",
            Some(&format!(
                "tuin={alice_uin}&delType=2&vfwebqq={}",
                bot.vfwebqq
            )),
        )
        .1
        .unwrap();
    assert_eq!(r.json()["retcode"], 0);
    let got = h.take_response(aconn).unwrap().json();
    assert_eq!(got["result"][0]["poll_type"], "buddylist_change");
    assert_eq!(
        got["result"][0]["value"]["removed_friends"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The bot leaves the group: Alice hears sys_g_msg group_leave (capture #51 shape).
    let (aconn, _) = {
        let saved = std::mem::replace(&mut h.jar, alice_jar.clone());
        let r = h.poll(&alice);
        h.jar = saved;
        r
    };
    let groups = h
        .post_r(
            "http://s.web2.qq.com/api/get_group_name_list_mask2",
            &json!({"vfwebqq": bot.vfwebqq}),
        )
        .json();
    let code = groups["result"]["gnamelist"][0]["code"].as_u64().unwrap();
    let r = format!(
        "r={}",
        form_urlencoded::byte_serialize(
            json!({"gcode": code, "vfwebqq": bot.vfwebqq})
                .to_string()
                .as_bytes()
        )
        .collect::<String>()
    );
    assert_eq!(
        h.try_request("POST", "http://s.web2.qq.com/api/quit_group2", Some(&r))
            .1
            .unwrap()
            .json()["retcode"],
        0
    );
    let got = h.take_response(aconn).unwrap().json();
    let capture: Value = serde_json::from_str(r#"{"retcode":0,"result":[{"poll_type":"sys_g_msg","value":{"msg_id":51488,"from_uin":1528509098,"to_uin":1,"msg_id2":180256,"msg_type":34,"reply_ip":176882139,"type":"group_leave","gcode":2676780935,"t_gcode":249818602,"op_type":2,"old_member":574849996,"t_old_member":""}}]}"#).unwrap();
    assert_same_shape(&got, &capture, "group_leave");
    assert_eq!(got["result"][0]["value"]["t_gcode"], 200001);
}
