//! Stable OneBot ids for WebQQ's per-login ones (issue 9, item 5).
//!
//! WebQQ hands out a new uin for every contact and a new gid for every group at each login
//! (protocol §2, §5), while OneBot bots keep `user_id` / `group_id` across runs. A user whose
//! real QQ number the protocol gave (`get_friend_uin2` in the eras that have it, protocol
//! §5.6; a discussion member's `ruin`, §5.5; a friend request's `account`, §6.5) has that
//! number as id. Everyone else gets a surrogate id (from [`SURROGATE_BASE`] up, far above real
//! QQ numbers) kept in a record of the attributes that outlive a login ([`Traits`]: a
//! friend's nickname, remark name, category and avatar, protocol §5.1; a member's nickname and
//! groups, §5.3; a group's name and remark, §5.2), matched at the next login by
//! [`match_record`]. Records follow their contact through a login, so a rename while logged in
//! is absorbed; a rename between logins is matched on the attributes left and reported
//! uncertain.
//!
//! The records live in a file, written to a temporary file and renamed over the old one, so a
//! crash leaves either the old or the new map.
mod book;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use webqq_proto::webqq::session::Contacts;

use book::Book;

/// The first surrogate id (real QQ numbers are below it).
pub const SURROGATE_BASE: u64 = 1_000_000_000_000;
/// The attribute holding a real QQ number, once known; it decides alone.
const QQ: &str = "qq";
/// Attributes that must still agree for a record one attribute away to keep its id.
pub const MIN_AGREEING: usize = 2;
/// Most records kept per kind; beyond it new contacts get ids that are not saved (this also
/// bounds the file and its index, kept by id and by attribute).
pub const MAX_RECORDS: usize = 100_000;
/// Most users bound in one login from messages alone (strangers: senders outside the friend,
/// group and discussion lists), far above the temporary chats of a real account. The server
/// picks these uins, so past the limit the least recently seen stranger is unbound; contacts
/// from the lists never count and are never unbound.
pub const MAX_STRANGERS: usize = 10_000;

/// What kind of thing an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A user (friend, member or stranger).
    User,
    /// A group.
    Group,
    /// A discussion.
    Discuss,
}

/// An id whose mapping may not be the same contact as before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncertain {
    /// What kind.
    pub kind: Kind,
    /// The id given.
    pub id: u64,
    /// Why it is uncertain.
    pub reason: String,
}

/// Attribute name → value of a contact, as far as this login knows them. Only attributes
/// known on both sides are compared.
pub type Traits = BTreeMap<String, String>;

/// One id and the attributes it was last seen with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The OneBot id.
    pub id: u64,
    /// Its attributes.
    pub traits: Traits,
}

/// What [`match_record`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The earlier id to keep, if any (`None`: a new id).
    pub id: Option<u64>,
    /// Why the decision may be wrong.
    pub uncertain: Option<String>,
}

/// The matching rule, for a contact seen with `seen` against the earlier `records` (with
/// whether each is already taken by another contact of this login):
///
/// 1. A record is a candidate when it shares at least one known attribute with `seen`; its
///    distance is the number of shared attributes whose values differ.
/// 2. Distance 0 ("the same contact"): the first untaken one is kept; several such records
///    make it uncertain (they cannot be told apart). If all are taken: a new id, uncertain.
/// 3. Otherwise distance 1 ("one attribute changed", a rename) with at least
///    [`MIN_AGREEING`] attributes still equal: kept, uncertain, when exactly one untaken
///    record is that close; several: a new id, uncertain. (A group member is known by its
///    nickname and groups only: renamed, it is a new id, as any other member of the group
///    would match as well.)
/// 4. Otherwise a new id.
pub fn match_record<'a>(
    records: impl IntoIterator<Item = (&'a Record, bool)>,
    seen: &Traits,
) -> Match {
    let mut exact: Vec<(u64, bool)> = Vec::new();
    let mut near: Vec<(u64, String)> = Vec::new();
    for (r, taken) in records {
        let (shared, changed) = compare(&r.traits, seen);
        if shared == 0 {
            continue;
        }
        match changed.len() {
            0 => exact.push((r.id, taken)),
            1 if !taken && shared > MIN_AGREEING => near.push((r.id, changed[0].clone())),
            _ => {}
        }
    }
    if !exact.is_empty() {
        let free = exact.iter().find(|(_, taken)| !taken).map(|(id, _)| *id);
        return match (free, exact.len()) {
            (Some(id), 1) => Match {
                id: Some(id),
                uncertain: None,
            },
            (Some(id), n) => Match {
                id: Some(id),
                uncertain: Some(format!("{n} earlier contacts have the same attributes")),
            },
            (None, _) => Match {
                id: None,
                uncertain: Some("the same attributes as another contact".into()),
            },
        };
    }
    match near.as_slice() {
        [] => Match {
            id: None,
            uncertain: None,
        },
        [(id, attr)] => Match {
            id: Some(*id),
            uncertain: Some(format!("{attr} changed")),
        },
        more => Match {
            id: None,
            uncertain: Some(format!(
                "{} earlier contacts differ from it in one attribute",
                more.len()
            )),
        },
    }
}

