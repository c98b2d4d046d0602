//! The seeded scenario generator and the invariants of issue 7 item 2, checked on every seed.
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use webqq_proto::ClientConfig;
use webqq_proto::http1::ConnId;
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::{SessionVia, Target};
use webqq_proto::webqq::session::{Chat, Event, MessageHandle, Phase, SessionConfig};

use super::mini::{DISCUSSION, FRIEND, From, GROUP, MiniServer, PollFaults, STRANGER, SendFault};
use super::net::NetFaults;
use super::{
    Due, PollAnswer, ReceiveTally, SeqChat, Sim, Tally, check_received, check_send_outcome,
    check_seq_gaps,
};

/// Virtual time the run goes on after the last action, for everything to settle; the
/// session must be online again within it ("bounded time after any recoverable fault").
pub const SETTLE: Duration = Duration::from_secs(150);
/// The action that ends the faults.
const CALM: usize = usize::MAX;

/// Where a send goes.
#[derive(Debug, Clone, Copy)]
pub enum SendTo {
    /// The friend.
    Friend,
    /// The group.
    Group,
    /// The discussion.
    Discussion,
    /// The stranger, through the group.
    Session,
}

impl SendTo {
    fn target(self) -> Target {
        match self {
            SendTo::Friend => Target::Friend(FRIEND),
            SendTo::Group => Target::Group(GROUP.0),
            SendTo::Discussion => Target::Discussion(DISCUSSION),
            SendTo::Session => Target::Session {
                to_uin: STRANGER,
                via: SessionVia::Group(GROUP.0),
            },
        }
    }
}

/// One run's world, drawn from its seed.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The seed.
    pub seed: u64,
    /// Network faults.
    pub net: NetFaults,
    /// Poll channel faults.
    pub poll: PollFaults,
    /// Messages the simulated users send: when, from where, text.
    pub incoming: Vec<(Duration, From, String)>,
    /// Messages the client sends: when, where, text, what the server does with it.
    pub sends: Vec<(Duration, SendTo, String, SendFault)>,
}

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

/// Draws a scenario: a third of the seeds have a clean network, the rest get faults at
/// rates that still let a login through most of the time.
pub fn generate(seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let faulty = below(&mut rng, 3) != 0;
    let mut p = |max: f64| if faulty { unit(&mut rng) * max } else { 0.0 };
    let net = NetFaults {
        latency_ms: 0,
        jitter_ms: 0,
        refuse: p(0.05),
        hang_connect: 0.0,
        split: p(0.6),
        reset: p(0.04),
        drop_to_server: p(0.03),
        drop_to_client: p(0.03),
        idle_close: p(0.3),
        stall: p(0.03),
    };
    let poll = PollFaults {
        bad_gateway: p(0.2),
        relink: p(0.1),
        rotate: p(0.1),
        duplicate: p(0.5),
        reorder: p(0.5),
        seq_gap: p(0.3),
    };
    let mut net = net;
    net.latency_ms = 1 + below(&mut rng, 80);
    net.jitter_ms = below(&mut rng, 50);
    let froms = [From::Friend, From::Group, From::Discussion, From::Session];
    let incoming = (0..below(&mut rng, 10))
        .map(|i| {
            let at = Duration::from_millis(below(&mut rng, 120_000));
            let from = froms[below(&mut rng, 4) as usize];
            (at, from, format!("in-{i}"))
        })
        .collect();
    let tos = [
        SendTo::Friend,
        SendTo::Group,
        SendTo::Discussion,
        SendTo::Session,
    ];
    let send_faults = [
        SendFault::None,
        SendFault::None,
        SendFault::None,
        SendFault::Uncertain1202Delivered,
        SendFault::Uncertain100100Lost,
        SendFault::BadGateway,
        SendFault::DeliveredNoAnswer,
    ];
    let sends: Vec<_> = (0..below(&mut rng, 7))
        .map(|i| {
            let at = Duration::from_millis(below(&mut rng, 120_000));
            let to = tos[below(&mut rng, 4) as usize];
            let fault = if faulty {
                send_faults[below(&mut rng, send_faults.len() as u64) as usize]
            } else {
                SendFault::None
            };
            (at, to, format!("out-{i}"), fault)
        })
        .collect();
    // Drawn last so that adding it left the earlier draws of every seed as they were.
    net.hang_connect = if faulty { unit(&mut rng) * 0.02 } else { 0.0 };
    Scenario {
        seed,
        net,
        poll,
        incoming,
        sends,
    }
}

/// What one seed did, for the summary.
#[derive(Debug, Default)]
pub struct Report {
    /// Counts by name (faults injected, messages, sends by outcome …).
    pub tally: Tally,
}

