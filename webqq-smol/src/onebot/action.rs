//! OneBot v11 actions (api/public) on a WebQQ session, whatever transport carried them.
//!
//! Responses are `{status, retcode, data}` (the transport adds `echo`). What WebQQ cannot do
//! answers [`UNSUPPORTED`] (the spec's "no such API" code), never a made-up success.
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use webqq_proto::webqq::request::{FriendRequestAnswer, Target};
use webqq_proto::webqq::session::{Phase, Role};

use super::Core;
use super::message::{segments_of, to_webqq};
use crate::driver::SendOutcome;

/// Success.
pub const OK: i64 = 0;
/// Accepted for asynchronous handling (`_async`, `_rate_limited`).
pub const ASYNC: i64 = 1;
/// Invalid or missing parameters.
pub const BAD_PARAMS: i64 = 100;
/// The operation failed (a send that was certainly not delivered, an offline session).
pub const FAILED: i64 = 103;
/// The action does not exist or WebQQ cannot do it.
pub const UNSUPPORTED: i64 = 1404;
/// How long `set_friend_add_request` waits for the server's answer (above the session's
/// request timeout, so the session's own answer or failure comes first).
pub const FRIEND_ANSWER_WAIT: Duration = Duration::from_secs(45);
/// Pause between actions queued with `_rate_limited`.
pub const RATE_LIMIT_INTERVAL: Duration = Duration::from_millis(500);

/// An action's answer before the transport adds `echo`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// `0` ok, `1` async, else an error code.
    pub retcode: i64,
    /// The result.
    pub data: Value,
    /// Why it failed, for people (`msg` / `wording`).
    pub message: Option<String>,
}

impl Reply {
    fn ok(data: Value) -> Reply {
        Reply {
            retcode: OK,
            data,
            message: None,
        }
    }

    fn fail(retcode: i64, message: impl Into<String>) -> Reply {
        Reply {
            retcode,
            data: Value::Null,
            message: Some(message.into()),
        }
    }

    /// The response object; `echo` is copied back when given.
    pub fn to_json(&self, echo: Option<&Value>) -> Value {
        let status = match self.retcode {
            OK => "ok",
            ASYNC => "async",
            _ => "failed",
        };
        let mut v = json!({"status": status, "retcode": self.retcode, "data": self.data});
        if let Some(m) = &self.message {
            v["msg"] = json!(m);
            v["wording"] = json!(m);
        }
        if let Some(e) = echo {
            v["echo"] = e.clone();
        }
        v
    }
}

/// Whether the session is logged in and its poll is running.
pub async fn is_polling(core: &Core) -> bool {
    core.session()
        .with_client(|c, _| matches!(c.phase(), Phase::Online))
        .await
        .unwrap_or(false)
}

/// Runs `action` (with its `_async` / `_rate_limited` suffix, if any) with `params`.
/// (Boxed: a quick operation calls `send_msg` from inside `.handle_quick_operation`.)
pub fn call<'a>(
    core: &'a Arc<Core>,
    action: &'a str,
    params: &'a Value,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>> {
    Box::pin(call_inner(core, action, params))
}

async fn call_inner(core: &Arc<Core>, action: &str, params: &Value) -> Reply {
    if let Some(base) = action.strip_suffix("_async") {
        if !known(base) {
            return Reply::fail(UNSUPPORTED, format!("no action {base}"));
        }
        let (core, base, params) = (Arc::clone(core), base.to_string(), params.clone());
        smol::spawn(async move {
            run(&core, &base, &params).await;
        })
        .detach();
        return Reply {
            retcode: ASYNC,
            data: Value::Null,
            message: None,
        };
    }
    if let Some(base) = action.strip_suffix("_rate_limited") {
        if !known(base) {
            return Reply::fail(UNSUPPORTED, format!("no action {base}"));
        }
        let (core, base, params) = (Arc::clone(core), base.to_string(), params.clone());
        smol::spawn(async move {
            let _turn = core.rate_limit.lock().await;
            run(&core, &base, &params).await;
            smol::Timer::after(RATE_LIMIT_INTERVAL).await;
        })
        .detach();
        return Reply {
            retcode: ASYNC,
            data: Value::Null,
            message: None,
        };
    }
    run(core, action, params).await
}

