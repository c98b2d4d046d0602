//! The whole client (`Client`: session + HTTP engine + codec + cookie jar) and the emulator
//! over an in-memory network in virtual time (issue 5, "Tests"; design.md testing ladder 3).
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::client::{Client, ClientConfig, Input as CIn, Output as COut};
use crate::emulator::{
    ConnId, Emulator, EmulatorConfig, FaultAction, FaultRule, Faults, Input, Output, Profile,
    Target, World,
};
use crate::http1::ConnId as CConn;
use crate::webqq::content::Message;
use crate::webqq::password::PasswordMd5;
use crate::webqq::request::Target as SendTarget;
use crate::webqq::session::{Chat, Event, SessionConfig};

/// Upper bound on simulation rounds, so a livelock fails instead of hanging.
const MAX_ROUNDS: usize = 50_000;

struct Net {
    client: Client,
    emu: Emulator,
    now: Instant,
    to_emu: HashMap<CConn, ConnId>,
    to_client: HashMap<ConnId, CConn>,
    next_conn: u64,
    events: Vec<Event>,
    connects: usize,
    emu_events: Vec<crate::emulator::Event>,
}

impl Net {
    fn new(profile: Profile, config: EmulatorConfig, password: Option<&str>) -> Net {
        let now = Instant::now();
        let mut cfg = SessionConfig::new(profile.into(), 10001);
        cfg.password = password.map(PasswordMd5::from_password);
        cfg.seed = 11;
        let mut client = Client::new(ClientConfig::new(cfg), now);
        client.start();
        Net {
            client,
            emu: Emulator::new(config, now).unwrap(),
            now,
            to_emu: HashMap::new(),
            to_client: HashMap::new(),
            next_conn: 0,
            events: Vec::new(),
            connects: 0,
            emu_events: Vec::new(),
        }
    }

    /// One round: everything both sides want done now; time moves when both are quiet.
    fn round(&mut self) {
        let mut busy = false;
        let client_next = loop {
            match self.client.poll_output() {
                COut::Connect { conn, .. } => {
                    busy = true;
                    self.connects += 1;
                    self.next_conn += 1;
                    let e = ConnId(self.next_conn);
                    self.to_emu.insert(conn, e);
                    self.to_client.insert(e, conn);
                    self.emu.handle_input(self.now, Input::Accepted { conn: e });
                    self.client.handle_input(CIn::Connected { conn });
                }
                COut::Write { conn, bytes } => {
                    busy = true;
                    if let Some(&e) = self.to_emu.get(&conn) {
                        self.emu
                            .handle_input(self.now, Input::Data { conn: e, bytes });
                    }
                }
                COut::Close { conn } => {
                    busy = true;
                    if let Some(e) = self.to_emu.remove(&conn) {
                        self.to_client.remove(&e);
                        self.emu.handle_input(self.now, Input::Eof { conn: e });
                    }
                }
                COut::Event(e) => {
                    busy = true;
                    match &e {
                        Event::QrCode { .. } => {
                            self.emu.qr_scan(None).unwrap();
                            self.emu.qr_confirm(None, 10001).unwrap();
                        }
                        Event::CaptchaRequired { .. } => {
                            let answer = self.emu.captcha_answer(10001).expect("image served");
                            self.client.submit_captcha(&answer);
                        }
                        _ => {}
                    }
                    self.events.push(e);
                }
                COut::Timeout(at) => break at,
            }
        };
        let emu_next = loop {
            match self.emu.poll_output() {
                Output::Write { conn, bytes } => {
                    busy = true;
                    if let Some(&c) = self.to_client.get(&conn) {
                        self.client.handle_input(CIn::Data {
                            conn: c,
                            bytes: &bytes,
                        });
                    }
                }
                Output::Close { conn } => {
                    busy = true;
                    if let Some(c) = self.to_client.remove(&conn) {
                        self.to_emu.remove(&c);
                        self.client.handle_input(CIn::Eof { conn: c });
                    }
                }
                Output::Event(e) => self.emu_events.push(e),
                Output::Timeout(at) => break at,
            }
        };
        if busy {
            return;
        }
        self.now = self
            .now
            .max(client_next.min(emu_next))
            .max(self.now + Duration::from_millis(1));
        self.client.handle_input(CIn::Time(self.now));
        self.emu.handle_input(self.now, Input::Time);
    }

    fn run_until(&mut self, what: &str, done: impl Fn(&Event) -> bool) {
        for _ in 0..MAX_ROUNDS {
            if self.events.iter().any(&done) {
                return;
            }
            self.round();
        }
        let ended: Vec<String> = self
            .emu_events
            .iter()
            .filter(|e| !matches!(e, crate::emulator::Event::Served { status: 200, .. }))
            .map(|e| format!("{e:?}"))
            .collect();
        panic!(
            "never saw {what}; events: {:#?}\nemulator: {ended:#?}",
            self.events
        );
    }
}

