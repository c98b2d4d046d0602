//! The contact book built from the list CGIs (protocol §5), and the diff of a refresh.

use std::collections::BTreeMap;

use super::super::model::{
    DiscussionInfoResult, DiscussionsResult, FriendsResult, GroupInfoResult, GroupsResult,
    SelfInfo, html_unescape,
};

/// A friend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Friend {
    /// Per-login uin.
    pub uin: u64,
    /// Nickname (HTML entities decoded).
    pub nick: String,
    /// Remark name set by the user.
    pub markname: Option<String>,
    /// Category index (0 = the default "My Friends").
    pub category: u64,
    /// Avatar id.
    pub face: i64,
    /// Status string from the presence snapshot or status events (`None` = offline).
    pub status: Option<String>,
    /// The real QQ number, once resolved.
    pub qq: Option<u64>,
}

/// A member's role in a group (protocol §5.3: owner = `ginfo.owner`, admin = `mflag & 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The owner.
    Owner,
    /// An administrator.
    Admin,
    /// Everyone else.
    Member,
}

/// A group member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Member uin.
    pub uin: u64,
    /// Nickname.
    pub nick: String,
    /// Group business card, if set.
    pub card: Option<String>,
    /// Role.
    pub role: Role,
    /// Online status code (protocol §5.13), if online.
    pub stat: Option<i64>,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group uin (messages, sends).
    pub gid: u64,
    /// Group code (detail request).
    pub code: u64,
    /// Name.
    pub name: String,
    /// Remark name.
    pub markname: Option<String>,
    /// Receive mask: 0 receive, 1 no notification, 2 blocked (protocol §5.2).
    pub mask: i64,
    /// Members, once fetched (lazily, never blocking the poll).
    pub members: Option<Vec<Member>>,
}

/// A discussion member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscussionMember {
    /// Member uin.
    pub uin: u64,
    /// Nickname.
    pub nick: String,
    /// Real QQ number (`ruin`, protocol §5.5).
    pub qq: Option<u64>,
}

/// A discussion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discussion {
    /// Discussion id.
    pub did: u64,
    /// Name.
    pub name: String,
    /// Members, once fetched.
    pub members: Option<Vec<DiscussionMember>>,
}

/// The whole contact book.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contacts {
    /// Own profile, once fetched.
    pub me: Option<SelfInfo>,
    /// Friend categories by index (0 added when absent, protocol §5.1).
    pub categories: BTreeMap<u64, String>,
    /// Friends by uin.
    pub friends: BTreeMap<u64, Friend>,
    /// Groups by gid.
    pub groups: BTreeMap<u64, Group>,
    /// Discussions by did.
    pub discussions: BTreeMap<u64, Discussion>,
}

/// A contact named in a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactRef {
    /// Friend uin.
    Friend(u64),
    /// Group gid.
    Group(u64),
    /// Discussion did.
    Discussion(u64),
}

/// What a refresh found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactsDiff {
    /// New contacts.
    pub added: Vec<ContactRef>,
    /// Gone contacts.
    pub removed: Vec<ContactRef>,
    /// Contacts whose name, remark, category or mask changed.
    pub changed: Vec<ContactRef>,
}

impl ContactsDiff {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl Contacts {
    /// Replaces friends and categories from `get_user_friends2`.
    pub fn set_friends(&mut self, r: FriendsResult) {
        self.categories = r
            .categories
            .into_iter()
            .map(|c| (c.index, html_unescape(&c.name)))
            .collect();
        self.categories
            .entry(0)
            .or_insert_with(|| "我的好友".to_string());
        let mut friends = BTreeMap::new();
        for f in r.friends {
            let old = self.friends.get(&f.uin);
            friends.insert(
                f.uin,
                Friend {
                    uin: f.uin,
                    nick: String::new(),
                    markname: None,
                    category: f.categories,
                    face: 0,
                    status: old.and_then(|o| o.status.clone()),
                    qq: old.and_then(|o| o.qq),
                },
            );
        }
        for i in r.info {
            if let Some(f) = friends.get_mut(&i.uin) {
                f.nick = html_unescape(&i.nick);
                f.face = i.face;
            }
        }
        for m in r.marknames {
            if let Some(f) = friends.get_mut(&m.uin) {
                f.markname = Some(html_unescape(&m.markname));
            }
        }
        self.friends = friends;
    }

