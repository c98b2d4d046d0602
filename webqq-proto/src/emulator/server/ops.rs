//! Session operations of the control API: kick, inject, forced retcodes, expiry.
use super::deliver::REPLY_IP;
use super::{EndReason, Server};
use crate::emulator::control::ControlError;
use serde_json::{Value, json};

impl Server {
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