fn demo(profile: Profile) -> EmulatorConfig {
    let mut cfg = EmulatorConfig::demo(profile);
    cfg.world.chatter_interval_ms = 0;
    cfg
}

fn password_for(profile: Profile) -> Option<&'static str> {
    profile.password_scheme().map(|_| "password")
}

#[test]
fn the_client_logs_in_over_http_in_every_profile_and_messages_flow() {
    for profile in Profile::ALL {
        let mut net = Net::new(profile, demo(profile), password_for(profile));
        net.run_until(&format!("{profile:?} contacts"), |e| {
            matches!(e, Event::ContactsLoaded)
        });
        assert_eq!(
            net.client.session().contacts().friends.len(),
            3,
            "{profile:?}"
        );
        net.emu
            .say(10003, Target::Group(200001), "over http")
            .unwrap();
        net.run_until(
            "group message",
            |e| matches!(e, Event::Message(m) if matches!(m.chat, Chat::Group(_))),
        );
        let alice = net
            .client
            .session()
            .contacts()
            .friends
            .values()
            .find(|f| f.nick == "Alice")
            .map(|f| f.uin)
            .unwrap();
        net.client.send(
            SendTarget::Friend(alice),
            Message::text("hi from the client"),
        );
        net.run_until("sent", |e| matches!(e, Event::Sent { .. }));
        assert_eq!(
            net.emu.sent(10001)[0].text,
            "hi from the client",
            "{profile:?}"
        );
    }
}

#[test]
fn the_client_survives_idle_closes_closes_on_arrival_resets_and_error_pages() {
    let mut cfg = demo(Profile::S2016);
    cfg.timing.idle_close_ms = Some(50);
    cfg.faults = Faults {
        rules: vec![
            FaultRule {
                endpoint: None,
                action: FaultAction::CloseOnArrival,
                probability: 0.2,
                times: Some(10),
            },
            // A reset loses what the response carried, so not on poll here: the
            // client must retry the login step instead.
            FaultRule {
                endpoint: Some("getvfwebqq".into()),
                action: FaultAction::ResetMidResponse,
                probability: 1.0,
                times: Some(1),
            },
            FaultRule {
                endpoint: Some("poll2".into()),
                action: FaultAction::Status { status: 502 },
                probability: 0.3,
                times: Some(3),
            },
            FaultRule {
                endpoint: Some("get_user_friends2".into()),
                action: FaultAction::Status { status: 504 },
                probability: 1.0,
                times: Some(1),
            },
        ],
        ..Faults::default()
    };
    cfg.seed = 3;
    let mut net = Net::new(Profile::S2016, cfg, None);
    net.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
    for i in 0..5 {
        net.emu
            .say(10002, Target::Buddy(10001), &format!("m{i}"))
            .unwrap();
        net.run_until(
            &format!("m{i}"),
            |e| matches!(e, Event::Message(m) if m.message.plain_text().trim() == format!("m{i}")),
        );
    }
    let received = net
        .events
        .iter()
        .filter(|e| matches!(e, Event::Message(_)))
        .count();
    assert_eq!(received, 5, "each message exactly once");
    assert!(net.connects > 5, "closed connections were replaced");
    let left: Vec<Option<u32>> = net.emu.faults().rules.iter().map(|r| r.times).collect();
    assert!(left[0] < Some(10), "closes on arrival happened: {left:?}");
    assert_eq!(left[1], Some(0), "the reset happened");
    assert_eq!(left[3], Some(0), "the 504 happened");
}

#[test]
fn the_client_solves_the_captcha_under_strict_w2014() {
    let mut world = World::demo();
    world.accounts[0].captcha = true;
    world.chatter_interval_ms = 0;
    let cfg = EmulatorConfig {
        world,
        strictness: crate::emulator::Strictness::strict(Profile::W2014),
        ..EmulatorConfig::demo(Profile::W2014)
    };
    let mut net = Net::new(Profile::W2014, cfg, Some("password"));
    net.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
    assert!(
        net.events
            .iter()
            .any(|e| matches!(e, Event::CaptchaRequired { .. }))
    );
}

