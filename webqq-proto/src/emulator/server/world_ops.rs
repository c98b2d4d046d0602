//! World changes of the control API: a simulated user asks to be a friend, joins or leaves a
//! group, or renames itself; the accounts concerned hear it in their poll as the server did.
use serde_json::json;

use super::Server;
use super::deliver::REPLY_IP;
use crate::emulator::control::ControlError;
use crate::emulator::world::{Member, Target};

impl Server {
    /// `from` asks `to` to be friends: `to`'s live session gets a `system_message`
    /// `verify_required` (protocol §6.5, capture in pidgin-lwqq issue #192), which it answers
    /// with `allow_and_add2` or `deny_added_request2` (protocol §5.12).
    pub(crate) fn friend_request(
        &mut self,
        from: u64,
        to: u64,
        message: &str,
    ) -> Result<(), ControlError> {
        self.world
            .account(from)
            .ok_or(ControlError::UnknownAccount(from))?;
        self.world
            .account(to)
            .ok_or(ControlError::UnknownAccount(to))?;
        let sid = *self.live.get(&to).ok_or(ControlError::NotLoggedIn(to))?;
        let seq = self.rng.range(10_000, 99_999);
        let s = self.sessions.get_mut(&sid).expect("live");
        let value = json!({
            "seq": seq, "type": "verify_required", "uiuin": "", "from_uin": s.ids.uin(from, &mut self.rng),
            "account": from, "msg": message, "allow": 1, "stat": 20, "client_type": 1,
        });
        self.queue_event(sid, "system_message", value);
        Ok(())
    }

    /// `qq` joins group `number`; its other members' live sessions get a `sys_g_msg`
    /// `group_join` (msg_type 33, protocol §6.5; the owner let it in).
    pub(crate) fn join_group(&mut self, qq: u64, number: u64) -> Result<(), ControlError> {
        let target = Target::Group(number);
        self.world
            .account(qq)
            .ok_or(ControlError::UnknownAccount(qq))?;
        let g = self
            .world
            .group_mut(number)
            .ok_or(ControlError::UnknownTarget(target))?;
        if g.members.iter().any(|m| m.qq == qq) {
            return Err(ControlError::BadRequest(format!(
                "{qq} is already in group {number}"
            )));
        }
        g.members.push(Member {
            qq,
            admin: false,
            card: None,
        });
        let owner = g.owner;
        let others: Vec<u64> = g
            .members
            .iter()
            .map(|m| m.qq)
            .filter(|m| *m != qq)
            .collect();
        self.world.reindex();
        for other in others {
            let Some(&sid) = self.live.get(&other) else {
                continue;
            };
            let msg_id2 = self.rng.range(100_000, 999_999);
            let s = self.sessions.get_mut(&sid).expect("live");
            let value = json!({
                "msg_id": s.take_msg_id(), "from_uin": s.ids.gid(number, &mut self.rng), "to_uin": other,
                "msg_id2": msg_id2, "msg_type": 33, "reply_ip": REPLY_IP, "type": "group_join",
                "gcode": s.ids.code(number, &mut self.rng), "t_gcode": number, "op_type": 3,
                "new_member": s.ids.uin(qq, &mut self.rng), "t_new_member": "",
                "admin_uin": s.ids.uin(owner, &mut self.rng), "admin_nick": "创建者",
            });
            self.queue_event(sid, "sys_g_msg", value);
        }
        Ok(())
    }

    /// `qq` leaves group `number` (the control API, or its own `quit_group2`); the members
    /// left hear `group_leave` (op_type 2).
    pub(crate) fn leave_group(&mut self, qq: u64, number: u64) -> Result<(), ControlError> {
        let target = Target::Group(number);
        let g = self
            .world
            .group_mut(number)
            .ok_or(ControlError::UnknownTarget(target))?;
        if !g.members.iter().any(|m| m.qq == qq) {
            return Err(ControlError::NotAMember { qq, target });
        }
        g.members.retain(|m| m.qq != qq);
        let others: Vec<u64> = g.members.iter().map(|m| m.qq).collect();
        self.world.reindex();
        for other in others {
            self.tell_group_leave(other, number, qq);
        }
        Ok(())
    }

    /// `qq` takes the nickname `nick`; the lists show it from the next fetch (no poll event
    /// announces a rename in any capture).
    pub(crate) fn rename(&mut self, qq: u64, nick: &str) -> Result<(), ControlError> {
        let a = self
            .world
            .accounts
            .iter_mut()
            .find(|a| a.qq == qq)
            .ok_or(ControlError::UnknownAccount(qq))?;
        a.nick = nick.to_string();
        Ok(())
    }
}
