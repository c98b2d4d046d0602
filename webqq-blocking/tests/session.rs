//! The blocking `Session` against the emulator over real loopback sockets (issue 6, item 4).
mod emulated;

use std::thread::sleep;
use std::time::Duration;

use emulated::*;
use webqq_blocking::SendOutcome;
use webqq_proto::emulator::{FaultAction, FaultRule, Faults, Profile, Target as EmuTarget};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Chat, Event, LoginStep, SendFailure};

#[test]
fn password_login_with_captcha_then_every_chat_type_arrives() {
    let mut config = emulator_config(Profile::W2013);
    config.world.accounts[0].captcha = true;
    let server = emulator(config);
    let session = start(&server, ProfileId::W2013, BOT, Some("password"));
    let seen = login(&session, &server, BOT);
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::CaptchaRequired { .. }))
    );
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::LoginProgress {
            step: LoginStep::Login2
        }
    )));
    let said = [
        (ALICE, EmuTarget::Buddy(BOT), "hello friend"),
        (BOB, EmuTarget::Group(GROUP), "hello group"),
        (CAROL, EmuTarget::Discussion(DISCUSSION), "hello discussion"),
    ];
    for (from, to, text) in said {
        server.control(move |e| e.say(from, to, text)).unwrap();
    }
    let mut seen = Vec::new();
    let got: Vec<(&str, String)> = (0..3)
        .map(|_| {
            wait_for(&session, &mut seen, |e| match e {
                Event::Message(m) => Some(m.clone()),
                _ => None,
            })
        })
        .map(|m| {
            let kind = match m.chat {
                Chat::Friend(_) => "friend",
                Chat::Group(_) => "group",
                Chat::Discussion(_) => "discussion",
                Chat::Session { .. } => "session",
            };
            (kind, m.message.plain_text())
        })
        .collect();
    assert_eq!(
        got,
        [
            ("friend", "hello friend".to_string()),
            ("group", "hello group".to_string()),
            ("discussion", "hello discussion".to_string()),
        ]
    );
}

#[test]
fn qr_login_confirmed_by_the_emulator_then_resumed_from_exported_state() {
    let server = emulator(emulator_config(Profile::S2018));
    let session = start(&server, ProfileId::S2018, 0, None);
    let seen = login(&session, &server, BOT);
    assert!(seen.iter().any(|e| matches!(e, Event::QrCode { .. })));
    assert!(seen.iter().any(|e| matches!(e, Event::QrConfirmed)));
    let friends = session
        .with_client(|c| c.session().contacts().friends.len())
        .unwrap();
    assert_eq!(friends, 3);

    // The exported state resumes in a new session: no second QR code, messages flow.
    let state = session.export_state().unwrap().expect("online, so state");
    drop(session);
    let resumed = start_with(&server, ProfileId::S2018, 0, None, Some(state));
    let mut seen = Vec::new();
    wait_for(&resumed, &mut seen, |e| {
        matches!(e, Event::Online { .. }).then_some(())
    });
    server
        .control(|e| e.say(ALICE, EmuTarget::Buddy(BOT), "still there?"))
        .unwrap();
    let text = wait_for(&resumed, &mut seen, |e| match e {
        Event::Message(m) => Some(m.message.plain_text()),
        _ => None,
    });
    assert_eq!(text, "still there?");
    assert!(
        !seen.iter().any(|e| matches!(e, Event::QrCode { .. })),
        "{seen:?}"
    );
}

#[test]
fn sends_return_each_outcome() {
    let server = emulator(emulator_config(Profile::S2015));
    let session = start(&server, ProfileId::S2015, BOT, Some("password"));
    login(&session, &server, BOT);
    let (friend, gid, did) = targets(&session);
    let send = |to, text| session.send(to, Message::text(text)).unwrap();
    assert_eq!(send(Target::Friend(friend), "plain"), SendOutcome::Sent);
    assert_eq!(
        send(Target::Discussion(did), "to the discussion"),
        SendOutcome::Sent
    );
    let fault = |code, delivered| Faults {
        rules: vec![FaultRule::once(
            "send_qun_msg2",
            FaultAction::Retcode {
                retcode: code,
                delivered,
            },
        )],
        ..Faults::default()
    };
    server.control(move |e| e.set_faults(fault(1202, 1.0)));
    assert_eq!(
        send(Target::Group(gid), "maybe"),
        SendOutcome::Uncertain {
            retcode: Some(1202)
        }
    );
    server.control(move |e| e.set_faults(fault(100012, 0.0)));
    let failed = send(Target::Group(gid), "refused");
    assert!(
        matches!(failed, SendOutcome::Failed(SendFailure::Server(_))),
        "{failed:?}"
    );
    let texts: Vec<String> = server.control(|e| e.sent(BOT).into_iter().map(|m| m.text).collect());
    assert_eq!(texts, ["plain", "to the discussion", "maybe"]);
}

