//! The life of a web session (protocol §3.10, §8): finding it, login2 and relink, ids,
//! expiry, ending and forgetting it.
use super::WebLogin;
use super::channel::STATUSES;
use super::ids::Ids;
use super::params::Params;
use super::psessionid::{PsessionParts, encode};
use super::{EndReason, Server, ServerTimer, Session, ok, respond};
use crate::emulator::Event;
use crate::emulator::http::{Request, Response};
use crate::emulator::pages;
use crate::emulator::route::Endpoint;
use crate::emulator::timers::ms;
use http::StatusCode;
use serde_json::json;
use std::collections::{HashSet, VecDeque};

impl Server {
    /// The session a request names: its psessionid when it has one, else its vfwebqq, else
    /// the ptwebqq / skey cookies.
    pub(crate) fn session_of(&self, req: &Request, params: &Params) -> Option<u64> {
        if let Some(ps) = params.non_empty("psessionid") {
            return self.session_tokens.get(&ps).copied();
        }
        [
            params.non_empty("vfwebqq"),
            req.cookie("ptwebqq"),
            req.cookie("skey"),
        ]
        .into_iter()
        .flatten()
        .find_map(|t| self.session_tokens.get(&t).copied())
    }

    /// The live session a channel request names, or the reply that refuses it.
    pub(crate) fn live_session(
        &self,
        endpoint: Endpoint,
        req: &Request,
        params: &Params,
    ) -> Result<u64, Response> {
        let Some(sid) = self.session_of(req, params) else {
            return Err(self.error_reply(endpoint, 103));
        };
        let s = &self.sessions[&sid];
        if let Some((reason, _)) = s.ended {
            return Err(self.ended_reply(endpoint, reason));
        }
        if self.strict.clientid && params.get("clientid").is_some_and(|c| c != s.clientid) {
            return Err(self.error_reply(endpoint, 122));
        }
        if self.strict.cookies
            && ["ptwebqq", "skey", "uin"]
                .iter()
                .any(|c| req.cookie(c).is_none())
        {
            return Err(self.error_reply(endpoint, 108));
        }
        if self.strict.vfwebqq
            && endpoint.is_static()
            && params.get("vfwebqq").as_deref() != Some(s.vfwebqq.as_str())
        {
            return Err(Response::json(&json!({"retcode":100001})));
        }
        Ok(sid)
    }

    /// What requests of an ended session get (protocol §6.3, §7.6, §8.2).
    fn ended_reply(&self, endpoint: Endpoint, reason: EndReason) -> Response {
        let is_send = matches!(
            endpoint,
            Endpoint::SendBuddyMsg2
                | Endpoint::SendQunMsg2
                | Endpoint::SendDiscuMsg2
                | Endpoint::SendSessMsg2
        );
        let code = match reason {
            EndReason::Replaced if endpoint == Endpoint::Poll2 => 121,
            _ if is_send
                && !self.profile.is_webqq()
                && self.profile != crate::emulator::Profile::S2015 =>
            {
                100012
            }
            EndReason::Lifetime if !self.profile.is_webqq() => 100001,
            _ => 103,
        };
        self.error_reply(endpoint, code)
    }

    /// `login2` (protocol §3.10), and relink when `psessionid` names a session.
    pub(super) fn login2(&mut self, req: &Request, params: &Params) -> Response {
        if self.strict.login2_host && !self.profile.is_webqq() && req.host() == "d.web2.qq.com" {
            return pages::error_page(StatusCode::FORBIDDEN);
        }
        if self.strict.cookies
            && ["ptwebqq", "skey", "uin"]
                .iter()
                .any(|c| req.cookie(c).is_none())
        {
            return self.error_reply(Endpoint::Login2, 103);
        }
        let status = params
            .non_empty("status")
            .or_else(|| params.non_empty("state"))
            .unwrap_or_else(|| "online".into());
        let status = if STATUSES.contains(&status.as_str()) {
            status
        } else {
            "online".into()
        };
        if let Some(ps) = params.non_empty("psessionid") {
            return self.relink(&ps, &status);
        }
        let Some(login) = self
            .login_of(req, params)
            .and_then(|qq| self.logins.get(&qq).map(|l| (qq, l.clone())))
        else {
            return self.error_reply(Endpoint::Login2, 103);
        };
        let clientid = params.get("clientid").unwrap_or_default();
        let sid = self.create_session(login, clientid, status);
        let s = &self.sessions[&sid];
        // [S] the login2 vfwebqq is "wrong" (official comment, protocol §3.9): it is the one in
        // the psessionid, not necessarily the one getvfwebqq gave.
        let login2_vf = s.psessionid[s.psessionid.len() - 80..].to_string();
        self.login2_reply(sid, &login2_vf)
    }

