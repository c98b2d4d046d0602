//! `poll2` replies: retcodes (protocol §6.3) and every `poll_type` (protocol §6.5), typed.

use serde::Deserialize;
use serde_json::Value;

use super::content::Message;
use super::error::{DecodeError, DecodeErrorKind};
use super::model::{lenient_u64, parse_envelope};
use super::secret::Secret;

/// Events kept from one poll reply; a longer `result` is cut (and the cut reported as one
/// `Unknown` event) so a hostile reply cannot grow the event queue without bound.
pub const MAX_EVENTS_PER_POLL: usize = 1024;

/// What a poll reply asks the client to do (protocol §6.3, one row per retcode).
#[derive(Debug, Clone, PartialEq)]
pub enum PollReply {
    /// retcode 0 with events: dispatch, poll again.
    Events(Vec<PollItem>),
    /// Nothing to deliver: poll again at once (0 `"ok"`, 0 without result, 102, 100012,
    /// 100003, 100100, 1202).
    Idle(i64),
    /// 116: set cookie `ptwebqq=<p>` and poll again immediately.
    RotatePtwebqq(Secret),
    /// 120 / 121: relink (login2 with the current psessionid).
    Relink(i64),
    /// 100 / 103 / 108 / 122 / 100000 / 100001 / 100006: full re-login.
    Relogin(i64),
    /// 109 / 110: closed by another page; wait 10 s, poll again, not a failure.
    Pause(i64),
    /// 114 and anything unknown: wait, count a failure.
    Failure(i64),
}

/// The retcode rule of protocol §6.3 for a non-zero retcode (0 is decided by its body).
pub fn poll_action(retcode: i64) -> PollReply {
    match retcode {
        // "102: no message, connection fine — poll again (official: resets failure counter)";
        // "100012 … backend receive timeout, i.e. no message"; "100003 / 100100: qqbot
        // treats as OK/idle"; "1202: seen in poll by mojo — ignore".
        102 | 100012 | 100003 | 100100 | 1202 => PollReply::Idle(retcode),
        // "120: relink needed"; "121: connection lost / logged in elsewhere — relink".
        120 | 121 => PollReply::Relink(retcode),
        // "100 NotReLogin", "103 session lost", "108 cookie missing", "122 wrong client",
        // "100000 / 100001 login state invalid", "100006 re-login".
        100 | 103 | 108 | 122 | 100000 | 100001 | 100006 => PollReply::Relogin(retcode),
        // "109, 110: do not count as failure, wait 10 s, poll again".
        109 | 110 => PollReply::Pause(retcode),
        // "114: treat as failure"; "other: wait 10 s, count a failure".
        other => PollReply::Failure(other),
    }
}

/// Decodes a 200 poll body.
pub fn decode_poll(body: &[u8]) -> Result<PollReply, DecodeError> {
    const WHAT: &str = "poll2";
    let env = parse_envelope(WHAT, body)?;
    let Some(retcode) = env.retcode else {
        return Err(DecodeError::new(
            WHAT,
            DecodeErrorKind::Json("no retcode".into()),
        ));
    };
    if retcode == 116 {
        // `{"retcode":116,"p":"<new ptwebqq>"}`.
        return match env.raw.get("p").and_then(Value::as_str) {
            Some(p) if !p.is_empty() => Ok(PollReply::RotatePtwebqq(Secret::new(p))),
            _ => Err(DecodeError::new(
                WHAT,
                DecodeErrorKind::Json("retcode 116 without p".into()),
            )),
        };
    }
    if retcode != 0 {
        return Ok(poll_action(retcode));
    }
    // retcode 0: `"result":"ok"` ([W] idle), no result ([S] 2017+ idle shapes), or events.
    let Some(Value::Array(items)) = env.result else {
        return Ok(PollReply::Idle(0));
    };
    if items.is_empty() {
        return Ok(PollReply::Idle(0));
    }
    let mut events: Vec<PollItem> = items
        .iter()
        .take(MAX_EVENTS_PER_POLL)
        .map(PollItem::from_raw)
        .collect();
    if items.len() > MAX_EVENTS_PER_POLL {
        events.push(PollItem::unknown(Value::String(format!(
            "{} more events dropped",
            items.len() - MAX_EVENTS_PER_POLL
        ))));
    }
    order_by_time(&mut events);
    Ok(PollReply::Events(events))
}

