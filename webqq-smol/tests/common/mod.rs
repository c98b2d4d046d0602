//! Shared set-up of the loopback tests: an emulator on 127.0.0.1 and sessions pointed at it.
#![allow(dead_code)]
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use webqq_proto::ClientConfig;
use webqq_proto::emulator::{EmulatorConfig, Profile, World};
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::session::{self, Event};
use webqq_smol::{EmulatorHost, Resolver, Session, SessionConfig};

pub mod onebot;

/// The demo world's bot account and its contacts.
#[allow(unused_imports)] // each test binary uses a subset
pub use webqq_proto::emulator::world::demo::{ALICE, BOB, BOT, CAROL, DISCUSSION, GROUP};

/// The demo world without its timed chatter (tests say what they need).
pub fn quiet_world() -> World {
    let mut w = World::demo();
    w.chatter_interval_ms = 0;
    w
}

pub fn emulator(config: EmulatorConfig) -> (EmulatorHost, SocketAddr) {
    let mut host = EmulatorHost::start(config).unwrap();
    let addr = host.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    (host, addr)
}

pub fn emulator_config(profile: Profile) -> EmulatorConfig {
    EmulatorConfig {
        profile,
        world: quiet_world(),
        ..EmulatorConfig::default()
    }
}

/// A password session (or QR when `password` is `None`) for `qq` at the emulator's address.
pub fn session_config(
    profile: ProfileId,
    qq: u64,
    password: Option<&str>,
    addr: SocketAddr,
) -> SessionConfig {
    let mut s = session::SessionConfig::new(profile, qq);
    s.password = password.map(PasswordMd5::from_password);
    s.seed = qq;
    let mut c = SessionConfig::new(ClientConfig::new(s));
    c.resolver = Resolver::emulator(addr);
    c
}

/// Runs `fut` with a deadline, failing the test with `what` when it passes.
pub fn within<T>(secs: u64, what: &str, fut: impl Future<Output = T>) -> T {
    smol::block_on(async {
        smol::future::or(async { Some(fut.await) }, async {
            smol::Timer::after(Duration::from_secs(secs)).await;
            None
        })
        .await
    })
    .unwrap_or_else(|| panic!("timed out after {secs} s: {what}"))
}

/// Takes events until `pick` returns something; the events passed over are returned too.
pub async fn wait_for<T>(
    session: &Session,
    seen: &mut Vec<Event>,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    loop {
        let e = session.next_event().await.expect("session stopped");
        let got = pick(&e);
        seen.push(e);
        if let Some(t) = got {
            return t;
        }
    }
}

/// Waits for `Online`, answering captchas with what the emulator says the image shows.
pub async fn login(session: &Session, host: &EmulatorHost, qq: u64) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        match session.next_event().await.expect("session stopped") {
            Event::Online { .. } => return seen,
            Event::CaptchaRequired { image } => {
                assert!(!image.is_empty());
                let answer = host.control(move |e| e.captcha_answer(qq)).await.unwrap();
                session
                    .with_client(move |c, _| c.submit_captcha(&answer))
                    .await
                    .unwrap();
                seen.push(Event::CaptchaRequired { image });
            }
            Event::QrCode { png } => {
                host.control(move |e| {
                    e.qr_scan(None).unwrap();
                    e.qr_confirm(None, qq).unwrap();
                })
                .await;
                seen.push(Event::QrCode { png });
            }
            Event::Offline { reason } => panic!("offline while logging in: {reason:?}"),
            other => seen.push(other),
        }
    }
}
