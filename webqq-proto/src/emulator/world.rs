//! The world the emulator serves: accounts and who knows whom, with **real** numbers (QQ
//! numbers, group numbers). Sessions map them to per-login opaque ids (protocol §2, §11.2).
//! Loaded from a JSON file ([`World::from_json`]) or the built-in [`World::demo`].
pub mod demo;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A friend category (protocol §5.1 `categories`); index 0 is "My Friends" and not listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Index referenced by friends.
    pub index: u32,
    /// Display name.
    pub name: String,
}

/// One entry of an account's friend list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Friend {
    /// The friend's QQ number.
    pub qq: u64,
    /// Category index (0 = My Friends).
    #[serde(default)]
    pub category: u32,
    /// Remark name the account gave the friend.
    #[serde(default)]
    pub markname: Option<String>,
}

/// An account: the logged-in user or anyone else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// QQ number.
    pub qq: u64,
    /// Password (checked by the password schemes of protocol §3.5).
    #[serde(default)]
    pub password: String,
    /// Nickname.
    pub nick: String,
    /// Avatar face id.
    #[serde(default)]
    pub face: u32,
    /// Signature (`lnick`).
    #[serde(default)]
    pub lnick: String,
    /// `male`, `female` or `unknown`.
    #[serde(default = "unknown")]
    pub gender: String,
    /// /check asks for a captcha (protocol §3.3).
    #[serde(default)]
    pub captcha: bool,
    /// Presence shown to others when the account is not logged in through the emulator.
    #[serde(default = "online")]
    pub status: String,
    /// Friend categories.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Friends.
    #[serde(default)]
    pub friends: Vec<Friend>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("qq", &self.qq)
            .field("password", &"<redacted>")
            .field("nick", &self.nick)
            .field("friends", &self.friends.len())
            .finish_non_exhaustive()
    }
}

fn unknown() -> String {
    "unknown".into()
}
fn online() -> String {
    "online".into()
}

/// A group member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// QQ number.
    pub qq: u64,
    /// Administrator (`mflag & 1`, protocol §5.3).
    #[serde(default)]
    pub admin: bool,
    /// Group business card.
    #[serde(default)]
    pub card: Option<String>,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The real group number.
    pub number: u64,
    /// Name.
    pub name: String,
    /// Owner's QQ number.
    pub owner: u64,
    /// Memo.
    #[serde(default)]
    pub memo: String,
    /// Members (the owner included).
    pub members: Vec<Member>,
}

/// A discussion group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discussion {
    /// A stable id of the world file (the wire `did` is per session).
    pub id: u64,
    /// Name.
    pub name: String,
    /// Owner's QQ number.
    pub owner: u64,
    /// Members' QQ numbers.
    pub members: Vec<u64>,
}

/// One line of the demo chatter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatterLine {
    /// Who says it.
    pub from: u64,
    /// Where.
    pub to: Target,
    /// What.
    pub text: String,
}

/// Where a message goes, in world numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A friend (or any account), by QQ number.
    Buddy(u64),
    /// A group, by group number.
    Group(u64),
    /// A discussion, by world id.
    Discussion(u64),
}

/// Positions of accounts, groups and discussions, so lookups stay O(1) in big worlds.
#[derive(Debug, Clone, Default)]
struct Index {
    built: bool,
    accounts: HashMap<u64, usize>,
    groups: HashMap<u64, usize>,
    discussions: HashMap<u64, usize>,
    groups_of: HashMap<u64, Vec<usize>>,
    discussions_of: HashMap<u64, Vec<usize>>,
}

/// The index is derived data: two worlds with the same contents are equal.
impl PartialEq for Index {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Index {}

/// Everything the emulator knows. Lookups scan the lists until [`World::reindex`] is called
/// (the emulator does it once at start); change the lists only before that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct World {
    /// Accounts.
    pub accounts: Vec<Account>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Discussions.
    pub discussions: Vec<Discussion>,
    /// Lines the simulated users say in turn while someone is logged in.
    pub chatter: Vec<ChatterLine>,
    /// Milliseconds between chatter lines (0 = no chatter).
    pub chatter_interval_ms: u64,
    #[serde(skip)]
    index: Index,
}

