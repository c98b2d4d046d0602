//! The client's [`Session`] and the emulator together, in memory, over virtual time: every
//! login path of every profile, then messages both ways (issue 5, "Tests").
use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::parse_response;
use crate::emulator::{ConnId, Emulator, EmulatorConfig, Input, Output, Profile, Target, World};
use crate::webqq::content::Message;
use crate::webqq::password::PasswordMd5;
use crate::webqq::request::Target as SendTarget;
use crate::webqq::session::{
    Chat, Event, Output as SOut, RequestId, Session, SessionConfig, TransportError,
};

/// Upper bound on simulation steps, so a livelock fails instead of hanging.
const MAX_STEPS: usize = 20_000;

struct InFlight {
    id: RequestId,
    deadline: Instant,
}

/// Session + emulator + a cookie jar + virtual time.
struct Sim {
    emu: Emulator,
    session: Session,
    now: Instant,
    jar: HashMap<String, String>,
    inflight: HashMap<ConnId, InFlight>,
    written: HashMap<ConnId, Vec<u8>>,
    next_conn: u64,
    events: Vec<Event>,
    /// Confirm QR codes as soon as they are shown.
    auto_confirm: Option<u64>,
    /// Every exchange: request line and body, status and body (for failure messages).
    log: Vec<String>,
    paths: HashMap<ConnId, String>,
    /// Session outputs taken but not yet carried out.
    queued: Vec<SOut>,
}

impl Sim {
    fn new(profile: Profile, config: EmulatorConfig, password: Option<&str>) -> Sim {
        let now = Instant::now();
        let mut cfg = SessionConfig::new(profile.into(), 10001);
        cfg.password = password.map(PasswordMd5::from_password);
        cfg.seed = 7;
        let mut session = Session::new(cfg);
        session.start(now);
        Sim {
            emu: Emulator::new(config, now).unwrap(),
            session,
            now,
            jar: HashMap::new(),
            inflight: HashMap::new(),
            written: HashMap::new(),
            next_conn: 0,
            events: Vec::new(),
            auto_confirm: Some(10001),
            log: Vec::new(),
            paths: HashMap::new(),
            queued: Vec::new(),
        }
    }

