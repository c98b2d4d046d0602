//! Sending and delivery (protocol §7, §6.4–§6.5, §11.2 "Delivery"): a message from A reaches
//! each recipient session with the ids *that session* uses; groups fan out to every member.
use serde_json::{Value, json};

use super::Server;
use crate::emulator::control::{ControlError, SentMessage};
use crate::emulator::world::Target;

/// `reply_ip` of events: 10.137.5.169 as u32, a connection server's private address (§6.4).
pub(super) const REPLY_IP: u64 = 176_752_041;
/// `from_uin` of discussion messages (protocol §6.4).
const DISCU_FROM_UIN: u64 = 10000;

/// The default font of a message that came without one (protocol §6.6).
pub(crate) fn default_font() -> Value {
    json!(["font", {"size": 10, "color": "000000", "style": [0, 0, 0], "name": "宋体"}])
}

/// Splits a sent `content` (a JSON string holding an array, font last; protocol §7.2) into its
/// segments and its font. Text that is not such an array is taken as one text segment.
pub(crate) fn parse_content(content: &str) -> (Vec<Value>, Value) {
    let parsed: Option<Vec<Value>> =
        serde_json::from_str::<Value>(content)
            .ok()
            .and_then(|v| match v {
                Value::Array(items) => Some(items),
                _ => None,
            });
    let Some(items) = parsed else {
        return (vec![Value::String(content.to_string())], default_font());
    };
    let mut font = None;
    let mut segments = Vec::new();
    for item in items {
        let is_font = item
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            == Some("font");
        if is_font && font.is_none() {
            font = Some(item);
        } else {
            segments.push(item);
        }
    }
    (segments, font.unwrap_or_else(default_font))
}

/// The plain text of segments: strings joined, faces as `[face N]`.
pub(crate) fn plain_text(segments: &[Value]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Value::String(t) => t.clone(),
            Value::Array(a) if a.first().and_then(Value::as_str) == Some("face") => {
                format!(
                    "[face {}]",
                    a.get(1).map(Value::to_string).unwrap_or_default()
                )
            }
            other => other.to_string(),
        })
        .collect()
}

impl Server {
    /// A simulated user says `text` (control API); `from` must belong to the target.
    pub(crate) fn say(
        &mut self,
        from: u64,
        target: Target,
        text: &str,
    ) -> Result<(), ControlError> {
        self.check_say(from, target)?;
        self.say_checked(from, target, text);
        Ok(())
    }

    /// Whether `from` may speak to `target`: the account exists and belongs to it.
    pub(crate) fn check_say(&self, from: u64, target: Target) -> Result<(), ControlError> {
        if self.world.account(from).is_none() {
            return Err(ControlError::UnknownAccount(from));
        }
        let member = match target {
            Target::Buddy(to) => self.world.account(to).is_some(),
            Target::Group(n) => self
                .world
                .group(n)
                .map(|g| g.members.iter().any(|m| m.qq == from))
                .ok_or(ControlError::UnknownTarget(target))?,
            Target::Discussion(id) => self
                .world
                .discussion(id)
                .map(|d| d.members.contains(&from))
                .ok_or(ControlError::UnknownTarget(target))?,
        };
        if !member {
            return Err(ControlError::NotAMember { qq: from, target });
        }
        Ok(())
    }

    /// Says `text` once [`check_say`](Self::check_say) passed.
    pub(crate) fn say_checked(&mut self, from: u64, target: Target, text: &str) {
        let font =
            json!(["font", {"size": 10, "color": "000000", "style": [0, 0, 0], "name": "Tahoma"}]);
        // Protocol §6.6 captures end text with a space.
        self.deliver(
            from,
            target,
            vec![Value::String(format!("{text} "))],
            font,
            None,
            None,
        );
    }

    /// Queues the message for every recipient session and records it.
    /// `origin`: the session that sent it (excluded from fan-out unless the profile echoes).
    pub(crate) fn deliver(
        &mut self,
        from: u64,
        target: Target,
        segments: Vec<Value>,
        font: Value,
        origin: Option<u64>,
        msg_id: Option<u64>,
    ) {
        let time = self.unix_time();
        let mut content = vec![font];
        content.extend(segments.iter().cloned());
        let content = Value::Array(content);
        let echo = self.profile.echoes_own_messages();
        let recipients: Vec<u64> = match target {
            Target::Buddy(to) => {
                let mut r: Vec<u64> = self.live.get(&to).copied().into_iter().collect();
                // [S] 2017-05+: messages the account sent from elsewhere come back (§6.5).
                if echo && origin.is_none() && to != from {
                    r.extend(self.live.get(&from).copied());
                }
                r
            }
            Target::Group(n) => self
                .world
                .group(n)
                .map(|g| {
                    g.members
                        .iter()
                        .filter_map(|m| self.live.get(&m.qq).copied())
                        .collect()
                })
                .unwrap_or_default(),
            Target::Discussion(id) => self
                .world
                .discussion(id)
                .map(|d| {
                    d.members
                        .iter()
                        .filter_map(|m| self.live.get(m).copied())
                        .collect()
                })
                .unwrap_or_default(),
        };
        let seq = match target {
            Target::Group(n) => Some(self.next_seq(n, true)),
            Target::Discussion(id) => Some(self.next_seq(id, false)),
            Target::Buddy(_) => None,
        };
        for sid in recipients {
            // The sender's own session hears group and discussion messages only in echoing eras.
            if Some(sid) == origin && (!echo || matches!(target, Target::Buddy(_))) {
                continue;
            }
            self.queue_message(sid, from, target, &content, time, seq);
        }
        if let Some(o) = origin {
            if let Some(s) = self.sessions.get_mut(&o) {
                let (kind, n) = target_kind(target);
                s.note_recent(kind, n);
            }
        }
        self.record_sent(SentMessage {
            from,
            target,
            text: plain_text(&segments),
            content,
            msg_id,
            time,
            seq,
        });
    }

