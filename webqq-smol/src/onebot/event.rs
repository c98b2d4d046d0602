//! WebQQ session events → OneBot v11 events (event/message, notice, request, meta).
//!
//! The login state, which OneBot has no event for, is the extension notice `webqq_login`
//! (sub_type `qr_ready` with the PNG in base64, `captcha_required` with the JPEG, `online`,
//! `offline`, `kicked`); an id whose
//! mapping may have moved is the notice `webqq_id_uncertain`.
use std::collections::VecDeque;

use serde_json::{Value, json};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::poll::PollEvent;
use webqq_proto::webqq::session::{Chat, ContactRef, Event, IncomingMessage, Role};

use super::ids::Uncertain;
use super::message::{from_webqq, to_cq};
use super::{Core, MessageFormat};

/// Joins waiting for the group's members to load (the new member has no id before).
pub const MAX_PENDING_JOINS: usize = 1024;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn base(core: &Core, post_type: &str) -> Value {
    json!({"time": now(), "self_id": core.self_id(), "post_type": post_type})
}

fn notice(core: &Core, notice_type: &str, fields: Value) -> Value {
    let mut v = base(core, "notice");
    v["notice_type"] = json!(notice_type);
    merge(&mut v, fields);
    v
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

/// `meta_event` `lifecycle` with `sub_type` (`enable`, `disable`, `connect`).
pub fn lifecycle(core: &Core, sub_type: &str) -> Value {
    let mut v = base(core, "meta_event");
    merge(
        &mut v,
        json!({"meta_event_type": "lifecycle", "sub_type": sub_type}),
    );
    v
}

/// `meta_event` `heartbeat`; `good` only while the session is really polling.
pub fn heartbeat(core: &Core, good: bool) -> Value {
    let mut v = base(core, "meta_event");
    merge(
        &mut v,
        json!({
            "meta_event_type": "heartbeat",
            "status": {"online": core.is_online(), "good": good},
            "interval": core.config().heartbeat.as_millis() as u64,
        }),
    );
    v
}

/// The extension notice for an uncertain id mapping.
pub fn id_uncertain(core: &Core, u: &Uncertain) -> Value {
    notice(
        core,
        "webqq_id_uncertain",
        json!({"id_kind": u.kind, "id": u.id, "reason": u.reason}),
    )
}

/// The message field in the configured format.
pub fn render(core: &Core, message: &Message) -> (Value, String) {
    let segs = from_webqq(message);
    let raw = to_cq(&segs);
    let message = match core.config().format {
        MessageFormat::String => Value::String(raw.clone()),
        MessageFormat::Array => Value::Array(segs),
    };
    (message, raw)
}

/// `sys_g_msg` `group_join`s seen, as (gid, member uin, admin uin), until the group's
/// member list (which the session fetches again on a join) names the new member.
#[derive(Debug, Default)]
pub struct PendingJoins(VecDeque<(u64, u64, u64)>);

/// The OneBot events for one session event (often none).
pub fn convert(core: &Core, e: &Event, joins: &mut PendingJoins) -> Vec<Value> {
    let login = |sub: &str, extra: Value| {
        let mut v = notice(core, "webqq_login", json!({"sub_type": sub}));
        merge(&mut v, extra);
        v
    };
    match e {
        Event::Message(m) => vec![message(core, m)],
        Event::CaptchaRequired { image } => vec![login(
            "captcha_required",
            json!({"image_jpeg_base64": base64(image)}),
        )],
        Event::QrCode { png } => vec![login("qr_ready", json!({"image_png_base64": base64(png)}))],
        Event::Online { .. } => vec![login("online", json!({}))],
        Event::Offline { reason } => {
            vec![login("offline", json!({"reason": format!("{reason:?}")}))]
        }
        Event::Kicked { reason } => vec![login("kicked", json!({"reason": reason}))],
        Event::ContactsChanged(diff) => {
            let me = core.self_id();
            let mut out = Vec::new();
            for r in &diff.added {
                match *r {
                    ContactRef::Friend(uin) => {
                        if let Some(id) = core.ids(|i| i.user_id(uin)) {
                            out.push(notice(core, "friend_add", json!({"user_id": id})));
                        }
                    }
                    ContactRef::Group(gid) => {
                        if let Some(id) = core.ids(|i| i.group_id(gid)) {
                            out.push(notice(core, "group_increase", json!({
                                "sub_type": "approve", "group_id": id, "user_id": me, "operator_id": 0,
                            })));
                        }
                    }
                    ContactRef::Discussion(_) => {}
                }
            }
            out
        }
        Event::GroupMembers { gid } => {
            let (ready, waiting) = joins.0.drain(..).partition(|j| j.0 == *gid);
            joins.0 = waiting;
            ready
                .into_iter()
                .filter_map(|(gid, uin, admin)| {
                    let (group_id, user_id, operator_id) =
                        core.ids(|i| (i.group_id(gid), i.user_id(uin), i.user_id(admin)));
                    Some(notice(
                        core,
                        "group_increase",
                        json!({
                            "sub_type": "approve", "group_id": group_id?, "user_id": user_id?,
                            "operator_id": operator_id.unwrap_or(0),
                        }),
                    ))
                })
                .collect()
        }
        Event::Notice(item) => match &item.event {
            // Protocol §6.5 sys_g_msg `group_join`: `from_uin` = gid, `new_member`, `admin_uin`.
            PollEvent::GroupSystem { kind, raw, .. } if kind == "group_join" => {
                let member = raw["new_member"].as_u64().unwrap_or(0);
                if member != 0 && member != core.ids(|i| i.uin(core.self_id())).unwrap_or(0) {
                    if joins.0.len() >= MAX_PENDING_JOINS {
                        joins.0.pop_front();
                    }
                    joins.0.push_back((
                        raw["from_uin"].as_u64().unwrap_or(0),
                        member,
                        raw["admin_uin"].as_u64().unwrap_or(0),
                    ));
                }
                Vec::new()
            }
            PollEvent::System { kind, account, raw } if kind == "verify_required" => {
                let uin = raw["from_uin"].as_u64().unwrap_or(0);
                let id = core.ids(|i| i.user(uin, Some(*account)));
                let mut v = base(core, "request");
                merge(
                    &mut v,
                    json!({
                        "request_type": "friend", "user_id": id,
                        "comment": raw["msg"].as_str().unwrap_or(""), "flag": account.to_string(),
                    }),
                );
                vec![v]
            }
            PollEvent::GroupSystem { kind, raw, .. } if kind == "group_leave" => {
                let gid = raw["from_uin"].as_u64().unwrap_or(0);
                let old = raw["old_member"].as_u64().unwrap_or(0);
                let ids = core.ids(|i| (i.group_id(gid), i.user_id(old)));
                match ids {
                    (Some(group_id), Some(user_id)) => vec![notice(
                        core,
                        "group_decrease",
                        json!({
                            "sub_type": "leave", "group_id": group_id, "user_id": user_id, "operator_id": user_id,
                        }),
                    )],
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn message(core: &Core, m: &IncomingMessage) -> Value {
    let post_type = if m.is_self { "message_sent" } else { "message" };
    let mut v = base(core, post_type);
    if let Some(t) = m.time {
        v["time"] = json!(t);
    }
    let (message, raw) = render(core, &m.message);
    let nick = core.contacts(|c| sender_name(c, m));
    let user_id = if m.is_self {
        core.self_id()
    } else {
        core.ids(|i| i.user(m.sender, None))
    };
    let mut sender = json!({"user_id": user_id, "nickname": nick.0, "sex": "unknown", "age": 0});
    let fields = match m.chat {
        Chat::Friend(_) => json!({"message_type": "private", "sub_type": "friend"}),
        Chat::Session { via, .. } => {
            let in_group = core.ids(|i| i.group_id(via)).is_some();
            json!({"message_type": "private", "sub_type": if in_group { "group" } else { "other" }})
        }
        Chat::Group(gid) => {
            sender["card"] = json!(nick.1.unwrap_or_default());
            sender["role"] = json!(match nick.2 {
                Some(Role::Owner) => "owner",
                Some(Role::Admin) => "admin",
                _ => "member",
            });
            json!({
                "message_type": "group", "sub_type": "normal", "anonymous": null,
                "group_id": core.ids(|i| i.group_id(gid)).unwrap_or(0),
            })
        }
        Chat::Discussion(did) => json!({
            "message_type": "discuss",
            "discuss_id": core.ids(|i| i.discuss_id(did)).unwrap_or(0),
        }),
    };
    merge(&mut v, fields);
    merge(
        &mut v,
        json!({
            "message_id": core.message_id(), "user_id": user_id, "message": message,
            "raw_message": raw, "font": 0, "sender": sender,
        }),
    );
    v
}

/// The sender's nickname, group card and role from the contact book.
fn sender_name(
    c: &webqq_proto::webqq::session::Contacts,
    m: &IncomingMessage,
) -> (String, Option<String>, Option<Role>) {
    if let Chat::Group(gid) = m.chat {
        if let Some(mem) = c
            .groups
            .get(&gid)
            .and_then(|g| g.members.as_ref())
            .and_then(|ms| ms.iter().find(|x| x.uin == m.sender))
        {
            return (mem.nick.clone(), mem.card.clone(), Some(mem.role));
        }
    }
    if let Chat::Discussion(did) = m.chat {
        if let Some(mem) = c
            .discussions
            .get(&did)
            .and_then(|d| d.members.as_ref())
            .and_then(|ms| ms.iter().find(|x| x.uin == m.sender))
        {
            return (mem.nick.clone(), None, None);
        }
    }
    if let Some(f) = c.friends.get(&m.sender) {
        return (f.nick.clone(), None, None);
    }
    // Unknown this login: no name, and an id that will not survive a relogin.
    (String::new(), None, None)
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
