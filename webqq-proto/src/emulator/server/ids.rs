//! Per-session opaque ids (protocol §2, §11.2): a random `uin` per contact, `gid` and `code`
//! per group, `did` per discussion; stable within a session, different after a new login.
//! The session's own uin is its QQ number (protocol §2: "equals the QQ number in all captures").
use std::collections::HashMap;

use crate::emulator::rng::Rng;

/// Smallest opaque id handed out (ids look like the 9–10 digit numbers of the captures).
const MIN_ID: u64 = 100_000_000;
/// Largest opaque id (they fit an u32, like every capture's).
const MAX_ID: u64 = 4_294_967_295;

/// One bidirectional map between world numbers and opaque ids.
#[derive(Debug, Default, Clone)]
struct IdMap {
    to_id: HashMap<u64, u64>,
    to_world: HashMap<u64, u64>,
}

impl IdMap {
    fn id(&mut self, world: u64, rng: &mut Rng, taken: &dyn Fn(u64) -> bool) -> u64 {
        if let Some(id) = self.to_id.get(&world) {
            return *id;
        }
        let id = loop {
            let id = rng.range(MIN_ID, MAX_ID);
            if !self.to_world.contains_key(&id) && !taken(id) {
                break id;
            }
        };
        self.to_id.insert(world, id);
        self.to_world.insert(id, world);
        id
    }
}

/// All opaque ids of one session.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ids {
    own: u64,
    uins: IdMap,
    gids: IdMap,
    codes: IdMap,
    dids: IdMap,
}

impl Ids {
    /// The ids of a session of account `own`.
    pub(crate) fn new(own: u64) -> Self {
        Ids {
            own,
            ..Ids::default()
        }
    }

    /// The uin of account `qq` as this session sees it.
    pub(crate) fn uin(&mut self, qq: u64, rng: &mut Rng) -> u64 {
        if qq == self.own {
            return qq;
        }
        let own = self.own;
        self.uins.id(qq, rng, &|id| id == own)
    }

    /// The account behind `uin`.
    pub(crate) fn qq_of(&self, uin: u64) -> Option<u64> {
        if uin == self.own {
            return Some(uin);
        }
        self.uins.to_world.get(&uin).copied()
    }

    /// The gid of group `number`.
    pub(crate) fn gid(&mut self, number: u64, rng: &mut Rng) -> u64 {
        let codes = &self.codes;
        self.gids
            .id(number, rng, &|id| codes.to_world.contains_key(&id))
    }

    /// The code of group `number`.
    pub(crate) fn code(&mut self, number: u64, rng: &mut Rng) -> u64 {
        let gids = &self.gids;
        self.codes
            .id(number, rng, &|id| gids.to_world.contains_key(&id))
    }

    /// The group number behind gid `gid`.
    pub(crate) fn group_of_gid(&self, gid: u64) -> Option<u64> {
        self.gids.to_world.get(&gid).copied()
    }

    /// The group number behind code `code`.
    pub(crate) fn group_of_code(&self, code: u64) -> Option<u64> {
        self.codes.to_world.get(&code).copied()
    }

    /// The did of discussion `id`.
    pub(crate) fn did(&mut self, id: u64, rng: &mut Rng) -> u64 {
        self.dids.id(id, rng, &|_| false)
    }

    /// The discussion behind `did`.
    pub(crate) fn discussion_of(&self, did: u64) -> Option<u64> {
        self.dids.to_world.get(&did).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_within_a_session_and_differ_between_sessions() {
        let mut rng = Rng::new(7);
        let mut a = Ids::new(10001);
        let mut b = Ids::new(10001);
        let (ua, ga, ca) = (
            a.uin(10002, &mut rng),
            a.gid(200001, &mut rng),
            a.code(200001, &mut rng),
        );
        assert_eq!(a.uin(10002, &mut rng), ua);
        assert_eq!(a.gid(200001, &mut rng), ga);
        assert_ne!(ga, ca, "gid and code are two different ids (protocol §2)");
        assert_eq!(a.qq_of(ua), Some(10002));
        assert_eq!(a.group_of_gid(ga), Some(200001));
        assert_eq!(a.group_of_code(ca), Some(200001));
        assert_eq!(a.group_of_gid(ca), None);
        assert_ne!(b.uin(10002, &mut rng), ua);
        assert_eq!(a.uin(10001, &mut rng), 10001, "own uin is the QQ number");
        assert!((MIN_ID..=MAX_ID).contains(&ua));
    }
}
