//! The smol adapter against the emulator over real loopback sockets (issue 6, item 4).
mod common;

use std::time::Duration;

use common::*;
use webqq_proto::emulator::{FaultAction, FaultRule, Faults, Profile, Target as EmuTarget};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Chat, Event, LoginStep, SendFailure};
use webqq_smol::{SendOutcome, Session};

#[test]
fn password_login_with_captcha_then_every_chat_type_arrives() {
    let mut config = emulator_config(Profile::W2013);
    config.world.accounts[0].captcha = true;
    let (host, addr) = emulator(config);
    let session = Session::start(session_config(
        ProfileId::W2013,
        BOT,
        Some("password"),
        addr,
    ));
    within(20, "login and three messages", async {
        let seen = login(&session, &host, BOT).await;
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
            host.control(move |e| e.say(from, to, text)).await.unwrap();
        }
        let mut got = Vec::new();
        let mut seen = Vec::new();
        while got.len() < 3 {
            let m = wait_for(&session, &mut seen, |e| match e {
                Event::Message(m) => Some(m.clone()),
                _ => None,
            })
            .await;
            got.push(m);
        }
        let kinds: Vec<(&str, String)> = got
            .iter()
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
            kinds,
            [
                ("friend", "hello friend".to_string()),
                ("group", "hello group".to_string()),
                ("discussion", "hello discussion".to_string()),
            ]
        );
    });
}

#[test]
fn qr_login_confirmed_by_the_emulator() {
    let (host, addr) = emulator(emulator_config(Profile::S2018));
    let session = Session::start(session_config(ProfileId::S2018, 0, None, addr));
    within(20, "QR login", async {
        let seen = login(&session, &host, BOT).await;
        assert!(seen.iter().any(|e| matches!(e, Event::QrCode { .. })));
        assert!(seen.iter().any(|e| matches!(e, Event::QrConfirmed)));
        let friends = session
            .with_client(|c, _| c.session().contacts().friends.len())
            .await
            .unwrap();
        assert_eq!(friends, 3);
    });
}

/// The first friend's uin, the group's gid and the discussion's did in this session.
async fn targets(session: &Session) -> (u64, u64, u64) {
    session
        .with_client(|c, _| {
            let k = c.session().contacts();
            (
                *k.friends.keys().next().unwrap(),
                *k.groups.keys().next().unwrap(),
                *k.discussions.keys().next().unwrap(),
            )
        })
        .await
        .unwrap()
}

#[test]
fn sends_resolve_to_each_outcome() {
    let (host, addr) = emulator(emulator_config(Profile::S2015));
    let session = Session::start(session_config(
        ProfileId::S2015,
        BOT,
        Some("password"),
        addr,
    ));
    within(30, "sends", async {
        login(&session, &host, BOT).await;
        let (friend, gid, did) = targets(&session).await;
        let sent = session
            .send(Target::Friend(friend), Message::text("plain"))
            .await
            .unwrap();
        assert_eq!(sent, SendOutcome::Sent);
        let sent = session
            .send(Target::Discussion(did), Message::text("to the discussion"))
            .await
            .unwrap();
        assert_eq!(sent, SendOutcome::Sent);

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
        host.control(move |e| e.set_faults(fault(1202, 1.0))).await;
        let uncertain = session
            .send(Target::Group(gid), Message::text("maybe"))
            .await
            .unwrap();
        assert_eq!(
            uncertain,
            SendOutcome::Uncertain {
                retcode: Some(1202)
            }
        );
        host.control(move |e| e.set_faults(fault(100012, 0.0)))
            .await;
        let failed = session
            .send(Target::Group(gid), Message::text("refused"))
            .await
            .unwrap();
        assert!(
            matches!(failed, SendOutcome::Failed(SendFailure::Server(_))),
            "{failed:?}"
        );
        let texts: Vec<String> = host
            .control(|e| e.sent(BOT).into_iter().map(|m| m.text).collect())
            .await;
        assert_eq!(texts, ["plain", "to the discussion", "maybe"]);
    });
}