/// Protocol §6.8: "Order inside one reply is not guaranteed … the official \[S\] script sorts
/// the batch by `value.time`". Events without a time keep their slots; the timed ones are
/// sorted (stably) among the slots of timed ones.
fn order_by_time(events: &mut [PollItem]) {
    let slots: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].ids.time.is_some())
        .collect();
    let mut timed: Vec<PollItem> = slots.iter().map(|&i| events[i].clone()).collect();
    timed.sort_by_key(|e| e.ids.time);
    for (slot, item) in slots.into_iter().zip(timed) {
        events[slot] = item;
    }
}

/// The ids every chat-type value shares (protocol §6.4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct EventIds {
    /// Server sequence for this recipient.
    #[serde(deserialize_with = "lenient_u64")]
    pub msg_id: u64,
    /// Second id.
    #[serde(deserialize_with = "lenient_u64")]
    pub msg_id2: u64,
    /// Sender uin, gid for groups, 10000 for discussions.
    #[serde(deserialize_with = "lenient_u64")]
    pub from_uin: u64,
    /// Receiver (own uin).
    #[serde(deserialize_with = "lenient_u64")]
    pub to_uin: u64,
    /// Numeric kind.
    pub msg_type: i64,
    /// Unix seconds.
    pub time: Option<i64>,
}

/// One entry of a poll `result`.
#[derive(Debug, Clone, PartialEq)]
pub struct PollItem {
    /// The `poll_type` string as sent.
    pub poll_type: String,
    /// The shared ids (zero where absent).
    pub ids: EventIds,
    /// The typed event.
    pub event: PollEvent,
}

/// Typed poll events (protocol §6.5).
#[derive(Debug, Clone, PartialEq)]
pub enum PollEvent {
    /// `message`: friend or stranger chat.
    Buddy {
        /// The content.
        message: Message,
    },
    /// `group_message`.
    Group {
        /// Group uin (= `from_uin`).
        gid: u64,
        /// Group code.
        group_code: u64,
        /// Sender member uin.
        send_uin: u64,
        /// Per-group sequence (gaps = lost messages).
        seq: Option<u64>,
        /// \[W\] the real group number.
        info_seq: Option<u64>,
        /// The content.
        message: Message,
    },
    /// `discu_message`.
    Discussion {
        /// Discussion id.
        did: u64,
        /// Sender uin.
        send_uin: u64,
        /// Per-discussion sequence.
        seq: Option<u64>,
        /// The content.
        message: Message,
    },
    /// `sess_message`: temporary chat via a group (service 0) or discussion (1).
    Session {
        /// Group or discussion id.
        id: u64,
        /// Sender's real QQ number.
        ruin: u64,
        /// 0 group, 1 discussion.
        service_type: i64,
        /// The content.
        message: Message,
    },
    /// `buddies_status_change`.
    BuddyStatus {
        /// Friend uin.
        uin: u64,
        /// Status string.
        status: String,
        /// Client type.
        client_type: i64,
    },
    /// `kick_message`: forced offline; do not auto-relink (protocol §6.5).
    Kicked {
        /// The reason text.
        reason: String,
    },
    /// `system_message`: friend-request traffic; `kind` is its `type`.
    System {
        /// `verify_required`, `added_buddy_sig`, `verify_pass`, …
        kind: String,
        /// QQ number of the other party.
        account: u64,
        /// The whole value.
        raw: Value,
    },
    /// `sys_g_msg`: group administration; `kind` is its `type`.
    GroupSystem {
        /// `group_create`, `group_join`, `group_leave`, `group_request_join`, …
        kind: String,
        /// Group code.
        gcode: u64,
        /// The whole value.
        raw: Value,
    },
    /// `group_web_message`: a group web notice (shared file …).
    GroupWeb {
        /// Group uin.
        gid: u64,
        /// Sender uin.
        send_uin: u64,
        /// The escaped XML document.
        xml: String,
    },
    /// `buddylist_change`.
    BuddyListChange {
        /// `(uin, category)` added.
        added: Vec<(u64, u64)>,
        /// Uins removed.
        removed: Vec<u64>,
    },
    /// `input_notify`: typing.
    InputNotify,
    /// `shake_message`.
    Shake,
    /// File transfer events (`file_message`, `filesrv_transfer`, `push_offfile`,
    /// `notify_offfile`), kept raw.
    File {
        /// The whole value.
        raw: Value,
    },
    /// An unknown `poll_type`, or a known one whose value did not decode: never dropped.
    Unknown {
        /// The whole item.
        raw: Value,
    },
}

