//! Seeded scenarios against the emulator (every profile and login path, the emulator's
//! own faults, a virtual network) and the invariants of issue 7 item 2.
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use webqq_proto::emulator::{
    DeliveryFaults, Emulator, EmulatorConfig, FaultAction, FaultRule, Faults, Profile,
    Target as EmuTarget, World,
};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Chat, Event, MessageHandle, Phase, SessionConfig};
use webqq_proto::{Client, ClientConfig};

use super::emu::{BOT, EmuServer};
use super::net::NetFaults;
use super::scenario::Report;
use super::{Due, ReceiveTally, SeqChat, Sim, check_received, check_send_outcome, check_seq_gaps};

/// Time after the faults stop within which the session must be online again.
pub const SETTLE: Duration = Duration::from_secs(200);
const CALM: usize = usize::MAX;
/// Actions not yet possible (not online yet) are tried again this much later.
const RETRY: Duration = Duration::from_secs(5);

/// How the client logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Password.
    Password,
    /// Password with a captcha.
    Captcha,
    /// QR code.
    Qr,
}

/// Where a message goes (both directions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chat3 {
    /// Friend.
    Friend,
    /// Group.
    Group,
    /// Discussion.
    Discussion,
}

/// One run, drawn from its seed.
#[derive(Debug, Clone)]
pub struct EmuScenario {
    /// The seed.
    pub seed: u64,
    /// The era.
    pub profile: Profile,
    /// The login path.
    pub path: Path,
    /// Network faults.
    pub net: NetFaults,
    /// Emulator faults.
    pub faults: Faults,
    /// Simulated users talking to the bot.
    pub incoming: Vec<(Duration, Chat3, String)>,
    /// The bot sending.
    pub sends: Vec<(Duration, Chat3, String)>,
}

impl EmuScenario {
    /// Faults that can lose a message in transit (the invariant is then "at most once").
    fn lossy(&self) -> bool {
        self.net.reset + self.net.drop_to_client + self.net.drop_to_server > 0.0
            || self.faults.rules.iter().any(|r| {
                matches!(
                    r.action,
                    FaultAction::ResetMidResponse | FaultAction::Expire
                )
            })
    }
}

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

fn p(rng: &mut ChaCha8Rng, max: f64, on: bool) -> f64 {
    if on { unit(rng) * max } else { 0.0 }
}

fn rule(endpoint: Option<&str>, action: FaultAction, probability: f64) -> FaultRule {
    FaultRule {
        endpoint: endpoint.map(String::from),
        action,
        probability,
        times: None,
    }
}

