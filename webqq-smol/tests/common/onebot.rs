//! Set-up of the OneBot gateway tests: a gateway logged in to the emulator, actions called
//! in process, and the ids the bot sees.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use serde_json::{Value, json};
use smol::channel::Receiver;
use smol::io::{AsyncRead, AsyncReadExt};
use webqq_proto::emulator::http::{Request, RequestParser};
use webqq_proto::emulator::{EmulatorConfig, Profile};
use webqq_proto::webqq::profile::ProfileId;
use webqq_smol::onebot::{Gateway, GatewayConfig};
use webqq_smol::{EmulatorHost, Session, Spawner};

use super::{BOT, emulator, emulator_config, quiet_world, session_config};

pub const TOKEN: &str = "tok";

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// An emulator and a gateway logged in to it as BOT (password, W2014).
pub fn gateway(config: impl FnOnce(&mut GatewayConfig)) -> (EmulatorHost, Gateway) {
    gateway_on(emulator_config(Profile::W2014), config)
}

/// As [`gateway`] on an emulator configured by `emu` (its profile decides the session's:
/// password login where the era has it, else QR).
pub fn gateway_on(
    emu: EmulatorConfig,
    config: impl FnOnce(&mut GatewayConfig),
) -> (EmulatorHost, Gateway) {
    let profile = emu.profile;
    let (host, addr) = emulator(emu);
    let password = profile.password_scheme().map(|_| "password");
    let session = Session::start(session_config(
        ProfileId::from(profile),
        BOT,
        password,
        addr,
    ));
    let mut c = GatewayConfig::new();
    c.http = Some(loopback());
    c.access_token = Some(TOKEN.into());
    c.self_id = BOT;
    config(&mut c);
    let gw = Gateway::start(&Spawner::Global, session, c).unwrap();
    (host, gw)
}

/// Confirms QR logins on the emulator's phone whenever the gateway shows a code.
pub async fn confirm_qr_logins(host: &EmulatorHost, events: &Receiver<Arc<Value>>) {
    loop {
        let e = events.recv().await.unwrap();
        if e["sub_type"] == "qr_ready" {
            host.control(|e| {
                e.qr_scan(None).unwrap();
                e.qr_confirm(None, BOT).unwrap();
            })
            .await;
        }
        if e["sub_type"] == "online" {
            return;
        }
    }
}

/// Waits until the friends, the group's members and the discussion have ids.
pub async fn ready(gw: &Gateway) {
    loop {
        let r = call(
            gw,
            "get_group_member_list",
            json!({"group_id": group_id(gw).await}),
        )
        .await;
        if r["retcode"] == 0 && !r["data"].as_array().unwrap().is_empty() {
            return;
        }
        smol::Timer::after(Duration::from_millis(50)).await;
    }
}

pub async fn call(gw: &Gateway, action: &str, params: Value) -> Value {
    webqq_smol::onebot::action::call(gw.core(), action, &params)
        .await
        .to_json(None)
}

pub async fn group_id(gw: &Gateway) -> Value {
    loop {
        let groups = call(gw, "get_group_list", json!({})).await;
        if let Some(g) = groups["data"].as_array().and_then(|a| a.first()) {
            return g["group_id"].clone();
        }
        smol::Timer::after(Duration::from_millis(50)).await;
    }
}

pub async fn friend_id(gw: &Gateway, nick: &str) -> u64 {
    let friends = call(gw, "get_friend_list", json!({})).await;
    friends["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["nickname"] == nick)
        .unwrap_or_else(|| panic!("no friend {nick} in {friends}"))["user_id"]
        .as_u64()
        .unwrap()
}

pub fn nick_of(qq: u64) -> String {
    // World nicks are HTML-escaped as the server sends them; the contact book decodes them.
    let world = quiet_world();
    let nick = &world.accounts.iter().find(|a| a.qq == qq).unwrap().nick;
    nick.replace("&amp;", "&")
}

/// The next event that `pick` accepts (the others are passed over).
pub async fn next_event(events: &Receiver<Arc<Value>>, pick: impl Fn(&Value) -> bool) -> Value {
    loop {
        let e = events.recv().await.expect("gateway stopped");
        if pick(&e) {
            return (*e).clone();
        }
    }
}

/// Reads one HTTP request (a bot's webhook receiver sees one per connection).
pub async fn read_request(stream: &mut (impl AsyncRead + Unpin)) -> Request {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(r) = parser.parse(&mut buf).unwrap() {
            return r;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection ended inside a request");
        buf.extend_from_slice(&chunk[..n]);
    }
}