/// Many seeds of a chaotic server: every message a simulated user says reaches the client
/// exactly once, and every send the client makes gets exactly one outcome.
#[test]
fn exactly_once_under_seeded_chaos() {
    use crate::emulator::DeliveryFaults;
    for seed in 0..15u64 {
        let profile = Profile::ALL[(seed % 5) as usize];
        let mut cfg = demo(profile);
        cfg.seed = seed;
        cfg.timing.idle_close_ms = Some(20 + seed * 10);
        cfg.faults = Faults {
            rules: vec![
                FaultRule {
                    endpoint: None,
                    action: FaultAction::CloseOnArrival,
                    probability: 0.1,
                    times: Some(20),
                },
                FaultRule {
                    endpoint: Some("poll2".into()),
                    action: FaultAction::Status { status: 502 },
                    probability: 0.2,
                    times: Some(10),
                },
                FaultRule {
                    endpoint: Some("poll2".into()),
                    action: FaultAction::Status { status: 504 },
                    probability: 0.1,
                    times: Some(10),
                },
                FaultRule {
                    endpoint: Some("poll2".into()),
                    action: FaultAction::Delay { ms: 3_000 },
                    probability: 0.2,
                    times: Some(10),
                },
            ],
            delivery: DeliveryFaults {
                duplicate: 0.3,
                reorder: 0.3,
                seq_gap: 0.2,
                unknown_poll_type: 0.1,
            },
        };
        let mut net = Net::new(profile, cfg, password_for(profile));
        net.run_until(&format!("seed {seed} contacts"), |e| {
            matches!(e, Event::ContactsLoaded)
        });
        for i in 0..4 {
            let target = if i % 2 == 0 {
                Target::Buddy(10001)
            } else {
                Target::Group(200001)
            };
            net.emu.say(10002, target, &format!("s{seed}m{i}")).unwrap();
        }
        let alice = net
            .client
            .session()
            .contacts()
            .friends
            .values()
            .find(|f| f.nick == "Alice")
            .map(|f| f.uin)
            .unwrap();
        let handles: Vec<_> = (0..3)
            .map(|i| {
                net.client
                    .send(SendTarget::Friend(alice), Message::text(&format!("out{i}")))
            })
            .collect();
        let want = |e: &Event, i: usize| matches!(e, Event::Message(m) if m.message.plain_text().trim() == format!("s{seed}m{i}"));
        net.run_until(&format!("seed {seed}: all four"), |e| want(e, 3));
        for _ in 0..2_000 {
            net.round();
        }
        for i in 0..4 {
            let n = net.events.iter().filter(|e| want(e, i)).count();
            assert_eq!(
                n, 1,
                "seed {seed} ({profile:?}): message {i} arrived {n} times"
            );
        }
        for h in handles {
            let outcomes = net
                .events
                .iter()
                .filter(|e| match e {
                    Event::Sent { handle } => *handle == h,
                    Event::SendFailed { handle, .. } | Event::Uncertain { handle, .. } => {
                        *handle == h
                    }
                    _ => false,
                })
                .count();
            assert_eq!(
                outcomes, 1,
                "seed {seed} ({profile:?}): send {h:?} had {outcomes} outcomes"
            );
        }
    }
}

#[test]
fn a_friend_request_is_accepted_and_the_requester_becomes_a_friend() {
    let profile = Profile::W2014;
    let mut cfg = demo(profile);
    let mut dave = cfg.world.accounts[1].clone();
    dave.qq = 10005;
    dave.nick = "Dave".into();
    dave.friends.clear();
    cfg.world.accounts.push(dave);
    let mut net = Net::new(profile, cfg, password_for(profile));
    net.run_until("contacts", |e| matches!(e, Event::ContactsLoaded));
    net.emu
        .friend_request(10005, 10001, "hi, I'm Dave")
        .unwrap();
    net.run_until("the request", |e| {
        matches!(e, Event::Notice(n) if matches!(&n.event,
            crate::webqq::poll::PollEvent::System { kind, account: 10005, raw }
                if kind == "verify_required" && raw["msg"] == "hi, I'm Dave"))
    });
    let accept = crate::webqq::request::FriendRequestAnswer::Accept {
        markname: "Dave (new)".into(),
        category: 2,
    };
    assert!(net.client.answer_friend_request(10005, &accept));
    net.run_until("the answer", |e| {
        matches!(
            e,
            Event::FriendRequestAnswered {
                account: 10005,
                accept: true,
                result: Ok(())
            }
        )
    });
    // buddylist_change makes the session fetch the lists again.
    net.run_until(
        "the new friend",
        |e| matches!(e, Event::ContactsChanged(d) if d.added.len() == 1),
    );
    let dave = net
        .client
        .session()
        .contacts()
        .friends
        .values()
        .find(|f| f.nick == "Dave")
        .expect("Dave is a friend");
    assert_eq!(dave.markname.as_deref(), Some("Dave (new)"));
    assert_eq!(dave.category, 2);

    // A member joining a group the account is in: its members are fetched again.
    net.emu.join_group(10005, 200001).unwrap();
    net.events.clear();
    net.run_until("members reloaded", |e| {
        matches!(e, Event::GroupMembers { .. })
    });
    let group = net
        .client
        .session()
        .contacts()
        .groups
        .values()
        .next()
        .unwrap();
    assert!(
        group.members.iter().flatten().any(|m| m.nick == "Dave"),
        "{group:?}"
    );
}
