//! The whole `Client` (session + HTTP engine) against the emulator, in memory over virtual
//! time, through the simulation harness: every login path of every profile to `Online`,
//! then messages both ways in every chat type, and a resumed session.
#![cfg(feature = "emulator")]

mod sim;

use std::time::{Duration, Instant};

use webqq_proto::emulator::{self, Emulator, EmulatorConfig, Profile, Target as EmuTarget, World};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::request::{SessionVia, Target};
use webqq_proto::webqq::session::{Chat, Event, SessionConfig};
use webqq_proto::{Client, ClientConfig};

use sim::Sim;
use sim::emu::{BOT, EmuServer};
use sim::net::NetFaults;

fn system(profile: Profile, password: bool, world: World) -> Sim<EmuServer> {
    let t0 = Instant::now();
    let config = EmulatorConfig {
        world,
        ..EmulatorConfig::demo(profile)
    };
    let server = EmuServer::new(Emulator::new(config, t0).unwrap());
    let mut cfg = SessionConfig::new(profile.into(), BOT);
    cfg.password = password.then(|| PasswordMd5::from_password("password"));
    cfg.seed = 11;
    Sim::new(ClientConfig::new(cfg), server, NetFaults::clean(20), 11, t0)
}

fn quiet_demo() -> World {
    let mut world = World::demo();
    world.chatter_interval_ms = 0;
    world
}

/// Runs until `what` happened (or panics with the event list after `limit` more seconds).
fn until(sim: &mut Sim<EmuServer>, what: &str, limit: u64, f: impl Fn(&Event) -> bool) {
    let limit = sim.elapsed() + Duration::from_secs(limit);
    let done = sim.run(limit, |_, _| {}, |s| s.events.iter().any(|(_, e)| f(e)));
    assert!(done, "never saw {what}; events: {:#?}", sim.events);
}

fn online(sim: &mut Sim<EmuServer>) {
    for _ in 0..3 {
        let at = sim.elapsed() + Duration::from_secs(120);
        sim.run(
            at,
            |_, _| {},
            |s| {
                // The answer is known once the image is served; the session takes it once
                // it showed the image to the user.
                (s.server.captcha.is_some()
                    && s.count(|e| matches!(e, Event::CaptchaRequired { .. })) > 0)
                    || s.events
                        .iter()
                        .any(|(_, e)| matches!(e, Event::ContactsLoaded))
            },
        );
        if let Some(answer) = sim.server.captcha.take() {
            sim.client.submit_captcha(&answer);
        }
    }
    until(sim, "online", 60, |e| {
        matches!(e, Event::Online { uin: BOT })
    });
    until(sim, "contacts", 60, |e| matches!(e, Event::ContactsLoaded));
}

#[test]
fn every_login_path_of_every_profile_reaches_online() {
    let paths = [
        (Profile::W2013, true),
        (Profile::W2014, true),
        (Profile::S2015, true),
        (Profile::S2015, false),
        (Profile::S2016, false),
        (Profile::S2018, false),
    ];
    for (profile, password) in paths {
        let mut sim = system(profile, password, quiet_demo());
        sim.client.start();
        online(&mut sim);
        let c = sim.client.session().contacts();
        assert_eq!(
            (c.friends.len(), c.groups.len(), c.discussions.len()),
            (3, 1, 1),
            "{profile:?}"
        );
        assert_eq!(sim.server.emu.sessions().len(), 1, "{profile:?}");
        let qr = sim.count(|e| matches!(e, Event::QrCode { .. }));
        assert_eq!(
            qr > 0,
            !password,
            "{profile:?}: QR code only on the QR path"
        );
    }
}

#[test]
fn captcha_path_of_password_profiles_reaches_online() {
    for profile in [Profile::W2013, Profile::W2014, Profile::S2015] {
        let mut world = quiet_demo();
        world.accounts[0].captcha = true;
        let mut sim = system(profile, true, world);
        sim.client.start();
        online(&mut sim);
        assert_eq!(
            sim.count(|e| matches!(e, Event::CaptchaRequired { .. })),
            1,
            "{profile:?}"
        );
    }
}

fn text_of(e: &Event) -> Option<(Chat, String)> {
    match e {
        Event::Message(m) => Some((m.chat, m.message.plain_text().trim().to_string())),
        _ => None,
    }
}