#[test]
fn relogin_after_an_injected_103_and_messages_flow_again() {
    let server = emulator(emulator_config(Profile::W2014));
    let session = start(&server, ProfileId::W2014, BOT, Some("password"));
    login(&session, &server, BOT);
    server.control(|e| e.force_retcode(BOT, 103)).unwrap();
    let mut seen = Vec::new();
    let code = wait_for(&session, &mut seen, |e| match e {
        Event::Relogin { retcode } => Some(*retcode),
        _ => None,
    });
    assert_eq!(code, 103);
    wait_for(&session, &mut seen, |e| {
        matches!(e, Event::Online { .. }).then_some(())
    });
    server
        .control(|e| e.say(ALICE, EmuTarget::Buddy(BOT), "back?"))
        .unwrap();
    let text = wait_for(&session, &mut seen, |e| match e {
        Event::Message(m) => Some(m.message.plain_text()),
        _ => None,
    });
    assert_eq!(text, "back?");
    assert!(!seen.iter().any(|e| matches!(e, Event::Offline { .. })));
}

#[test]
fn idle_close_after_one_second_with_gaps_around_it_loses_and_doubles_nothing() {
    let mut config = emulator_config(Profile::S2015);
    config.timing.idle_close_ms = Some(1000);
    let server = emulator(config);
    let session = start(&server, ProfileId::S2015, BOT, Some("password"));
    login(&session, &server, BOT);
    let (friend, _, _) = targets(&session);
    // Around the 1 s idle close on both sides, but 20 ms or more away from it: a send written
    // in the very microsecond the server closes is the stale keep-alive race, which may
    // rightly end `Uncertain` (keepalive-race.md).
    let gaps_ms = [900u64, 980, 1100, 950, 1050, 1020];
    let mut seen = Vec::new();
    for (i, gap) in gaps_ms.iter().enumerate() {
        sleep(Duration::from_millis(*gap));
        let outcome = session
            .send(Target::Friend(friend), Message::text(&format!("out {i}")))
            .unwrap();
        assert_eq!(outcome, SendOutcome::Sent, "send {i} after {gap} ms");
        let text = format!("in {i}");
        server
            .control(move |e| e.say(ALICE, EmuTarget::Buddy(BOT), &text))
            .unwrap();
        let got = wait_for(&session, &mut seen, |e| match e {
            Event::Message(m) => Some(m.message.plain_text()),
            _ => None,
        });
        assert_eq!(got, format!("in {i}"));
    }
    // Nothing doubled on the server's side either, and no error reached the application.
    let texts: Vec<String> = server.control(|e| e.sent(BOT).into_iter().map(|m| m.text).collect());
    let want: Vec<String> = (0..gaps_ms.len()).map(|i| format!("out {i}")).collect();
    assert_eq!(texts, want);
    // Events still queued count too: each message arrived once, and no error was surfaced.
    while let Ok(Some(e)) = session.recv_timeout(Duration::from_millis(50)) {
        seen.push(e);
    }
    let incoming: Vec<String> = seen
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) if !m.is_self => Some(m.message.plain_text()),
            _ => None,
        })
        .collect();
    let want: Vec<String> = (0..gaps_ms.len()).map(|i| format!("in {i}")).collect();
    assert_eq!(incoming, want);
    assert!(
        !seen.iter().any(|e| matches!(
            e,
            Event::SendFailed { .. }
                | Event::Uncertain { .. }
                | Event::Offline { .. }
                | Event::Relinking { .. }
        )),
        "{seen:?}"
    );
    let idle_closed = session
        .with_client(|c| c.agent().stats().idle_closed_by_server)
        .unwrap();
    assert!(
        idle_closed > 0,
        "the server never closed an idle connection"
    );
}

#[test]
fn the_echo_bot_example_logs_in_and_echoes() {
    echo_bot::main().unwrap();
}

#[path = "../examples/echo_bot.rs"]
mod echo_bot;
