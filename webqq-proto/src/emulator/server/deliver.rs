//! Sending and delivery (protocol §7, §6.4–§6.5, §11.2 "Delivery"): a message from A reaches
//! each recipient session with the ids *that session* uses; groups fan out to every member.
use serde_json::{Value, json};

use super::{EndReason, Server};
use crate::emulator::control::{ControlError, SentMessage};
use crate::emulator::faults::FaultAction;
use crate::emulator::http::{Request, Response};
use crate::emulator::route::Endpoint;
use crate::emulator::strictness::ReusedMsgId;
use crate::emulator::world::Target;

use super::params::Params;

/// `reply_ip` of events: 10.137.5.169 as u32, a connection server's private address (§6.4).
const REPLY_IP: u64 = 176_752_041;
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
    /// `send_buddy_msg2`, `send_qun_msg2`, `send_discu_msg2`, `send_sess_msg2` (protocol §7).
    pub(super) fn send(
        &mut self,
        endpoint: Endpoint,
        req: &Request,
        params: &Params,
        forced: Option<FaultAction>,
    ) -> Response {
        let sid = match self.live_session(endpoint, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let qq = self.sessions[&sid].qq;
        let content = params.get("content").unwrap_or_default();
        let (segments, font) = parse_content(&content);
        let target = match self.send_target(endpoint, sid, params) {
            Ok(t) => t,
            Err(code) => return self.error_reply(endpoint, code),
        };
        let via = if endpoint == Endpoint::SendSessMsg2 {
            match params.get("group_sig").and_then(|s| decode_c2c_sig(&s)) {
                Some(via) => Some(via),
                None => return self.error_reply(endpoint, 100001),
            }
        } else {
            None
        };
        if let Some(max) = self.strict.max_message {
            if plain_text(&segments).len() > max.bytes {
                return self.error_reply(endpoint, max.retcode);
            }
        }
        let msg_id = params.number("msg_id").unwrap_or(0);
        let fresh = self
            .sessions
            .get_mut(&sid)
            .expect("live")
            .note_msg_id(msg_id);
        if !fresh {
            match self.strict.reused_msg_id {
                Some(ReusedMsgId::Drop) => return self.send_ok(),
                Some(ReusedMsgId::Retcode1202) => return self.error_reply(endpoint, 1202),
                None => {}
            }
        }
        // A retcode fault or the rate limit: the message gets through only with a probability.
        let refusal = match forced {
            Some(FaultAction::Retcode { retcode, delivered }) => Some((retcode, delivered)),
            _ if !self.take_send_token(sid) => {
                Some((1202, self.strict.send_rate.map_or(0.0, |r| r.delivered)))
            }
            _ => None,
        };
        let deliver = match refusal {
            Some((_, delivered)) => self.rng.chance(delivered),
            None => true,
        };
        if deliver {
            match via {
                Some(via) => self.deliver_sess(qq, target, via, segments, font, msg_id),
                None => self.deliver(qq, target, segments, font, Some(sid), Some(msg_id)),
            }
        }
        match refusal {
            Some((code, _)) => self.error_reply(endpoint, code),
            None => self.send_ok(),
        }
    }

    /// The send success body of the profile (protocol §7.6).
    fn send_ok(&self) -> Response {
        if self.profile.send_ok_is_errcode() {
            Response::json(&json!({"errCode":0,"msg":"send ok"}))
        } else {
            super::ok(json!("ok"))
        }
    }

    /// Takes a token of the send-rate bucket; true when there was one (or no limit).
    fn take_send_token(&mut self, sid: u64) -> bool {
        let Some(rate) = self.strict.send_rate else {
            return true;
        };
        let now = self.now;
        let s = self.sessions.get_mut(&sid).expect("live");
        let (tokens, at) = s.bucket;
        let refill = now.duration_since(at).as_secs_f64() * 1000.0 / rate.interval_ms.max(1) as f64;
        let tokens = (tokens + refill).min(f64::from(rate.burst));
        if tokens >= 1.0 {
            s.bucket = (tokens - 1.0, now);
            true
        } else {
            s.bucket = (tokens, now);
            false
        }
    }

    /// The world target of a send, or the retcode refusing it.
    fn send_target(&self, endpoint: Endpoint, sid: u64, params: &Params) -> Result<Target, i64> {
        let s = &self.sessions[&sid];
        match endpoint {
            Endpoint::SendBuddyMsg2 | Endpoint::SendSessMsg2 => {
                if endpoint == Endpoint::SendSessMsg2
                    && matches!(
                        self.profile,
                        crate::emulator::Profile::S2016 | crate::emulator::Profile::S2018
                    )
                {
                    // Temporary sessions were blocked from 2016-02 (protocol §6.5).
                    return Err(1202);
                }
                let to = params.number("to").ok_or(100001_i64)?;
                s.ids
                    .qq_of(to)
                    .filter(|q| self.world.account(*q).is_some())
                    .map(Target::Buddy)
                    .ok_or(100001)
            }
            Endpoint::SendQunMsg2 => {
                let gid = params.number("group_uin").ok_or(100001_i64)?;
                let number = match (s.ids.group_of_gid(gid), s.ids.group_of_code(gid)) {
                    (Some(n), _) => n,
                    // Protocol §11.3: a group code where the gid belongs is refused with 6 when strict.
                    (None, Some(_)) if self.strict.gid_as_code => return Err(6),
                    (None, Some(n)) => n,
                    (None, None) => return Err(100001),
                };
                let member = self
                    .world
                    .group(number)
                    .is_some_and(|g| g.members.iter().any(|m| m.qq == s.qq));
                if member {
                    Ok(Target::Group(number))
                } else {
                    Err(100001)
                }
            }
            Endpoint::SendDiscuMsg2 => {
                let did = params.number("did").ok_or(100001_i64)?;
                let id = s.ids.discussion_of(did).ok_or(100001_i64)?;
                let member = self
                    .world
                    .discussion(id)
                    .is_some_and(|d| d.members.contains(&s.qq));
                if member {
                    Ok(Target::Discussion(id))
                } else {
                    Err(100001)
                }
            }
            _ => Err(100001),
        }
    }

    /// `get_c2cmsg_sig2` (protocol §7.4): the signature names the group or discussion the
    /// temporary chat goes through (opaque hex to the client).
    pub(super) fn c2c_sig(&mut self, req: &Request, params: &Params) -> Response {
        let sid = match self.live_session(Endpoint::GetC2cMsgSig2, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let service_type = params.number("service_type").unwrap_or(0);
        let id = params.number("id").unwrap_or(0);
        let ids = &self.sessions[&sid].ids;
        let world_id = if service_type == 1 {
            ids.discussion_of(id)
        } else {
            ids.group_of_gid(id)
        };
        let Some(world_id) = world_id else {
            return super::ok(
                json!({"type": 0, "value": "", "flags": {"text": 0, "pic": 0, "file": 0, "audio": 0, "video": 0}}),
            );
        };
        let salt = self.rng.hex(16);
        let value =
            crate::emulator::rng::hex_lower(format!("{service_type}:{world_id}:{salt}").as_bytes());
        super::ok(
            json!({"type": 0, "value": value, "flags": {"text": 1, "pic": 1, "file": 1, "audio": 1, "video": 1}}),
        )
    }

    /// `get_gface_sig2` (protocol §7.5; capture #41).
    pub(super) fn gface_sig(&mut self, req: &Request, params: &Params) -> Response {
        if let Err(resp) = self.live_session(Endpoint::GetGfaceSig2, req, params) {
            return resp;
        }
        let key = self.rng.chars(16, crate::emulator::rng::ALNUM);
        let sig = self.rng.hex(96);
        super::ok(json!({"reply": 0, "gface_key": key, "gface_sig": sig}))
    }

    /// Delivers a temporary-session message (`sess_message`, protocol §6.5; capture #49).
    fn deliver_sess(
        &mut self,
        from: u64,
        target: Target,
        via: (u64, u64),
        segments: Vec<Value>,
        font: Value,
        msg_id: u64,
    ) {
        let Target::Buddy(to) = target else { return };
        let time = self.unix_time();
        let mut content = vec![font];
        content.extend(segments.iter().cloned());
        let content = Value::Array(content);
        if let Some(&rsid) = self.live.get(&to) {
            let msg_id2 = self.rng.range(100_000, 999_999);
            let s = self.sessions.get_mut(&rsid).expect("live");
            let id = if via.0 == 1 {
                s.ids.did(via.1, &mut self.rng)
            } else {
                s.ids.gid(via.1, &mut self.rng)
            };
            let from_uin = s.ids.uin(from, &mut self.rng);
            let event_id = s.take_msg_id();
            let value = json!({"msg_id": event_id, "from_uin": from_uin, "to_uin": to, "msg_id2": msg_id2, "msg_type": 140, "reply_ip": REPLY_IP,
                "time": time, "id": id, "ruin": from, "service_type": via.0,
                "flags": {"text": 1, "pic": 1, "file": 1, "audio": 1, "video": 1}, "content": content});
            self.queue_event(rsid, "sess_message", value);
        }
        self.record_sent(SentMessage {
            from,
            target,
            text: plain_text(&segments),
            content,
            msg_id: Some(msg_id),
            time,
        });
    }

    /// A simulated user says `text` (control API); `from` must belong to the target.
    pub(crate) fn say(
        &mut self,
        from: u64,
        target: Target,
        text: &str,
    ) -> Result<(), ControlError> {
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
        Ok(())
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

    /// Kicks the live session of `qq` with a `kick_message` (protocol §6.5).
    pub(crate) fn kick(&mut self, qq: u64, reason: &str) -> Result<(), ControlError> {
        let sid = *self.live.get(&qq).ok_or(ControlError::NotLoggedIn(qq))?;
        let msg_id2 = self.rng.range(100_000, 999_999);
        let s = self.sessions.get_mut(&sid).expect("live");
        let msg_id = s.take_msg_id();
        let value = json!({"msg_id": msg_id, "from_uin": 10000, "to_uin": qq, "msg_id2": msg_id2, "msg_type": 48, "reply_ip": REPLY_IP, "show_reason": 1, "reason": reason});
        s.push_event("kick_message", value);
        self.release(sid);
        self.end_session(sid, EndReason::Kicked);
        Ok(())
    }

    /// Queues `value` (a whole `{"poll_type":…,"value":…}` or anything else) for `qq`.
    pub(crate) fn inject(&mut self, qq: u64, value: Value) -> Result<(), ControlError> {
        let sid = *self.live.get(&qq).ok_or(ControlError::NotLoggedIn(qq))?;
        let s = self.sessions.get_mut(&sid).expect("live");
        if s.queue.len() >= super::session::MAX_QUEUED_EVENTS {
            s.queue.pop_front();
        }
        s.queue.push_back(value);
        self.release(sid);
        Ok(())
    }

    /// The next polls of `qq`'s session answer `retcode` (116 rotates ptwebqq).
    pub(crate) fn force_retcode(&mut self, qq: u64, retcode: i64) -> Result<(), ControlError> {
        let sid = *self.live.get(&qq).ok_or(ControlError::NotLoggedIn(qq))?;
        self.sessions
            .get_mut(&sid)
            .expect("live")
            .forced
            .push_back(retcode);
        // A held poll is answered at once.
        if let Some(ticket) = self.take_hold(sid) {
            let code = self
                .sessions
                .get_mut(&sid)
                .expect("live")
                .forced
                .pop_front()
                .unwrap_or(retcode);
            let resp = self.retcode_reply(sid, code);
            self.answers.push((ticket, super::respond(resp)));
        }
        Ok(())
    }

    /// Ends `qq`'s session as expired (control API).
    pub(crate) fn expire(&mut self, qq: u64) -> Result<(), ControlError> {
        let sid = *self.live.get(&qq).ok_or(ControlError::NotLoggedIn(qq))?;
        self.end_session(sid, EndReason::Expired);
        Ok(())
    }
}

/// Reads back the `(service_type, world id)` of a signature made by `c2c_sig`.
fn decode_c2c_sig(sig: &str) -> Option<(u64, u64)> {
    let bytes: Vec<u8> = (0..sig.len())
        .step_by(2)
        .map(|i| {
            sig.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<_>>()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split(':');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn target_kind(target: Target) -> (u8, u64) {
    match target {
        Target::Buddy(q) => (0, q),
        Target::Group(n) => (1, n),
        Target::Discussion(id) => (2, id),
    }
}