    fn encode(&self, req: &http::Request<Bytes>) -> Vec<u8> {
        let uri = req.uri();
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut out = format!(
            "{} {target} HTTP/1.1\r\nHost: {}\r\n",
            req.method(),
            uri.host().unwrap_or("")
        );
        for (n, v) in req.headers() {
            out.push_str(&format!("{n}: {}\r\n", v.to_str().unwrap_or("")));
        }
        if !self.jar.is_empty() {
            let mut c: Vec<String> = self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
            c.sort();
            out.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        if !req.body().is_empty() || req.method() == http::Method::POST {
            out.push_str(&format!("Content-Length: {}\r\n", req.body().len()));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(req.body());
        bytes
    }

    /// One round: session outputs → emulator → responses → session; then time moves.
    fn step(&mut self) {
        let mut outputs: Vec<SOut> = std::mem::take(&mut self.queued);
        while let Some(o) = self.session.poll_output() {
            outputs.push(o);
        }
        for o in outputs {
            match o {
                SOut::SetCookie(c) => {
                    self.jar.insert(c.name, c.value.expose().to_string());
                }
                SOut::Request(r) => {
                    self.next_conn += 1;
                    let conn = ConnId(self.next_conn);
                    let bytes = self.encode(&r.request);
                    let line = format!(
                        "{} {} {}",
                        r.request.method(),
                        r.request.uri(),
                        String::from_utf8_lossy(r.request.body())
                    );
                    self.paths.insert(conn, line);
                    self.inflight.insert(
                        conn,
                        InFlight {
                            id: r.id,
                            deadline: self.now + r.timeout,
                        },
                    );
                    self.emu.handle_input(self.now, Input::Accepted { conn });
                    self.emu.handle_input(
                        self.now,
                        Input::Data {
                            conn,
                            bytes: Bytes::from(bytes),
                        },
                    );
                }
                SOut::Event(e) => {
                    if matches!(e, Event::QrCode { .. }) {
                        if let Some(qq) = self.auto_confirm {
                            self.emu.qr_scan(None).unwrap();
                            self.emu.qr_confirm(None, qq).unwrap();
                        }
                    }
                    if matches!(e, Event::CaptchaRequired { .. }) {
                        let answer = self.emu.captcha_answer(10001).expect("image served");
                        self.session
                            .submit_captcha(&answer.to_lowercase(), self.now);
                    }
                    self.events.push(e);
                }
            }
        }
        let mut closed = Vec::new();
        let emu_next = loop {
            match self.emu.poll_output() {
                Output::Write { conn, bytes } => self
                    .written
                    .entry(conn)
                    .or_default()
                    .extend_from_slice(&bytes),
                Output::Close { conn } => closed.push(conn),
                Output::Event(_) => {}
                Output::Timeout(at) => break at,
            }
        };
        let conns: Vec<ConnId> = self.inflight.keys().copied().collect();
        for conn in conns {
            let buf = self.written.entry(conn).or_default();
            if let Some(resp) = parse_response(buf) {
                let flight = self.inflight.remove(&conn).unwrap();
                let body = String::from_utf8_lossy(&resp.body);
                self.log.push(format!(
                    "{} -> {} {}",
                    self.paths.remove(&conn).unwrap_or_default(),
                    resp.status,
                    &body[..body.len().min(300)]
                ));
                let mut b = http::Response::builder().status(resp.status);
                for (n, v) in &resp.headers {
                    if n.eq_ignore_ascii_case("set-cookie") {
                        if let Some((k, val)) =
                            v.split(';').next().and_then(|kv| kv.split_once('='))
                        {
                            self.jar.insert(k.to_string(), val.to_string());
                        }
                    }
                    if !n.eq_ignore_ascii_case("content-encoding") {
                        b = b.header(n.as_str(), v.as_str());
                    }
                }
                let resp = b.body(Bytes::from(resp.body)).unwrap();
                self.session.handle_response(flight.id, Ok(resp), self.now);
                self.emu.handle_input(self.now, Input::Eof { conn });
            } else if closed.contains(&conn) {
                let flight = self.inflight.remove(&conn).unwrap();
                self.session.handle_response(
                    flight.id,
                    Err(TransportError::Closed { written: true }),
                    self.now,
                );
            }
        }
        // Expire requests past their deadline.
        let late: Vec<ConnId> = self
            .inflight
            .iter()
            .filter(|(_, f)| f.deadline <= self.now)
            .map(|(c, _)| *c)
            .collect();
        for conn in late {
            let flight = self.inflight.remove(&conn).unwrap();
            self.emu.handle_input(self.now, Input::Eof { conn });
            self.session.handle_response(
                flight.id,
                Err(TransportError::Timeout { written: true }),
                self.now,
            );
        }
        // New requests go out at the same instant; time moves only when all is quiet.
        while let Some(o) = self.session.poll_output() {
            self.queued.push(o);
        }
        if !self.queued.is_empty() {
            return;
        }
        let next = [
            Some(emu_next),
            self.session.poll_timeout(),
            self.inflight.values().map(|f| f.deadline).min(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.now + Duration::from_secs(1));
        self.now = self.now.max(next);
        self.emu.handle_input(self.now, Input::Time);
        self.session.handle_timeout(self.now);
    }

    /// Steps until `done` holds for some event; panics after MAX_STEPS.
    fn run_until(&mut self, what: &str, done: impl Fn(&Event) -> bool) {
        for _ in 0..MAX_STEPS {
            if self.events.iter().any(&done) {
                return;
            }
            self.step();
        }
        panic!(
            "never saw {what}; events: {:#?}\nexchanges: {:#?}",
            self.events, self.log
        );
    }
}

fn online(e: &Event) -> bool {
    matches!(e, Event::Online { uin: 10001 })
}

fn demo(profile: Profile) -> EmulatorConfig {
    let mut cfg = EmulatorConfig::demo(profile);
    cfg.world.chatter_interval_ms = 0;
    cfg
}

#[test]
fn the_client_session_logs_in_through_every_path_of_every_profile() {
    let paths: &[(Profile, Option<&str>)] = &[
        (Profile::W2013, Some("password")),
        (Profile::W2014, Some("password")),
        (Profile::S2015, Some("password")),
        (Profile::S2015, None),
        (Profile::S2016, None),
        (Profile::S2018, None),
    ];
    for &(profile, password) in paths {
        let mut sim = Sim::new(profile, demo(profile), password);
        sim.run_until(&format!("{profile:?} online"), online);
        sim.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
        let c = sim.session.contacts();
        assert_eq!(c.friends.len(), 3, "{profile:?} {:#?}", sim.log);
        assert_eq!(c.groups.len(), 1, "{profile:?}");
        assert_eq!(c.discussions.len(), 1, "{profile:?}");
        assert_eq!(sim.emu.sessions().len(), 1, "{profile:?}");
    }
}

#[test]
fn the_client_session_solves_a_captcha_and_survives_strict_mode() {
    let mut world = World::demo();
    world.accounts[0].captcha = true;
    world.chatter_interval_ms = 0;
    for profile in [Profile::W2014, Profile::S2015] {
        let cfg = EmulatorConfig {
            world: world.clone(),
            strictness: crate::emulator::Strictness::strict(profile),
            ..EmulatorConfig::demo(profile)
        };
        let mut sim = Sim::new(profile, cfg, Some("password"));
        sim.run_until("online", online);
        assert!(
            sim.events
                .iter()
                .any(|e| matches!(e, Event::CaptchaRequired { .. }))
        );
    }
    let cfg = EmulatorConfig {
        strictness: crate::emulator::Strictness::strict(Profile::S2018),
        ..demo(Profile::S2018)
    };
    let mut sim = Sim::new(Profile::S2018, cfg, None);
    sim.run_until("online under strict s2018", online);
    sim.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
}

#[test]
fn messages_flow_both_ways_between_session_and_emulator() {
    for profile in [Profile::W2014, Profile::S2018] {
        let mut sim = Sim::new(
            profile,
            demo(profile),
            if profile.is_webqq() {
                Some("password")
            } else {
                None
            },
        );
        sim.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
        sim.emu
            .say(10002, Target::Buddy(10001), "hello bot")
            .unwrap();
        sim.emu
            .say(10003, Target::Group(200001), "hello group")
            .unwrap();
        sim.run_until(
            "both messages",
            |e| matches!(e, Event::Message(m) if matches!(m.chat, Chat::Group(_))),
        );
        let texts: Vec<String> = sim
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m.message.plain_text().trim().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, vec!["hello bot", "hello group"], "{profile:?}");
        let alice = sim
            .session
            .contacts()
            .friends
            .values()
            .find(|f| f.nick == "Alice")
            .map(|f| f.uin)
            .unwrap();
        sim.session.send(
            SendTarget::Friend(alice),
            Message::text("hi Alice"),
            sim.now,
        );
        sim.run_until("sent", |e| matches!(e, Event::Sent { .. }));
        let sent = sim.emu.sent(10001);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].target, Target::Buddy(10002));
        assert_eq!(sent[0].text, "hi Alice");
    }
}

