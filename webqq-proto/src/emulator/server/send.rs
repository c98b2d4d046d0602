//! The send CGIs (protocol §7): checks, faults, targets, temporary sessions and their
//! signatures (§7.4), group picture signatures (§7.5).
use super::Server;
use super::deliver::{REPLY_IP, parse_content, plain_text};
use super::params::Params;
use crate::emulator::control::SentMessage;
use crate::emulator::faults::FaultAction;
use crate::emulator::http::{Request, Response};
use crate::emulator::route::Endpoint;
use crate::emulator::strictness::ReusedMsgId;
use crate::emulator::world::Target;
use serde_json::{Value, json};

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

    /// `input_notify2` / `shake2` (protocol §9.6): the peer's session gets `input_notify` /
    /// `shake_message` (capture #53). The replies were not captured: `{"retcode":0,"result":"ok"}`.
    pub(super) fn nudge(&mut self, endpoint: Endpoint, req: &Request, params: &Params) -> Response {
        let sid = match self.live_session(endpoint, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let me = self.sessions[&sid].qq;
        let Some(to) = params
            .number("to_uin")
            .and_then(|u| self.sessions[&sid].ids.qq_of(u))
        else {
            return self.error_reply(endpoint, 100001);
        };
        if let Some(&peer) = self.live.get(&to) {
            let msg_id2 = self.rng.range(100_000, 999_999);
            let s = self.sessions.get_mut(&peer).expect("live");
            let from = s.ids.uin(me, &mut self.rng);
            let msg_id = s.take_msg_id();
            let (poll_type, value) = if endpoint == Endpoint::InputNotify2 {
                // input_notify carries reply_ip 4294967295 (protocol §6.4).
                (
                    "input_notify",
                    json!({"msg_id": msg_id, "from_uin": from, "to_uin": to, "msg_id2": msg_id2, "msg_type": 121, "reply_ip": 4_294_967_295_u64}),
                )
            } else {
                (
                    "shake_message",
                    json!({"msg_id": msg_id, "from_uin": from, "to_uin": to, "msg_id2": msg_id2, "msg_type": 9, "reply_ip": REPLY_IP}),
                )
            };
            self.queue_event(peer, poll_type, value);
        }
        super::ok(json!("ok"))
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
            seq: None,
        });
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
