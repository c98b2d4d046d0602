//! The OneBot gateway against a session on the emulator over loopback (issue 9, item 7):
//! every transport carries an event from a simulated user and an action that the emulator
//! records.
mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use async_io::Async;
use async_tungstenite::tungstenite::Message;
use common::onebot::*;
use common::*;
use futures_util::StreamExt;
use serde_json::{Value, json};
use smol::channel::Receiver;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use webqq_proto::emulator::Target as EmuTarget;
use webqq_smol::EmulatorHost;
use webqq_smol::onebot::auth;

const SECRET: &str = "sec";

/// One raw HTTP/1.1 exchange; returns the status and the JSON body (Null when empty).
async fn http(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &str,
    body: &str,
) -> (u16, Value) {
    let mut tcp = Async::<TcpStream>::connect(addr).await.unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tcp.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn emulator_got(host: &EmulatorHost, text: &'static str) {
    loop {
        let sent = host.control(|e| e.sent(BOT)).await;
        if sent.iter().any(|m| m.text == text) {
            return;
        }
        smol::Timer::after(Duration::from_millis(50)).await;
    }
}

#[test]
fn http_api_sends_what_the_emulator_records_and_refuses_without_the_token() {
    let (host, gw) = gateway(|_| {});
    let addr = gw.http_addr().unwrap();
    within(30, "HTTP API", async {
        ready(&gw).await;
        let alice = friend_id(&gw, &nick_of(ALICE)).await;
        let body = json!({"user_id": alice, "message": "hi [CQ:face,id=14]"}).to_string();
        let auth = format!("Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n");
        let (status, reply) = http(addr, "POST", "/send_private_msg", &auth, &body).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["status"], "ok", "{reply}");
        assert_eq!(reply["data"]["outcome"], "sent");
        assert!(reply["data"]["message_id"].is_i64());
        let sent = host.control(|e| e.sent(BOT)).await;
        let last = sent.last().unwrap();
        assert_eq!(last.target, EmuTarget::Buddy(ALICE));
        assert!(last.text.starts_with("hi"), "{}", last.text);
        let content = last.content.as_array().unwrap();
        assert!(content.contains(&json!(["face", 14])), "{content:?}");

        // Query parameters, form bodies and the token in the query.
        let target = format!(
            "/send_group_msg?access_token={TOKEN}&group_id={}",
            group_id(&gw).await
        );
        let form = "Content-Type: application/x-www-form-urlencoded\r\n";
        let (status, reply) = http(addr, "POST", &target, form, "message=to+the+group").await;
        assert_eq!(
            (status, reply["retcode"].clone()),
            (200, json!(0)),
            "{reply}"
        );
        emulator_got(&host, "to the group").await;

        let (status, _) = http(addr, "GET", "/get_status", "", "").await;
        assert_eq!(status, 401);
        let (status, _) = http(
            addr,
            "GET",
            "/get_status",
            "Authorization: Bearer nope\r\n",
            "",
        )
        .await;
        assert_eq!(status, 403);
        let (status, reply) = http(addr, "GET", "/get_status", &auth, "").await;
        assert_eq!(
            (status, reply["data"].clone()),
            (200, json!({"online": true, "good": true}))
        );
        let (status, _) = http(addr, "GET", "/delete_msg", &auth, "").await;
        assert_eq!(status, 404);
        let (_, reply) = http(addr, "GET", "/can_send_image", &auth, "").await;
        assert_eq!(reply["data"]["yes"], false);
        let (status, reply) = http(addr, "GET", "/set_group_kick", &auth, "").await;
        assert_eq!((status, reply["retcode"].clone()), (404, json!(1404)));

        // `_async` and `_rate_limited`: accepted at once, carried out after.
        for (suffix, text) in [("_async", "later"), ("_rate_limited", "queued")] {
            let target = format!("/send_private_msg{suffix}?user_id={alice}&message={text}");
            let (status, reply) = http(addr, "GET", &target, &auth, "").await;
            assert_eq!(
                (status, reply["status"].clone(), reply["retcode"].clone()),
                (200, json!("async"), json!(1))
            );
            emulator_got(&host, text).await;
        }
    });
}