#[test]
fn the_client_session_handles_rotation_relink_and_kick() {
    let mut sim = Sim::new(Profile::S2018, demo(Profile::S2018), None);
    sim.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
    sim.emu.force_retcode(10001, 116).unwrap();
    sim.run_until("rotation", |e| matches!(e, Event::PtwebqqRotated));
    sim.emu.force_retcode(10001, 121).unwrap();
    sim.run_until("relink", |e| matches!(e, Event::Relinking { retcode: 121 }));
    sim.emu
        .say(10002, Target::Buddy(10001), "after relink")
        .unwrap();
    sim.run_until("message after relink", |e| matches!(e, Event::Message(_)));
    sim.emu.kick(10001, "logged in elsewhere").unwrap();
    sim.run_until("kicked", |e| matches!(e, Event::Kicked { .. }));
}

/// A second "process" resumes the exported session of the first.
fn resume(sim: &mut Sim, profile: Profile) {
    let state = sim.session.export_state().expect("online");
    let mut cfg = SessionConfig::new(profile.into(), 10001);
    cfg.seed = 8;
    sim.session = Session::new(cfg);
    sim.jar.clear();
    sim.events.clear();
    sim.inflight.clear();
    sim.queued.clear();
    sim.session.import_state(state, sim.now);
}

#[test]
fn an_exported_session_resumes_and_a_dead_one_comes_back_through_pt4_auth() {
    let mut sim = Sim::new(Profile::S2018, demo(Profile::S2018), None);
    sim.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
    let first = sim.emu.sessions();
    // Still alive on the server: resumed without any login.
    resume(&mut sim, Profile::S2018);
    sim.run_until("online again", online);
    assert_eq!(sim.emu.sessions(), first);
    assert!(!sim.events.iter().any(|e| matches!(e, Event::QrCode { .. })));
    // Expired on the server: pt4_auth with the saved supertoken, no QR scan (protocol §3.11).
    sim.emu.expire(10001).unwrap();
    sim.auto_confirm = None;
    resume(&mut sim, Profile::S2018);
    sim.run_until("online through pt4_auth", online);
    assert!(
        !sim.events.iter().any(|e| matches!(e, Event::QrCode { .. })),
        "{:#?}",
        sim.log
    );
    assert!(sim.log.iter().any(|l| l.contains("/pt4_auth?")));
}