fn u64_field(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl PollItem {
    fn unknown(raw: Value) -> PollItem {
        PollItem {
            poll_type: String::new(),
            ids: EventIds::default(),
            event: PollEvent::Unknown { raw },
        }
    }

    fn from_raw(raw: &Value) -> PollItem {
        let poll_type = str_field(raw, "poll_type");
        let Some(value) = raw.get("value").filter(|v| v.is_object()) else {
            return PollItem {
                poll_type,
                ..PollItem::unknown(raw.clone())
            };
        };
        let ids: EventIds = serde_json::from_value(value.clone()).unwrap_or_default();
        let event = decode_event(&poll_type, value)
            .unwrap_or_else(|| PollEvent::Unknown { raw: raw.clone() });
        PollItem {
            poll_type,
            ids,
            event,
        }
    }
}

/// `None` when a known type lacks what it needs (then it is surfaced as `Unknown`).
fn decode_event(poll_type: &str, v: &Value) -> Option<PollEvent> {
    let message = || Message::from_content(v.get("content").unwrap_or(&Value::Null));
    Some(match poll_type {
        "message" => PollEvent::Buddy { message: message() },
        "group_message" => PollEvent::Group {
            gid: u64_field(v, "from_uin")?,
            group_code: u64_field(v, "group_code").unwrap_or(0),
            send_uin: u64_field(v, "send_uin")?,
            seq: u64_field(v, "seq"),
            info_seq: u64_field(v, "info_seq"),
            message: message(),
        },
        "discu_message" => PollEvent::Discussion {
            did: u64_field(v, "did")?,
            send_uin: u64_field(v, "send_uin")?,
            seq: u64_field(v, "seq"),
            message: message(),
        },
        "sess_message" => PollEvent::Session {
            id: u64_field(v, "id").unwrap_or(0),
            ruin: u64_field(v, "ruin").unwrap_or(0),
            service_type: v.get("service_type").and_then(Value::as_i64).unwrap_or(0),
            message: message(),
        },
        "buddies_status_change" => PollEvent::BuddyStatus {
            uin: u64_field(v, "uin")?,
            status: str_field(v, "status"),
            client_type: v.get("client_type").and_then(Value::as_i64).unwrap_or(0),
        },
        "kick_message" => PollEvent::Kicked {
            reason: str_field(v, "reason"),
        },
        "system_message" => PollEvent::System {
            kind: str_field(v, "type"),
            account: u64_field(v, "account").unwrap_or(0),
            raw: v.clone(),
        },
        "sys_g_msg" => PollEvent::GroupSystem {
            kind: str_field(v, "type"),
            gcode: u64_field(v, "gcode").unwrap_or(0),
            raw: v.clone(),
        },
        "group_web_message" => PollEvent::GroupWeb {
            gid: u64_field(v, "from_uin")?,
            send_uin: u64_field(v, "send_uin").unwrap_or(0),
            xml: str_field(v, "xml"),
        },
        "buddylist_change" => {
            let list = |k: &str| {
                v.get(k)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            PollEvent::BuddyListChange {
                added: list("added_friends")
                    .iter()
                    .filter_map(|f| {
                        Some((u64_field(f, "uin")?, u64_field(f, "groupid").unwrap_or(0)))
                    })
                    .collect(),
                removed: list("removed_friends")
                    .iter()
                    .filter_map(|f| u64_field(f, "uin"))
                    .collect(),
            }
        }
        "input_notify" => PollEvent::InputNotify,
        "shake_message" => PollEvent::Shake,
        "file_message" | "filesrv_transfer" | "push_offfile" | "notify_offfile" => {
            PollEvent::File { raw: v.clone() }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: &str) -> Vec<PollItem> {
        match decode_poll(body.as_bytes()).unwrap() {
            PollReply::Events(e) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_retcode_of_section_6_3() {
        let table: &[(&str, PollReply)] = &[
            (r#"{"retcode":0,"result":"ok"}"#, PollReply::Idle(0)),
            (
                r#"{"retcode":0,"retmsg":"ok","errmsg":"error"}"#,
                PollReply::Idle(0),
            ),
            (r#"{"errmsg":"error","retcode":0}"#, PollReply::Idle(0)),
            (r#"{"retcode":102 ,"errmsg":""}"#, PollReply::Idle(102)),
            (r#"{"retcode":100,"errmsg":""}"#, PollReply::Relogin(100)),
            (r#"{"retcode":103,"errmsg":""}"#, PollReply::Relogin(103)),
            (
                r#"{"errmsg":"error!!!","retcode":103}"#,
                PollReply::Relogin(103),
            ),
            (r#"{"retcode":108,"errmsg":""}"#, PollReply::Relogin(108)),
            (r#"{"retcode":109}"#, PollReply::Pause(109)),
            (r#"{"retcode":110}"#, PollReply::Pause(110)),
            (r#"{"retcode":114,"errmsg":""}"#, PollReply::Failure(114)),
            (
                r#"{"retcode":116,"p":"2c0d8375e6c09f2af3ce60c6e081bdf4db271a14d0d85060"}"#,
                PollReply::RotatePtwebqq(Secret::new(
                    "2c0d8375e6c09f2af3ce60c6e081bdf4db271a14d0d85060",
                )),
            ),
            (r#"{"retcode":120}"#, PollReply::Relink(120)),
            (r#"{"retcode":121,"t":"0"}"#, PollReply::Relink(121)),
            (
                r#"{"retcode":122,"errmsg":"wrong web client3"}"#,
                PollReply::Relogin(122),
            ),
            (r#"{"retcode":1202}"#, PollReply::Idle(1202)),
            (r#"{"retcode":100000}"#, PollReply::Relogin(100000)),
            (
                r#"{"errmsg":"login error","retcode":100001}"#,
                PollReply::Relogin(100001),
            ),
            (r#"{"retcode":100003}"#, PollReply::Idle(100003)),
            (
                r#"{"retcode":100006,"errmsg":""}"#,
                PollReply::Relogin(100006),
            ),
            (
                r#"{"errmsg":"error","retcode":100012,"retmsg":"cmd[qconnect.0], errmsg[RecvTimeout], cost[59.956365374s]"}"#,
                PollReply::Idle(100012),
            ),
            (r#"{"retcode":100100}"#, PollReply::Idle(100100)),
            (r#"{"retcode":100101}"#, PollReply::Failure(100101)),
            (r#"{"retcode":0,"result":[]}"#, PollReply::Idle(0)),
        ];
        for (body, want) in table {
            assert_eq!(&decode_poll(body.as_bytes()).unwrap(), want, "{body}");
        }
        assert!(decode_poll(br#"{"retcode":116}"#).is_err());
        assert!(
            decode_poll(b"<html><body>504 Gateway Time-out</body></html>")
                .unwrap_err()
                .is_malformed()
        );
    }

    #[test]
    fn duplicate_capture_decodes_twice_identically() {
        // Captures §45: the same message arrived in two replies; dedup happens in the session.
        let body = r#"{"retcode":0,"result":[{"poll_type":"message","value":{"msg_id":32013,"from_uin":3593648688,"to_uin":112482900,"msg_id2":720289,"msg_type":9,"reply_ip":178848427,"time":1344348822,"content":[["font",{"size":8,"color":"000000","style":[0,0,0],"name":"Tahoma"}],"a "]}}]}"#;
        let a = events(body);
        assert_eq!(a, events(body));
        assert_eq!(
            (a[0].ids.msg_id, a[0].ids.msg_id2, a[0].ids.from_uin),
            (32013, 720289, 3593648688)
        );
        assert!(matches!(&a[0].event, PollEvent::Buddy { message } if message.plain_text() == "a"));
    }

    #[test]
    fn group_session_and_system_captures() {
        // Captures §47.
        let e = events(
            r#"{"retcode":0,"result":[{"poll_type":"group_message","value":{"msg_id":538,"from_uin":2859929324,"to_uin":3072574066,"msg_id2":545490,"msg_type":43,"reply_ip":182424361,"group_code":2904892801,"send_uin":1951767953,"seq":3024,"time":1418955773,"info_seq":390179723,"content":[["font",{"size":12,"color":"000000","style":[0,0,0],"name":"\u5FAE\u8F6F\u96C5\u9ED1"}],"[\u50BB\u7B11]\u0001 "]}}]}"#,
        );
        match &e[0].event {
            PollEvent::Group {
                gid,
                send_uin,
                seq,
                info_seq,
                ..
            } => {
                assert_eq!(
                    (*gid, *send_uin, *seq, *info_seq),
                    (2859929324, 1951767953, Some(3024), Some(390179723))
                );
            }
            other => panic!("{other:?}"),
        }
        // Captures §49.
        let e = events(
            r#"{"retcode":0,"result":[{"poll_type":"sess_message","value":{"msg_id":25144,"from_uin":167017143,"to_uin":1070772010,"msg_id2":139233,"msg_type":140,"reply_ip":176752037,"time":1365931836,"id":2581801127,"ruin":444674479,"service_type":1,"flags":{"text":1,"pic":1,"file":1,"audio":1,"video":1},"content":[["font",{"size":9,"color":"000000","style":[0,0,0],"name":"Tahoma"}],"2\u8F7D3 ",["face",1]," "]}}]}"#,
        );
        assert!(matches!(
            &e[0].event,
            PollEvent::Session {
                id: 2581801127,
                ruin: 444674479,
                service_type: 1,
                ..
            }
        ));
        // Captures §63.
        let e = events(
            r#"{"retcode":0,"result":[{"poll_type":"system_message","value":{"seq":48221,"type":"verify_required","uiuin":"","from_uin":1067098394,"account":123456,"msg":"xxxxxxxx","allow":1,"stat":20}}]}"#,
        );
        assert!(
            matches!(&e[0].event, PollEvent::System { kind, account: 123456, .. } if kind == "verify_required")
        );
    }

    #[test]
    fn sys_g_msg_captures_including_the_malformed_one() {
        // Captures §51. Line 1 has the author's `xxxxxxxxx` mask (not JSON); line 4 is
        // malformed in the source. Both must be refused with an error, never a panic.
        let lines = [
            (
                r#"{"retcode":0,"result":[{"poll_type":"sys_g_msg","value":{"msg_id":5940,"from_uin":370154409,"to_uin":2501542492,"msg_id2":979390,"msg_type":33,"reply_ip":176498394,"type":"group_join","gcode":2570026216,"t_gcode":249818602,"op_type":3,"new_member":2501542492,"t_new_member":"","admin_uin":1448380605,"admin_nick":"\u521B\u5EFA\u8005"}}]}"#,
                "group_join",
            ),
            (
                r#"{"retcode":0,"result":[{"poll_type":"sys_g_msg","value":{"msg_id":29407,"from_uin":1735178063,"to_uin":2501542492,"msg_id2":28428,"msg_type":36,"reply_ip":176498075,"type":"group_request_join_agree","gcode":3557387121,"t_gcode":249818602,"admin_uin":4005533729,"msg":""}}]}"#,
                "group_request_join_agree",
            ),
            (
                r#"{"retcode":0,"result":[{"poll_type":"sys_g_msg","value":{"msg_id":1253,"from_uin":1735178063,"to_uin":2501542492,"msg_id2":93655,"msg_type":37,"reply_ip":176622059,"type":"group_request_join_deny","gcode":3557387121,"t_gcode":249818602,"admin_uin":4005533729,"msg":"123"}}]}"#,
                "group_request_join_deny",
            ),
            (
                r#"{"retcode":0,"result":[{"poll_type":"sys_g_msg","value":{"msg_id":39855,"from_uin":802292893,"to_uin":3087958343,"msg_id2":518208,"msg_type":34,"reply_ip":176757073,"type":"group_leave","gcode":898704454,"t_gcode":310070477,"op_type":3,"old_member":3087958343,"t_old_member":"","admin_uin":1089498579,"t_admin_uin":"","admin_nick":"\u521B\u5EFA\u8005"}}]}"#,
                "group_leave",
            ),
        ];
        for (body, kind) in lines {
            let e = events(body);
            assert!(
                matches!(&e[0].event, PollEvent::GroupSystem { kind: k, .. } if k == kind),
                "{kind}"
            );
        }
        let masked = r#"{"retcode":0,"result":[{"poll_type":"sys_g_msg","value":{"msg_id":39194,"from_uin":1528509098,"to_uin":xxxxxxxxx,"msg_id2":539171,"msg_type":38,"reply_ip":176752410,"type":"group_create","gcode":2676780935,"t_gcode":249818602,"owner_uin":xxxxxxxxx}}]}"#;
        assert!(decode_poll(masked.as_bytes()).unwrap_err().is_malformed());
        let unmasked = masked.replace("xxxxxxxxx", "123456789");
        assert!(
            matches!(&events(&unmasked)[0].event, PollEvent::GroupSystem { kind, gcode: 2676780935, .. } if kind == "group_create")
        );
        let broken = r#"{"poll_type":"sys_g_msg","value""msg_id":14601,"from_uin":529044675}}"#;
        assert!(decode_poll(broken.as_bytes()).unwrap_err().is_malformed());
    }

    #[test]
    fn file_input_shake_captures() {
        // Captures §53 (own uin masked by the author; restored to a number here).
        let body = r#"{"retcode":0,"result":[{"poll_type":"notify_offfile","value":{"msg_id":9948,"from_uin":495653555,"to_uin":1,"msg_id2":460591,"msg_type":9,"reply_ip":178847911,"action":2,"filename":"12.jpg","filesize":137972}},{"poll_type":"input_notify","value": {"msg_id":21940,"from_uin":3228283951,"to_uin":1,"msg_id2":3588813984,"msg_type":121,"reply_ip":4294967295} },{"poll_type":"shake_message","value":{"msg_id":568,"from_uin":2822367047,"to_uin":2501542492,"msg_id2":405490,"msg_type":9,"reply_ip":176498151}}]}"#;
        let e = events(body);
        assert!(matches!(e[0].event, PollEvent::File { .. }));
        assert_eq!(e[1].event, PollEvent::InputNotify);
        assert_eq!(e[1].ids.msg_id2, 3588813984);
        assert_eq!(e[2].event, PollEvent::Shake);
    }

    #[test]
    fn other_types_and_unknowns_are_never_dropped() {
        let body = r#"{"retcode":0,"result":[
            {"poll_type":"buddies_status_change","value":{"uin":1,"status":"busy","client_type":1}},
            {"poll_type":"kick_message","value":{"msg_id":1,"from_uin":10000,"to_uin":2,"reason":"elsewhere","show_reason":1}},
            {"poll_type":"discu_message","value":{"msg_id":3,"from_uin":10000,"did":77,"send_uin":5,"seq":9,"time":5,"content":[["font",{}],"hi"]}},
            {"poll_type":"group_web_message","value":{"from_uin":8,"send_uin":9,"xml":"<d/>"}},
            {"poll_type":"buddylist_change","value":{"added_friends":[{"uin":4,"groupid":1}],"removed_friends":[{"uin":5}]}},
            {"poll_type":"av_request","value":{"x":1}},
            {"poll_type":"group_message","value":{"from_uin":1}},
            {"no_type":1}
        ]}"#;
        let e = events(body);
        assert_eq!(e.len(), 8);
        assert!(
            matches!(&e[0].event, PollEvent::BuddyStatus { uin: 1, status, .. } if status == "busy")
        );
        assert!(matches!(&e[1].event, PollEvent::Kicked { reason } if reason == "elsewhere"));
        assert!(matches!(
            &e[2].event,
            PollEvent::Discussion {
                did: 77,
                send_uin: 5,
                seq: Some(9),
                ..
            }
        ));
        assert!(matches!(&e[3].event, PollEvent::GroupWeb { gid: 8, .. }));
        assert_eq!(
            e[4].event,
            PollEvent::BuddyListChange {
                added: vec![(4, 1)],
                removed: vec![5]
            }
        );
        assert!(matches!(&e[5].event, PollEvent::Unknown { .. }));
        assert!(
            matches!(&e[6].event, PollEvent::Unknown { .. }),
            "group_message without send_uin"
        );
        assert!(matches!(&e[7].event, PollEvent::Unknown { .. }));
    }

    #[test]
    fn batches_are_ordered_by_time_keeping_untimed_slots() {
        let body = r#"{"retcode":0,"result":[
            {"poll_type":"message","value":{"msg_id":3,"from_uin":1,"time":30,"content":[]}},
            {"poll_type":"buddies_status_change","value":{"uin":1,"status":"online"}},
            {"poll_type":"message","value":{"msg_id":1,"from_uin":1,"time":10,"content":[]}},
            {"poll_type":"message","value":{"msg_id":2,"from_uin":1,"time":20,"content":[]}}
        ]}"#;
        let ids: Vec<u64> = events(body).iter().map(|e| e.ids.msg_id).collect();
        assert_eq!(ids, vec![1, 0, 2, 3]);
    }
}