#[test]
fn relogin_after_an_injected_103_and_messages_flow_again() {
    let (host, addr) = emulator(emulator_config(Profile::W2014));
    let session = Session::start(session_config(
        ProfileId::W2014,
        BOT,
        Some("password"),
        addr,
    ));
    within(30, "relogin", async {
        login(&session, &host, BOT).await;
        host.control(|e| e.force_retcode(BOT, 103)).await.unwrap();
        let mut seen = Vec::new();
        let code = wait_for(&session, &mut seen, |e| match e {
            Event::Relogin { retcode } => Some(*retcode),
            _ => None,
        })
        .await;
        assert_eq!(code, 103);
        wait_for(&session, &mut seen, |e| {
            matches!(e, Event::Online { .. }).then_some(())
        })
        .await;
        host.control(|e| e.say(ALICE, EmuTarget::Buddy(BOT), "back?"))
            .await
            .unwrap();
        let text = wait_for(&session, &mut seen, |e| match e {
            Event::Message(m) => Some(m.message.plain_text()),
            _ => None,
        })
        .await;
        assert_eq!(text, "back?");
        assert!(!seen.iter().any(|e| matches!(e, Event::Offline { .. })));
    });
}

#[test]
fn idle_close_after_one_second_with_gaps_around_it_loses_and_doubles_nothing() {
    let mut config = emulator_config(Profile::S2015);
    config.timing.idle_close_ms = Some(1000);
    let (host, addr) = emulator(config);
    let session = Session::start(session_config(
        ProfileId::S2015,
        BOT,
        Some("password"),
        addr,
    ));
    within(40, "gapped traffic", async {
        login(&session, &host, BOT).await;
        let (friend, _, _) = targets(&session).await;
        // Around the 1 s idle close on both sides, but 20 ms or more away from it: a send
        // written in the very microsecond the server closes is the stale keep-alive race,
        // which may rightly end `Uncertain` (keepalive-race.md) and is the simulator's job.
        let gaps_ms = [900u64, 980, 1100, 950, 1050, 1020];
        let mut seen = Vec::new();
        for (i, gap) in gaps_ms.iter().enumerate() {
            smol::Timer::after(Duration::from_millis(*gap)).await;
            let outcome = session
                .send(Target::Friend(friend), Message::text(&format!("out {i}")))
                .await
                .unwrap();
            assert_eq!(outcome, SendOutcome::Sent, "send {i} after {gap} ms");
            let text = format!("in {i}");
            host.control(move |e| e.say(ALICE, EmuTarget::Buddy(BOT), &text))
                .await
                .unwrap();
            let got = wait_for(&session, &mut seen, |e| match e {
                Event::Message(m) => Some(m.message.plain_text()),
                _ => None,
            })
            .await;
            assert_eq!(got, format!("in {i}"));
        }
        // Nothing doubled on the server's side either, and no error reached the application.
        let texts: Vec<String> = host
            .control(|e| e.sent(BOT).into_iter().map(|m| m.text).collect())
            .await;
        let want: Vec<String> = (0..gaps_ms.len()).map(|i| format!("out {i}")).collect();
        assert_eq!(texts, want);
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
            .with_client(|c, _| c.agent().stats().idle_closed_by_server)
            .await
            .unwrap();
        assert!(
            idle_closed > 0,
            "the server never closed an idle connection"
        );
    });
}

#[test]
fn tls_is_verified_the_emulator_ca_is_needed_and_enough() {
    let id = webqq_smol::tls::emulator_identity().unwrap();
    let mut host = webqq_smol::EmulatorHost::start(emulator_config(Profile::S2018)).unwrap();
    let plain = host.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let secure = host
        .listen_tls("127.0.0.1:0".parse().unwrap(), id.config.clone())
        .unwrap();
    let with_tls = |ca: Option<&str>| {
        let mut c = session_config(ProfileId::S2018, 0, None, plain);
        c.resolver = webqq_smol::Resolver::emulator_tls(plain, secure);
        c.tls = ca.map(|pem| webqq_smol::tls::client_config_with_ca_pem(pem).unwrap());
        Session::start(c)
    };
    within(20, "TLS with and without the CA", async {
        // Without the emulator's CA (webpki roots only) the handshake is refused.
        let untrusting = with_tls(None);
        loop {
            let failed = untrusting
                .with_client(|_, n| (n.connect_failed, n.connected))
                .await
                .unwrap();
            assert_eq!(failed.1, 0, "a connection opened without trusting the CA");
            if failed.0 > 0 {
                break;
            }
            smol::Timer::after(Duration::from_millis(50)).await;
        }
        // With it, the QR login goes through.
        let trusting = with_tls(Some(&id.ca_pem));
        login(&trusting, &host, BOT).await;
    });
}
