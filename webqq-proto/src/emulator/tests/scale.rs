//! Scale: many logged-in sessions, each with a poll outstanding (issue 5, "Scale"). The
//! figures (10,000 sessions over sockets, the emulator as its own process) come from
//! `scripts/bench-scale` (README, "Performance"); this test holds the behaviour.
use super::*;
use crate::emulator::world::{Account, Group, Member};
use crate::emulator::{Target, World};

/// A world of `n` accounts (20000, 20001, …) all in one group 300000.
fn big_world(n: u64) -> World {
    let mut world = World::default();
    for i in 0..n {
        world.accounts.push(Account {
            qq: 20_000 + i,
            password: "p".into(),
            nick: format!("user{i}"),
            face: 0,
            lnick: String::new(),
            gender: "unknown".into(),
            captcha: false,
            status: "online".into(),
            categories: vec![],
            friends: vec![],
        });
    }
    world.groups.push(Group {
        number: 300_000,
        name: "big".into(),
        owner: 20_000,
        memo: String::new(),
        members: (0..n)
            .map(|i| Member {
                qq: 20_000 + i,
                admin: false,
                card: None,
            })
            .collect(),
    });
    world
}

/// Logs in `n` accounts by QR and leaves a poll held for each; returns the poll connections.
fn log_in_all(h: &mut Harness, n: u64) -> Vec<ConnId> {
    (0..n)
        .map(|i| {
            h.jar.clear();
            h.events.clear();
            h.closed.clear();
            let l = h.login(20_000 + i);
            let (conn, r) = h.poll(&l);
            assert!(r.is_none());
            h.written.remove(&conn);
            conn
        })
        .collect()
}

#[test]
fn many_sessions_hold_polls_and_a_group_message_reaches_them_all() {
    const N: u64 = 300;
    let mut h = Harness::with(EmulatorConfig {
        world: big_world(N),
        ..EmulatorConfig::demo(Profile::S2018)
    });
    let conns = log_in_all(&mut h, N);
    assert_eq!(h.emu.sessions().len(), N as usize);
    assert!(h.emu.sessions().iter().all(|s| s.polling));
    h.emu
        .say(20_000, Target::Group(300_000), "all hands")
        .unwrap();
    h.drain();
    let mut gids = std::collections::HashSet::new();
    for conn in conns {
        let r = h
            .take_response(conn)
            .expect("every held poll is answered")
            .json();
        assert_eq!(r["result"][0]["poll_type"], "group_message");
        gids.insert(r["result"][0]["value"]["from_uin"].as_u64().unwrap());
    }
    assert!(
        gids.len() > (N as usize) * 9 / 10,
        "each session sees its own gid"
    );
}
