//! Every poll reply the emulator produces decodes with the client's decoder into the typed
//! event it stands for (issue 5: "every emulator reply decodes with the client's decoders").
use super::*;
use crate::emulator::Target;
use crate::webqq::poll::{PollEvent, PollReply, decode_poll};
use serde_json::json;

fn events(reply: &Resp) -> Vec<PollEvent> {
    match decode_poll(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", reply.text())) {
        PollReply::Events(items) => items.into_iter().map(|i| i.event).collect(),
        other => panic!("expected events, got {other:?}"),
    }
}

#[test]
fn chat_events_decode_to_their_types() {
    for profile in Profile::ALL {
        let mut h = Harness::new(profile);
        let l = h.login(10001);
        h.emu.say(10002, Target::Buddy(10001), "b").unwrap();
        h.emu.say(10002, Target::Group(200001), "g").unwrap();
        h.emu.say(10004, Target::Discussion(1), "d").unwrap();
        let got = events(&h.poll(&l).1.unwrap());
        assert!(
            matches!(&got[0], PollEvent::Buddy { message } if message.plain_text().trim() == "b"),
            "{profile:?} {got:?}"
        );
        assert!(
            matches!(
                &got[1],
                PollEvent::Group {
                    info_seq: Some(200001),
                    seq: Some(1),
                    ..
                }
            ),
            "{profile:?} {got:?}"
        );
        assert!(
            matches!(&got[2], PollEvent::Discussion { .. }),
            "{profile:?} {got:?}"
        );
    }
}

#[test]
fn notices_and_retcodes_decode_to_their_actions() {
    let mut h = Harness::new(Profile::W2014);
    let l = h.login(10001);
    let jar = std::mem::take(&mut h.jar);
    let alice = h.login(10002);
    let alice_jar = std::mem::replace(&mut h.jar, jar);
    h.get(&format!(
        "http://d.web2.qq.com/channel/change_status2?newstatus=busy&clientid=1&psessionid={}",
        l.psessionid
    ));
    h.jar = alice_jar;
    let got = events(&h.poll(&alice).1.unwrap());
    assert!(matches!(&got[0], PollEvent::BuddyStatus { .. }), "{got:?}");
    for (code, want) in [
        (116, "rotate"),
        (120, "relink"),
        (121, "relink"),
        (103, "relogin"),
        (109, "pause"),
    ] {
        h.emu.force_retcode(10002, code).unwrap();
        let r = h.poll(&alice).1.unwrap();
        let action = decode_poll(&r.body).unwrap();
        let kind = match action {
            PollReply::RotatePtwebqq(_) => "rotate",
            PollReply::Relink(_) => "relink",
            PollReply::Relogin(_) => "relogin",
            PollReply::Pause(_) => "pause",
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(kind, want, "retcode {code}");
    }
    h.emu.kick(10002, "bye").unwrap();
    let got = events(&h.poll(&alice).1.unwrap());
    assert!(matches!(&got[0], PollEvent::Kicked { .. }), "{got:?}");
}

#[test]
fn idle_replies_of_every_profile_decode_as_idle() {
    for profile in [Profile::W2013, Profile::S2018] {
        let mut h = Harness::new(profile);
        let l = h.login(10001);
        let (conn, _) = h.poll(&l);
        h.advance(30_000);
        let r = h.take_response(conn).unwrap();
        assert!(
            matches!(decode_poll(&r.body).unwrap(), PollReply::Idle(_)),
            "{profile:?}: {}",
            r.text()
        );
    }
    let _ = json!(null);
}