    fn next_seq(&mut self, key: u64, group: bool) -> u64 {
        let gap = self.rng.chance(self.faults.delivery.seq_gap);
        let map = if group {
            &mut self.group_seq
        } else {
            &mut self.discu_seq
        };
        let seq = map.entry(key).or_insert(0);
        *seq += if gap { 2 } else { 1 };
        *seq
    }

    /// Builds the poll event for session `sid` with its own ids and queues it.
    fn queue_message(
        &mut self,
        sid: u64,
        from: u64,
        target: Target,
        content: &Value,
        time: u64,
        seq: Option<u64>,
    ) {
        let group_code_is_gid = self.profile.group_code_is_gid();
        let members = match target {
            Target::Discussion(id) => self.world.discussion(id).map_or(0, |d| d.members.len()),
            _ => 0,
        };
        let msg_id2 = self.rng.range(100_000, 999_999);
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if s.ended.is_some() {
            return;
        }
        let msg_id = s.take_msg_id();
        let own = s.qq;
        let send_uin = s.ids.uin(from, &mut self.rng);
        let (poll_type, value) = match target {
            Target::Buddy(to) => {
                // An echo of the account's own message: from itself, to the peer (§6.5).
                let (f, t) = if from == own {
                    (own, s.ids.uin(to, &mut self.rng))
                } else {
                    (send_uin, own)
                };
                (
                    "message",
                    json!({"msg_id": msg_id, "from_uin": f, "to_uin": t, "msg_id2": msg_id2, "msg_type": 9, "reply_ip": REPLY_IP, "time": time, "content": content}),
                )
            }
            Target::Group(n) => {
                let gid = s.ids.gid(n, &mut self.rng);
                let code = if group_code_is_gid {
                    gid
                } else {
                    s.ids.code(n, &mut self.rng)
                };
                (
                    "group_message",
                    json!({"msg_id": msg_id, "from_uin": gid, "to_uin": own, "msg_id2": msg_id2, "msg_type": 43, "reply_ip": REPLY_IP, "group_code": code, "send_uin": send_uin, "seq": seq.unwrap_or(0), "time": time, "info_seq": n, "content": content}),
                )
            }
            Target::Discussion(id) => {
                let did = s.ids.did(id, &mut self.rng);
                (
                    "discu_message",
                    json!({"msg_id": msg_id, "from_uin": DISCU_FROM_UIN, "to_uin": own, "msg_id2": msg_id2, "msg_type": 42, "reply_ip": REPLY_IP, "did": did, "send_uin": send_uin, "seq": seq.unwrap_or(0), "time": time, "info_seq": members, "content": content}),
                )
            }
        };
        let (kind, n) = target_kind(match target {
            Target::Buddy(to) if from == own => Target::Buddy(to),
            Target::Buddy(_) => Target::Buddy(from),
            t => t,
        });
        s.note_recent(kind, n);
        self.queue_event(sid, poll_type, value);
    }

    /// Queues any event for `sid`, applying the delivery faults, and releases its held poll.
    pub(crate) fn queue_event(&mut self, sid: u64, poll_type: &str, value: Value) {
        let d = self.faults.delivery;
        let unknown = self.rng.chance(d.unknown_poll_type);
        let duplicate = self.rng.chance(d.duplicate);
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if unknown {
            s.push_event(
                "av_request",
                json!({"msg_id": s.next_msg_id, "from_uin": 0, "to_uin": s.qq}),
            );
        }
        s.push_event(poll_type, value.clone());
        if duplicate {
            s.push_event(poll_type, value);
        }
        self.release(sid);
    }
}

fn target_kind(target: Target) -> (u8, u64) {
    match target {
        Target::Buddy(q) => (0, q),
        Target::Group(n) => (1, n),
        Target::Discussion(id) => (2, id),
    }
}
