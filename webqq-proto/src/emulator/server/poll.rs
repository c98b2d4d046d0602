//! poll2 (protocol §6): events, forced retcodes, holding until the deadline, idle replies.
use super::deliver::plain_text;
use super::params::Params;
use super::session::MAX_BATCH;
use super::{EndReason, Reply, Server, ServerTimer, Ticket, Transport, ok, respond};
use crate::emulator::PolledMessage;
use crate::emulator::faults::FaultAction;
use crate::emulator::http::{Request, Response};
use crate::emulator::pages;
use crate::emulator::profile::IdlePoll;
use crate::emulator::route::Endpoint;
use crate::emulator::timers::ms;
use http::StatusCode;
use serde_json::{Value, json};

impl Server {
    /// `poll2` (protocol §6): events, a forced retcode, or a hold until the deadline.
    pub(super) fn poll2(
        &mut self,
        ticket: Ticket,
        req: &Request,
        params: &Params,
        forced: Option<FaultAction>,
    ) -> Reply {
        if let Some(sid) = self.session_of(req, params) {
            let s = &self.sessions[&sid];
            if matches!(s.ended, Some((EndReason::Kicked, _))) && !s.queue.is_empty() {
                // A kicked session still hears its kick_message once.
                return self.batch_reply(sid);
            }
        }
        let sid = match self.live_session(Endpoint::Poll2, req, params) {
            Ok(sid) => sid,
            Err(resp) => return respond(resp),
        };
        if self.strict.registration && !self.sessions[&sid].registered {
            return respond(self.error_reply(Endpoint::Poll2, 103));
        }
        let now = self.now;
        let s = self.sessions.get_mut(&sid).expect("live");
        s.last_active = now;
        let qq = s.qq;
        let forced_code = match forced {
            Some(FaultAction::Retcode { retcode, .. }) => Some(retcode),
            Some(FaultAction::Kick { reason }) => {
                // The kick_message is this poll's answer; the session is over after it.
                let _ = self.kick(qq, &reason);
                return self.batch_reply(sid);
            }
            Some(FaultAction::Expire) => {
                self.end_session(sid, EndReason::Expired);
                return respond(self.error_reply(Endpoint::Poll2, 103));
            }
            _ => s.forced.pop_front(),
        };
        if let Some(code) = forced_code {
            return respond(self.retcode_reply(sid, code));
        }
        if !self.sessions[&sid].queue.is_empty() {
            return self.batch_reply(sid);
        }
        // Only one poll per session is outstanding (protocol §6.1): an older one is let go idle.
        if let Some(old) = self.take_hold(sid) {
            let idle = self.idle_reply();
            self.answers.push((old, respond(idle)));
        }
        let s = self.sessions.get_mut(&sid).expect("live");
        let at = now + ms(self.timing.poll_hold_ms);
        s.held = Some((ticket, at));
        self.hold_owner.insert(ticket, sid);
        if !std::mem::replace(&mut s.hold_timer, true) {
            self.session_timer(sid, at, ServerTimer::Hold { sid });
        }
        Reply::Hold
    }

    /// A poll reply for a retcode; 116 rotates ptwebqq (protocol §6.3).
    pub(super) fn retcode_reply(&mut self, sid: u64, code: i64) -> Response {
        if code != 116 {
            return self.error_reply(Endpoint::Poll2, code);
        }
        let p = self.rng.hex(48);
        let s = self.sessions.get_mut(&sid).expect("caller checked");
        let old = std::mem::replace(&mut s.ptwebqq, p.clone());
        let qq = s.qq;
        // The old value stops working, so rotating forever keeps the token maps small.
        s.tokens.retain(|t| *t != old);
        if self.session_tokens.get(&old) == Some(&sid) {
            self.session_tokens.remove(&old);
        }
        self.add_session_token(sid, p.clone());
        if let Some(login) = self.logins.get_mut(&qq) {
            if login.ptwebqq == old {
                self.login_tokens.remove(&old);
                login.ptwebqq = p.clone();
                self.login_tokens.insert(p.clone(), qq);
            }
        }
        Response::json(&json!({"retcode":116,"p":p}))
    }

    /// Up to [`MAX_BATCH`] queued events (reversed when the reorder fault fires), with the
    /// chat messages among them noted for [`Event::PollAnswered`](crate::emulator::Event).
    pub(super) fn batch_reply(&mut self, sid: u64) -> Reply {
        let reorder = self.faults.delivery.reorder;
        let flip = self.rng.chance(reorder);
        let s = self.sessions.get_mut(&sid).expect("caller checked");
        let n = s.queue.len().min(MAX_BATCH);
        let mut batch: Vec<Value> = s.queue.drain(..n).collect();
        if flip {
            batch.reverse();
        }
        let messages = batch.iter().filter_map(polled_message).collect();
        let transport = Transport {
            carried: Some((s.qq, messages)),
            ..Transport::default()
        };
        Reply::Respond(ok(Value::Array(batch)), transport)
    }

    /// The idle answer of the profile (protocol §6.2, §11.1).
    fn idle_reply(&self) -> Response {
        match self.profile.idle_poll() {
            IdlePoll::Retcode102 => Response::json(&json!({"retcode":102,"errmsg":""})),
            IdlePoll::GatewayTimeout => pages::error_page(StatusCode::GATEWAY_TIMEOUT),
            IdlePoll::OkError => {
                Response::json(&json!({"retcode":0,"retmsg":"ok","errmsg":"error"}))
            }
        }
    }

    /// The session's hold timer fired: answer the held poll idle if its deadline passed,
    /// else wait for the deadline of the poll held now.
    pub(super) fn hold_expired(&mut self, sid: u64) {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        match s.held {
            Some((_, deadline)) if deadline > now => {
                self.session_timer(sid, deadline, ServerTimer::Hold { sid });
            }
            Some(_) => {
                s.hold_timer = false;
                s.last_active = now;
                if let Some(ticket) = self.take_hold(sid) {
                    let idle = self.idle_reply();
                    self.answers
                        .push((ticket, Reply::Respond(idle, Transport::default())));
                }
            }
            None => s.hold_timer = false,
        }
    }

    /// Answers the held poll of `sid` with its queued events.
    pub(crate) fn release(&mut self, sid: u64) {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if s.queue.is_empty() {
            return;
        }
        if let Some(ticket) = self.take_hold(sid) {
            let reply = self.batch_reply(sid);
            self.answers.push((ticket, reply));
        }
    }
}

/// The chat message of a queued poll event (`message`, `group_message`, `discu_message`,
/// `sess_message`; protocol §6.4), if it is one: its `msg_id` and its text without the font.
fn polled_message(event: &Value) -> Option<PolledMessage> {
    let kind = event["poll_type"].as_str()?;
    if !matches!(
        kind,
        "message" | "group_message" | "discu_message" | "sess_message"
    ) {
        return None;
    }
    let value = &event["value"];
    let segments: Vec<Value> = value["content"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|i| i.get(0).and_then(Value::as_str) != Some("font"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Some(PolledMessage {
        msg_id: value["msg_id"].as_u64().unwrap_or(0),
        text: plain_text(&segments),
    })
}