/// How many attributes `before` and `now` share (rule 1), and which of those differ.
fn compare<'a>(before: &Traits, now: &'a Traits) -> (usize, Vec<&'a String>) {
    let mut shared = 0;
    let mut changed = Vec::new();
    for (k, value) in now {
        if let Some(was) = before.get(k) {
            shared += 1;
            if was != value {
                changed.push(k);
            }
        }
    }
    (shared, changed)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    next: u64,
    users: Book,
    groups: Book,
    discussions: Book,
}

impl Saved {
    /// Reads the file; the first format (`"users": {"nick:<name>": id, …}`) becomes records
    /// with only a nickname (groups' and discussions' `name:` keys likewise).
    fn parse(bytes: &[u8]) -> serde_json::Result<Saved> {
        let v: Value = serde_json::from_slice(bytes)?;
        if !v["users"].is_object() {
            return serde_json::from_value(v);
        }
        let records = |map: &Value, prefix: &str, attr: &str| -> Vec<Record> {
            map.as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, id)| {
                    let value = k.strip_prefix(prefix)?;
                    Some(Record {
                        id: id.as_u64()?,
                        traits: Traits::from([(attr.to_string(), value.to_string())]),
                    })
                })
                .collect()
        };
        Ok(Saved {
            next: v["next"].as_u64().unwrap_or(0),
            users: records(&v["users"], "nick:", "nick").into(),
            groups: records(&v["groups"], "name:", "name").into(),
            discussions: records(&v["discussions"], "name:", "name").into(),
        })
    }

    fn records(&mut self, kind: Kind) -> &mut Book {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
            Kind::Discuss => &mut self.discussions,
        }
    }
}

/// This login's runtime id ↔ OneBot id bindings of one kind.
#[derive(Debug, Default)]
struct Bindings {
    forward: HashMap<u64, u64>,
    back: HashMap<u64, u64>,
}

impl Bindings {
    fn bind(&mut self, runtime: u64, id: u64) {
        self.forward.insert(runtime, id);
        self.back.insert(id, runtime);
    }
}

/// This login's users bound from messages alone, by when each was last seen (for
/// [`MAX_STRANGERS`]).
#[derive(Debug, Default)]
struct Strangers {
    clock: u64,
    seen: HashMap<u64, u64>,
    by_age: BTreeMap<u64, u64>,
}

impl Strangers {
    /// Marks `uin` seen now.
    fn touch(&mut self, uin: u64) {
        self.forget(uin);
        self.clock += 1;
        self.seen.insert(uin, self.clock);
        self.by_age.insert(self.clock, uin);
    }

    /// `uin` is no stranger (any more).
    fn forget(&mut self, uin: u64) {
        if let Some(at) = self.seen.remove(&uin) {
            self.by_age.remove(&at);
        }
    }

    /// The least recently seen stranger, removed, when there are `limit` or more.
    fn evict(&mut self, limit: usize) -> Option<u64> {
        if self.seen.len() < limit {
            return None;
        }
        let (_, uin) = self.by_age.pop_first()?;
        self.seen.remove(&uin);
        Some(uin)
    }
}