/// Draws a scenario.
pub fn generate(seed: u64) -> EmuScenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let profile = Profile::ALL[below(&mut rng, 5) as usize];
    let paths: &[Path] = match profile {
        Profile::W2013 | Profile::W2014 => &[Path::Password, Path::Captcha],
        Profile::S2015 => &[Path::Password, Path::Captcha, Path::Qr],
        Profile::S2016 | Profile::S2018 => &[Path::Qr],
    };
    let path = paths[below(&mut rng, paths.len() as u64) as usize];
    let faulty = below(&mut rng, 3) != 0;
    let lossy = faulty && below(&mut rng, 4) == 0;
    let net = NetFaults {
        latency_ms: 0,
        jitter_ms: 0,
        refuse: p(&mut rng, 0.03, faulty),
        hang_connect: 0.0,
        split: p(&mut rng, 0.6, faulty),
        reset: p(&mut rng, 0.03, lossy),
        drop_to_server: p(&mut rng, 0.02, lossy),
        drop_to_client: p(&mut rng, 0.02, lossy),
        idle_close: p(&mut rng, 0.3, faulty),
        stall: p(&mut rng, 0.02, faulty),
    };
    let mut rules = Vec::new();
    if faulty {
        let retcode = |retcode, delivered| FaultAction::Retcode { retcode, delivered };
        rules.push(rule(
            None,
            FaultAction::CloseOnArrival,
            p(&mut rng, 0.1, true),
        ));
        let ms = below(&mut rng, 5000);
        rules.push(rule(
            None,
            FaultAction::Delay { ms },
            p(&mut rng, 0.1, true),
        ));
        let status = [502, 504][below(&mut rng, 2) as usize];
        rules.push(rule(
            Some("poll2"),
            FaultAction::Status { status },
            p(&mut rng, 0.15, true),
        ));
        let code = [102, 120, 121, 100012][below(&mut rng, 4) as usize];
        rules.push(rule(
            Some("poll2"),
            retcode(code, 0.0),
            p(&mut rng, 0.1, true),
        ));
        for send in ["send_buddy_msg2", "send_qun_msg2", "send_discu_msg2"] {
            let delivered = unit(&mut rng);
            rules.push(rule(
                Some(send),
                retcode(1202, delivered),
                p(&mut rng, 0.2, true),
            ));
            rules.push(rule(
                Some(send),
                retcode(100100, 0.0),
                p(&mut rng, 0.1, true),
            ));
            rules.push(rule(
                Some(send),
                FaultAction::Status { status: 502 },
                p(&mut rng, 0.1, true),
            ));
        }
        if lossy {
            rules.push(rule(
                Some("poll2"),
                FaultAction::ResetMidResponse,
                p(&mut rng, 0.05, true),
            ));
            let mut expire = rule(Some("poll2"), FaultAction::Expire, p(&mut rng, 0.05, true));
            expire.times = Some(1);
            rules.push(expire);
        }
    }
    let delivery = DeliveryFaults {
        duplicate: p(&mut rng, 0.3, faulty),
        reorder: p(&mut rng, 0.3, faulty),
        seq_gap: p(&mut rng, 0.2, faulty),
        unknown_poll_type: p(&mut rng, 0.1, faulty),
    };
    let mut net = net;
    net.latency_ms = 1 + below(&mut rng, 60);
    net.jitter_ms = below(&mut rng, 40);
    let chats = [Chat3::Friend, Chat3::Group, Chat3::Discussion];
    let mut draw = |n: u64, prefix: &str| -> Vec<(Duration, Chat3, String)> {
        (0..below(&mut rng, n))
            .map(|i| {
                let at = Duration::from_millis(below(&mut rng, 120_000));
                (
                    at,
                    chats[below(&mut rng, 3) as usize],
                    format!("{prefix}-{i}"),
                )
            })
            .collect()
    };
    let incoming = draw(8, "in");
    let sends = draw(6, "out");
    // Drawn last so that adding it left the earlier draws of every seed as they were.
    net.hang_connect = p(&mut rng, 0.02, faulty);
    // A send answered "session expired" (protocol §7.6: 108 → full login, then resend)
    // starts a re-login while a poll may be on its way: that poll's messages must still
    // arrive. Drawn after the rest for the same reason.
    let expired = p(&mut rng, 0.05, faulty);
    if faulty {
        for send in ["send_buddy_msg2", "send_qun_msg2", "send_discu_msg2"] {
            let mut r = rule(
                Some(send),
                FaultAction::Retcode {
                    retcode: 108,
                    delivered: 0.0,
                },
                expired,
            );
            r.times = Some(2);
            rules.push(r);
        }
    }
    EmuScenario {
        seed,
        profile,
        path,
        net,
        faults: Faults { rules, delivery },
        incoming,
        sends,
    }
}

fn send_target(client: &Client, chat: Chat3) -> Option<Target> {
    let c = client.session().contacts();
    match chat {
        Chat3::Friend => c
            .friends
            .values()
            .find(|f| f.nick == "Alice")
            .map(|f| Target::Friend(f.uin)),
        Chat3::Group => c.groups.keys().next().map(|g| Target::Group(*g)),
        Chat3::Discussion => c.discussions.keys().next().map(|d| Target::Discussion(*d)),
    }
}

