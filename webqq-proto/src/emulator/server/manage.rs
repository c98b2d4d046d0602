//! The contact-management CGIs of protocol §5.12: remark names, categories, deleting and
//! accepting friends, the signature, leaving groups and discussions. They change the
//! emulator's world; the success bodies were not captured, so they answer
//! `{"retcode":0,"result":"ok"}` (clients only check `retcode == 0`, protocol §5.8).
use serde_json::json;

use super::{Server, ok};
use crate::emulator::http::{Request, Response};
use crate::emulator::route::Endpoint;
use crate::emulator::world::Friend;

use super::params::Params;

impl Server {
    /// Dispatches the §5.12 CGIs.
    pub(super) fn manage(
        &mut self,
        endpoint: Endpoint,
        req: &Request,
        params: &Params,
    ) -> Response {
        let sid = match self.live_session(endpoint, req, params) {
            Ok(sid) => sid,
            Err(resp) => return resp,
        };
        let me = self.sessions[&sid].qq;
        let tuin_qq = params
            .number("tuin")
            .and_then(|u| self.sessions[&sid].ids.qq_of(u));
        let result = match endpoint {
            Endpoint::ChangeMarkName2 => tuin_qq.and_then(|q| {
                let markname = params.get("markname").filter(|m| !m.is_empty());
                self.friend_mut(me, q).map(|f| f.markname = markname)
            }),
            Endpoint::ModifyFriendGroup => tuin_qq.and_then(|q| {
                let newid = params.number("newid")? as u32;
                let known = newid == 0
                    || self
                        .world
                        .account(me)?
                        .categories
                        .iter()
                        .any(|c| c.index == newid);
                known.then_some(())?;
                self.friend_mut(me, q).map(|f| f.category = newid)
            }),
            Endpoint::DeleteFriend => tuin_qq.and_then(|q| {
                // delType 2 also removes me from their list (protocol §5.12, `lwqq` type.h).
                let both = params.number("delType") == Some(2);
                self.unfriend(me, q).then_some(())?;
                self.tell_buddylist(me, q, false, 0);
                if both && self.unfriend(q, me) {
                    self.tell_buddylist(q, me, false, 0);
                }
                Some(())
            }),
            Endpoint::SetLongNick2 => {
                let nlk = params.get("nlk").unwrap_or_default();
                self.account_mut(me).map(|a| a.lnick = nlk)
            }
            Endpoint::AllowAndAdd2 | Endpoint::AllowAddedRequest2 => {
                params.number("account").and_then(|q| {
                    self.world.account(q)?;
                    let category = params.number("gid").unwrap_or(0) as u32;
                    let markname = params.get("mname").filter(|m| !m.is_empty());
                    if self.befriend(q, me, 0, None) {
                        self.tell_buddylist(q, me, true, 0);
                    }
                    if endpoint == Endpoint::AllowAndAdd2
                        && self.befriend(me, q, category, markname)
                    {
                        self.tell_buddylist(me, q, true, category);
                    }
                    Some(())
                })
            }
            Endpoint::DenyAddedRequest2 => params
                .number("account")
                .and_then(|q| self.world.account(q).map(|_| ())),
            Endpoint::GetSelfBusinessCard2 => {
                let gcode = params.number("gcode").unwrap_or(0);
                let Some(number) = self.sessions[&sid].ids.group_of_code(gcode) else {
                    return self.error_reply(endpoint, 6);
                };
                let card = self
                    .world
                    .group(number)
                    .and_then(|g| g.members.iter().find(|m| m.qq == me))
                    .and_then(|m| m.card.clone())
                    .unwrap_or_default();
                let gender = match self.world.account(me).map(|a| a.gender.as_str()) {
                    Some("male") => 1,
                    Some("female") => 2,
                    _ => 0,
                };
                // Protocol §5.12 capture of lwqq.
                return ok(
                    json!({"phone": "", "muin": me, "email": "", "remark": "", "gcode": gcode, "name": card, "gender": gender}),
                );
            }
            Endpoint::QuitGroup2 => params.number("gcode").and_then(|c| {
                let number = self.sessions[&sid].ids.group_of_code(c)?;
                self.leave_group(me, number).ok()
            }),
            Endpoint::QuitDiscu => params.number("did").and_then(|d| {
                let id = self.sessions[&sid].ids.discussion_of(d)?;
                let disc = self.world.discussions.iter_mut().find(|x| x.id == id)?;
                disc.members.retain(|m| *m != me);
                self.world.reindex();
                Some(())
            }),
            _ => None,
        };
        match result {
            Some(()) => ok(json!("ok")),
            None => self.error_reply(endpoint, 6),
        }
    }

    fn account_mut(&mut self, qq: u64) -> Option<&mut crate::emulator::world::Account> {
        self.world.accounts.iter_mut().find(|a| a.qq == qq)
    }

    fn friend_mut(&mut self, of: u64, friend: u64) -> Option<&mut Friend> {
        self.account_mut(of)?
            .friends
            .iter_mut()
            .find(|f| f.qq == friend)
    }

    /// Removes `friend` from `of`'s list; false when it was not there.
    fn unfriend(&mut self, of: u64, friend: u64) -> bool {
        let Some(a) = self.account_mut(of) else {
            return false;
        };
        let before = a.friends.len();
        a.friends.retain(|f| f.qq != friend);
        a.friends.len() != before
    }

    /// Adds `friend` to `of`'s list unless already there; true when added.
    fn befriend(&mut self, of: u64, friend: u64, category: u32, markname: Option<String>) -> bool {
        let Some(a) = self.account_mut(of) else {
            return false;
        };
        let category = if a.categories.iter().any(|c| c.index == category) {
            category
        } else {
            0
        };
        if a.friends.iter().any(|f| f.qq == friend) {
            return false;
        }
        a.friends.push(Friend {
            qq: friend,
            category,
            markname,
        });
        true
    }

    /// `buddylist_change` to `of`'s live session (protocol §6.5, `lwqq`).
    fn tell_buddylist(&mut self, of: u64, friend: u64, added: bool, category: u32) {
        let Some(&sid) = self.live.get(&of) else {
            return;
        };
        let s = self.sessions.get_mut(&sid).expect("live");
        let uin = s.ids.uin(friend, &mut self.rng);
        let value = if added {
            json!({"added_friends": [{"uin": uin, "groupid": category}], "removed_friends": []})
        } else {
            json!({"added_friends": [], "removed_friends": [{"uin": uin}]})
        };
        self.queue_event(sid, "buddylist_change", value);
    }

    /// `sys_g_msg` `group_leave` (op_type 2: left) to `member`'s live session (capture #51).
    pub(super) fn tell_group_leave(&mut self, member: u64, group: u64, leaver: u64) {
        let Some(&sid) = self.live.get(&member) else {
            return;
        };
        let msg_id2 = self.rng.range(100_000, 999_999);
        let s = self.sessions.get_mut(&sid).expect("live");
        let value = json!({
            "msg_id": s.take_msg_id(), "from_uin": s.ids.gid(group, &mut self.rng), "to_uin": member,
            "msg_id2": msg_id2, "msg_type": 34, "reply_ip": super::deliver::REPLY_IP, "type": "group_leave",
            "gcode": s.ids.code(group, &mut self.rng), "t_gcode": group, "op_type": 2,
            "old_member": s.ids.uin(leaver, &mut self.rng), "t_old_member": "",
        });
        self.queue_event(sid, "sys_g_msg", value);
    }
}
