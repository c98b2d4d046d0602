//! Display names of contacts, from a snapshot of the session's contact book.
use std::collections::HashMap;

use webqq_proto::webqq::session::{Chat, Contacts};

/// Names by the session's ids.
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub me: u64,
    pub friends: HashMap<u64, String>,
    pub groups: HashMap<u64, String>,
    pub discussions: HashMap<u64, String>,
    /// Members of groups and discussions: (gid or did, uin) → card or nick.
    pub members: HashMap<(u64, u64), String>,
}

impl Names {
    pub fn from_contacts(me: u64, c: &Contacts) -> Names {
        let mut n = Names {
            me,
            ..Names::default()
        };
        for f in c.friends.values() {
            let name = f.markname.clone().unwrap_or_else(|| f.nick.clone());
            n.friends.insert(f.uin, name);
        }
        for g in c.groups.values() {
            n.groups.insert(g.gid, g.name.clone());
            for m in g.members.iter().flatten() {
                let name = m.card.clone().unwrap_or_else(|| m.nick.clone());
                n.members.insert((g.gid, m.uin), name);
            }
        }
        for d in c.discussions.values() {
            n.discussions.insert(d.did, d.name.clone());
            for m in d.members.iter().flatten() {
                n.members.insert((d.did, m.uin), m.nick.clone());
            }
        }
        n
    }

    /// `Alice`, or the uin when unknown.
    pub fn friend(&self, uin: u64) -> String {
        self.friends
            .get(&uin)
            .cloned()
            .unwrap_or_else(|| format!("uin {uin}"))
    }

    /// The sender's name in a chat.
    pub fn sender(&self, chat: Chat, uin: u64) -> String {
        if uin == self.me {
            return "me".into();
        }
        let via = match chat {
            Chat::Group(id) | Chat::Discussion(id) => Some(id),
            Chat::Session { via, .. } => Some(via),
            Chat::Friend(_) => None,
        };
        via.and_then(|id| self.members.get(&(id, uin)).cloned())
            .or_else(|| self.friends.get(&uin).cloned())
            .unwrap_or_else(|| format!("uin {uin}"))
    }

    /// `friend Alice`, `group Rustaceans`, `discussion lunch`.
    pub fn chat(&self, chat: Chat) -> String {
        match chat {
            Chat::Friend(uin) => format!("friend {}", self.friend(uin)),
            Chat::Group(gid) => format!(
                "group {}",
                self.groups.get(&gid).cloned().unwrap_or(gid.to_string())
            ),
            Chat::Discussion(did) => format!(
                "discussion {}",
                self.discussions
                    .get(&did)
                    .cloned()
                    .unwrap_or(did.to_string())
            ),
            Chat::Session { from_uin, .. } => format!("temporary chat {}", self.friend(from_uin)),
        }
    }
}