/// The actions this gateway answers (the rest are [`UNSUPPORTED`]).
pub const ACTIONS: &[&str] = &[
    "send_private_msg",
    "send_group_msg",
    "send_discuss_msg",
    "send_msg",
    "get_login_info",
    "get_friend_list",
    "get_group_list",
    "get_group_info",
    "get_group_member_list",
    "get_group_member_info",
    "get_stranger_info",
    "get_status",
    "get_version_info",
    "set_restart",
    "can_send_image",
    "can_send_record",
    "set_friend_add_request",
    ".handle_quick_operation",
    "webqq_submit_captcha",
];

/// Whether `action` is one of [`ACTIONS`].
pub fn known(action: &str) -> bool {
    ACTIONS.contains(&action)
}

async fn run(core: &Arc<Core>, action: &str, p: &Value) -> Reply {
    match action {
        "send_private_msg" => send(core, "private", p).await,
        "send_group_msg" => send(core, "group", p).await,
        "send_discuss_msg" => send(core, "discuss", p).await,
        "send_msg" => {
            let kind = match p["message_type"].as_str() {
                Some(k) => k,
                None if p.get("group_id").is_some() => "group",
                None if p.get("discuss_id").is_some() => "discuss",
                None => "private",
            };
            send(core, kind, p).await
        }
        "get_login_info" => {
            let nick = core.contacts(|c| c.me.as_ref().map(|m| m.nick.clone()).unwrap_or_default());
            Reply::ok(json!({"user_id": core.self_id(), "nickname": nick}))
        }
        "get_friend_list" => Reply::ok(Value::Array(core.contacts(|c| {
            c.friends
                .values()
                .filter_map(|f| {
                    let id = core.ids(|i| i.user_id(f.uin))?;
                    Some(json!({"user_id": id, "nickname": f.nick, "remark": f.markname.clone().unwrap_or_default()}))
                })
                .collect()
        }))),
        "get_group_list" => Reply::ok(Value::Array(core.contacts(|c| {
            c.groups.values().filter_map(|g| group_info(core, g)).collect()
        }))),
        "get_group_info" => match group_of(core, p) {
            Ok(gid) => core.contacts(|c| {
                c.groups.get(&gid).and_then(|g| group_info(core, g)).map_or_else(|| Reply::fail(BAD_PARAMS, "no such group"), Reply::ok)
            }),
            Err(r) => r,
        },
        "get_group_member_list" => match group_of(core, p) {
            Ok(gid) => core.contacts(|c| match c.groups.get(&gid).and_then(|g| g.members.as_ref()) {
                Some(ms) => Reply::ok(Value::Array(ms.iter().map(|m| member_info(core, p, m)).collect())),
                None => Reply::fail(FAILED, "members not loaded yet"),
            }),
            Err(r) => r,
        },
        "get_group_member_info" => {
            let (gid, uin) = match (group_of(core, p), user_of(core, p)) {
                (Ok(g), Ok(u)) => (g, u),
                (Err(r), _) | (_, Err(r)) => return r,
            };
            core.contacts(|c| {
                c.groups
                    .get(&gid)
                    .and_then(|g| g.members.as_ref())
                    .and_then(|ms| ms.iter().find(|m| m.uin == uin))
                    .map_or_else(|| Reply::fail(BAD_PARAMS, "no such member"), |m| Reply::ok(member_info(core, p, m)))
            })
        }
        "get_stranger_info" => match user_of(core, p) {
            Ok(uin) => {
                let id = core.ids(|i| i.user_id(uin)).unwrap_or(0);
                let nick = core.contacts(|c| {
                    c.friends.get(&uin).map(|f| f.nick.clone()).or_else(|| {
                        c.groups.values().flat_map(|g| g.members.iter().flatten()).find(|m| m.uin == uin).map(|m| m.nick.clone())
                    })
                });
                Reply::ok(json!({"user_id": id, "nickname": nick.unwrap_or_default(), "sex": "unknown", "age": 0}))
            }
            Err(r) => r,
        },
        "get_status" => {
            let good = is_polling(core).await;
            Reply::ok(json!({"online": core.is_online(), "good": good}))
        }
        "get_version_info" => Reply::ok(json!({
            "app_name": "webqq-rs", "app_version": env!("CARGO_PKG_VERSION"), "protocol_version": "v11",
        })),
        "set_restart" => {
            // Logs out and in again: the nearest WebQQ has to restarting the implementation.
            let started = core.session().with_client(|c, _| {
                c.logout();
                c.start();
            });
            match started.await {
                Ok(()) => Reply { retcode: ASYNC, data: Value::Null, message: None },
                Err(_) => Reply::fail(FAILED, "the session has stopped"),
            }
        }
        "webqq_submit_captcha" => match p["code"].as_str() {
            Some(code) => {
                let code = code.to_string();
                match core.session().with_client(move |c, _| c.submit_captcha(&code)).await {
                    Ok(()) => Reply::ok(Value::Null),
                    Err(e) => Reply::fail(FAILED, e.to_string()),
                }
            }
            None => Reply::fail(BAD_PARAMS, "code missing"),
        },
        "can_send_image" | "can_send_record" => Reply::ok(json!({"yes": false})),
        "set_friend_add_request" => friend_request(core, p).await,
        ".handle_quick_operation" => {
            super::quick::apply(core, &p["context"], &p["operation"]).await;
            Reply::ok(Value::Null)
        }
        other => Reply::fail(UNSUPPORTED, format!("{other} is not supported by WebQQ")),
    }
}

