//! Fuzzes the `poll2` reply decoder and the send-reply decoder with hostile bodies.
//!
//! The input is one 200 body, fed to both decoders. Besides "no panic" it asserts: errors are
//! typed (`is_malformed`, named after the endpoint); every retcode maps by the §6.3 rule; an
//! event batch keeps every item of `result` up to `MAX_EVENTS_PER_POLL` (plus one marker for
//! the cut), counted independently with serde_json; timed events come out sorted; and the
//! send-reply decoder refuses nothing the poll decoder's envelope accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use webqq_proto::webqq::poll::{MAX_EVENTS_PER_POLL, PollReply, decode_poll, poll_action};
use webqq_proto::webqq::send_reply::{SendReply, decode_send_reply};

fuzz_target!(|body: &[u8]| {
    let poll = decode_poll(body);
    let send = decode_send_reply(body);
    // What an independent parse says the body is.
    let raw: Option<Value> = serde_json::from_slice(body).ok();
    let object = raw.as_ref().and_then(Value::as_object);
    let retcode = object.and_then(|o| {
        let v = o.get("retcode").or_else(|| o.get("errCode"))?;
        v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
    });

    match &send {
        Err(e) => {
            assert_eq!(e.what, "send_msg2");
            assert!(
                e.is_malformed(),
                "send reply error not typed as malformed: {e}"
            );
            assert!(e.to_string().starts_with("send_msg2 reply: "));
            assert!(object.is_none(), "a JSON object was refused: {e}");
        }
        Ok(reply) => {
            assert!(
                object.is_some(),
                "not a JSON object, yet decoded: {reply:?}"
            );
            let hard_error = object.unwrap().get("errMsg").and_then(Value::as_str) == Some("ERROR");
            let want = match retcode {
                _ if hard_error => SendReply::Failed(retcode.unwrap_or(-1)),
                Some(0) => SendReply::Sent,
                Some(c @ (1202 | 100100)) => SendReply::Uncertain(c),
                Some(c @ (103 | 108 | 100012)) => SendReply::SessionExpired(c),
                Some(c) => SendReply::Failed(c),
                None => SendReply::Failed(-1),
            };
            assert_eq!(reply, &want);
        }
    }

    let reply = match poll {
        Err(e) => {
            assert_eq!(e.what, "poll2");
            assert!(e.is_malformed(), "poll error not typed as malformed: {e}");
            assert!(e.to_string().starts_with("poll2 reply: "));
            // Only a non-object, a missing retcode or a 116 without `p` is refused.
            let p_ok = object
                .and_then(|o| o.get("p"))
                .and_then(Value::as_str)
                .is_some_and(|p| !p.is_empty());
            assert!(
                object.is_none() || retcode.is_none() || (retcode == Some(116) && !p_ok),
                "a well-formed poll reply was refused: {e}"
            );
            return;
        }
        Ok(reply) => reply,
    };
    let retcode = retcode.expect("decoded without a retcode");
    assert!(
        send.is_ok(),
        "the send decoder refused an envelope the poll decoder read"
    );
    match retcode {
        116 => assert!(matches!(reply, PollReply::RotatePtwebqq(ref p) if !p.is_empty())),
        0 => {}
        other => assert_eq!(reply, poll_action(other)),
    }
    if let PollReply::Events(items) = &reply {
        assert_eq!(retcode, 0);
        let result = object
            .and_then(|o| o.get("result"))
            .and_then(Value::as_array);
        let n = result.expect("events without a result array").len();
        assert!(n > 0);
        let kept = n.min(MAX_EVENTS_PER_POLL) + usize::from(n > MAX_EVENTS_PER_POLL);
        assert_eq!(items.len(), kept, "events lost or invented");
        let times: Vec<i64> = items.iter().filter_map(|i| i.ids.time).collect();
        assert!(times.is_sorted(), "timed events out of order: {times:?}");
    }
    if retcode == 0 && !matches!(reply, PollReply::Events(_)) {
        assert_eq!(reply, PollReply::Idle(0));
    }
});
