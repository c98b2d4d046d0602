//! `webqq demo`: the emulator in process with its demo world, a bot logged in through the
//! whole protocol over loopback sockets (TLS for the https hosts), a live conversation, and
//! a summary of what went over the wire.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use smol::future::FutureExt;
use webqq_proto::ClientConfig;
use webqq_proto::emulator::{
    EmulatorConfig, Event as EmuEvent, Profile, Target as EmuTarget, World,
};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::hash::hash33;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::session::{self, Chat, Event, LoginStep};
use webqq_smol::{EmulatorHost, Resolver, SendOutcome, Session, SessionConfig, tls};

use crate::names::Names;
use crate::style::{bold, cyan, dim, green, red, yellow};
use crate::{DemoArgs, Error, bot};

use webqq_proto::emulator::world::demo::{ALICE, BOB, BOT, CAROL, DISCUSSION, GROUP};

/// What the simulated people say to the bot, in turn, besides the world's own chatter.
const SCRIPT: &[(u64, EmuTarget, &str)] = &[
    (ALICE, EmuTarget::Buddy(BOT), "time"),
    (BOB, EmuTarget::Group(GROUP), "ping"),
    (
        CAROL,
        EmuTarget::Discussion(DISCUSSION),
        "echo noodles for everyone",
    ),
    (ALICE, EmuTarget::Buddy(BOT), "help"),
    (BOB, EmuTarget::Group(GROUP), "hello bot, nice to meet you"),
    (ALICE, EmuTarget::Discussion(DISCUSSION), "time"),
];
const SCRIPT_INTERVAL: Duration = Duration::from_millis(1200);

#[derive(Default)]
struct Tally {
    received: [u64; 3],
    echoes: u64,
    outcomes: [u64; 3],
}

pub fn main(args: DemoArgs) -> Result<(), Error> {
    smol::block_on(demo(args))
}

