//! Quick operations (OneBot v11 event/README "快速操作"): the webhook's reply body, or the
//! `.handle_quick_operation` action. WebQQ can `reply` (with `at_sender` and `auto_escape`);
//! `delete`, `kick`, `ban` and request approval have no WebQQ request and are logged, not
//! faked.
use std::sync::Arc;

use serde_json::{Value, json};

use super::Core;
use super::action::{self, flag};

/// The operations WebQQ cannot carry out (logged when asked for).
pub const UNSUPPORTED_OPERATIONS: &[&str] = &[
    "delete",
    "kick",
    "ban",
    "ban_duration",
    "approve",
    "remark",
    "reason",
];

/// Carries out `operation` in answer to the event `context`. Returns the `send_msg` reply
/// when it sent one.
pub async fn apply(core: &Arc<Core>, context: &Value, operation: &Value) -> Option<action::Reply> {
    let op = operation.as_object()?;
    for name in UNSUPPORTED_OPERATIONS {
        if op.contains_key(*name) {
            tracing::info!("quick operation `{name}` is not possible over WebQQ; ignored");
        }
    }
    if context["post_type"] != "message" {
        return None;
    }
    let reply = op.get("reply").filter(|r| !r.is_null())?;
    let mut params = json!({
        "message_type": context["message_type"],
        "user_id": context["user_id"],
        "group_id": context["group_id"],
        "discuss_id": context["discuss_id"],
        "auto_escape": flag(operation, "auto_escape"),
    });
    let at_sender = match op.get("at_sender") {
        None => true, // the spec's default for group and discussion replies
        Some(_) => flag(operation, "at_sender"),
    };
    let mut message = reply.clone();
    if at_sender && context["message_type"] != "private" {
        let at = json!({"type": "at", "data": {"qq": context["user_id"].to_string()}});
        let rest = match super::message::segments_of(reply, flag(operation, "auto_escape")) {
            Ok(s) => s,
            Err(_) => return Some(action::call(core, "send_msg", &params).await),
        };
        message = Value::Array([vec![at], rest].concat());
        params["auto_escape"] = json!(false);
    }
    params["message"] = message;
    Some(action::call(core, "send_msg", &params).await)
}
