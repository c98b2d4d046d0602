//! Shared set-up of the session tests: an emulator on 127.0.0.1 served on threads and
//! sessions pointed at it, with every wait bounded.
#![allow(dead_code)]
use std::net::TcpListener;
use std::time::{Duration, Instant};

use webqq_blocking::serve::{EmulatorServer, serve};
use webqq_blocking::{Resolver, Session, SessionConfig};
use webqq_proto::emulator::{Emulator, EmulatorConfig, Profile, World};
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::session::{self, Event};
use webqq_proto::{ClientConfig, ClientState};

/// The demo world's bot account and its contacts.
#[allow(unused_imports)] // each test binary uses a subset
pub use webqq_proto::emulator::world::demo::{ALICE, BOB, BOT, CAROL, DISCUSSION, GROUP};

/// How long any one wait for an event may take before the test fails.
pub const EVENT_WAIT: Duration = Duration::from_secs(15);

/// The emulator for `profile` with the demo world minus its timed chatter.
pub fn emulator_config(profile: Profile) -> EmulatorConfig {
    let mut world = World::demo();
    world.chatter_interval_ms = 0;
    EmulatorConfig {
        profile,
        world,
        ..EmulatorConfig::default()
    }
}

pub fn emulator(config: EmulatorConfig) -> EmulatorServer {
    let emu = Emulator::new(config, Instant::now()).unwrap();
    serve(emu, TcpListener::bind("127.0.0.1:0").unwrap()).unwrap()
}

/// A password session (QR when `password` is `None`) for `qq`, pointed at `server`.
pub fn start(
    server: &EmulatorServer,
    profile: ProfileId,
    qq: u64,
    password: Option<&str>,
) -> Session {
    start_with(server, profile, qq, password, None)
}

/// [`start`], resuming from `resume` when given.
pub fn start_with(
    server: &EmulatorServer,
    profile: ProfileId,
    qq: u64,
    password: Option<&str>,
    resume: Option<ClientState>,
) -> Session {
    let mut s = session::SessionConfig::new(profile, qq);
    s.password = password.map(PasswordMd5::from_password);
    s.seed = qq;
    let mut c = SessionConfig::new(ClientConfig::new(s));
    c.resolver = Resolver::emulator(server.addr());
    c.resume = resume;
    Session::start(c).unwrap()
}

/// The next event, failing the test if none comes within [`EVENT_WAIT`].
pub fn next(session: &Session) -> Event {
    session
        .recv_timeout(EVENT_WAIT)
        .expect("session stopped")
        .unwrap_or_else(|| panic!("no event within {EVENT_WAIT:?}"))
}

/// Takes events until `pick` returns something; the events passed over are kept in `seen`.
pub fn wait_for<T>(
    session: &Session,
    seen: &mut Vec<Event>,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    loop {
        let e = next(session);
        let got = pick(&e);
        seen.push(e);
        if let Some(t) = got {
            return t;
        }
    }
}

/// Waits for `Online`, answering a captcha with what the emulator says its image shows and
/// confirming a QR code on the emulator; returns the events before `Online`.
pub fn login(session: &Session, server: &EmulatorServer, qq: u64) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let e = next(session);
        match &e {
            Event::Online { .. } => return seen,
            Event::CaptchaRequired { image } => {
                assert!(!image.is_empty());
                let answer = server.control(move |e| e.captcha_answer(qq)).unwrap();
                session.submit_captcha(&answer).unwrap();
            }
            Event::QrCode { .. } => server.control(move |e| {
                e.qr_scan(None).unwrap();
                e.qr_confirm(None, qq).unwrap();
            }),
            Event::Offline { reason } => panic!("offline while logging in: {reason:?}"),
            _ => {}
        }
        seen.push(e);
    }
}

/// The first friend's uin, the group's gid and the discussion's did in this session.
pub fn targets(session: &Session) -> (u64, u64, u64) {
    session
        .with_client(|c| {
            let k = c.session().contacts();
            (
                *k.friends.keys().next().unwrap(),
                *k.groups.keys().next().unwrap(),
                *k.discussions.keys().next().unwrap(),
            )
        })
        .unwrap()
}
