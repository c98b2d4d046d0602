//! OneBot events for contact changes and friend requests (issue 9, items 2 and 3), driven
//! from the emulator over loopback: `message_sent`, `request` and `set_friend_add_request`,
//! `friend_add`, `group_increase`, `group_decrease`, and ids that survive a rename.
mod common;

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use async_io::Async;
use async_tungstenite::tungstenite::Message;
use common::onebot::*;
use common::*;
use futures_util::StreamExt;
use serde_json::{Value, json};
use webqq_proto::emulator::world::Account;
use webqq_proto::emulator::{EmulatorConfig, Event as EmuEvent, Profile, Target as EmuTarget};

const DAVE: u64 = 10005;
const ERIN: u64 = 10006;

/// The demo world plus Dave and Erin, who know nobody.
fn world_with_strangers(profile: Profile) -> EmulatorConfig {
    let mut c = emulator_config(profile);
    for (qq, nick) in [(DAVE, "Dave"), (ERIN, "Erin")] {
        let mut a: Account = c.world.accounts[1].clone();
        a.qq = qq;
        a.nick = nick.into();
        a.friends.clear();
        c.world.accounts.push(a);
    }
    c
}

type Ws = async_tungstenite::WebSocketStream<Async<TcpStream>>;

async fn universal_ws(addr: SocketAddr) -> Ws {
    let tcp = Async::<TcpStream>::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/?access_token={TOKEN}");
    async_tungstenite::client_async(url, tcp).await.unwrap().0
}

