//! Many sessions on one executor: a stalled one never delays the others (issue 6, item 1).
mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use webqq_proto::emulator::{Profile, Target as EmuTarget};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Event, LoginStep};
use webqq_smol::driver::EVENT_BUFFER;
use webqq_smol::{SendOutcome, Session, Spawner};

#[test]
fn a_stalled_server_and_a_stalled_reader_do_not_delay_other_sessions() {
    let ex = Arc::new(smol::Executor::new());
    let spawner = Spawner::Executor(Arc::clone(&ex));
    // A server that accepts and never answers.
    let black_hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_addr = black_hole.local_addr().unwrap();
    smol::block_on(ex.run(async {
        let mut host =
            webqq_smol::EmulatorHost::start_on(&spawner, emulator_config(Profile::S2015)).unwrap();
        let addr = host.listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let start = |qq, addr| {
            Session::start_on(
                &spawner,
                session_config(ProfileId::S2015, qq, Some("password"), addr),
            )
        };
        let stuck = start(CAROL, hole_addr);
        let bot = start(BOT, addr);
        let deadline = async {
            smol::Timer::after(Duration::from_secs(30)).await;
            panic!("timed out");
        };
        smol::future::or(deadline, async {
            login(&bot, &host, BOT).await;
            // Nobody reads the bot's events any more while a flood arrives for it.
            for i in 0..EVENT_BUFFER + 200 {
                let text = format!("flood {i}");
                host.control(move |e| e.say(ALICE, EmuTarget::Buddy(BOT), &text))
                    .await
                    .unwrap();
            }
            // Wait until the bot's session is really stalled on its full event queue.
            while bot.pending_events() < EVENT_BUFFER {
                smol::Timer::after(Duration::from_millis(20)).await;
            }
            let t0 = Instant::now();
            let alice = start(ALICE, addr);
            let bob = start(BOB, addr);
            login(&alice, &host, ALICE).await;
            login(&bob, &host, BOB).await;
            let bob_uin = alice
                .with_client(|c, _| {
                    let k = c.session().contacts();
                    k.friends
                        .values()
                        .find(|f| f.nick == "Bob &amp; Co" || f.nick == "Bob & Co")
                        .map(|f| f.uin)
                })
                .await
                .unwrap()
                .expect("Bob is Alice's friend");
            for i in 0..5 {
                let outcome = alice
                    .send(Target::Friend(bob_uin), Message::text(&format!("ping {i}")))
                    .await
                    .unwrap();
                assert_eq!(outcome, SendOutcome::Sent);
                let mut seen = Vec::new();
                let got = wait_for(&bob, &mut seen, |e| match e {
                    Event::Message(m) => Some(m.message.plain_text()),
                    _ => None,
                })
                .await;
                assert_eq!(got, format!("ping {i}"));
            }
            let took = t0.elapsed();
            assert!(took < Duration::from_secs(10), "others took {took:?}");
            // The stalled ones really were stalled: the bot's queue is full, and the session
            // at the black hole never got past its first steps.
            assert_eq!(bot.pending_events(), EVENT_BUFFER);
            let phase_online = stuck
                .with_client(|c, _| c.session().contacts().friends.len())
                .await
                .unwrap();
            assert_eq!(phase_online, 0);
            let mut first = Vec::new();
            while let Some(e) = stuck.try_next_event() {
                first.push(e);
            }
            assert!(
                first.iter().all(|e| matches!(
                    e,
                    Event::LoginProgress {
                        step: LoginStep::LoginPage | LoginStep::Check
                    }
                )),
                "{first:?}"
            );
        })
        .await;
    }));
    drop(black_hole);
}