async fn demo(args: DemoArgs) -> Result<(), Error> {
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(args.duration);
    let password_login = matches!(
        args.profile,
        Profile::W2013 | Profile::W2014 | Profile::S2015
    );
    let stamp = move || dim(&format!("{:6.2}s", t0.elapsed().as_secs_f64()));

    let mut world = World::demo();
    world.chatter_interval_ms = 4000;
    if password_login {
        for a in &mut world.accounts {
            a.captcha = a.qq == BOT;
        }
    }
    let mut config = EmulatorConfig {
        profile: args.profile,
        world,
        seed: 7,
        ..EmulatorConfig::default()
    };
    config.timing.idle_close_ms = Some(2500);
    let identity = tls::emulator_identity()?;
    let mut host = EmulatorHost::start(config)?;
    let plain = host.listen("127.0.0.1:0".parse()?)?;
    let secure = host.listen_tls("127.0.0.1:0".parse()?, identity.config.clone())?;
    let host = Arc::new(host);
    let emu_events = host.subscribe().await;

    println!("{}", bold("webqq-rs demo"));
    println!(
        "  emulator  profile {:?}, demo world · http://{plain} · https://{secure} (self-signed CA)",
        args.profile
    );
    println!(
        "  client    every *.qq.com host resolves to the emulator; real names, TLS and cookies kept"
    );
    println!(
        "  login     {} as the bot (QQ {BOT}) · running {} s",
        if password_login {
            "password + captcha"
        } else {
            "QR code"
        },
        args.duration
    );
    println!();

    let mut s =
        session::SessionConfig::new(args.profile.into(), if password_login { BOT } else { 0 });
    if password_login {
        s.password = Some(PasswordMd5::from_password("password"));
    }
    s.qr_poll_interval = Duration::from_millis(500);
    s.seed = 42;
    let mut cfg = SessionConfig::new(ClientConfig::new(s));
    cfg.resolver = Resolver::emulator_tls(plain, secure);
    cfg.tls = Some(tls::client_config_with_ca_pem(&identity.ca_pem)?);
    let session = Arc::new(Session::start(cfg));

    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut names = Names::default();
    let mut script: Option<smol::Task<()>> = None;
    let mut replies = Vec::new();
    loop {
        let next = async { session.next_event().await }
            .or(async {
                smol::Timer::at(end).await;
                None
            })
            .await;
        let Some(event) = next else { break };
        match event {
            Event::LoginProgress { step } => {
                println!("{} {} {}", stamp(), cyan("login"), step_text(step));
            }
            Event::CaptchaRequired { image } => {
                let answer = host
                    .control(|e| e.captcha_answer(BOT))
                    .await
                    .unwrap_or_default();
                println!(
                    "{} {} captcha image ({} bytes); a human reads {:?} and types it in",
                    stamp(),
                    cyan("login"),
                    image.len(),
                    answer
                );
                let _ = session
                    .with_client(move |c, _| c.submit_captcha(&answer))
                    .await;
            }
            Event::QrCode { .. } => {
                let mut qrsig = None;
                while let Ok(e) = emu_events.try_recv() {
                    if let EmuEvent::QrShown { qrsig: q } = e {
                        qrsig = Some(q);
                    }
                }
                let token = qrsig.as_deref().map_or(0, hash33);
                println!(
                    "{} {} scan this with mobile QQ (the emulator's phone will):",
                    stamp(),
                    cyan("login")
                );
                print_qr(&format!(
                    "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken={token}"
                ));
                let host = Arc::clone(&host);
                smol::spawn(async move {
                    smol::Timer::after(Duration::from_millis(600)).await;
                    let _ = host.control(|e| e.qr_scan(None)).await;
                    smol::Timer::after(Duration::from_millis(600)).await;
                    let _ = host.control(|e| e.qr_confirm(None, BOT)).await;
                })
                .detach();
            }
            Event::QrScanned => println!(
                "{} {} scanned on the phone; waiting for confirmation",
                stamp(),
                cyan("login")
            ),
            Event::QrConfirmed => println!("{} {} confirmed on the phone", stamp(), cyan("login")),
            Event::Online { uin } => {
                names = snapshot(&session, uin).await;
                println!("{} {} online as uin {uin}", stamp(), green("ready"));
                println!(
                    "{}   friends: {} · groups: {} · discussions: {}",
                    " ".repeat(7),
                    join(names.friends.values()),
                    join(names.groups.values()),
                    join(names.discussions.values()),
                );
                let _ = session
                    .with_client(|c, _| {
                        let k = c.session().contacts();
                        let groups: Vec<u64> = k.groups.keys().copied().collect();
                        let discussions: Vec<u64> = k.discussions.keys().copied().collect();
                        for g in groups {
                            c.load_group_members(g);
                        }
                        for d in discussions {
                            c.load_discussion_members(d);
                        }
                    })
                    .await;
                if script.is_none() {
                    script = Some(smol::spawn(run_script(Arc::clone(&host))));
                }
                println!();
            }
            Event::GroupMembers { .. }
            | Event::DiscussionMembers { .. }
            | Event::ContactsLoaded => {
                names = snapshot(&session, names.me).await;
            }
            // The server's echo of the bot's own sends (protocol §6.5): already shown as "→".
            Event::Message(m) if m.is_self => tally.lock().unwrap().echoes += 1,
            Event::Message(m) => {
                let text = m.message.plain_text();
                let who = names.sender(m.chat, m.sender);
                let place = names.chat(m.chat);
                println!("{} {} [{place}] {}: {text}", stamp(), cyan("←"), bold(&who));
                let kind = match m.chat {
                    Chat::Friend(_) | Chat::Session { .. } => 0,
                    Chat::Group(_) => 1,
                    Chat::Discussion(_) => 2,
                };
                tally.lock().unwrap().received[kind] += 1;
                let Some(target) = m.chat.reply_target() else {
                    continue;
                };
                let Some(reply) = bot::answer(&text, SystemTime::now()) else {
                    continue;
                };
                let session = Arc::clone(&session);
                let tally = Arc::clone(&tally);
                replies.push(smol::spawn(async move {
                    let outcome = session.send(target, Message::text(&reply)).await;
                    let (i, mark) = match &outcome {
                        Ok(SendOutcome::Sent) => (0, green("✓ sent")),
                        Ok(SendOutcome::Uncertain { .. }) => (1, yellow("? uncertain")),
                        Ok(SendOutcome::Failed(why)) => (2, red(&format!("✗ {why}"))),
                        Err(_) => return,
                    };
                    tally.lock().unwrap().outcomes[i] += 1;
                    println!("{} {} [{place}] {reply}  {mark}", stamp(), green("→"));
                }));
            }
            Event::Relinking { retcode } => println!(
                "{} {} channel dropped ({retcode}); relinking",
                stamp(),
                yellow("net")
            ),
            Event::Relogin { retcode } => println!(
                "{} {} session gone ({retcode}); logging in again",
                stamp(),
                yellow("net")
            ),
            Event::Kicked { reason } => println!("{} {} kicked: {reason}", stamp(), red("net")),
            Event::Offline { reason } => {
                println!("{} {} offline: {reason:?}", stamp(), red("net"));
                break;
            }
            other => tracing::debug!(?other, "event"),
        }
    }
    drop(script);
    // Replies still in flight get a moment to land before the count.
    let settle = async {
        for r in replies {
            r.await;
        }
    };
    settle
        .or(async {
            smol::Timer::after(Duration::from_millis(500)).await;
        })
        .await;
    summary(&session, &host, &tally, t0).await;
    Ok(())
}