    /// Replaces groups from `get_group_name_list_mask2` (members already fetched are kept).
    pub fn set_groups(&mut self, r: GroupsResult) {
        let global_mask = r
            .gmasklist
            .iter()
            .find(|m| m.gid == 1000)
            .map_or(0, |m| m.mask);
        let mut groups = BTreeMap::new();
        for g in r.gnamelist {
            groups.insert(
                g.gid,
                Group {
                    gid: g.gid,
                    code: g.code,
                    name: html_unescape(&g.name),
                    markname: None,
                    mask: r
                        .gmasklist
                        .iter()
                        .find(|m| m.gid == g.gid)
                        .map_or(global_mask, |m| m.mask),
                    members: self.groups.get(&g.gid).and_then(|o| o.members.clone()),
                },
            );
        }
        for m in r.gmarklist {
            if let Some(g) = groups.get_mut(&m.uin) {
                g.markname = Some(html_unescape(&m.markname));
            }
        }
        self.groups = groups;
    }

    /// Replaces discussions from `get_discus_list`.
    pub fn set_discussions(&mut self, r: DiscussionsResult) {
        self.discussions = r
            .dnamelist
            .into_iter()
            .map(|d| {
                let members = self.discussions.get(&d.did).and_then(|o| o.members.clone());
                (
                    d.did,
                    Discussion {
                        did: d.did,
                        name: html_unescape(&d.name),
                        members,
                    },
                )
            })
            .collect();
    }

    /// Fills a group's members from `get_group_info_ext2`.
    pub fn set_group_members(&mut self, gid: u64, r: GroupInfoResult) {
        let Some(group) = self.groups.get_mut(&gid) else {
            return;
        };
        let owner = r.ginfo.owner;
        let members = r
            .ginfo
            .members
            .iter()
            .map(|m| Member {
                uin: m.muin,
                nick: r
                    .minfo
                    .iter()
                    .find(|i| i.uin == m.muin)
                    .map(|i| html_unescape(&i.nick))
                    .unwrap_or_default(),
                card: r
                    .cards
                    .iter()
                    .find(|c| c.muin == m.muin && !c.card.is_empty())
                    .map(|c| html_unescape(&c.card)),
                role: if m.muin == owner {
                    Role::Owner
                } else if m.mflag & 1 == 1 {
                    Role::Admin
                } else {
                    Role::Member
                },
                stat: r.stats.iter().find(|s| s.uin == m.muin).map(|s| s.stat),
            })
            .collect();
        group.members = Some(members);
    }

    /// Fills a discussion's members from `get_discu_info`.
    pub fn set_discussion_members(&mut self, did: u64, r: DiscussionInfoResult) {
        let Some(d) = self.discussions.get_mut(&did) else {
            return;
        };
        d.members = Some(
            r.info
                .mem_list
                .iter()
                .map(|m| DiscussionMember {
                    uin: m.mem_uin,
                    nick: r
                        .mem_info
                        .iter()
                        .find(|i| i.uin == m.mem_uin)
                        .map(|i| html_unescape(&i.nick))
                        .unwrap_or_default(),
                    qq: (m.ruin != 0).then_some(m.ruin),
                })
                .collect(),
        );
    }

    /// Sets a friend's status (`None` = offline).
    pub fn set_status(&mut self, uin: u64, status: Option<String>) {
        if let Some(f) = self.friends.get_mut(&uin) {
            f.status = status.filter(|s| s != "offline");
        }
    }