/// Why a world file was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum WorldError {
    /// Not valid JSON of the world's shape.
    Json(serde_json::Error),
    /// A reference to something that does not exist, or a duplicate.
    Inconsistent(String),
}

impl WorldError {
    /// The file is not valid JSON of the right shape.
    pub fn is_json(&self) -> bool {
        matches!(self, WorldError::Json(_))
    }
    /// The file refers to unknown accounts or repeats a number.
    pub fn is_inconsistent(&self) -> bool {
        matches!(self, WorldError::Inconsistent(_))
    }
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::Json(e) => write!(f, "world file is not valid: {e}"),
            WorldError::Inconsistent(s) => write!(f, "world file is inconsistent: {s}"),
        }
    }
}

impl std::error::Error for WorldError {}

impl World {
    /// Parses and checks a world file.
    pub fn from_json(text: &str) -> Result<World, WorldError> {
        let world: World = serde_json::from_str(text).map_err(WorldError::Json)?;
        world.validate()?;
        Ok(world)
    }

    /// The world as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks that every number refers to an account and nothing is listed twice.
    pub fn validate(&self) -> Result<(), WorldError> {
        let bad = |s: String| Err(WorldError::Inconsistent(s));
        let mut seen = std::collections::HashSet::new();
        for a in &self.accounts {
            if !seen.insert(a.qq) {
                return bad(format!("account {} appears twice", a.qq));
            }
        }
        for a in &self.accounts {
            for f in &a.friends {
                if self.account(f.qq).is_none() {
                    return bad(format!("friend {} of {} is not an account", f.qq, a.qq));
                }
                if f.category != 0 && !a.categories.iter().any(|c| c.index == f.category) {
                    return bad(format!(
                        "category {} of {}'s friend {} is not defined",
                        f.category, a.qq, f.qq
                    ));
                }
            }
        }
        let mut numbers = std::collections::HashSet::new();
        for g in &self.groups {
            if !numbers.insert(g.number) {
                return bad(format!("group {} appears twice", g.number));
            }
            for m in g.members.iter().map(|m| m.qq).chain([g.owner]) {
                if self.account(m).is_none() {
                    return bad(format!(
                        "member {m} of group {} is not an account",
                        g.number
                    ));
                }
            }
        }
        let mut ids = std::collections::HashSet::new();
        for d in &self.discussions {
            if !ids.insert(d.id) {
                return bad(format!("discussion {} appears twice", d.id));
            }
            for m in d.members.iter().chain([&d.owner]) {
                if self.account(*m).is_none() {
                    return bad(format!(
                        "member {m} of discussion {} is not an account",
                        d.id
                    ));
                }
            }
        }
        for line in &self.chatter {
            if self.account(line.from).is_none() || !self.target_exists(line.to) {
                return bad(format!(
                    "chatter line {:?} names an unknown sender or target",
                    line.text
                ));
            }
        }
        Ok(())
    }

    /// Builds the lookup index (after the last change to the lists).
    pub fn reindex(&mut self) {
        let mut index = Index {
            built: true,
            ..Index::default()
        };
        for (i, a) in self.accounts.iter().enumerate() {
            index.accounts.insert(a.qq, i);
        }
        for (i, g) in self.groups.iter().enumerate() {
            index.groups.insert(g.number, i);
            for m in &g.members {
                index.groups_of.entry(m.qq).or_default().push(i);
            }
        }
        for (i, d) in self.discussions.iter().enumerate() {
            index.discussions.insert(d.id, i);
            for m in &d.members {
                index.discussions_of.entry(*m).or_default().push(i);
            }
        }
        self.index = index;
    }

    /// The account with QQ number `qq`.
    pub fn account(&self, qq: u64) -> Option<&Account> {
        if self.index.built {
            return self.index.accounts.get(&qq).map(|&i| &self.accounts[i]);
        }
        self.accounts.iter().find(|a| a.qq == qq)
    }

    /// The group with number `number`.
    pub fn group(&self, number: u64) -> Option<&Group> {
        if self.index.built {
            return self.index.groups.get(&number).map(|&i| &self.groups[i]);
        }
        self.groups.iter().find(|g| g.number == number)
    }