/// A POST the receiver got: its `X-Signature` and body.
type Post = (Option<String>, Vec<u8>);

/// A webhook receiver: forwards each POST (headers, body) and answers with `answer`.
fn webhook_receiver(answer: Value) -> (String, Receiver<Post>, smol::Task<()>) {
    let listener = Async::<TcpListener>::bind(loopback()).unwrap();
    let url = format!("http://{}/events", listener.get_ref().local_addr().unwrap());
    let (tx, rx) = smol::channel::unbounded();
    let task = smol::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let req = read_request(&mut tcp).await;
            assert_eq!(req.header("x-self-id"), Some(BOT.to_string().as_str()));
            let is_message =
                serde_json::from_slice::<Value>(&req.body).unwrap()["post_type"] == "message";
            let body = if is_message {
                answer.to_string()
            } else {
                String::new()
            };
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            tcp.write_all(resp.as_bytes()).await.unwrap();
            let _ = tx
                .send((
                    req.header("x-signature").map(str::to_string),
                    req.body.to_vec(),
                ))
                .await;
        }
    });
    (url, rx, task)
}

#[test]
fn webhook_posts_signed_events_and_carries_out_the_quick_reply() {
    let (url, posts, _rx_task) = webhook_receiver(json!({"reply": "pong", "at_sender": false}));
    let (host, gw) = gateway(|c| {
        c.post_url = Some(url);
        c.secret = Some(SECRET.into());
    });
    within(30, "webhook", async {
        ready(&gw).await;
        host.control(|e| e.say(BOB, EmuTarget::Group(GROUP), "ping"))
            .await
            .unwrap();
        let event = loop {
            let (sig, body) = posts.recv().await.unwrap();
            assert_eq!(
                sig.as_deref(),
                Some(auth::signature(SECRET, &body).as_str())
            );
            let e: Value = serde_json::from_slice(&body).unwrap();
            if e["post_type"] == "message" {
                break e;
            }
        };
        assert_eq!(event["message_type"], "group");
        assert_eq!(event["message"], "ping");
        assert_eq!(event["group_id"], group_id(&gw).await);
        assert_eq!(event["sender"]["nickname"], nick_of(BOB));
        emulator_got(&host, "pong").await;
        let sent = host.control(|e| e.sent(BOT)).await;
        assert_eq!(sent.last().unwrap().target, EmuTarget::Group(GROUP));
    });
}

type Ws = async_tungstenite::WebSocketStream<Async<TcpStream>>;

async fn ws_connect(
    addr: SocketAddr,
    target: &str,
) -> Result<Ws, async_tungstenite::tungstenite::Error> {
    let tcp = Async::<TcpStream>::connect(addr).await.unwrap();
    let (ws, _) = async_tungstenite::client_async(format!("ws://{addr}{target}"), tcp).await?;
    Ok(ws)
}