fn emu_target(chat: Chat3) -> (u64, EmuTarget) {
    match chat {
        Chat3::Friend => (10002, EmuTarget::Buddy(BOT)),
        Chat3::Group => (10003, EmuTarget::Group(200_001)),
        Chat3::Discussion => (10004, EmuTarget::Discussion(1)),
    }
}

/// Runs one scenario and checks the invariants.
pub fn run(sc: &EmuScenario, trace: bool) -> Result<Report, String> {
    let t0 = Instant::now();
    let mut world = World::demo();
    world.chatter_interval_ms = 0;
    world.accounts[0].captcha = sc.path == Path::Captcha;
    let config = EmulatorConfig {
        seed: sc.seed,
        world,
        faults: sc.faults.clone(),
        ..EmulatorConfig::demo(sc.profile)
    };
    let server = EmuServer::new(Emulator::new(config, t0).map_err(|e| e.to_string())?);
    let mut cfg = SessionConfig::new(sc.profile.into(), BOT);
    if sc.path != Path::Qr {
        cfg.password = Some(PasswordMd5::from_password("password"));
    }
    cfg.seed = sc.seed;
    let mut sim = Sim::new(ClientConfig::new(cfg), server, sc.net.clone(), sc.seed, t0);
    if trace {
        sim = sim.with_trace();
    }
    sim.client.start();
    let n_in = sc.incoming.len();
    let mut last = Duration::ZERO;
    for (i, (at, ..)) in sc.incoming.iter().chain(sc.sends.iter()).enumerate() {
        sim.schedule(t0 + *at, Due::Action(i));
        last = last.max(*at);
    }
    let calm = last + Duration::from_secs(30);
    sim.schedule(t0 + calm, Due::Action(CALM));
    let end = calm + SETTLE;
    let mut handles: Vec<(MessageHandle, String)> = Vec::new();
    let mut said: Vec<(Chat3, String)> = Vec::new();
    loop {
        sim.run(
            end + Duration::from_secs(1),
            |sim, i| {
                if i == CALM {
                    sim.net.faults = NetFaults::clean(sim.net.faults.latency_ms);
                    sim.server.emu.set_faults(Faults::default());
                } else if let Some((_, chat, text)) = sc.incoming.get(i) {
                    let (from, target) = emu_target(*chat);
                    // Said once the bot's web session exists (the emulator keeps no
                    // offline messages).
                    let online = *sim.client.phase() == Phase::Online;
                    if online && sim.server.emu.say(from, target, text).is_ok() {
                        said.push((*chat, text.clone()));
                    } else {
                        sim.schedule(sim.now + RETRY, Due::Action(i));
                    }
                } else {
                    let (_, chat, text) = &sc.sends[i - n_in];
                    let online = *sim.client.phase() == Phase::Online;
                    match send_target(&sim.client, *chat).filter(|_| online) {
                        Some(to) => {
                            let h = sim.client.send(to, Message::text(text));
                            handles.push((h, text.clone()));
                        }
                        None => sim.schedule(sim.now + RETRY, Due::Action(i)),
                    }
                }
            },
            |s| {
                s.elapsed() >= end
                    || (s.server.captcha.is_some()
                        && matches!(s.client.phase(), Phase::AwaitCaptcha { .. }))
            },
        );
        match sim.server.captcha.take() {
            Some(answer) if sim.elapsed() < end => sim.client.submit_captcha(&answer),
            _ => break,
        }
    }
    let result = check(&sim, sc, &said, &handles);
    let mut report = Report::default();
    for (k, v) in &sim.net.injected.0 {
        report.tally.add(k, *v);
    }
    report.tally.add("steps", sim.steps as u64);
    report.tally.add("messages_said", said.len() as u64);
    report.tally.add_events(&sim.events);
    result
        .map(|(received, skipped)| {
            received.add_to(&mut report.tally);
            report.tally.add("seq_gaps", skipped);
            report
        })
        .map_err(|e| {
        let mut msg = format!("seed {}: {e}\nscenario: {sc:?}\n", sc.seed);
        match &sim.trace {
            Some(t) => {
                let _ = write!(msg, "trace:\n{t}");
            }
            None => {
                let _ = write!(
                    msg,
                    "replay with: SIM_SEED={} cargo test -p webqq-proto --features emulator --test simulation_emulator -- --nocapture",
                    sc.seed
                );
            }
        }
        msg
    })
}