/// The next frame that `pick` accepts.
async fn ws_next(ws: &mut Ws, pick: impl Fn(&Value) -> bool) -> Value {
    loop {
        let Message::Text(t) = ws.next().await.unwrap().unwrap() else {
            continue;
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if pick(&v) {
            return v;
        }
    }
}

async fn ws_call(ws: &mut Ws, action: &str, params: Value, echo: &str) -> Value {
    let req = json!({"action": action, "params": params, "echo": echo});
    ws.send(Message::text(req.to_string())).await.unwrap();
    ws_next(ws, |v| v["echo"] == echo).await
}

fn notice(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["post_type"] == "notice" && v["notice_type"] == kind
}

#[test]
fn contact_events_reach_a_bot_over_the_websocket() {
    let (host, gw) = gateway_on(world_with_strangers(Profile::W2014), |c| {
        c.ws = Some(loopback());
    });
    let addr = gw.ws_addr().unwrap();
    within(40, "contact events", async {
        ready(&gw).await;
        let group = group_id(&gw).await;
        let bob = friend_id(&gw, &nick_of(BOB)).await;
        let mut ws = universal_ws(addr).await;

        // The account's own message, sent from another device (protocol §6.5 echo).
        host.control(|e| e.say(BOT, EmuTarget::Group(GROUP), "from my phone"))
            .await
            .unwrap();
        let e = ws_next(&mut ws, |v| v["post_type"] == "message_sent").await;
        assert_eq!(
            (
                &e["message_type"],
                &e["user_id"],
                &e["self_id"],
                &e["group_id"],
                &e["message"]
            ),
            (
                &json!("group"),
                &json!(BOT),
                &json!(BOT),
                &group,
                &json!("from my phone")
            ),
            "{e}"
        );

        // A friend request: the flag answers it; the requester becomes a friend.
        host.control(|e| e.friend_request(DAVE, BOT, "hi, I'm Dave"))
            .await
            .unwrap();
        let req = ws_next(&mut ws, |v| v["post_type"] == "request").await;
        assert_eq!(req["request_type"], "friend");
        assert_eq!(req["user_id"], DAVE, "the request names the real QQ number");
        assert_eq!(req["comment"], "hi, I'm Dave");
        let params = json!({"flag": req["flag"], "approve": true, "remark": "Dave (new)"});
        let reply = ws_call(&mut ws, "set_friend_add_request", params, "add").await;
        assert_eq!(
            (&reply["status"], &reply["retcode"]),
            (&json!("ok"), &json!(0)),
            "{reply}"
        );
        let added = ws_next(&mut ws, notice("friend_add")).await;
        assert_eq!(added["user_id"], DAVE);
        let friends = ws_call(&mut ws, "get_friend_list", json!({}), "friends").await;
        let dave = friends["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["user_id"] == DAVE)
            .unwrap_or_else(|| panic!("Dave is not a friend: {friends}"))
            .clone();
        assert_eq!(
            (&dave["nickname"], &dave["remark"]),
            (&json!("Dave"), &json!("Dave (new)"))
        );

        // Dave joins the group, Bob leaves it.
        host.control(|e| e.join_group(DAVE, GROUP)).await.unwrap();
        let inc = ws_next(&mut ws, notice("group_increase")).await;
        assert_eq!(
            (&inc["group_id"], &inc["user_id"]),
            (&group, &json!(DAVE)),
            "{inc}"
        );
        host.control(|e| e.leave_group(BOB, GROUP)).await.unwrap();
        let dec = ws_next(&mut ws, notice("group_decrease")).await;
        assert_eq!(
            (
                &dec["sub_type"],
                &dec["group_id"],
                &dec["user_id"],
                &dec["operator_id"]
            ),
            (&json!("leave"), &group, &json!(bob), &json!(bob)),
            "{dec}"
        );
    });
}

#[test]
fn a_refused_request_calls_deny_and_smartqq_cannot_answer() {
    let (host, gw) = gateway_on(world_with_strangers(Profile::W2014), |_| {});
    let events = gw.core().subscribe();
    within(30, "refusal", async {
        let served = host.subscribe().await;
        ready(&gw).await;
        host.control(|e| e.friend_request(ERIN, BOT, "?"))
            .await
            .unwrap();
        let req = next_event(&events, |v| v["post_type"] == "request").await;
        let r = call(
            &gw,
            "set_friend_add_request",
            json!({"flag": req["flag"], "approve": false}),
        )
        .await;
        assert_eq!(r["retcode"], 0, "{r}");
        loop {
            if let EmuEvent::Served { path, status, .. } = served.recv().await.unwrap() {
                if path == "/api/deny_added_request2" {
                    assert_eq!(status, 200);
                    break;
                }
            }
        }
        let friends = call(&gw, "get_friend_list", json!({})).await;
        assert!(!friends.to_string().contains("Erin"), "{friends}");
        let r = call(&gw, "set_friend_add_request", json!({})).await;
        assert_eq!(r["retcode"], 100, "flag missing: {r}");
    });

    let (host, gw) = gateway_on(world_with_strangers(Profile::S2018), |_| {});
    let events = gw.core().subscribe();
    within(30, "SmartQQ", async {
        confirm_qr_logins(&host, &events).await;
        ready(&gw).await;
        host.control(|e| e.friend_request(ERIN, BOT, "?"))
            .await
            .unwrap();
        let req = next_event(&events, |v| v["post_type"] == "request").await;
        let r = call(&gw, "set_friend_add_request", json!({"flag": req["flag"]})).await;
        assert_eq!(
            (&r["status"], &r["retcode"]),
            (&json!("failed"), &json!(1404)),
            "{r}"
        );
    });
}

#[test]
fn a_friend_renamed_across_a_forced_relogin_keeps_its_user_id() {
    let (host, gw) = gateway(|_| {});
    let events = gw.core().subscribe();
    within(40, "rename", async {
        ready(&gw).await;
        let bob = friend_id(&gw, &nick_of(BOB)).await;
        host.control(|e| e.rename(BOB, "Robert")).await.unwrap();
        host.control(|e| e.force_retcode(BOT, 103)).await.unwrap();
        let uncertain = next_event(&events, notice("webqq_id_uncertain")).await;
        assert_eq!(
            (
                &uncertain["id_kind"],
                &uncertain["id"],
                &uncertain["reason"]
            ),
            (&json!("user"), &json!(bob), &json!("nick changed")),
            "{uncertain}"
        );
        ready(&gw).await;
        let robert = loop {
            let friends = call(&gw, "get_friend_list", json!({})).await;
            if friends.to_string().contains("Robert") {
                break friend_id(&gw, "Robert").await;
            }
            smol::Timer::after(Duration::from_millis(50)).await;
        };
        assert_eq!(robert, bob);
        host.control(|e| e.say(BOB, EmuTarget::Buddy(BOT), "still me"))
            .await
            .unwrap();
        let m = next_event(&events, |v| v["post_type"] == "message").await;
        assert_eq!(
            (&m["user_id"], &m["sender"]["nickname"]),
            (&json!(bob), &json!("Robert"))
        );
    });
}
