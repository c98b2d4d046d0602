//! Stable OneBot ids for WebQQ's per-login ones (issue 9, item 5).
//!
//! WebQQ hands out a new uin for every contact and a new gid for every group at each login
//! (protocol §5), while OneBot bots keep `user_id` / `group_id` across runs. Each contact gets
//! a key from what does not change between logins (the real QQ number when the protocol gave
//! it, else the nickname; a group's or discussion's name), and each key a number that is
//! kept in a file: written to a temporary file and renamed over the old one, so a crash
//! leaves either the old or the new map. Surrogate numbers start at [`SURROGATE_BASE`], far
//! above real QQ numbers. A key that two contacts share is marked uncertain and reported.
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use webqq_proto::webqq::session::Contacts;

/// The first surrogate id (real QQ numbers are below it).
pub const SURROGATE_BASE: u64 = 1_000_000_000_000;
/// Most keys kept per kind; beyond it new contacts get ids that are not saved.
pub const MAX_KEYS: usize = 1_000_000;

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
    pub reason: &'static str,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    next: u64,
    users: BTreeMap<String, u64>,
    groups: BTreeMap<String, u64>,
    discussions: BTreeMap<String, u64>,
}

/// The persistent map and this login's uin / gid / did bindings.
#[derive(Debug)]
pub struct IdStore {
    path: Option<PathBuf>,
    saved: Saved,
    dirty: bool,
    by_uin: HashMap<u64, u64>,
    uin_of: HashMap<u64, u64>,
    by_gid: HashMap<u64, u64>,
    gid_of: HashMap<u64, u64>,
    by_did: HashMap<u64, u64>,
    did_of: HashMap<u64, u64>,
}