fn chat_matches(chat: Chat3, got: Chat) -> bool {
    matches!(
        (chat, got),
        (Chat3::Friend, Chat::Friend(_))
            | (Chat3::Group, Chat::Group(_))
            | (Chat3::Discussion, Chat::Discussion(_))
    )
}

fn check(
    sim: &Sim<EmuServer>,
    sc: &EmuScenario,
    said: &[(Chat3, String)],
    handles: &[(MessageHandle, String)],
) -> Result<(ReceiveTally, u64), String> {
    let events: Vec<&Event> = sim.events.iter().map(|(_, e)| e).collect();
    let offline = events.iter().any(|e| matches!(e, Event::Offline { .. }));
    let relogged = events.iter().any(|e| matches!(e, Event::Relogin { .. }));
    // At most once each; exactly once when every byte of the poll answer the emulator wrote
    // it in reached the client (the rule: `check_received`).
    let delivered = check_received(sim, &sim.server.answers)?;
    let mut received: HashMap<String, Chat> = HashMap::new();
    for e in &events {
        if let Event::Message(m) = e {
            received.insert(m.message.plain_text().trim().to_string(), m.chat);
        }
    }
    for (chat, text) in said {
        match received.get(text) {
            Some(c) if !chat_matches(*chat, *c) => {
                return Err(format!(
                    "message {text:?} arrived in {c:?}, said in {chat:?}"
                ));
            }
            Some(_) => {}
            // Without anything lossy, a message said while the bot was online is also
            // written in some poll answer, so it must arrive.
            None if !sc.lossy() && !offline && !relogged => {
                return Err(format!("message {text:?} never reached the application"));
            }
            None => {}
        }
    }
    // Seqs the emulator skipped on purpose: numbers of the group or discussion no message got.
    let mut skipped = Vec::new();
    for (kind, target) in [
        (SeqChat::Group, EmuTarget::Group(200_001)),
        (SeqChat::Discussion, EmuTarget::Discussion(1)),
    ] {
        let seqs: BTreeSet<u64> = [BOT, 10002, 10003, 10004]
            .iter()
            .flat_map(|qq| sim.server.emu.sent(*qq))
            .filter(|m| m.target == target)
            .filter_map(|m| m.seq)
            .collect();
        let top = seqs.last().copied().unwrap_or(0);
        skipped.extend((1..top).filter(|s| !seqs.contains(s)).map(|s| (kind, s)));
    }
    check_seq_gaps(&events, &skipped)?;
    let sent = sim.server.emu.sent(BOT);
    let mut ids: Vec<u64> = sent.iter().filter_map(|m| m.msg_id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("send msg_id {} delivered twice", w[0]));
    }
    for (handle, text) in handles {
        let delivered = sent.iter().filter(|m| m.text.trim() == text).count();
        check_send_outcome(&events, handle, text, delivered as u64)?;
    }
    let clean = sc.net.refuse + sc.net.idle_close + sc.net.stall + sc.net.reset == 0.0
        && sc.faults.rules.is_empty();
    if offline && clean {
        return Err("went offline without any fault".into());
    }
    if !offline && *sim.client.phase() != Phase::Online {
        return Err(format!(
            "not online {SETTLE:?} after the faults stopped: {:?}",
            sim.client.phase()
        ));
    }
    if sim.max_pending > 32 {
        return Err(format!("{} requests pending in the agent", sim.max_pending));
    }
    Ok((delivered, skipped.len() as u64))
}