#[test]
fn forward_websocket_carries_events_and_actions_and_needs_the_token() {
    let (host, gw) = gateway(|c| {
        c.ws = Some(loopback());
        c.heartbeat = Duration::from_millis(100);
    });
    let addr = gw.ws_addr().unwrap();
    within(30, "forward WS", async {
        ready(&gw).await;
        let refused = ws_connect(addr, "/").await.unwrap_err();
        assert!(refused.to_string().contains("401"), "{refused}");
        let mut events = ws_connect(addr, &format!("/event?access_token={TOKEN}"))
            .await
            .unwrap();
        // The first frames on an event connection: lifecycle `connect`, then heartbeats.
        let first: Vec<Value> = {
            let mut v = Vec::new();
            while v.len() < 2 {
                if let Message::Text(t) = events.next().await.unwrap().unwrap() {
                    v.push(serde_json::from_str(&t).unwrap());
                }
            }
            v
        };
        assert_eq!(first[0]["meta_event_type"], "lifecycle");
        assert_eq!(first[0]["sub_type"], "connect");
        assert_eq!(first[1]["meta_event_type"], "heartbeat");
        assert_eq!(first[1]["interval"], 100);
        assert_eq!(first[1]["status"]["good"], true);
        let mut universal = ws_connect(addr, &format!("/?access_token={TOKEN}"))
            .await
            .unwrap();
        host.control(|e| {
            e.say(
                CAROL,
                EmuTarget::Discussion(DISCUSSION),
                "in the discussion",
            )
        })
        .await
        .unwrap();
        for ws in [&mut events, &mut universal] {
            let e = ws_next_message_any(ws).await;
            assert_eq!(e["message_type"], "discuss");
            assert_eq!(e["message"], "in the discussion");
            assert!(e["discuss_id"].as_u64().unwrap() > 0);
        }
        let alice = friend_id(&gw, &nick_of(ALICE)).await;
        let req = json!({"action": "send_msg", "params": {"user_id": alice, "message": "over ws"}, "echo": 7});
        universal
            .send(Message::text(req.to_string()))
            .await
            .unwrap();
        let reply = ws_next_message_any(&mut universal).await;
        assert_eq!(reply["echo"], 7);
        assert_eq!(reply["data"]["outcome"], "sent", "{reply}");
        emulator_got(&host, "over ws").await;
        let req = json!({"action": "set_group_ban", "params": {}, "echo": "x"});
        universal
            .send(Message::text(req.to_string()))
            .await
            .unwrap();
        let reply = ws_next_message_any(&mut universal).await;
        assert_eq!(
            (reply["retcode"].clone(), reply["status"].clone()),
            (json!(1404), json!("failed"))
        );
    });
}

#[test]
#[allow(clippy::result_large_err)] // tungstenite's handshake callback type
fn reverse_websocket_connects_with_the_token_and_reconnects() {
    let listener = Async::<TcpListener>::bind(loopback()).unwrap();
    let url = format!("ws://{}/onebot", listener.get_ref().local_addr().unwrap());
    let (host, gw) = gateway(|c| {
        c.ws_reverse = Some(url);
        c.reconnect = Duration::from_millis(100);
    });
    within(30, "reverse WS", async {
        ready(&gw).await;
        for round in 0..2 {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut headers = Vec::new();
            let mut ws = async_tungstenite::accept_hdr_async(
                tcp,
                |req: &async_tungstenite::tungstenite::handshake::server::Request, resp| {
                    for h in ["x-self-id", "x-client-role", "authorization"] {
                        headers.push(
                            req.headers()
                                .get(h)
                                .map(|v| v.to_str().unwrap().to_string()),
                        );
                    }
                    Ok(resp)
                },
            )
            .await
            .unwrap();
            assert_eq!(
                headers,
                [
                    Some(BOT.to_string()),
                    Some("Universal".into()),
                    Some(format!("Bearer {TOKEN}"))
                ]
            );
            // The gateway subscribes to events before it says `connect`.
            loop {
                let Message::Text(t) = ws.next().await.unwrap().unwrap() else {
                    continue;
                };
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["meta_event_type"] == "lifecycle" {
                    assert_eq!(v["sub_type"], "connect");
                    break;
                }
            }
            let text = format!("reverse {round}");
            let said = text.clone();
            host.control(move |e| e.say(ALICE, EmuTarget::Buddy(BOT), &said))
                .await
                .unwrap();
            let e = ws_next_message_any(&mut ws).await;
            assert_eq!(e["message_type"], "private");
            assert_eq!(e["message"], text.as_str());
            let req = json!({"action": "send_private_msg", "params": {"user_id": e["user_id"], "message": format!("ack {round}")}, "echo": round});
            ws.send(Message::text(req.to_string())).await.unwrap();
            let reply = ws_next_message_any(&mut ws).await;
            assert_eq!(reply["data"]["outcome"], "sent", "{reply}");
            drop(ws); // the gateway reconnects
        }
        emulator_got(&host, "ack 1").await;
    });
}