    /// The group with number `number`, to change ([`World::reindex`] after changing members).
    pub(crate) fn group_mut(&mut self, number: u64) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.number == number)
    }

    /// The discussion with world id `id`.
    pub fn discussion(&self, id: u64) -> Option<&Discussion> {
        if self.index.built {
            return self
                .index
                .discussions
                .get(&id)
                .map(|&i| &self.discussions[i]);
        }
        self.discussions.iter().find(|d| d.id == id)
    }

    /// Groups `qq` belongs to.
    pub fn groups_of(&self, qq: u64) -> Vec<&Group> {
        if self.index.built {
            return self
                .index
                .groups_of
                .get(&qq)
                .into_iter()
                .flatten()
                .map(|&i| &self.groups[i])
                .collect();
        }
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m.qq == qq))
            .collect()
    }

    /// Discussions `qq` belongs to.
    pub fn discussions_of(&self, qq: u64) -> Vec<&Discussion> {
        if self.index.built {
            return self
                .index
                .discussions_of
                .get(&qq)
                .into_iter()
                .flatten()
                .map(|&i| &self.discussions[i])
                .collect();
        }
        self.discussions
            .iter()
            .filter(|d| d.members.contains(&qq))
            .collect()
    }

    /// Whether `target` exists.
    pub fn target_exists(&self, target: Target) -> bool {
        match target {
            Target::Buddy(qq) => self.account(qq).is_some(),
            Target::Group(n) => self.group(n).is_some(),
            Target::Discussion(id) => self.discussion(id).is_some(),
        }
    }

    /// The built-in demo: the bot account 10001 (password `password`), three friends in two
    /// categories, a group and a discussion, and chatter every 20 seconds.
    pub fn demo() -> World {
        let account = |qq: u64, nick: &str, face: u32, lnick: &str, gender: &str| Account {
            qq,
            password: "password".into(),
            nick: nick.into(),
            face,
            lnick: lnick.into(),
            gender: gender.into(),
            captcha: false,
            status: "online".into(),
            categories: Vec::new(),
            friends: Vec::new(),
        };
        let friend = |qq: u64, category: u32, markname: Option<&str>| Friend {
            qq,
            category,
            markname: markname.map(String::from),
        };
        let mut bot = account(demo::BOT, "webqq-rs bot", 522, "beep boop", "unknown");
        bot.categories = vec![
            Category {
                index: 1,
                name: "Friends".into(),
            },
            Category {
                index: 2,
                name: "Family".into(),
            },
        ];
        bot.friends = vec![
            friend(demo::ALICE, 1, Some("Alice (work)")),
            friend(demo::BOB, 1, None),
            friend(demo::CAROL, 2, Some("Sis")),
        ];
        let mut alice = account(demo::ALICE, "Alice", 0, "hello world", "female");
        alice.friends = vec![friend(demo::BOT, 0, None), friend(demo::BOB, 0, None)];
        let mut bob = account(demo::BOB, "Bob &amp; Co", 3, "", "male");
        bob.friends = vec![friend(demo::BOT, 0, None), friend(demo::ALICE, 0, None)];
        let mut carol = account(demo::CAROL, "Carol", 6, "on holiday", "female");
        carol.friends = vec![friend(demo::BOT, 0, None)];
        let member = |qq: u64, admin: bool, card: Option<&str>| Member {
            qq,
            admin,
            card: card.map(String::from),
        };
        World {
            accounts: vec![bot, alice, bob, carol],
            groups: vec![Group {
                number: demo::GROUP,
                name: "Rustaceans".into(),
                owner: demo::ALICE,
                memo: "sans-IO or bust".into(),
                members: vec![
                    member(demo::ALICE, true, Some("Alice [owner]")),
                    member(demo::BOT, false, Some("bot")),
                    member(demo::BOB, false, None),
                ],
            }],
            discussions: vec![Discussion {
                id: demo::DISCUSSION,
                name: "lunch".into(),
                owner: demo::CAROL,
                members: vec![demo::CAROL, demo::BOT, demo::ALICE],
            }],
            chatter: vec![
                ChatterLine {
                    from: demo::ALICE,
                    to: Target::Buddy(demo::BOT),
                    text: "hi bot, how are you?".into(),
                },
                ChatterLine {
                    from: demo::BOB,
                    to: Target::Group(demo::GROUP),
                    text: "anyone tried the new emulator?".into(),
                },
                ChatterLine {
                    from: demo::CAROL,
                    to: Target::Discussion(demo::DISCUSSION),
                    text: "noodles at noon?".into(),
                },
                ChatterLine {
                    from: demo::ALICE,
                    to: Target::Group(demo::GROUP),
                    text: "yes, it even fakes 504s".into(),
                },
            ],
            chatter_interval_ms: 20_000,
            index: Index::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_world_is_consistent_and_round_trips_through_json() {
        let demo = World::demo();
        demo.validate().unwrap();
        let again = World::from_json(&demo.to_json()).unwrap();
        assert_eq!(again, demo);
        assert_eq!(demo.groups_of(10001).len(), 1);
        assert_eq!(demo.discussions_of(10001).len(), 1);
        let mut indexed = demo.clone();
        indexed.reindex();
        assert_eq!(indexed, demo, "the index is not part of the contents");
        for qq in [10001, 10002, 10003, 10004, 1] {
            assert_eq!(indexed.account(qq), demo.account(qq));
            assert_eq!(indexed.groups_of(qq), demo.groups_of(qq));
            assert_eq!(indexed.discussions_of(qq), demo.discussions_of(qq));
        }
        assert_eq!(indexed.group(200001), demo.group(200001));
        assert_eq!(indexed.discussion(1), demo.discussion(1));
    }

    #[test]
    fn a_minimal_world_file_gets_defaults() {
        let w = World::from_json(r#"{"accounts":[{"qq":1,"nick":"a","password":"x"}]}"#).unwrap();
        let a = w.account(1).unwrap();
        assert_eq!(
            (a.face, a.gender.as_str(), a.status.as_str(), a.captcha),
            (0, "unknown", "online", false)
        );
        assert_eq!(w.chatter_interval_ms, 0);
    }

    #[test]
    fn inconsistent_worlds_are_refused_with_the_reason() {
        let cases = [
            (
                r#"{"accounts":[{"qq":1,"nick":"a"},{"qq":1,"nick":"b"}]}"#,
                "appears twice",
            ),
            (
                r#"{"accounts":[{"qq":1,"nick":"a","friends":[{"qq":2}]}]}"#,
                "friend 2 of 1",
            ),
            (
                r#"{"accounts":[{"qq":1,"nick":"a","friends":[{"qq":1,"category":3}]}]}"#,
                "category 3",
            ),
            (
                r#"{"accounts":[{"qq":1,"nick":"a"}],"groups":[{"number":5,"name":"g","owner":9,"members":[]}]}"#,
                "member 9 of group 5",
            ),
            (
                r#"{"accounts":[{"qq":1,"nick":"a"}],"discussions":[{"id":5,"name":"d","owner":1,"members":[7]}]}"#,
                "member 7 of discussion 5",
            ),
        ];
        for (json, needle) in cases {
            let err = World::from_json(json).unwrap_err();
            assert!(err.is_inconsistent(), "{json}");
            assert!(
                err.to_string().contains(needle),
                "{err} should mention {needle}"
            );
        }
        assert!(World::from_json("{").unwrap_err().is_json());
    }

    #[test]
    fn account_debug_redacts_the_password() {
        let w = World::demo();
        let shown = format!("{:?}", w.account(10001).unwrap());
        assert!(!shown.contains("password\": \"password") && shown.contains("<redacted>"));
    }
}

#[cfg(test)]
mod readme {
    /// The world file shown in the README parses and is consistent.
    #[test]
    fn the_readme_world_file_is_valid() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```json\n").expect("a json block") + 8;
        let end = start + readme[start..].find("```").expect("closed");
        let world = super::World::from_json(&readme[start..end]).unwrap();
        assert_eq!(world.accounts.len(), 2);
        assert_eq!(world.account(10002).unwrap().gender, "unknown");
    }
}