    fn login2_reply(&mut self, sid: u64, vfwebqq: &str) -> Response {
        let cip = self.rng.range(0x0100_0000, 0xDFFF_FFFF);
        let port = self.rng.range(30000, 60000);
        let index = self.rng.range(1000, 1100);
        let s = &self.sessions[&sid];
        ok(json!({
            "uin": s.qq, "cip": cip, "index": index, "port": port, "status": s.status,
            "vfwebqq": vfwebqq, "psessionid": s.psessionid, "user_state": 0, "f": 0,
        }))
    }

    fn relink(&mut self, psessionid: &str, status: &str) -> Response {
        let Some(&sid) = self.session_tokens.get(psessionid) else {
            return self.error_reply(Endpoint::Login2, 103);
        };
        let s = &self.sessions[&sid];
        if s.psessionid != psessionid || !matches!(s.ended, None | Some((EndReason::Replaced, _))) {
            return self.error_reply(Endpoint::Login2, 103);
        }
        let qq = s.qq;
        if let Some(&other) = self.live.get(&qq) {
            if other != sid {
                self.end_session(other, EndReason::Replaced);
            }
        }
        let now = self.now;
        let s = self.sessions.get_mut(&sid).expect("found above");
        s.ended = None;
        s.last_active = now;
        s.status = status.to_string();
        let vf = s.psessionid[s.psessionid.len() - 80..].to_string();
        self.live.insert(qq, sid);
        self.schedule_expiry(sid);
        self.login2_reply(sid, &vf)
    }

    fn create_session(
        &mut self,
        (qq, login): (u64, WebLogin),
        clientid: String,
        status: String,
    ) -> u64 {
        let replaced = self.live.get(&qq).copied();
        if let Some(old) = replaced {
            self.end_session(old, EndReason::Replaced);
        }
        // Keep only the session replaced now (its poll still answers 121, it may relink):
        // however fast a client logs in again, an account has at most two sessions.
        let stale: Vec<u64> = self
            .by_account
            .get(&qq)
            .into_iter()
            .flatten()
            .filter(|sid| Some(**sid) != replaced)
            .copied()
            .collect();
        for sid in stale {
            self.forget_session(sid);
        }
        let login2_vf = self.rng.hex(80);
        let vfwebqq = if self.profile.is_webqq() {
            login2_vf.clone()
        } else {
            login.vfwebqq.clone().unwrap_or_else(|| login2_vf.clone())
        };
        let node = format!(
            "connserver_webqq@10.{}.{}.{}",
            self.rng.range(128, 139),
            self.rng.range(1, 254),
            self.rng.range(1, 254)
        );
        let pid = (
            self.rng.range(1, 0xFFFF) as u32,
            self.rng.range(1, 0xFFFF) as u32,
            self.rng.range(1, 3) as u8,
        );
        let psessionid = encode(&PsessionParts {
            node: &node,
            pid,
            uin: qq,
            skey: &login.skey,
            vfwebqq_hex: &login2_vf,
        });
        let mut ids = Ids::new(qq);
        self.allocate_ids(qq, &mut ids);
        self.next_sid += 1;
        let sid = self.next_sid;
        let now = self.now;
        let session = Session {
            qq,
            ended: None,
            clientid,
            psessionid: psessionid.clone(),
            ptwebqq: login.ptwebqq.clone(),
            vfwebqq: vfwebqq.clone(),
            ids,
            registered: false,
            queue: VecDeque::new(),
            forced: VecDeque::new(),
            next_msg_id: self.rng.range(1, 60000) as u16,
            held: None,
            tokens: Vec::new(),
            timer_keys: Vec::new(),
            hold_timer: false,
            seen_msg_ids: HashSet::new(),
            seen_order: VecDeque::new(),
            last_active: now,
            created: now,
            bucket: (f64::from(self.strict.send_rate.map_or(0, |r| r.burst)), now),
            status,
            recent: VecDeque::new(),
        };
        self.sessions.insert(sid, session);
        for token in [psessionid, vfwebqq, login2_vf, login.ptwebqq, login.skey] {
            self.add_session_token(sid, token);
        }
        self.by_account.entry(qq).or_default().push(sid);
        self.live.insert(qq, sid);
        self.schedule_expiry(sid);
        let lifetime = now + ms(self.timing.session_lifetime_ms);
        self.session_timer(sid, lifetime, ServerTimer::Expiry { sid });
        self.events.push(Event::LoggedIn { qq });
        sid
    }