/// The persistent records and this login's uin / gid / did bindings.
#[derive(Debug)]
pub struct IdStore {
    path: Option<PathBuf>,
    saved: Saved,
    dirty: bool,
    users: Bindings,
    groups: Bindings,
    discussions: Bindings,
    strangers: Strangers,
    /// Records the matching rule weighed (the index's work).
    #[cfg(test)]
    weighed: usize,
}

/// One contact to bind: its runtime id, real number if known, and attributes.
struct Seen {
    runtime: u64,
    qq: Option<u64>,
    traits: Traits,
}

fn traits<const N: usize>(pairs: [(&str, String); N]) -> Traits {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl IdStore {
    /// Loads the records from `path` (a missing file is an empty map); `None`: in memory only.
    pub fn open(path: Option<PathBuf>) -> io::Result<IdStore> {
        let saved = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => Saved::parse(&bytes).map_err(|e| {
                    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", p.display()))
                })?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => Saved::default(),
                Err(e) => return Err(e),
            },
            None => Saved::default(),
        };
        Ok(IdStore {
            path,
            saved,
            dirty: false,
            users: Bindings::default(),
            groups: Bindings::default(),
            discussions: Bindings::default(),
            strangers: Strangers::default(),
            #[cfg(test)]
            weighed: 0,
        })
    }

    /// Writes the records if they changed: to `<file>.tmp`, then renamed over the file.
    pub fn save(&mut self) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.dirty {
            return Ok(());
        }
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(&self.saved).map_err(io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)?;
        self.dirty = false;
        Ok(())
    }

    /// Binds the contacts of `contacts` that have no id this login yet, and refreshes the
    /// records of those that have. `new_login`: the uins, gids and dids are new, forget the
    /// old bindings first. Returns the ids whose mapping is uncertain.
    pub fn rebind(&mut self, contacts: &Contacts, new_login: bool) -> Vec<Uncertain> {
        if new_login {
            self.users = Bindings::default();
            self.groups = Bindings::default();
            self.discussions = Bindings::default();
            self.strangers = Strangers::default();
        }
        let mut u = Vec::new();
        let groups: Vec<Seen> = contacts
            .groups
            .values()
            .map(|g| Seen {
                runtime: g.gid,
                qq: None,
                traits: traits([
                    ("name", g.name.clone()),
                    ("markname", g.markname.clone().unwrap_or_default()),
                ]),
            })
            .collect();
        self.bind_all(Kind::Group, groups, &mut u);
        let discussions: Vec<Seen> = contacts
            .discussions
            .values()
            .map(|d| Seen {
                runtime: d.did,
                qq: None,
                traits: traits([("name", d.name.clone())]),
            })
            .collect();
        self.bind_all(Kind::Discuss, discussions, &mut u);

        let mut users: Vec<Seen> = Vec::new();
        if let Some(me) = &contacts.me {
            users.push(Seen {
                runtime: me.uin,
                qq: Some(me.account.max(me.uin)),
                traits: traits([("nick", me.nick.clone())]),
            });
        }
        users.extend(contacts.friends.values().map(|f| Seen {
            runtime: f.uin,
            qq: f.qq,
            traits: traits([
                ("nick", f.nick.clone()),
                ("markname", f.markname.clone().unwrap_or_default()),
                ("category", f.category.to_string()),
                ("face", f.face.to_string()),
            ]),
        }));
        // Members who are not friends: nickname and the (stable ids of the) groups they are in.
        let mut member_groups: BTreeMap<u64, (String, BTreeSet<u64>)> = BTreeMap::new();
        for g in contacts.groups.values() {
            let gid = self.groups.forward.get(&g.gid).copied().unwrap_or(0);
            for m in g.members.iter().flatten() {
                let e = member_groups
                    .entry(m.uin)
                    .or_insert_with(|| (m.nick.clone(), BTreeSet::new()));
                e.1.insert(gid);
            }
        }
        // Each user once, by its best-known role (own account, friend, numbered discussion
        // member, group member), so its record does not flip between two sets of attributes.
        let mut known: BTreeSet<u64> = users.iter().map(|u| u.runtime).collect();
        for d in contacts.discussions.values() {
            for m in d.members.iter().flatten() {
                if m.qq.is_some() && known.insert(m.uin) {
                    users.push(Seen {
                        runtime: m.uin,
                        qq: m.qq,
                        traits: traits([("nick", m.nick.clone())]),
                    });
                }
            }
        }
        users.extend(
            member_groups
                .into_iter()
                .filter(|(uin, _)| !known.contains(uin))
                .map(|(uin, (nick, groups))| Seen {
                    runtime: uin,
                    qq: None,
                    traits: traits([
                        ("nick", nick),
                        (
                            "groups",
                            groups
                                .iter()
                                .map(u64::to_string)
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                    ]),
                }),
        );
        self.bind_all(Kind::User, users, &mut u);
        u
    }

    /// The user id of `uin`, binding it when new this login: to `qq` when known (or the
    /// record holding it), else to a new surrogate (a contact outside the book has no
    /// attributes to match). Such a stranger gets no record (its number decides alone), and
    /// past [`MAX_STRANGERS`] the least recently seen one is unbound first.
    pub fn user(&mut self, uin: u64, qq: Option<u64>) -> u64 {
        if let Some(&id) = self.users.forward.get(&uin) {
            if self.strangers.seen.contains_key(&uin) {
                self.strangers.touch(uin);
            }
            return id;
        }
        let id = match qq.filter(|q| *q > 0 && *q < SURROGATE_BASE) {
            Some(qq) => self.by_number(Kind::User, qq),
            None => self.new_surrogate(),
        };
        if let Some(old) = self.strangers.evict(MAX_STRANGERS) {
            // Its id may name a contact by now (a number it shares with a friend bound
            // later): that binding stays.
            if let Some(old_id) = self.users.forward.remove(&old)
                && self.users.back.get(&old_id) == Some(&old)
            {
                self.users.back.remove(&old_id);
            }
        }
        self.users.bind(uin, id);
        self.strangers.touch(uin);
        id
    }

    /// Whether `uin` is bound to a surrogate whose record does not have the real number yet.
    pub fn lacks_number(&mut self, uin: u64) -> bool {
        let Some(id) = self.user_id(uin).filter(|id| *id >= SURROGATE_BASE) else {
            return false;
        };
        !self
            .saved
            .users
            .get(id)
            .is_some_and(|r| r.traits.contains_key(QQ))
    }

    /// The user id bound to `uin` this login.
    pub fn user_id(&self, uin: u64) -> Option<u64> {
        self.users.forward.get(&uin).copied()
    }

    /// The group id bound to `gid` this login.
    pub fn group_id(&self, gid: u64) -> Option<u64> {
        self.groups.forward.get(&gid).copied()
    }

    /// The discussion id bound to `did` this login.
    pub fn discuss_id(&self, did: u64) -> Option<u64> {
        self.discussions.forward.get(&did).copied()
    }

    /// This login's uin for a user id.
    pub fn uin(&self, user_id: u64) -> Option<u64> {
        self.users.back.get(&user_id).copied()
    }

    /// This login's gid for a group id.
    pub fn gid(&self, group_id: u64) -> Option<u64> {
        self.groups.back.get(&group_id).copied()
    }

    /// This login's did for a discussion id.
    pub fn did(&self, discuss_id: u64) -> Option<u64> {
        self.discussions.back.get(&discuss_id).copied()
    }

    fn bindings(&mut self, kind: Kind) -> &mut Bindings {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
            Kind::Discuss => &mut self.discussions,
        }
    }

    /// Binds `seen` in three passes: contacts already bound (their records take the new
    /// attributes) and contacts with a real number (the record holding that number, else the
    /// number); unambiguous exact matches (so that they are taken before the rest is
    /// matched); then [`match_record`] for everything left. Only contacts without a number
    /// reach the rule, so a number is never weighed as one attribute among others.
    fn bind_all(&mut self, kind: Kind, seen: Vec<Seen>, u: &mut Vec<Uncertain>) {
        let mut left = Vec::new();
        for mut s in seen {
            let qq = s.qq.filter(|q| *q > 0 && *q < SURROGATE_BASE);
            if let Some(qq) = qq {
                s.traits.insert(QQ.into(), qq.to_string());
            }
            if kind == Kind::User {
                self.strangers.forget(s.runtime);
            }
            if let Some(&id) = self.bindings(kind).forward.get(&s.runtime) {
                self.remember(kind, id, s.traits);
            } else if let Some(qq) = qq {
                let id = self.by_number(kind, qq);
                self.bindings(kind).bind(s.runtime, id);
                self.remember(kind, id, s.traits);
            } else {
                left.push(s);
            }
        }
        let mut rest = Vec::new();
        for s in left {
            let m = self.matching(kind, &s.traits);
            match m {
                Match {
                    id: Some(id),
                    uncertain: None,
                } => {
                    self.bindings(kind).bind(s.runtime, id);
                    self.remember(kind, id, s.traits);
                }
                _ => rest.push(s),
            }
        }
        for s in rest {
            let m = self.matching(kind, &s.traits);
            let id = m.id.unwrap_or_else(|| self.new_surrogate());
            self.bindings(kind).bind(s.runtime, id);
            self.remember(kind, id, s.traits);
            if let Some(reason) = m.uncertain {
                u.push(Uncertain { kind, id, reason });
            }
        }
    }

    /// The id of real number `qq`: the free record that has it (a surrogate given before the
    /// number was known), else the number itself.
    fn by_number(&mut self, kind: Kind, qq: u64) -> u64 {
        self.saved
            .records(kind)
            .find(QQ, &qq.to_string())
            .map(|r| r.id)
            .filter(|id| !self.bindings(kind).back.contains_key(id))
            .unwrap_or(qq)
    }

    /// A surrogate never given before.
    fn new_surrogate(&mut self) -> u64 {
        let id = SURROGATE_BASE + self.saved.next;
        self.saved.next += 1;
        self.dirty = true;
        id
    }

    fn matching(&mut self, kind: Kind, traits: &Traits) -> Match {
        if traits.is_empty() {
            return Match {
                id: None,
                uncertain: None,
            };
        }
        let (book, bound) = match kind {
            Kind::User => (&mut self.saved.users, &self.users),
            Kind::Group => (&mut self.saved.groups, &self.groups),
            Kind::Discuss => (&mut self.saved.discussions, &self.discussions),
        };
        let taken = &bound.back;
        let candidates = book.candidates(traits, |id| taken.contains_key(&id));
        #[cfg(test)]
        {
            self.weighed += candidates.len();
        }
        let records = book.records();
        match_record(
            candidates.into_iter().map(|i| {
                let r = &records[i];
                (r, taken.contains_key(&r.id))
            }),
            traits,
        )
    }

    /// Stores `traits` as the latest attributes of `id` (nothing for a contact without any);
    /// a QQ number once known stays (a later login may not learn it again).
    fn remember(&mut self, kind: Kind, id: u64, mut traits: Traits) {
        if traits.is_empty() {
            return;
        }
        let records = self.saved.records(kind);
        let before = records.get(id);
        if let Some(number) = before.and_then(|r| r.traits.get(QQ)) {
            traits
                .entry(QQ.to_string())
                .or_insert_with(|| number.clone());
        }
        match before {
            Some(r) if r.traits == traits => return,
            Some(_) => records.set_traits(id, traits),
            None if records.len() < MAX_RECORDS => records.push(Record { id, traits }),
            None => return,
        }
        self.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webqq_proto::webqq::session::{Friend, Group};

    fn t(pairs: &[(&str, &str)]) -> Traits {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn rec(id: u64, pairs: &[(&str, &str)]) -> Record {
        Record {
            id,
            traits: t(pairs),
        }
    }

    #[test]
    fn the_matching_rule() {
        let bob = rec(1, &[("nick", "Bob"), ("face", "3"), ("category", "1")]);
        let alice = rec(2, &[("nick", "Alice"), ("face", "0"), ("category", "1")]);
        let twin = rec(3, &[("nick", "Bob"), ("face", "3"), ("category", "1")]);
        let member = rec(4, &[("nick", "Bob"), ("groups", "7")]);
        let kept = |id| Match {
            id: Some(id),
            uncertain: None,
        };
        let unsure = |id: Option<u64>, why: &str| Match {
            id,
            uncertain: Some(why.into()),
        };
        let new = Match {
            id: None,
            uncertain: None,
        };
        let bob_now = t(&[("nick", "Bob"), ("face", "3"), ("category", "1")]);
        let renamed = t(&[("nick", "Robert"), ("face", "3"), ("category", "1")]);
        // (records with "taken", seen, decision)
        type Row<'a> = (Vec<(&'a Record, bool)>, Traits, Match);
        let table: Vec<Row> = vec![
            // Rule 2: one record with the same attributes.
            (
                vec![(&bob, false), (&alice, false)],
                bob_now.clone(),
                kept(1),
            ),
            // Rule 2: twins cannot be told apart; the first untaken one, uncertain.
            (
                vec![(&bob, false), (&twin, false)],
                bob_now.clone(),
                unsure(Some(1), "2 earlier contacts have the same attributes"),
            ),
            (
                vec![(&bob, true), (&twin, false)],
                bob_now.clone(),
                unsure(Some(3), "2 earlier contacts have the same attributes"),
            ),
            (
                vec![(&bob, true)],
                bob_now.clone(),
                unsure(None, "the same attributes as another contact"),
            ),
            // Rule 3: a rename keeps the id when only one record is one attribute away.
            (
                vec![(&bob, false), (&alice, false)],
                renamed.clone(),
                unsure(Some(1), "nick changed"),
            ),
            // ... not when the one close record is taken by someone else of this login,
            (
                vec![(&bob, true), (&alice, false)],
                renamed.clone(),
                new.clone(),
            ),
            // ... nor when two are.
            (
                vec![(&bob, false), (&twin, false)],
                renamed,
                unsure(None, "2 earlier contacts differ from it in one attribute"),
            ),
            // Rule 1: only shared attributes count (a member's record against a friend).
            (vec![(&member, false)], bob_now, kept(4)),
            // Rule 3 needs two attributes left that agree: a renamed member is someone new.
            (
                vec![(&member, false)],
                t(&[("nick", "Robert"), ("groups", "7")]),
                new.clone(),
            ),
            // Rule 4: two changed attributes are another contact.
            (
                vec![(&alice, false)],
                t(&[("nick", "Carol"), ("face", "6"), ("category", "1")]),
                new.clone(),
            ),
            // Rule 1: nothing shared, no candidate.
            (vec![(&bob, false)], t(&[("name", "Bob")]), new),
        ];
        for (i, (records, seen, want)) in table.into_iter().enumerate() {
            assert_eq!(match_record(records, &seen), want, "row {i}");
        }
    }

    fn friend(uin: u64, nick: &str, face: i64) -> Friend {
        Friend {
            uin,
            nick: nick.into(),
            markname: None,
            category: 0,
            face,
            status: None,
            qq: None,
        }
    }

    fn contacts(uins: [u64; 2], gid: u64, bob: &str) -> Contacts {
        let mut c = Contacts::default();
        c.friends.insert(uins[0], friend(uins[0], "alice", 1));
        c.friends.insert(uins[1], friend(uins[1], bob, 2));
        c.groups.insert(
            gid,
            Group {
                gid,
                code: gid + 1,
                name: "g".into(),
                markname: None,
                mask: 0,
                members: None,
            },
        );
        c
    }

    #[test]
    fn ids_survive_a_relogin_a_rename_and_a_restart() {
        let dir = std::env::temp_dir().join(format!("webqq-ids-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("onebot-ids.json");
        let _ = std::fs::remove_file(&path);
        let mut s = IdStore::open(Some(path.clone())).unwrap();
        assert!(s.rebind(&contacts([11, 12], 50, "bob"), true).is_empty());
        let (alice, bob, group) = (
            s.user_id(11).unwrap(),
            s.user_id(12).unwrap(),
            s.group_id(50).unwrap(),
        );
        assert!(alice >= SURROGATE_BASE);
        s.save().unwrap();
        // New uins and gid on the next login, in a new process; Bob renamed in between.
        let mut s = IdStore::open(Some(path)).unwrap();
        let u = s.rebind(&contacts([21, 22], 60, "robert"), true);
        assert_eq!(s.user_id(21), Some(alice));
        assert_eq!(s.group_id(60), Some(group));
        assert_eq!(s.uin(alice), Some(21));
        assert_eq!(s.user_id(22), Some(bob), "matched on the attributes left");
        assert_eq!(
            u,
            vec![Uncertain {
                kind: Kind::User,
                id: bob,
                reason: "nick changed".into()
            }]
        );
        // The record follows the rename: the next login is certain again.
        assert!(s.rebind(&contacts([31, 32], 70, "robert"), true).is_empty());
        assert_eq!(s.user_id(32), Some(bob));
    }

    #[test]
    fn a_rename_within_a_login_keeps_the_binding() {
        let mut s = IdStore::open(None).unwrap();
        s.rebind(&contacts([1, 2], 5, "bob"), true);
        let bob = s.user_id(2).unwrap();
        assert!(s.rebind(&contacts([1, 2], 5, "bobby"), false).is_empty());
        assert_eq!(s.user_id(2), Some(bob));
    }

    #[test]
    fn twins_are_reported_uncertain() {
        let mut s = IdStore::open(None).unwrap();
        let mut c = Contacts::default();
        c.friends.insert(1, friend(1, "same", 0));
        c.friends.insert(2, friend(2, "same", 0));
        // The second cannot be told from the first, already at first sight.
        assert_eq!(s.rebind(&c, true).len(), 1);
        let (a, b) = (s.user_id(1), s.user_id(2));
        assert_ne!(a, b);
        let u = s.rebind(&c, true);
        assert_eq!(u.len(), 2, "{u:?}");
        assert_ne!(s.user_id(1), s.user_id(2));
    }

    #[test]
    fn a_real_qq_number_is_the_id_and_later_matches_by_attributes() {
        let mut s = IdStore::open(None).unwrap();
        assert_eq!(s.user(5, Some(12345)), 12345);
        assert_eq!(s.uin(12345), Some(5));
        let mut c = contacts([5, 6], 9, "bob");
        c.friends.get_mut(&5).unwrap().qq = Some(12345);
        s.rebind(&c, false);
        assert_eq!(s.user_id(5), Some(12345), "bound before, kept");
        // Next login without the number (get_friend_uin2 failed): the attributes find it.
        s.rebind(&contacts([7, 8], 10, "bob"), true);
        assert_eq!(s.user_id(7), Some(12345));
        assert!(!s.lacks_number(7));
        assert!(s.lacks_number(8), "bob has a surrogate and no number yet");
        let mut c = contacts([7, 8], 10, "bob");
        c.friends.get_mut(&8).unwrap().qq = Some(777);
        s.rebind(&c, false);
        assert!(!s.lacks_number(8), "the number joins the record");
        assert!(s.user_id(8).unwrap() >= SURROGATE_BASE, "the id stays");
        s.rebind(&contacts([9, 10], 11, "bob"), true);
        assert!(!s.lacks_number(10), "matched by attributes, number known");
    }

    #[test]
    fn strangers_are_bounded_and_never_displace_contacts() {
        let mut s = IdStore::open(None).unwrap();
        s.rebind(&contacts([1, 2], 3, "bob"), true);
        let (alice, bob) = (s.user_id(1).unwrap(), s.user_id(2).unwrap());
        let records = s.saved.users.len();
        let first = s.user(100, None);
        let numbered = s.user(101, Some(4242));
        assert_eq!(numbered, 4242);
        for uin in 1_000..1_000 + MAX_STRANGERS as u64 {
            s.user(uin, None);
            // Contacts and one recently seen stranger are looked up all along.
            assert_eq!(s.user(1, None), alice);
            assert_eq!(s.user(101, None), numbered);
        }
        assert!(s.strangers.seen.len() <= MAX_STRANGERS);
        assert_eq!(s.strangers.by_age.len(), s.strangers.seen.len());
        assert!(s.users.forward.len() <= MAX_STRANGERS + 2);
        assert_eq!(s.users.back.len(), s.users.forward.len());
        assert_eq!(s.saved.users.len(), records, "strangers leave no records");
        assert_eq!((s.user_id(1), s.user_id(2)), (Some(alice), Some(bob)));
        assert_eq!((s.uin(alice), s.uin(bob)), (Some(1), Some(2)));
        assert_eq!(
            s.user_id(100),
            None,
            "the least recently seen stranger went"
        );
        assert_eq!(s.uin(first), None);
        assert_eq!(s.user_id(101), Some(4242), "a recently seen one stayed");
        // A friend bound later to a number a stranger had keeps it when the stranger goes.
        s.user(102, Some(5151));
        let mut c = contacts([1, 2], 3, "bob");
        c.friends.insert(103, friend(103, "dan", 5));
        c.friends.get_mut(&103).unwrap().qq = Some(5151);
        s.rebind(&c, false);
        assert_eq!(s.uin(5151), Some(103));
        for uin in 50_000..50_000 + MAX_STRANGERS as u64 {
            s.user(uin, None);
        }
        assert_eq!(s.user_id(102), None, "the stranger went");
        assert_eq!(s.uin(5151), Some(103), "the friend stayed");
        // A stranger who turns up in the lists is a contact from then on.
        let carol = s.user(101, Some(4242));
        let mut c = contacts([1, 2], 3, "bob");
        c.friends.insert(101, friend(101, "carol", 4));
        s.rebind(&c, false);
        assert!(!s.strangers.seen.contains_key(&101));
        assert_eq!(s.user_id(101), Some(carol));
    }

    #[test]
    fn a_login_weighs_few_records_per_contact() {
        const N: u64 = 20_000;
        let book = |base: u64, renamed: u64| {
            let mut c = Contacts::default();
            for i in 0..N {
                let nick = if i == renamed {
                    "renamed".into()
                } else {
                    format!("f{i}")
                };
                c.friends
                    .insert(base + i, friend(base + i, &nick, (i % 200) as i64));
            }
            c
        };
        let mut s = IdStore::open(None).unwrap();
        assert!(s.rebind(&book(0, N), true).is_empty());
        let ids: Vec<u64> = (0..N).map(|i| s.user_id(i).unwrap()).collect();
        assert_eq!(s.weighed, 0, "no earlier record shares a name");
        let u = s.rebind(&book(N, 7), true);
        assert_eq!(u.len(), 1, "{u:?}");
        assert_eq!(u[0].reason, "nick changed");
        for i in 0..N {
            assert_eq!(s.user_id(N + i), Some(ids[i as usize]));
        }
        // Each of the others weighs its one record with the same name (twice: the
        // unambiguous pass, then the renamed one alone against its 100 avatar mates).
        assert!(s.weighed <= 2 * N as usize + 200, "{}", s.weighed);
    }

    #[test]
    fn the_first_file_format_is_read() {
        let old = br#"{"next": 2, "users": {"nick:alice": 1000000000000, "qq:5": 5},
            "groups": {"name:g": 1000000000001}, "discussions": {}}"#;
        let saved = Saved::parse(old).unwrap();
        assert_eq!(saved.next, 2);
        assert_eq!(
            saved.users.records(),
            [rec(SURROGATE_BASE, &[("nick", "alice")])]
        );
        assert_eq!(
            saved.groups.records(),
            [rec(SURROGATE_BASE + 1, &[("name", "g")])]
        );
        let mut s = IdStore::open(None).unwrap();
        s.saved = saved;
        s.rebind(&contacts([1, 2], 3, "bob"), true);
        assert_eq!(s.user_id(1), Some(SURROGATE_BASE));
        assert_eq!(s.group_id(3), Some(SURROGATE_BASE + 1));
    }
}