impl IdStore {
    /// Loads the map from `path` (a missing file is an empty map); `None`: in memory only.
    pub fn open(path: Option<PathBuf>) -> io::Result<IdStore> {
        let saved = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
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
            by_uin: HashMap::new(),
            uin_of: HashMap::new(),
            by_gid: HashMap::new(),
            gid_of: HashMap::new(),
            by_did: HashMap::new(),
            did_of: HashMap::new(),
        })
    }

    /// Writes the map if it changed: to `<file>.tmp`, then renamed over the file.
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

    /// Forgets this login's bindings and binds every contact of `contacts` (a new login or a
    /// refresh). Returns the ids whose key was shared.
    pub fn rebind(&mut self, contacts: &Contacts) -> Vec<Uncertain> {
        self.by_uin.clear();
        self.uin_of.clear();
        self.by_gid.clear();
        self.gid_of.clear();
        self.by_did.clear();
        self.did_of.clear();
        let mut uncertain = Vec::new();
        if let Some(me) = &contacts.me {
            self.bind_user(
                me.uin,
                &me.nick,
                Some(me.account.max(me.uin)),
                &mut uncertain,
            );
        }
        for f in contacts.friends.values() {
            self.bind_user(f.uin, &f.nick, f.qq, &mut uncertain);
        }
        for g in contacts.groups.values() {
            let id = self.bind(
                Kind::Group,
                g.gid,
                &format!("name:{}", g.name),
                &mut uncertain,
            );
            let _ = id;
            for m in g.members.iter().flatten() {
                self.bind_user(m.uin, &m.nick, None, &mut uncertain);
            }
        }
        for d in contacts.discussions.values() {
            self.bind(
                Kind::Discuss,
                d.did,
                &format!("name:{}", d.name),
                &mut uncertain,
            );
            for m in d.members.iter().flatten() {
                self.bind_user(m.uin, &m.nick, m.qq, &mut uncertain);
            }
        }
        uncertain
    }

    /// The user id of `uin`, binding it by `nick` / `qq` when new this login.
    pub fn user(&mut self, uin: u64, nick: &str, qq: Option<u64>) -> (u64, Option<Uncertain>) {
        if let Some(id) = self.by_uin.get(&uin) {
            return (*id, None);
        }
        let mut u = Vec::new();
        let id = self.bind_user(uin, nick, qq, &mut u);
        (id, u.pop())
    }

    /// The user id bound to `uin` this login.
    pub fn user_id(&self, uin: u64) -> Option<u64> {
        self.by_uin.get(&uin).copied()
    }

    /// The group id bound to `gid` this login.
    pub fn group_id(&self, gid: u64) -> Option<u64> {
        self.by_gid.get(&gid).copied()
    }

    /// The discussion id bound to `did` this login.
    pub fn discuss_id(&self, did: u64) -> Option<u64> {
        self.by_did.get(&did).copied()
    }

    /// This login's uin for a user id.
    pub fn uin(&self, user_id: u64) -> Option<u64> {
        self.uin_of.get(&user_id).copied()
    }

    /// This login's gid for a group id.
    pub fn gid(&self, group_id: u64) -> Option<u64> {
        self.gid_of.get(&group_id).copied()
    }

    /// This login's did for a discussion id.
    pub fn did(&self, discuss_id: u64) -> Option<u64> {
        self.did_of.get(&discuss_id).copied()
    }

    fn bind_user(&mut self, uin: u64, nick: &str, qq: Option<u64>, u: &mut Vec<Uncertain>) -> u64 {
        if let Some(qq) = qq.filter(|q| *q > 0 && *q < SURROGATE_BASE) {
            // The real number wins; the nickname key follows it so later logins without the
            // number find the same id.
            self.saved.users.insert(format!("nick:{nick}"), qq);
            self.saved.users.insert(format!("qq:{qq}"), qq);
            self.dirty = true;
            self.by_uin.insert(uin, qq);
            self.uin_of.insert(qq, uin);
            return qq;
        }
        self.bind(Kind::User, uin, &format!("nick:{nick}"), u)
    }

    fn bind(&mut self, kind: Kind, runtime: u64, key: &str, u: &mut Vec<Uncertain>) -> u64 {
        let (forward, back) = match kind {
            Kind::User => (&mut self.by_uin, &mut self.uin_of),
            Kind::Group => (&mut self.by_gid, &mut self.gid_of),
            Kind::Discuss => (&mut self.by_did, &mut self.did_of),
        };
        if let Some(id) = forward.get(&runtime) {
            return *id;
        }
        let keys = match kind {
            Kind::User => &mut self.saved.users,
            Kind::Group => &mut self.saved.groups,
            Kind::Discuss => &mut self.saved.discussions,
        };
        let mut key = key.to_string();
        let mut shared = false;
        // Two contacts of this login with one key: the later ones get numbered keys, which a
        // later login may hand out in another order.
        for n in 2.. {
            match keys.get(&key) {
                Some(id) if back.get(id).is_some_and(|r| *r != runtime) => {
                    shared = true;
                    key = format!("{key}#{n}");
                }
                _ => break,
            }
        }
        let id = match keys.get(&key) {
            Some(id) => *id,
            None => {
                let id = SURROGATE_BASE + self.saved.next;
                self.saved.next += 1;
                if keys.len() < MAX_KEYS {
                    keys.insert(key, id);
                    self.dirty = true;
                }
                id
            }
        };
        forward.insert(runtime, id);
        back.insert(id, runtime);
        if shared {
            u.push(Uncertain {
                kind,
                id,
                reason: "another contact has the same name",
            });
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webqq_proto::webqq::session::{Friend, Group};

    fn friend(uin: u64, nick: &str) -> Friend {
        Friend {
            uin,
            nick: nick.into(),
            markname: None,
            category: 0,
            face: 0,
            status: None,
            qq: None,
        }
    }

    fn contacts(uins: [u64; 2], gid: u64) -> Contacts {
        let mut c = Contacts::default();
        c.friends.insert(uins[0], friend(uins[0], "alice"));
        c.friends.insert(uins[1], friend(uins[1], "bob"));
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
    fn ids_survive_a_relogin_and_a_restart() {
        let dir = std::env::temp_dir().join(format!("webqq-ids-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("onebot-ids.json");
        let _ = std::fs::remove_file(&path);
        let mut s = IdStore::open(Some(path.clone())).unwrap();
        assert!(s.rebind(&contacts([11, 12], 50)).is_empty());
        let (alice, group) = (s.user_id(11).unwrap(), s.group_id(50).unwrap());
        assert!(alice >= SURROGATE_BASE);
        s.save().unwrap();
        // New uins and gid on the next login, in a new process.
        let mut s = IdStore::open(Some(path)).unwrap();
        s.rebind(&contacts([21, 22], 60));
        assert_eq!(s.user_id(21), Some(alice));
        assert_eq!(s.group_id(60), Some(group));
        assert_eq!(s.uin(alice), Some(21));
        assert_ne!(s.user_id(22), Some(alice));
    }

    #[test]
    fn shared_names_are_reported_uncertain() {
        let mut s = IdStore::open(None).unwrap();
        let mut c = Contacts::default();
        c.friends.insert(1, friend(1, "same"));
        c.friends.insert(2, friend(2, "same"));
        let u = s.rebind(&c);
        assert_eq!(u.len(), 1);
        assert_ne!(s.user_id(1), s.user_id(2));
    }

    #[test]
    fn a_real_qq_number_is_the_id() {
        let mut s = IdStore::open(None).unwrap();
        assert_eq!(s.user(5, "x", Some(12345)).0, 12345);
        assert_eq!(s.uin(12345), Some(5));
    }
}
