//! The s.web2 list and profile CGIs (protocol §5), with each session's own ids.
use serde_json::{Value, json};

use super::{Server, ok};
use crate::emulator::http::{Request, Response};
use crate::emulator::profile::Profile;
use crate::emulator::route::Endpoint;
use crate::webqq::hash::ListHash;

use super::params::Params;

/// `flag` of a group in gnamelist (value from the capture, protocol §5.2; unexplained).
const GROUP_FLAG: u64 = 17_825_793;
/// `class` of ginfo (capture value, protocol §5.3).
const GROUP_CLASS: u64 = 10048;
/// `createtime` of every group: 2014-01-01.
const GROUP_CREATED: u64 = 1_388_534_400;

impl Server {
    /// The hash variants the profile's server accepts for a list (protocol §4.7, §11.1).
    fn accepted_hashes(&self, groups: bool) -> &'static [ListHash] {
        match (self.profile, groups) {
            (Profile::W2013, false) => &[ListHash::PwErr, ListHash::EcOk],
            (Profile::W2013, true) => &[],
            (Profile::W2014, false) => &[ListHash::QSort, ListHash::PwErr],
            (Profile::W2014, true) => &[ListHash::PwErr],
            _ => &[ListHash::EcOk],
        }
    }

    /// Protocol §4: the list hash of the own uin and ptwebqq; 2018 also accepted the hash of
    /// an empty ptwebqq (§4.8).
    fn hash_ok(&self, sid: u64, params: &Params, groups: bool) -> bool {
        let variants = self.accepted_hashes(groups);
        if variants.is_empty() {
            return true;
        }
        let s = &self.sessions[&sid];
        let got = params.get("hash").unwrap_or_default();
        let mut ptwebqqs = vec![s.ptwebqq.as_str()];
        if self.profile == Profile::S2018 {
            ptwebqqs.push("");
        }
        variants.iter().any(|v| {
            ptwebqqs
                .iter()
                .any(|p| v.compute(s.qq, p).eq_ignore_ascii_case(&got))
        })
    }

    /// Dispatches the §5 CGIs.
    pub(super) fn contacts(
        &mut self,
        endpoint: Endpoint,
        req: &Request,
        params: &Params,
    ) -> Response {
        let sid = match self.live_session(endpoint, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        match endpoint {
            Endpoint::GetUserFriends2 | Endpoint::GetGroupNameListMask2 => {
                let groups = endpoint == Endpoint::GetGroupNameListMask2;
                if self.strict.hash && !self.hash_ok(sid, params, groups) {
                    return Response::json(&json!({"retcode":50}));
                }
                if groups {
                    self.group_list(sid)
                } else {
                    self.friend_list(sid)
                }
            }
            Endpoint::GetGroupInfoExt2 => self.group_info(sid, params),
            Endpoint::GetDiscusList => self.discus_list(sid),
            Endpoint::GetFriendUin2 => self.friend_uin(sid, params),
            Endpoint::GetFriendInfo2 | Endpoint::GetStrangerInfo2 => {
                let qq = params
                    .number("tuin")
                    .and_then(|u| self.sessions[&sid].ids.qq_of(u));
                match qq {
                    Some(qq) => self.profile_info(sid, qq, endpoint == Endpoint::GetFriendInfo2),
                    None => self.error_reply(endpoint, 6),
                }
            }
            Endpoint::GetSelfInfo2 => {
                let qq = self.sessions[&sid].qq;
                self.profile_info(sid, qq, false)
            }
            Endpoint::GetSingleLongNick2 => {
                let tuin = params.number("tuin").unwrap_or(0);
                let Some(a) = self.sessions[&sid]
                    .ids
                    .qq_of(tuin)
                    .and_then(|q| self.world.account(q))
                else {
                    return self.error_reply(endpoint, 6);
                };
                ok(json!([{"uin": tuin, "lnick": a.lnick}]))
            }
            Endpoint::GetQqLevel2 => {
                let tuin = params.number("tuin").unwrap_or(0);
                if self.sessions[&sid].ids.qq_of(tuin).is_none() {
                    return self.error_reply(endpoint, 6);
                }
                ok(
                    json!({"level": 37, "days": 1534, "hours": 12219, "remainDays": 62, "tuin": tuin}),
                )
            }
            _ => self.error_reply(endpoint, 6),
        }
    }

    /// `get_user_friends2` (protocol §5.1; capture #25).
    fn friend_list(&mut self, sid: u64) -> Response {
        let qq = self.sessions[&sid].qq;
        let Some(account) = self.world.account(qq).cloned() else {
            return ok(json!({}));
        };
        let (mut friends, mut info, mut marknames, mut vipinfo) = (vec![], vec![], vec![], vec![]);
        for f in &account.friends {
            let uin = self
                .sessions
                .get_mut(&sid)
                .expect("live")
                .ids
                .uin(f.qq, &mut self.rng);
            let other = self.world.account(f.qq);
            friends.push(json!({"flag": 0, "uin": uin, "categories": f.category}));
            info.push(json!({"face": other.map_or(0, |a| a.face), "flag": 0, "nick": other.map_or("", |a| a.nick.as_str()), "uin": uin}));
            if let Some(m) = &f.markname {
                marknames.push(json!({"uin": uin, "markname": m, "type": 0}));
            }
            vipinfo.push(json!({"vip_level": 0, "u": uin, "is_vip": 0}));
        }
        let categories: Vec<Value> = account
            .categories
            .iter()
            .map(|c| json!({"index": c.index, "sort": c.index, "name": c.name}))
            .collect();
        ok(
            json!({"friends": friends, "info": info, "marknames": marknames, "categories": categories, "vipinfo": vipinfo}),
        )
    }

    /// `get_group_name_list_mask2` (protocol §5.2; capture #27).
    fn group_list(&mut self, sid: u64) -> Response {
        let qq = self.sessions[&sid].qq;
        let groups: Vec<(u64, String)> = self
            .world
            .groups_of(qq)
            .into_iter()
            .map(|g| (g.number, g.name.clone()))
            .collect();
        let s = self.sessions.get_mut(&sid).expect("live");
        let gnamelist: Vec<Value> = groups
            .into_iter()
            .map(|(n, name)| {
                let gid = s.ids.gid(n, &mut self.rng);
                let code = s.ids.code(n, &mut self.rng);
                json!({"flag": GROUP_FLAG, "name": name, "gid": gid, "code": code})
            })
            .collect();
        ok(json!({"gmasklist": [], "gnamelist": gnamelist, "gmarklist": []}))
    }

    /// `get_group_info_ext2` (protocol §5.3; capture #31).
    fn group_info(&mut self, sid: u64, params: &Params) -> Response {
        let gcode = params.number("gcode").unwrap_or(0);
        let ids = &self.sessions[&sid].ids;
        let number = match (ids.group_of_code(gcode), ids.group_of_gid(gcode)) {
            (Some(n), _) => n,
            (None, Some(_)) if self.strict.gid_as_code => {
                return self.error_reply(Endpoint::GetGroupInfoExt2, 6);
            }
            (None, Some(n)) => n,
            (None, None) => return self.error_reply(Endpoint::GetGroupInfoExt2, 6),
        };
        let Some(group) = self.world.group(number).cloned() else {
            return self.error_reply(Endpoint::GetGroupInfoExt2, 6);
        };
        let (mut members, mut minfo, mut stats, mut cards, mut vipinfo) =
            (vec![], vec![], vec![], vec![], vec![]);
        for m in &group.members {
            let (status, client_type) = self.presence(m.qq);
            let a = self.world.account(m.qq).cloned();
            let uin = self
                .sessions
                .get_mut(&sid)
                .expect("live")
                .ids
                .uin(m.qq, &mut self.rng);
            members.push(json!({"muin": uin, "mflag": if m.admin { 21 } else { 20 }}));
            minfo.push(json!({
                "nick": a.as_ref().map_or("", |a| a.nick.as_str()), "province": "", "gender": a.as_ref().map_or("unknown", |a| a.gender.as_str()),
                "uin": uin, "country": "", "city": "",
            }));
            if status != "offline" {
                stats.push(json!({"client_type": client_type, "uin": uin, "stat": super::channel::status_code(&status)}));
            }
            if let Some(card) = &m.card {
                cards.push(json!({"muin": uin, "card": card}));
            }
            vipinfo.push(json!({"vip_level": 0, "u": uin, "is_vip": 0}));
        }
        let s = self.sessions.get_mut(&sid).expect("live");
        let gid = s.ids.gid(number, &mut self.rng);
        let code = s.ids.code(number, &mut self.rng);
        let owner = s.ids.uin(group.owner, &mut self.rng);
        let mut result = json!({
            "ginfo": {"face": 0, "memo": group.memo, "class": GROUP_CLASS, "fingermemo": "", "code": code, "createtime": GROUP_CREATED,
                      "flag": 1, "level": 0, "name": group.name, "gid": gid, "owner": owner, "members": members, "option": 2},
            "minfo": minfo, "stats": stats, "vipinfo": vipinfo,
        });
        // Protocol §5.3: `cards` is absent when nobody set one.
        if !cards.is_empty() {
            result["cards"] = Value::Array(cards);
        }
        ok(result)
    }

    /// `get_discus_list` (protocol §5.4).
    fn discus_list(&mut self, sid: u64) -> Response {
        let qq = self.sessions[&sid].qq;
        let list: Vec<(u64, String)> = self
            .world
            .discussions_of(qq)
            .into_iter()
            .map(|d| (d.id, d.name.clone()))
            .collect();
        let s = self.sessions.get_mut(&sid).expect("live");
        let dnamelist: Vec<Value> = list
            .into_iter()
            .map(|(id, name)| json!({"name": name, "did": s.ids.did(id, &mut self.rng)}))
            .collect();
        ok(json!({"dnamelist": dnamelist}))
    }

    /// `get_friend_uin2` (protocol §5.6): type 1 uin → QQ number, type 4 code → group number.
    fn friend_uin(&mut self, sid: u64, params: &Params) -> Response {
        let tuin = params.number("tuin").unwrap_or(0);
        let ids = &self.sessions[&sid].ids;
        let account = match params.number("type").unwrap_or(1) {
            4 => ids.group_of_code(tuin),
            _ => ids.qq_of(tuin),
        };
        match account {
            Some(account) => ok(json!({"uiuin": "", "account": account, "uin": tuin})),
            None => self.error_reply(Endpoint::GetFriendUin2, 6),
        }
    }

    /// `get_friend_info2`, `get_stranger_info2`, `get_self_info2` (protocol §5.7, §5.9;
    /// capture #37).
    fn profile_info(&mut self, sid: u64, qq: u64, friend: bool) -> Response {
        let Some(a) = self.world.account(qq).cloned() else {
            return self.error_reply(Endpoint::GetFriendInfo2, 6);
        };
        let (status, client_type) = self.presence(qq);
        let s = self.sessions.get_mut(&sid).expect("live");
        let own = s.qq == qq;
        let uin = s.ids.uin(qq, &mut self.rng);
        let vfwebqq = s.vfwebqq.clone();
        let token = self.rng.hex(48);
        let mut info = json!({
            "face": a.face, "birthday": {"month": 1, "year": 1990, "day": 1}, "occupation": "", "phone": "", "allow": 1,
            "college": "", "constel": 0, "blood": 0, "stat": super::channel::status_code(&status), "homepage": "",
            "country": "", "city": "", "personal": "", "nick": a.nick, "shengxiao": 0, "email": "",
            "province": "", "gender": a.gender, "mobile": "", "client_type": client_type,
        });
        info["uin"] = json!(uin);
        if own {
            // Protocol §5.9: the own profile has no stat/client_type but lnick and vfwebqq.
            let obj = info.as_object_mut().expect("an object");
            obj.remove("stat");
            obj.remove("client_type");
            info["account"] = json!(qq);
            info["lnick"] = json!(a.lnick);
            info["vfwebqq"] = json!(vfwebqq);
            info["vip_info"] = json!(0);
        } else {
            info["token"] = json!(token);
            // Capture #37: a friend's profile names the account; a stranger's does not.
            if friend {
                info["uiuin"] = json!("");
                info["account"] = json!(qq);
                info["vip_info"] = json!(0);
            }
        }
        ok(info)
    }
}