/// Runs `scenario` and checks every invariant; `Err` says which one failed (with the trace
/// when `trace` is set).
pub fn run(scenario: &Scenario, trace: bool) -> Result<Report, String> {
    let t0 = Instant::now();
    let mut server = MiniServer::new(t0, scenario.seed);
    server.poll_faults = scenario.poll.clone();
    for (_, _, text, fault) in &scenario.sends {
        server.send_faults.insert(text.clone(), *fault);
    }
    let mut cfg = SessionConfig::new(ProfileId::S2018, 0);
    cfg.seed = scenario.seed;
    let mut sim = Sim::new(
        ClientConfig::new(cfg),
        server,
        scenario.net.clone(),
        scenario.seed,
        t0,
    );
    if trace {
        sim = sim.with_trace();
    }
    sim.client.start();
    let n_in = scenario.incoming.len();
    let mut last = Duration::ZERO;
    for (i, (at, ..)) in scenario.incoming.iter().enumerate() {
        sim.schedule(t0 + *at, Due::Action(i));
        last = last.max(*at);
    }
    for (i, (at, ..)) in scenario.sends.iter().enumerate() {
        sim.schedule(t0 + *at, Due::Action(n_in + i));
        last = last.max(*at);
    }
    // Faults stop a little after the last action; then the session must be back online
    // within SETTLE ("bounded time after any recoverable fault").
    let calm = last + Duration::from_secs(30);
    sim.schedule(t0 + calm, Due::Action(CALM));
    let mut handles: Vec<(MessageHandle, String)> = Vec::new();
    let end = calm + SETTLE;
    sim.run(
        end + Duration::from_secs(1),
        |sim, i| {
            if i == CALM {
                sim.net.faults = NetFaults::clean(sim.net.faults.latency_ms);
                sim.server.poll_faults = PollFaults::default();
            } else if let Some((_, from, text)) = scenario.incoming.get(i) {
                sim.server.inject(*from, text);
            } else {
                let (_, to, text, _) = &scenario.sends[i - n_in];
                let h = sim.client.send(to.target(), Message::text(text));
                handles.push((h, text.clone()));
            }
        },
        |sim| sim.elapsed() >= end,
    );
    let result = check(&sim, scenario, &handles);
    let mut report = Report::default();
    for (k, v) in sim
        .net
        .injected
        .0
        .iter()
        .chain(sim.server.injected.0.iter())
    {
        report.tally.add(k, *v);
    }
    report.tally.add("steps", sim.steps as u64);
    report.tally.add_events(&sim.events);
    match result {
        Ok(received) => {
            received.add_to(&mut report.tally);
            Ok(report)
        }
        Err(e) => {
            let mut msg = format!("seed {}: {e}\nscenario: {scenario:?}\n", scenario.seed);
            if let Some(t) = &sim.trace {
                let _ = write!(msg, "trace:\n{t}");
            } else {
                let _ = write!(
                    msg,
                    "replay with: SIM_SEED={} cargo test -p webqq-proto --test simulation -- --nocapture",
                    scenario.seed
                );
            }
            Err(msg)
        }
    }
}

fn chat_of(from: From) -> Chat {
    match from {
        From::Friend => Chat::Friend(FRIEND),
        From::Group => Chat::Group(GROUP.0),
        From::Discussion => Chat::Discussion(DISCUSSION),
        From::Session => Chat::Session {
            from_uin: STRANGER,
            via: GROUP.0,
        },
    }
}

/// The invariants of issue 7 item 2.
fn check(
    sim: &Sim<MiniServer>,
    scenario: &Scenario,
    handles: &[(MessageHandle, String)],
) -> Result<ReceiveTally, String> {
    let events: Vec<&Event> = sim.events.iter().map(|(_, e)| e).collect();
    let gave_up = events.iter().any(|e| matches!(e, Event::Offline { .. }));
    // Received messages: at most once each; exactly once when every byte of the poll answer
    // carrying it reached the client (the rule: `check_received`).
    let answers: Vec<PollAnswer> = sim
        .server
        .written
        .iter()
        .map(|(conn, end, m)| PollAnswer {
            conn: ConnId(*conn),
            end: *end,
            texts: vec![m.text.clone()],
            whole: true,
        })
        .collect();
    let received = check_received(sim, &answers)?;
    // ... and in the chat it was sent in.
    for e in &events {
        if let Event::Message(m) = e {
            let text = m.message.plain_text();
            if let Some((_, from, _)) = scenario.incoming.iter().find(|(_, _, t)| *t == text) {
                if m.chat != chat_of(*from) {
                    return Err(format!(
                        "message {text:?} in {:?}, sent in {from:?}",
                        m.chat
                    ));
                }
            }
        }
    }
    let skipped: Vec<(SeqChat, u64)> = sim
        .server
        .skipped
        .iter()
        .filter_map(|(from, seq)| match from {
            From::Group => Some((SeqChat::Group, *seq)),
            From::Discussion => Some((SeqChat::Discussion, *seq)),
            _ => None,
        })
        .collect();
    check_seq_gaps(&events, &skipped)?;
    // Sends: exactly one outcome each; Sent delivered once, Failed never, Uncertain at most once.
    for (handle, text) in handles {
        let delivered = sim.server.delivered.get(text).copied().unwrap_or(0);
        check_send_outcome(&events, handle, text, u64::from(delivered))?;
        let confirmed = events
            .iter()
            .filter(|e| matches!(e, Event::Confirmed { handle: h } if h == handle))
            .count();
        let uncertain = events
            .iter()
            .any(|e| matches!(e, Event::Uncertain { handle: h, .. } if h == handle));
        if confirmed > 0 && !uncertain {
            return Err(format!("send {text:?} confirmed without being uncertain"));
        }
    }
    // A non-replayable request is never issued twice.
    let mut ids = sim.server.send_msg_ids.clone();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("send msg_id {} reached the server twice", w[0]));
    }
    // Back online within the settle time, unless the login gave up under faults.
    if !gave_up && *sim.client.phase() != Phase::Online {
        return Err(format!(
            "not online {SETTLE:?} after the last action: {:?}",
            sim.client.phase()
        ));
    }
    if gave_up
        && scenario.net.reset
            + scenario.net.drop_to_server
            + scenario.net.drop_to_client
            + scenario.net.refuse
            + scenario.net.idle_close
            == 0.0
    {
        return Err("went offline on a clean network".into());
    }
    if sim.max_pending > 32 {
        return Err(format!("{} requests pending in the agent", sim.max_pending));
    }
    Ok(received)
}