/// A numeric parameter given as a number or a string (form and query parameters are strings).
pub fn number(p: &Value, name: &str) -> Option<u64> {
    match &p[name] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean parameter (`true`, `1`, `"true"`, `"1"`).
pub fn flag(p: &Value, name: &str) -> bool {
    match &p[name] {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_u64() == Some(1),
        Value::String(s) => s == "true" || s == "1",
        _ => false,
    }
}

fn group_of(core: &Core, p: &Value) -> Result<u64, Reply> {
    let id = number(p, "group_id").ok_or_else(|| Reply::fail(BAD_PARAMS, "group_id missing"))?;
    core.ids(|i| i.gid(id))
        .ok_or_else(|| Reply::fail(BAD_PARAMS, format!("no group {id} in this login")))
}

fn user_of(core: &Core, p: &Value) -> Result<u64, Reply> {
    let id = number(p, "user_id").ok_or_else(|| Reply::fail(BAD_PARAMS, "user_id missing"))?;
    core.ids(|i| i.uin(id))
        .ok_or_else(|| Reply::fail(BAD_PARAMS, format!("no user {id} in this login")))
}

fn group_info(core: &Core, g: &webqq_proto::webqq::session::Group) -> Option<Value> {
    let id = core.ids(|i| i.group_id(g.gid))?;
    Some(json!({
        "group_id": id, "group_name": g.name,
        "member_count": g.members.as_ref().map_or(0, Vec::len), "max_member_count": 0,
    }))
}

fn member_info(core: &Core, p: &Value, m: &webqq_proto::webqq::session::Member) -> Value {
    let role = match m.role {
        Role::Owner => "owner",
        Role::Admin => "admin",
        Role::Member => "member",
    };
    json!({
        "group_id": number(p, "group_id"), "user_id": core.ids(|i| i.user_id(m.uin)),
        "nickname": m.nick, "card": m.card.clone().unwrap_or_default(), "role": role,
        "sex": "unknown", "age": 0,
    })
}

/// Sends a message and answers with its outcome beside `message_id`.
async fn send(core: &Core, kind: &str, p: &Value) -> Reply {
    let (target, gid) = match kind {
        "private" => match user_of(core, p) {
            Ok(uin) if core.contacts(|c| c.friends.contains_key(&uin)) => {
                (Target::Friend(uin), None)
            }
            Ok(_) => {
                return Reply::fail(BAD_PARAMS, "WebQQ sends private messages to friends only");
            }
            Err(r) => return r,
        },
        "group" => match group_of(core, p) {
            Ok(gid) => (Target::Group(gid), Some(gid)),
            Err(r) => return r,
        },
        "discuss" => {
            let Some(id) = number(p, "discuss_id") else {
                return Reply::fail(BAD_PARAMS, "discuss_id missing");
            };
            match core.ids(|i| i.did(id)) {
                Some(did) => (Target::Discussion(did), None),
                None => {
                    return Reply::fail(BAD_PARAMS, format!("no discussion {id} in this login"));
                }
            }
        }
        other => return Reply::fail(BAD_PARAMS, format!("unknown message_type {other}")),
    };
    let segments = match segments_of(&p["message"], flag(p, "auto_escape")) {
        Ok(s) => s,
        Err(e) => return Reply::fail(BAD_PARAMS, e.to_string()),
    };
    let at_name = |qq: &str| {
        let uin = core.ids(|i| i.uin(qq.parse().ok()?))?;
        core.contacts(|c| {
            let member = gid
                .and_then(|g| {
                    c.groups
                        .get(&g)?
                        .members
                        .as_ref()?
                        .iter()
                        .find(|m| m.uin == uin)
                })
                .map(|m| m.card.clone().unwrap_or_else(|| m.nick.clone()));
            let in_discussion = || {
                c.discussions
                    .values()
                    .flat_map(|d| d.members.iter().flatten())
                    .find(|m| m.uin == uin)
                    .map(|m| m.nick.clone())
            };
            member
                .or_else(|| c.friends.get(&uin).map(|f| f.nick.clone()))
                .or_else(in_discussion)
        })
    };
    let message = match to_webqq(&segments, at_name) {
        Ok(m) => m,
        Err(e) => return Reply::fail(BAD_PARAMS, e.to_string()),
    };
    let message_id = core.message_id();
    match core.session().send(target, message).await {
        Ok(outcome) => {
            let mut data = json!({"message_id": message_id, "outcome": outcome.kind()});
            match outcome {
                SendOutcome::Sent => Reply::ok(data),
                SendOutcome::Uncertain { retcode } => {
                    data["webqq_retcode"] = json!(retcode);
                    Reply::ok(data)
                }
                SendOutcome::Failed(reason) => Reply {
                    retcode: FAILED,
                    data,
                    message: Some(reason.to_string()),
                },
            }
        }
        Err(stopped) => Reply::fail(FAILED, stopped.to_string()),
    }
}

/// `set_friend_add_request`: `flag` is the requester's QQ number (from the request event);
/// `approve` (default true) accepts with `allow_and_add2` and `remark` as the remark name,
/// `false` refuses with `deny_added_request2` (protocol §5.12). SmartQQ has neither CGI.
async fn friend_request(core: &Core, p: &Value) -> Reply {
    let Some(account) = number(p, "flag") else {
        return Reply::fail(BAD_PARAMS, "flag missing");
    };
    let approve = p.get("approve").is_none_or(|_| flag(p, "approve"));
    let answer = if approve {
        FriendRequestAnswer::Accept {
            markname: p["remark"].as_str().unwrap_or_default().to_string(),
            category: 0,
        }
    } else {
        FriendRequestAnswer::Deny {
            reason: String::new(),
        }
    };
    let (tx, rx) = smol::channel::bounded(1);
    core.friend_answer_waiter(account, Some(tx));
    let issued = core
        .session()
        .with_client(move |c, _| {
            let allowed = c.session().profile().friend_requests;
            (
                allowed,
                allowed && c.answer_friend_request(account, &answer),
            )
        })
        .await;
    let failed = |retcode, why: String| {
        core.friend_answer_waiter(account, None);
        Reply::fail(retcode, why)
    };
    match issued {
        Err(stopped) => failed(FAILED, stopped.to_string()),
        Ok((false, _)) => failed(
            UNSUPPORTED,
            "SmartQQ cannot answer friend requests (allow_and_add2 is a WebQQ CGI)".into(),
        ),
        Ok((true, false)) => failed(FAILED, "the session is not online".into()),
        Ok((true, true)) => {
            let timeout = async {
                smol::Timer::after(FRIEND_ANSWER_WAIT).await;
                Err("no answer from the server".to_string())
            };
            let answer = smol::future::or(
                async { rx.recv().await.unwrap_or_else(|e| Err(e.to_string())) },
                timeout,
            );
            match answer.await {
                Ok(()) => Reply::ok(Value::Null),
                Err(e) => failed(FAILED, e),
            }
        }
    }
}