async fn ws_next_message_any<S: smol::io::AsyncRead + smol::io::AsyncWrite + Unpin>(
    ws: &mut async_tungstenite::WebSocketStream<S>,
) -> Value {
    loop {
        let frame = ws.next().await.unwrap().unwrap();
        let Message::Text(t) = frame else { continue };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["post_type"] == "message" || v.get("echo").is_some() {
            return v;
        }
    }
}

#[test]
fn ids_stay_the_same_across_a_forced_relogin_and_a_restart() {
    let dir = std::env::temp_dir().join(format!("webqq-onebot-ids-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ids.json");
    let _ = std::fs::remove_file(&file);
    let (host, gw) = gateway(|c| c.ids_file = Some(file.clone()));
    let events = gw.core().subscribe();
    within(40, "relogin", async {
        ready(&gw).await;
        let before = (friend_id(&gw, &nick_of(ALICE)).await, group_id(&gw).await);
        let uin_before = gw.core().ids(|i| i.uin(before.0));
        host.control(|e| e.force_retcode(BOT, 103)).await.unwrap();
        // Wait for the new login's contacts: the old uin is gone.
        loop {
            let e = events.recv().await.unwrap();
            if e["notice_type"] == "webqq_login" && e["sub_type"] == "online" {
                break;
            }
        }
        loop {
            let uin = gw.core().ids(|i| i.uin(before.0));
            if uin.is_some() && uin != uin_before {
                break;
            }
            smol::Timer::after(Duration::from_millis(50)).await;
        }
        ready(&gw).await;
        let after = (friend_id(&gw, &nick_of(ALICE)).await, group_id(&gw).await);
        assert_eq!(before, after);
        host.control(|e| e.say(ALICE, EmuTarget::Buddy(BOT), "same id?"))
            .await
            .unwrap();
        loop {
            let e = events.recv().await.unwrap();
            if e["post_type"] == "message" {
                assert_eq!(e["user_id"], before.0);
                break;
            }
        }
    });
    drop(gw);
    // A new process reads the same file.
    let (_host2, gw2) = gateway(|c| c.ids_file = Some(file.clone()));
    within(30, "restart", async {
        ready(&gw2).await;
        assert_eq!(
            friend_id(&gw2, &nick_of(ALICE)).await,
            friend_id_from_file(&file)
        );
    });
}

fn friend_id_from_file(file: &std::path::Path) -> u64 {
    let v: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let alice = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["traits"]["nick"] == nick_of(ALICE).as_str())
        .unwrap_or_else(|| panic!("no record of Alice in {v}"));
    alice["id"].as_u64().unwrap()
}

#[test]
fn set_restart_logs_in_again_and_a_default_quick_reply_ats_the_sender() {
    let (host, gw) = gateway(|_| {});
    let events = gw.core().subscribe();
    within(30, "restart", async {
        ready(&gw).await;
        while events.try_recv().is_ok() {} // the first login's
        let r = call(&gw, "set_restart", json!({})).await;
        assert_eq!(r["status"], "async", "{r}");
        let mut subs = Vec::new();
        while !subs.contains(&json!("online")) {
            let e = events.recv().await.unwrap();
            if e["notice_type"] == "webqq_login" {
                subs.push(e["sub_type"].clone());
            }
        }
        assert_eq!(subs.first(), Some(&json!("offline")), "{subs:?}");
        ready(&gw).await;
        // `.handle_quick_operation` on a group message: `at_sender` defaults to true.
        host.control(|e| e.say(BOB, EmuTarget::Group(GROUP), "hello"))
            .await
            .unwrap();
        let event = loop {
            let e = events.recv().await.unwrap();
            if e["post_type"] == "message" {
                break e;
            }
        };
        let params = json!({"context": *event, "operation": {"reply": "hi"}});
        let r = call(&gw, ".handle_quick_operation", params).await;
        assert_eq!(r["retcode"], 0, "{r}");
        let want = format!("@{} hi", nick_of(BOB));
        loop {
            let sent = host.control(|e| e.sent(BOT)).await;
            if sent.iter().any(|m| m.text == want) {
                break;
            }
            smol::Timer::after(Duration::from_millis(50)).await;
        }
    });
}