#[test]
fn messages_flow_both_ways_in_every_chat_type_in_every_profile() {
    for profile in Profile::ALL {
        let mut sim = system(profile, profile.is_webqq(), quiet_demo());
        sim.client.start();
        online(&mut sim);
        let emu = &mut sim.server.emu;
        emu.say(10002, EmuTarget::Buddy(BOT), "to the bot").unwrap();
        emu.say(10003, EmuTarget::Group(200001), "to the group")
            .unwrap();
        emu.say(10004, EmuTarget::Discussion(1), "to the discussion")
            .unwrap();
        let at = sim.elapsed() + Duration::from_secs(120);
        sim.run(at, |_, _| {}, |s| s.count(|e| text_of(e).is_some()) >= 3);
        let got: Vec<(Chat, String)> = sim.events.iter().filter_map(|(_, e)| text_of(e)).collect();
        let texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            ["to the bot", "to the group", "to the discussion"],
            "{profile:?}"
        );
        assert!(matches!(got[0].0, Chat::Friend(_)), "{profile:?}");
        assert!(matches!(got[1].0, Chat::Group(_)), "{profile:?}");
        assert!(matches!(got[2].0, Chat::Discussion(_)), "{profile:?}");

        let contacts = sim.client.session().contacts();
        let alice = contacts
            .friends
            .values()
            .find(|f| f.nick == "Alice")
            .unwrap()
            .uin;
        let gid = *contacts.groups.keys().next().unwrap();
        let did = *contacts.discussions.keys().next().unwrap();
        let handles = [
            sim.client
                .send(Target::Friend(alice), Message::text("hi Alice")),
            sim.client
                .send(Target::Group(gid), Message::text("hi group")),
            sim.client
                .send(Target::Discussion(did), Message::text("hi discussion")),
        ];
        let at = sim.elapsed() + Duration::from_secs(60);
        sim.run(
            at,
            |_, _| {},
            |s| {
                s.count(|e| {
                    matches!(
                        e,
                        Event::Sent { .. } | Event::Uncertain { .. } | Event::SendFailed { .. }
                    )
                }) >= 3
            },
        );
        for h in handles {
            assert_eq!(
                sim.count(|e| *e == Event::Sent { handle: h }),
                1,
                "{profile:?} {h:?}"
            );
        }
        let sent = sim.server.emu.sent(BOT);
        let sent: Vec<(EmuTarget, &str)> =
            sent.iter().map(|m| (m.target, m.text.as_str())).collect();
        assert_eq!(
            sent,
            [
                (EmuTarget::Buddy(10002), "hi Alice"),
                (EmuTarget::Group(200001), "hi group"),
                (EmuTarget::Discussion(1), "hi discussion"),
            ],
            "{profile:?}"
        );
    }
}

/// Temporary sessions through a group: delivered in the eras that allowed them; from 2016
/// the server answers 1202 (protocol §6.5), which the client reports as `Uncertain`.
#[test]
fn a_temporary_session_message_goes_through_a_group() {
    for profile in [Profile::W2014, Profile::S2015, Profile::S2018] {
        let mut sim = system(profile, profile.is_webqq(), quiet_demo());
        sim.client.start();
        online(&mut sim);
        let gid = *sim
            .client
            .session()
            .contacts()
            .groups
            .keys()
            .next()
            .unwrap();
        assert!(sim.client.load_group_members(gid));
        until(&mut sim, "members", 60, |e| {
            matches!(e, Event::GroupMembers { .. })
        });
        let group = &sim.client.session().contacts().groups[&gid];
        let members = group.members.as_ref().unwrap();
        let member = members.iter().find(|m| m.card.is_none()).unwrap().uin;
        let to = Target::Session {
            to_uin: member,
            via: SessionVia::Group(gid),
        };
        let h = sim.client.send(to, Message::text("psst"));
        until(&mut sim, "outcome", 60, |e| {
            matches!(
                e,
                Event::Sent { .. } | Event::Uncertain { .. } | Event::SendFailed { .. }
            )
        });
        // And back: the member answers in the temporary session (a raw poll event).
        let answer = serde_json::json!({"poll_type": "sess_message", "value": {
            "msg_id": 77, "msg_id2": 78, "from_uin": member, "to_uin": 1, "msg_type": 140,
            "time": 1_500_000_000, "id": gid, "ruin": 10003, "service_type": 0,
            "content": [["font", {"name": "宋体", "size": 10, "style": [0, 0, 0], "color": "000000"}], "psst back"]
        }});
        sim.server.emu.inject(BOT, answer).unwrap();
        until(&mut sim, "the answer", 60, |e| {
            text_of(e).is_some_and(|(c, t)| {
                t == "psst back"
                    && c == Chat::Session {
                        from_uin: member,
                        via: gid,
                    }
            })
        });
        let sent = sim.server.emu.sent(BOT);
        let last = sent.last().map(|m| (m.target, m.text.as_str()));
        if profile == Profile::S2018 {
            let uncertain = Event::Uncertain {
                handle: h,
                retcode: Some(1202),
            };
            assert_eq!(sim.count(|e| *e == uncertain), 1);
            assert_eq!(last, None, "blocked: not delivered");
        } else {
            assert_eq!(
                sim.count(|e| *e == Event::Sent { handle: h }),
                1,
                "{profile:?}"
            );
            assert_eq!(last, Some((EmuTarget::Buddy(10003), "psst")), "{profile:?}");
        }
    }
}

#[test]
fn an_exported_client_resumes_without_a_new_login() {
    let mut sim = system(Profile::S2018, false, quiet_demo());
    sim.client.start();
    online(&mut sim);
    let state = sim
        .client
        .export_state()
        .expect("online")
        .expect("jar as JSON");
    let sessions = sim.server.emu.sessions();
    // A second process: a new client from the saved state, same server.
    let mut cfg = SessionConfig::new(Profile::S2018.into(), BOT);
    cfg.seed = 12;
    sim.replace_client(Client::new(ClientConfig::new(cfg), sim.now));
    sim.events.clear();
    sim.client.import_state(state).unwrap();
    until(&mut sim, "online again", 60, |e| {
        matches!(e, Event::Online { uin: BOT })
    });
    assert_eq!(
        sim.count(|e| matches!(e, Event::QrCode { .. })),
        0,
        "no new QR login"
    );
    let qqs = |v: Vec<emulator::SessionInfo>| v.iter().map(|s| s.qq).collect::<Vec<_>>();
    assert_eq!(
        qqs(sim.server.emu.sessions()),
        qqs(sessions),
        "the same web session goes on"
    );
    assert!(sim.server.emu.sessions()[0].registered);
    sim.server
        .emu
        .say(10002, EmuTarget::Buddy(BOT), "still there?")
        .unwrap();
    until(&mut sim, "message", 60, |e| {
        text_of(e).is_some_and(|(_, t)| t == "still there?")
    });
}
