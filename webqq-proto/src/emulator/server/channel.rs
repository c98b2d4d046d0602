//! The channel CGIs on d.web2 / d1.web2 (protocol §3.10, §5.10, §5.11, §5.5, §5.13, §6, §8.4)
//! and the session life cycle: login2, relink, poll holding, expiry.

use serde_json::{Value, json};

use super::{EndReason, Server, ok};
use crate::emulator::http::{Request, Response};
use crate::emulator::route::Endpoint;

use super::params::Params;

/// The statuses login2 and change_status2 accept (protocol §5.13).
pub(super) const STATUSES: &[&str] = &[
    "online", "away", "busy", "silent", "hidden", "callme", "offline",
];

/// The numeric code of a status string (protocol §5.13).
pub(crate) fn status_code(status: &str) -> u32 {
    match status {
        "online" => 10,
        "offline" => 20,
        "away" => 30,
        "hidden" => 40,
        "busy" => 50,
        "callme" => 60,
        "silent" => 70,
        _ => 20,
    }
}

impl Server {
    /// `get_online_buddies2` (protocol §5.10): also registers the session (§3.1).
    pub(super) fn online_buddies(&mut self, req: &Request, params: &Params) -> Response {
        let sid = match self.live_session(Endpoint::GetOnlineBuddies2, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let qq = self.sessions[&sid].qq;
        let friends: Vec<u64> = self
            .world
            .account(qq)
            .map(|a| a.friends.iter().map(|f| f.qq).collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for f in friends {
            let (status, client_type) = self.presence(f);
            if status != "offline" {
                let s = self.sessions.get_mut(&sid).expect("live");
                out.push(json!({"uin": s.ids.uin(f, &mut self.rng), "status": status, "client_type": client_type}));
            }
        }
        self.sessions.get_mut(&sid).expect("live").registered = true;
        ok(Value::Array(out))
    }

    /// The presence of an account: its session's status, else the world's.
    pub(crate) fn presence(&self, qq: u64) -> (String, u32) {
        match self.live.get(&qq).and_then(|sid| self.sessions.get(sid)) {
            Some(s) => (s.status.clone(), 41),
            None => (
                self.world
                    .account(qq)
                    .map_or("offline".into(), |a| a.status.clone()),
                1,
            ),
        }
    }

    /// `get_recent_list2` (protocol §5.11).
    pub(super) fn recent_list(&mut self, req: &Request, params: &Params) -> Response {
        let sid = match self.live_session(Endpoint::GetRecentList2, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let s = self.sessions.get_mut(&sid).expect("live");
        let recent: Vec<(u8, u64)> = s.recent.iter().copied().collect();
        let list: Vec<Value> = recent
            .into_iter()
            .map(|(kind, n)| {
                let uin = match kind {
                    0 => s.ids.uin(n, &mut self.rng),
                    1 => s.ids.gid(n, &mut self.rng),
                    _ => s.ids.did(n, &mut self.rng),
                };
                json!({"uin": uin, "type": kind})
            })
            .collect();
        ok(Value::Array(list))
    }

    /// `get_discu_info` (protocol §5.5).
    pub(super) fn discu_info(&mut self, req: &Request, params: &Params) -> Response {
        let sid = match self.live_session(Endpoint::GetDiscuInfo, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let did = params.number("did").unwrap_or(0);
        let s = &self.sessions[&sid];
        let Some(d) = s
            .ids
            .discussion_of(did)
            .and_then(|id| self.world.discussion(id))
            .cloned()
        else {
            return self.error_reply(Endpoint::GetDiscuInfo, 6);
        };
        let mut mem_list = Vec::new();
        let mut mem_status = Vec::new();
        let mut mem_info = Vec::new();
        for m in &d.members {
            let (status, client_type) = self.presence(*m);
            let nick = self
                .world
                .account(*m)
                .map(|a| a.nick.clone())
                .unwrap_or_default();
            let s = self.sessions.get_mut(&sid).expect("live");
            let uin = s.ids.uin(*m, &mut self.rng);
            mem_list.push(json!({"mem_uin": uin, "ruin": m}));
            if status != "offline" {
                mem_status.push(json!({"uin": uin, "status": status, "client_type": client_type}));
            }
            mem_info.push(json!({"uin": uin, "nick": nick}));
        }
        let s = self.sessions.get_mut(&sid).expect("live");
        let owner = s.ids.uin(d.owner, &mut self.rng);
        ok(json!({
            "info": {"did": did, "discu_owner": owner, "discu_name": d.name, "info_seq": d.members.len(), "mem_list": mem_list},
            "mem_status": mem_status,
            "mem_info": mem_info,
        }))
    }

    /// `change_status2` (protocol §5.13); `offline` logs out (`lwqq` 2015, §8.4).
    pub(super) fn change_status2(&mut self, req: &Request, params: &Params) -> Response {
        let sid = match self.live_session(Endpoint::ChangeStatus2, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let status = params.get("newstatus").unwrap_or_default();
        if !STATUSES.contains(&status.as_str()) {
            return self.error_reply(Endpoint::ChangeStatus2, 6);
        }
        let qq = self.sessions[&sid].qq;
        self.sessions.get_mut(&sid).expect("live").status = status.clone();
        self.broadcast_status(qq, &status);
        if status == "offline" {
            self.end_session(sid, EndReason::Logout);
        }
        ok(json!("ok"))
    }

    /// Tells every logged-in friend of `qq` its new presence (`buddies_status_change`, §6.5).
    fn broadcast_status(&mut self, qq: u64, status: &str) {
        let friends: Vec<u64> = self
            .world
            .account(qq)
            .map(|a| a.friends.iter().map(|f| f.qq).collect())
            .unwrap_or_default();
        for f in friends {
            let Some(&fsid) = self.live.get(&f) else {
                continue;
            };
            let s = self.sessions.get_mut(&fsid).expect("live");
            let uin = s.ids.uin(qq, &mut self.rng);
            s.push_event(
                "buddies_status_change",
                json!({"uin": uin, "status": status, "client_type": 41}),
            );
            self.release(fsid);
        }
    }

    /// `logout2` (protocol §8.4).
    pub(super) fn logout2(&mut self, req: &Request, params: &Params) -> Response {
        let sid = match self.live_session(Endpoint::Logout2, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        self.end_session(sid, EndReason::Logout);
        ok(json!("ok"))
    }
}
