//! The JSON-lines protocol of `webqq run --json` (schema in the README): events out as
//! OneBot v11-style objects, actions in.
use base64::Engine;
use serde_json::{Value, json};
use webqq_proto::webqq::session::{Chat, Event, IncomingMessage, LoginStep};

use crate::names::Names;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn step_name(step: LoginStep) -> &'static str {
    match step {
        LoginStep::LoginPage => "login_page",
        LoginStep::Check => "check",
        LoginStep::Login => "login",
        LoginStep::QrCode => "qr_code",
        LoginStep::CheckSig => "check_sig",
        LoginStep::GetVfwebqq => "getvfwebqq",
        LoginStep::Login2 => "login2",
        LoginStep::Contacts => "contacts",
        LoginStep::Resume => "resume",
    }
}

fn webqq(event: &str, extra: Value) -> Value {
    let mut v = json!({"post_type": "webqq", "event": event});
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

/// A message event.
pub fn message(m: &IncomingMessage, names: &Names) -> Value {
    let text = m.message.plain_text();
    let (message_type, sub_type) = match m.chat {
        Chat::Friend(_) => ("private", "friend"),
        Chat::Session { .. } => ("private", "temp"),
        Chat::Group(_) => ("group", "normal"),
        Chat::Discussion(_) => ("discuss", "normal"),
    };
    let mut v = json!({
        "post_type": if m.is_self { "message_sent" } else { "message" },
        "message_type": message_type,
        "sub_type": sub_type,
        "time": m.time,
        "self_id": names.me,
        "message_id": m.msg_id,
        "user_id": m.sender,
        "message": text,
        "raw_message": text,
        "sender": {"user_id": m.sender, "nickname": names.sender(m.chat, m.sender)},
    });
    let o = v.as_object_mut().expect("an object");
    match m.chat {
        Chat::Group(gid) => {
            o.insert("group_id".into(), gid.into());
            o.insert("group_name".into(), names.groups.get(&gid).cloned().into());
        }
        Chat::Discussion(did) => {
            o.insert("discuss_id".into(), did.into());
            o.insert(
                "discuss_name".into(),
                names.discussions.get(&did).cloned().into(),
            );
        }
        Chat::Session { via, .. } => {
            o.insert("via_id".into(), via.into());
        }
        Chat::Friend(_) => {}
    }
    if let Some(seq) = m.seq {
        o.insert("seq".into(), seq.into());
    }
    v
}

/// Any event, or `None` for those a bot has no use for (send outcomes come as replies).
pub fn event(e: &Event, names: &Names, qr_file: Option<&str>) -> Option<Value> {
    Some(match e {
        Event::Message(m) => message(m, names),
        Event::LoginProgress { step } => webqq("login_progress", json!({"step": step_name(*step)})),
        Event::CaptchaRequired { image } => webqq(
            "captcha_required",
            json!({"image_base64": b64(image), "hint": "answer with the submit_captcha action"}),
        ),
        Event::QrCode { png } => webqq("qr_code", json!({"png_base64": b64(png), "file": qr_file})),
        Event::QrScanned => webqq("qr_scanned", json!({})),
        Event::QrConfirmed => webqq("qr_confirmed", json!({})),
        Event::QrExpired { refreshes } => webqq("qr_expired", json!({"refreshes": refreshes})),
        Event::Online { uin } => json!({
            "post_type": "meta_event", "meta_event_type": "lifecycle", "sub_type": "online",
            "self_id": uin,
        }),
        Event::Offline { reason } => json!({
            "post_type": "meta_event", "meta_event_type": "lifecycle", "sub_type": "offline",
            "self_id": names.me, "reason": format!("{reason:?}"),
        }),
        Event::Kicked { reason } => webqq("kicked", json!({"reason": reason})),
        Event::Relinking { retcode } => webqq("relinking", json!({"retcode": retcode})),
        Event::Relogin { retcode } => webqq("relogin", json!({"retcode": retcode})),
        Event::ContactsLoaded => webqq("contacts_loaded", json!({})),
        Event::MessagesLost { chat, first, last } => webqq(
            "messages_lost",
            json!({"chat": names.chat(*chat), "first_seq": first, "last_seq": last}),
        ),
        Event::Notice(item) => json!({
            "post_type": "notice", "notice_type": "webqq", "detail": format!("{item:?}"),
        }),
        Event::Unknown { raw } => {
            json!({"post_type": "notice", "notice_type": "unknown", "raw": raw})
        }
        Event::Confirmed { handle } => webqq("send_confirmed", json!({"message_id": handle.0})),
        _ => return None,
    })
}

/// A reply to an action.
pub fn reply(ok: bool, retcode: i64, data: Value, echo: &Value) -> Value {
    let mut v = json!({
        "status": if ok { "ok" } else { "failed" },
        "retcode": retcode,
        "data": data,
    });
    if !echo.is_null() {
        v["echo"] = echo.clone();
    }
    v
}

#[cfg(test)]
mod tests {
    use webqq_proto::webqq::content::Message;

    use super::*;

    #[test]
    fn group_message_uses_onebot_names() {
        let mut names = Names {
            me: 1,
            ..Names::default()
        };
        names.groups.insert(7, "g".into());
        let m = IncomingMessage {
            chat: Chat::Group(7),
            sender: 5,
            time: Some(100),
            msg_id: 9,
            seq: Some(3),
            message: Message::text("hi"),
            is_self: false,
        };
        let v = message(&m, &names);
        assert_eq!(v["post_type"], "message");
        assert_eq!(v["message_type"], "group");
        assert_eq!(v["group_id"], 7);
        assert_eq!(v["user_id"], 5);
        assert_eq!(v["raw_message"], "hi");
        assert_eq!(v["message"], "hi");
        assert_eq!(v["self_id"], 1);
        assert_eq!(reply(true, 0, json!(null), &json!("x"))["echo"], "x");
    }
}
