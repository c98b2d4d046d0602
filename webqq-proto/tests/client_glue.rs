//! The Client's glue between session and engine, end to end against the scripted server:
//! what a send's failure means depends on whether any byte of it may have reached the server.
mod sim;

use std::time::{Duration, Instant};

use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Event, SendFailure, SessionConfig};
use webqq_proto::{Client, ClientConfig};

use sim::Sim;
use sim::mini::{FRIEND, MiniServer, SendFault};
use sim::net::NetFaults;

fn online() -> Sim<MiniServer> {
    let t0 = Instant::now();
    let mut cfg = ClientConfig::new(SessionConfig::new(ProfileId::S2018, 0));
    // Idle connections close fast, so a later send needs a connection of its own.
    cfg.agent.idle_timeout = Duration::from_secs(1);
    // Connecting may take longer than a request may: a request's own deadline (not the
    // connect timer) ends a send stuck before any byte left.
    cfg.agent.connect_timeout = Duration::from_secs(120);
    let mut sim = Sim::new(cfg, MiniServer::new(t0, 1), NetFaults::clean(10), 1, t0);
    sim.client.start();
    let ok = sim.run(
        Duration::from_secs(60),
        |_, _| {},
        |s| s.count(|e| matches!(e, Event::Online { .. })) == 1,
    );
    assert!(ok, "{:#?}", sim.events);
    let at = sim.elapsed() + Duration::from_secs(5);
    sim.run(at, |_, _| {}, |_| false);
    sim
}

fn outcome(sim: &mut Sim<MiniServer>, text: &str) -> Event {
    let h = sim.client.send(Target::Friend(FRIEND), Message::text(text));
    let at = sim.elapsed() + Duration::from_secs(120);
    sim.run(at, |_, _| {}, |s| {
        s.count(|e| matches!(e, Event::Sent { handle } | Event::Uncertain { handle, .. } | Event::SendFailed { handle, .. } if *handle == h)) > 0
    });
    sim.events
        .iter()
        .rev()
        .map(|(_, e)| e.clone())
        .find(|e| matches!(e, Event::Sent { handle } | Event::Uncertain { handle, .. } | Event::SendFailed { handle, .. } if *handle == h))
        .expect("an outcome")
}

#[test]
fn a_send_that_never_left_fails_and_one_that_was_written_is_uncertain() {
    // The connection for the send never opens: its deadline passes with nothing written.
    let mut sim = online();
    sim.net.faults.hang_connect = 1.0;
    // The poll's connection stays busy past the send's deadline: no connection frees up.
    sim.server.poll_hold = Duration::from_secs(80);
    let at = sim.elapsed() + Duration::from_secs(35);
    sim.run(at, |_, _| {}, |_| false);
    match outcome(&mut sim, "never left") {
        Event::SendFailed {
            reason: SendFailure::Transport(_),
            ..
        } => {}
        other => panic!("want SendFailed(Transport), got {other:?}"),
    }
    assert_eq!(sim.server.delivered.get("never left"), None);

    // The server reads the send and never answers: it may have been applied.
    let mut sim = online();
    sim.server
        .send_faults
        .insert("written".into(), SendFault::DeliveredHang);
    match outcome(&mut sim, "written") {
        Event::Uncertain { retcode: None, .. } => {}
        other => panic!("want Uncertain, got {other:?}"),
    }
    assert_eq!(sim.server.delivered.get("written"), Some(&1));
}

#[test]
fn cookies_of_an_exported_client_come_back_in_the_jar() {
    let mut sim = online();
    let state = sim.client.export_state().unwrap().unwrap();
    assert!(!format!("{state:?}").contains("PT0"), "Debug is redacted");
    let mut cfg = ClientConfig::new(SessionConfig::new(ProfileId::S2018, 0));
    cfg.session.seed = 2;
    let mut client = Client::new(cfg, sim.now);
    client.import_state(state).unwrap();
    assert_eq!(
        client.agent().cookies().get("qq.com", "/", "ptwebqq"),
        Some("PT0")
    );
    sim.replace_client(client);
    let at = sim.elapsed() + Duration::from_secs(30);
    let ok = sim.run(
        at,
        |_, _| {},
        |s| s.count(|e| matches!(e, Event::Online { .. })) == 1,
    );
    assert!(ok, "resumed: {:#?}", sim.events);
}