    /// Gives friends, groups and discussions their ids up front. Members get theirs when the
    /// session first sees them (group info, a message): a session in a group of 10 000 does
    /// not pay for 10 000 ids it may never use.
    fn allocate_ids(&mut self, qq: u64, ids: &mut Ids) {
        let Some(account) = self.world.account(qq) else {
            return;
        };
        for f in &account.friends {
            ids.uin(f.qq, &mut self.rng);
        }
        for g in self.world.groups_of(qq) {
            ids.gid(g.number, &mut self.rng);
            ids.code(g.number, &mut self.rng);
        }
        for d in self.world.discussions_of(qq) {
            ids.did(d.id, &mut self.rng);
        }
    }

    fn schedule_expiry(&mut self, sid: u64) {
        let at = self.now + ms(self.timing.session_idle_ms);
        self.session_timer(sid, at, ServerTimer::Expiry { sid });
    }

    /// Ends a session: its held poll is answered, its later requests refused.
    pub(crate) fn end_session(&mut self, sid: u64, reason: EndReason) {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(&sid) else {
            return;
        };
        if s.ended.is_some() {
            return;
        }
        s.ended = Some((reason, now));
        let qq = s.qq;
        if self.live.get(&qq) == Some(&sid) {
            self.live.remove(&qq);
        }
        if let Some(ticket) = self.take_hold(sid) {
            let reply = if reason == EndReason::Kicked {
                self.batch_reply(sid)
            } else {
                respond(self.ended_reply(Endpoint::Poll2, reason))
            };
            self.answers.push((ticket, reply));
        }
        self.events.push(Event::SessionEnded {
            qq,
            reason: reason.name(),
        });
        let at = now + ms(self.timing.tombstone_ms);
        self.session_timer(sid, at, ServerTimer::Forget { sid });
    }

    /// Removes an ended session and its tokens.
    pub(super) fn forget_session(&mut self, sid: u64) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        if s.ended.is_none() {
            return;
        }
        let Some(s) = self.sessions.remove(&sid) else {
            return;
        };
        for key in &s.timer_keys {
            self.timers.remove(*key);
        }
        for t in &s.tokens {
            if self.session_tokens.get(t) == Some(&sid) {
                self.session_tokens.remove(t);
            }
        }
        if let Some(list) = self.by_account.get_mut(&s.qq) {
            list.retain(|x| *x != sid);
            if list.is_empty() {
                self.by_account.remove(&s.qq);
            }
        }
    }

    pub(super) fn check_expiry(&mut self, sid: u64) {
        let Some(s) = self.sessions.get(&sid) else {
            return;
        };
        if s.ended.is_some() {
            return;
        }
        let idle = ms(self.timing.session_idle_ms);
        let lifetime = ms(self.timing.session_lifetime_ms);
        if self.now.duration_since(s.created) >= lifetime {
            self.end_session(sid, EndReason::Lifetime);
        } else if s.held.is_none() && self.now.duration_since(s.last_active) >= idle {
            self.end_session(sid, EndReason::Idle);
        } else {
            let due = if s.held.is_some() {
                self.now
            } else {
                s.last_active
            };
            self.session_timer(sid, due + idle, ServerTimer::Expiry { sid });
        }
    }
}
