//! `--post-url https://…` and `--ws-reverse wss://…` (issue 9, item 4): the gateway reaches
//! bots behind TLS servers on loopback whose certificate a test CA signed, trusting that CA
//! through `GatewayConfig::tls`; without it the handshake fails.
mod common;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use async_io::Async;
use async_tungstenite::tungstenite::Message;
use common::onebot::*;
use common::*;
use futures_rustls::TlsAcceptor;
use futures_util::StreamExt;
use serde_json::{Value, json};
use smol::channel::Receiver;
use smol::io::AsyncWriteExt;
use webqq_proto::emulator::Target as EmuTarget;
use webqq_smol::onebot::webhook;
use webqq_smol::tls;

/// A TLS listener on loopback with a certificate for 127.0.0.1 and localhost; the CA's PEM.
fn tls_listener() -> (Async<TcpListener>, SocketAddr, TlsAcceptor, String) {
    let identity = tls::emulator_identity().unwrap();
    let listener = Async::<TcpListener>::bind(loopback()).unwrap();
    let addr = listener.get_ref().local_addr().unwrap();
    (
        listener,
        addr,
        TlsAcceptor::from(Arc::clone(&identity.config)),
        identity.ca_pem,
    )
}

/// Forwards the body of every event POSTed over TLS; answers 204.
fn https_receiver(
    listener: Async<TcpListener>,
    acceptor: TlsAcceptor,
) -> (Receiver<Value>, smol::Task<()>) {
    let (tx, rx) = smol::channel::unbounded();
    let task = smol::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            // A client that does not trust the CA aborts the handshake: not an event.
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let req = read_request(&mut tls).await;
            let resp = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
            tls.write_all(resp.as_bytes()).await.unwrap();
            tls.flush().await.unwrap();
            let _ = tx.send(serde_json::from_slice(&req.body).unwrap()).await;
        }
    });
    (rx, task)
}

#[test]
fn events_are_posted_over_https_to_a_bot_whose_ca_is_trusted() {
    let (listener, addr, acceptor, ca) = tls_listener();
    let (posts, _task) = https_receiver(listener, acceptor);
    let (host, gw) = gateway(|c| {
        c.post_url = Some(format!("https://127.0.0.1:{}/events", addr.port()));
        c.tls = Some(tls::client_config_with_ca_pem(&ca).unwrap());
    });
    within(30, "https webhook", async {
        ready(&gw).await;
        host.control(|e| e.say(ALICE, EmuTarget::Buddy(BOT), "over https"))
            .await
            .unwrap();
        loop {
            let e = posts.recv().await.unwrap();
            if e["post_type"] == "message" {
                assert_eq!(e["message"], "over https");
                break;
            }
        }
    });
}

#[test]
fn an_untrusted_https_bot_gets_nothing() {
    let (listener, addr, acceptor, _ca) = tls_listener();
    let (posts, _task) = https_receiver(listener, acceptor);
    // Only the webpki roots: the test CA is not among them.
    let (host, gw) = gateway(|c| {
        c.post_url = Some(format!("https://127.0.0.1:{}/events", addr.port()));
    });
    within(30, "untrusted", async {
        ready(&gw).await;
        host.control(|e| e.say(ALICE, EmuTarget::Buddy(BOT), "secret"))
            .await
            .unwrap();
        smol::Timer::after(Duration::from_millis(500)).await;
        assert!(
            posts.try_recv().is_err(),
            "an event reached an untrusted server"
        );
    });
}

/// What `webhook::post` answers for a bot it cannot reach, by its `is_*` predicate.
#[test]
fn a_post_that_cannot_reach_the_bot_says_why() {
    let (listener, addr, acceptor, _ca) = tls_listener();
    let (_posts, _task) = https_receiver(listener, acceptor);
    let (_host, gw) = gateway(|_| {});
    within(30, "post errors", async {
        let event = json!({"post_type": "meta_event"});
        let untrusted = format!("https://127.0.0.1:{}/events", addr.port());
        let e = webhook::post(gw.core(), &untrusted, &event)
            .await
            .unwrap_err();
        assert!(e.is_connect(), "{e}");
        let e = webhook::post(gw.core(), "ftp://127.0.0.1/", &event)
            .await
            .unwrap_err();
        assert!(e.is_url() && !e.is_connect(), "{e}");
    });
}

#[test]
fn the_reverse_websocket_connects_over_wss() {
    let (listener, addr, acceptor, ca) = tls_listener();
    let (host, gw) = gateway(|c| {
        c.ws_reverse = Some(format!("wss://127.0.0.1:{}/onebot", addr.port()));
        c.tls = Some(tls::client_config_with_ca_pem(&ca).unwrap());
        c.reconnect = Duration::from_millis(100);
    });
    within(30, "wss", async {
        ready(&gw).await;
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        let mut ws = async_tungstenite::accept_async(tls).await.unwrap();
        let mut next = async |post_type: &str| loop {
            let Message::Text(t) = ws.next().await.unwrap().unwrap() else {
                continue;
            };
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["post_type"] == post_type {
                break v;
            }
        };
        // The gateway subscribes to events before it says `connect`.
        assert_eq!(next("meta_event").await["sub_type"], "connect");
        host.control(|e| e.say(ALICE, EmuTarget::Buddy(BOT), "over wss"))
            .await
            .unwrap();
        let event = next("message").await;
        assert_eq!(event["message"], "over wss");
        let req = json!({"action": "send_private_msg", "params": {"user_id": event["user_id"], "message": "back over wss"}, "echo": 1});
        ws.send(Message::text(req.to_string())).await.unwrap();
        loop {
            let sent = host.control(|e| e.sent(BOT)).await;
            if sent.iter().any(|m| m.text == "back over wss") {
                break;
            }
            smol::Timer::after(Duration::from_millis(50)).await;
        }
    });
}