    /// What changed from `self` to `new` (names, remarks, categories, masks; not presence).
    pub fn diff(&self, new: &Contacts) -> ContactsDiff {
        let mut d = ContactsDiff::default();
        diff_map(
            &self.friends,
            &new.friends,
            ContactRef::Friend,
            |a, b| (&a.nick, &a.markname, a.category) != (&b.nick, &b.markname, b.category),
            &mut d,
        );
        diff_map(
            &self.groups,
            &new.groups,
            ContactRef::Group,
            |a, b| (&a.name, &a.markname, a.mask) != (&b.name, &b.markname, b.mask),
            &mut d,
        );
        diff_map(
            &self.discussions,
            &new.discussions,
            ContactRef::Discussion,
            |a, b| a.name != b.name,
            &mut d,
        );
        d
    }
}

fn diff_map<T>(
    old: &BTreeMap<u64, T>,
    new: &BTreeMap<u64, T>,
    make: fn(u64) -> ContactRef,
    changed: impl Fn(&T, &T) -> bool,
    out: &mut ContactsDiff,
) {
    for (k, v) in new {
        match old.get(k) {
            None => out.added.push(make(*k)),
            Some(o) if changed(o, v) => out.changed.push(make(*k)),
            Some(_) => {}
        }
    }
    out.removed.extend(
        old.keys()
            .filter(|k| !new.contains_key(k))
            .map(|k| make(*k)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webqq::model::decode_result;

    #[test]
    fn friends_with_categories_marknames_and_entities() {
        let body = br#"{"retcode":0,"result":{"friends":[{"uin":1,"categories":2},{"uin":3,"categories":0}],
            "info":[{"uin":1,"nick":"a &amp; b","face":5},{"uin":3,"nick":"c"}],
            "marknames":[{"uin":3,"markname":"Cee"}],"categories":[{"index":2,"sort":1,"name":"Family"}]}}"#;
        let mut c = Contacts::default();
        c.set_friends(decode_result("get_user_friends2", body).unwrap());
        assert_eq!(c.friends[&1].nick, "a & b");
        assert_eq!(c.friends[&1].category, 2);
        assert_eq!(c.friends[&3].markname.as_deref(), Some("Cee"));
        assert_eq!(
            c.categories[&0], "我的好友",
            "default category added (§5.1)"
        );
        assert_eq!(c.categories[&2], "Family");
    }

    #[test]
    fn group_members_roles_and_cards() {
        let mut c = Contacts::default();
        c.set_groups(decode_result("g", br#"{"retcode":0,"result":{"gnamelist":[{"gid":10,"code":20,"name":"g"}],"gmasklist":[{"gid":1000,"mask":1}]}}"#).unwrap());
        assert_eq!(c.groups[&10].mask, 1, "global mask gid 1000 applies");
        let info = br#"{"retcode":0,"result":{"ginfo":{"gid":10,"code":20,"owner":2,"members":[{"muin":1,"mflag":21},{"muin":2,"mflag":0},{"muin":3,"mflag":20}]},
            "minfo":[{"uin":1,"nick":"one"},{"uin":2,"nick":"two"},{"uin":3,"nick":"three"}],"cards":[{"muin":3,"card":"C3"},{"muin":1,"card":""}],"stats":[{"uin":1,"stat":10}]}}"#;
        c.set_group_members(10, decode_result("gi", info).unwrap());
        let m = c.groups[&10].members.as_ref().unwrap();
        assert_eq!(
            m.iter().map(|m| m.role).collect::<Vec<_>>(),
            vec![Role::Admin, Role::Owner, Role::Member]
        );
        assert_eq!(m[2].card.as_deref(), Some("C3"));
        assert_eq!(m[0].card, None, "empty card = none");
        assert_eq!(m[0].stat, Some(10));
    }

    #[test]
    fn diff_reports_added_removed_changed() {
        let mut a = Contacts::default();
        a.set_discussions(decode_result("d", br#"{"retcode":0,"result":{"dnamelist":[{"did":1,"name":"x"},{"did":2,"name":"y"}]}}"#).unwrap());
        let mut b = a.clone();
        b.set_discussions(decode_result("d", br#"{"retcode":0,"result":{"dnamelist":[{"did":2,"name":"y2"},{"did":3,"name":"z"}]}}"#).unwrap());
        let d = a.diff(&b);
        assert_eq!(d.added, vec![ContactRef::Discussion(3)]);
        assert_eq!(d.removed, vec![ContactRef::Discussion(1)]);
        assert_eq!(d.changed, vec![ContactRef::Discussion(2)]);
        assert!(a.diff(&a).is_empty());
    }
}