async fn run_script(host: Arc<EmulatorHost>) {
    smol::Timer::after(SCRIPT_INTERVAL / 4).await;
    for (from, to, text) in SCRIPT.iter().cycle() {
        let (from, to) = (*from, *to);
        let _ = host.control(move |e| e.say(from, to, text)).await;
        smol::Timer::after(SCRIPT_INTERVAL).await;
    }
}

async fn snapshot(session: &Session, me: u64) -> Names {
    session
        .with_client(move |c, _| Names::from_contacts(me, c.session().contacts()))
        .await
        .unwrap_or_default()
}

fn join<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let mut v: Vec<&str> = names.map(String::as_str).collect();
    v.sort();
    v.join(", ")
}

pub fn step_text(step: LoginStep) -> &'static str {
    match step {
        LoginStep::LoginPage => "fetching the login page (ptlogin2)",
        LoginStep::Check => "checking the account: salt and whether a captcha is needed",
        LoginStep::Login => "sending the encrypted password",
        LoginStep::QrCode => "fetching a QR code",
        LoginStep::CheckSig => "check_sig: collecting the login cookies",
        LoginStep::GetVfwebqq => "getvfwebqq: the list-API token",
        LoginStep::Login2 => "login2: opening the web session (psessionid)",
        LoginStep::Contacts => "loading friends, groups and discussions",
        LoginStep::Resume => "checking the saved session",
    }
}

fn print_qr(content: &str) {
    match qrcode::QrCode::new(content.as_bytes()) {
        Ok(code) => {
            let art = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .quiet_zone(true)
                .build();
            for line in art.lines() {
                println!("         {line}");
            }
        }
        Err(e) => println!("         (QR code not drawn: {e})"),
    }
}

async fn summary(session: &Session, host: &EmulatorHost, tally: &Mutex<Tally>, t0: Instant) {
    let Ok((stats, net)) = session
        .with_client(|c, n| (c.agent().stats(), n.clone()))
        .await
    else {
        return;
    };
    let delivered = host.control(|e| e.sent(BOT).len()).await;
    let t = tally.lock().unwrap();
    let received: u64 = t.received.iter().sum();
    let sent: u64 = t.outcomes.iter().sum();
    let ms =
        |d: Option<Duration>| d.map_or("-".into(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3));
    println!();
    println!(
        "{}",
        bold(&format!(
            "summary after {:.1} s",
            t0.elapsed().as_secs_f64()
        ))
    );
    println!(
        "  messages     received {received} (friends {}, group {}, discussion {}) · sent {sent} (the emulator saw {delivered}, {} echoed back)",
        t.received[0], t.received[1], t.received[2], t.echoes
    );
    println!(
        "  sends        {} sent · {} uncertain · {} failed",
        t.outcomes[0], t.outcomes[1], t.outcomes[2]
    );
    println!(
        "  requests     {} ({} errors, {} timeouts) · {} bytes out, {} in",
        stats.requests, stats.errors, stats.timeouts, stats.bytes_out, stats.bytes_in
    );
    println!(
        "  connections  {} opened, {} reuses · {} closed idle by the server · {} retries",
        stats.connections_opened, stats.reused, stats.idle_closed_by_server, stats.retries
    );
    println!(
        "  latency      p50 {} · p99 {} (write to first byte back; held long-polls included)",
        ms(net.latency_quantile(0.5)),
        ms(net.latency_quantile(0.99))
    );
}
