//! Scale bench (issue 8, item 4): many WebQQ sessions in this one process, each an isolated
//! [`Session`] (its own `Client`, cookie jar and connections) driven by the webqq-smol driver,
//! logged into one `webqq emulator` running as a second process on loopback; then a steady
//! stream of messages from the emulator's simulated users to the sessions.
//!
//! `scripts/bench-scale` builds it in release and runs it; every parameter is an environment
//! variable (defaults in brackets):
//!
//! | variable | meaning |
//! |---|---|
//! | `SESSIONS` [10000] | sessions (accounts 20000, 20001, … in a generated world) |
//! | `RATE` [1000] | messages per second pushed during the push phase |
//! | `PUSH_SECS` [30] | length of the push phase |
//! | `LOGIN_CONCURRENCY` [256] | logins in flight at once |
//! | `EMULATOR_IPS` [4] | loopback addresses the emulator listens on (127.0.0.1 …) |
//! | `EMULATOR_PORT` [a free one] | its port on each |
//! | `WEBQQ_BIN` [`webqq` next to this example's directory] | the emulator program |
//! | `LATENCY_BY_SECOND` [unset] | also print the worst latency of each second of the push |
//!
//! Messages travel as `POST /_emulator/say_batch` every 10 ms from a pusher thread; each text
//! is `<seq> <µs>`: its number and the push time (this process's monotonic clock, read just
//! before the batch is written). A session's event task reads the stamp at the application
//! event (`Event::Message`), so the latency is control request + emulator + poll answer +
//! client decode, end to end. Every number must arrive exactly once at the session it was
//! addressed to; losses, duplicates and misroutes are counted and printed.
//!
//! Memory: resident set (`VmRSS` of `/proc/self/status` and `/proc/<emulator>/status`) and the
//! live heap bytes of this process, counted by the global allocator below, before the first
//! session starts and once all are logged in and idle.
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use webqq_proto::ClientConfig;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::session::{self, Event};
use webqq_smol::{Resolver, Session, SessionConfig, Spawner};

/// Counts live heap bytes (the bench's own figure; nothing else changes).
struct Counting;

static HEAP: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
            HEAP.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The account every message comes from (a friend of every session's account).
const PUSHER: u64 = 1000;
/// The first session's account.
const FIRST_QQ: u64 = 20_000;
/// The pusher's batch period.
const TICK: Duration = Duration::from_millis(10);

#[derive(Clone)]
struct Params {
    sessions: usize,
    rate: u64,
    push_secs: u64,
    login_concurrency: usize,
    ips: u8,
    port: u16,
    bin: PathBuf,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a valid value")),
        Err(_) => default,
    }
}

impl Params {
    fn from_env() -> Params {
        let default_bin = std::env::current_exe()
            .ok()
            .and_then(|p| Some(p.parent()?.parent()?.join("webqq")))
            .unwrap_or_else(|| PathBuf::from("webqq"));
        Params {
            sessions: env("SESSIONS", 10_000),
            rate: env("RATE", 1000),
            push_secs: env("PUSH_SECS", 30),
            login_concurrency: env("LOGIN_CONCURRENCY", 256),
            ips: env("EMULATOR_IPS", 4u8).max(1),
            port: env("EMULATOR_PORT", 0),
            bin: std::env::var_os("WEBQQ_BIN")
                .map(PathBuf::from)
                .unwrap_or(default_bin),
        }
    }

    /// A port free on 127.0.0.1 now (the emulator binds it on every address).
    fn pick_port(&mut self) {
        if self.port == 0 {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            self.port = l.local_addr().expect("its address").port();
        }
    }

    fn addrs(&self) -> Vec<SocketAddr> {
        (1..=self.ips)
            .map(|i| SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, i)), self.port))
            .collect()
    }
}

/// A world of `n` accounts (password `p`, no captcha) each with the pusher as only friend.
fn world_json(n: usize) -> String {
    let accounts: Vec<serde_json::Value> = std::iter::once(serde_json::json!({
        "qq": PUSHER, "nick": "pusher"
    }))
    .chain((0..n as u64).map(|i| {
        serde_json::json!({
            "qq": FIRST_QQ + i, "password": "p", "nick": format!("s{i}"),
            "friends": [{"qq": PUSHER}]
        })
    }))
    .collect();
    serde_json::json!({"accounts": accounts, "chatter_interval_ms": 0}).to_string()
}

/// A `/proc/<pid>/status` field in bytes (`VmRSS`, `VmHWM` …).
fn proc_status_bytes(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// CPU time (user + system) of a process so far (`/proc/<pid>/stat`, clock ticks of 10 ms).
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is field 3, utime 14.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// How late a thread wakes from 1 ms sleeps until `stop`: the machine's own scheduling delay,
/// the floor under any latency measured here (µs, sorted).
fn wake_lateness(stop: &AtomicBool) -> Vec<u32> {
    let mut late = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        std::thread::sleep(Duration::from_millis(1));
        late.push((t.elapsed().as_micros() as u32).saturating_sub(1000));
    }
    late.sort_unstable();
    late
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The soft limit of open files (`/proc/self/limits`).
fn fd_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(1024)
}

/// The emulator process and its world file; killed and removed when dropped.
struct Emulator {
    child: Child,
    world: PathBuf,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.world);
    }
}

fn start_emulator(p: &Params) -> Emulator {
    let world = std::env::temp_dir().join(format!("webqq-scale-world-{}.json", std::process::id()));
    std::fs::write(&world, world_json(p.sessions)).expect("write the world file");
    let mut cmd = Command::new(&p.bin);
    cmd.arg("emulator")
        .arg("--profile")
        .arg("s2015")
        .arg("--world")
        .arg(&world);
    for a in p.addrs() {
        cmd.arg("--listen").arg(a.to_string());
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} emulator: {e}", p.bin.display()));
    let mut emulator = Emulator { child, world };
    let deadline = Instant::now() + Duration::from_secs(30);
    for a in p.addrs() {
        while TcpStream::connect(a).is_err() {
            if let Ok(Some(status)) = emulator.child.try_wait() {
                panic!("the emulator exited ({status})");
            }
            assert!(
                Instant::now() < deadline,
                "the emulator never listened on {a}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    emulator
}

/// One keep-alive connection to the control API.
struct Control {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Control {
    fn connect(addr: SocketAddr) -> Control {
        let stream = TcpStream::connect(addr).expect("connect to the control API");
        stream.set_nodelay(true).ok();
        Control {
            stream,
            buf: Vec::new(),
        }
    }

    /// `POST /_emulator/<path>` with `body`; returns the answer's body.
    fn post(&mut self, path: &str, body: &str) -> serde_json::Value {
        let req = format!(
            "POST /_emulator/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream
            .write_all(req.as_bytes())
            .expect("write to the control API");
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        loop {
            let n = self
                .stream
                .read(&mut chunk)
                .expect("read from the control API");
            assert!(n > 0, "the control API closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head) =
                resp.parse(&self.buf).expect("a valid HTTP answer")
            {
                let len: usize = resp
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                    .expect("the control API answers with Content-Length");
                if self.buf.len() >= head + len {
                    return serde_json::from_slice(&self.buf[head..head + len])
                        .expect("a JSON answer");
                }
            }
        }
    }
}

/// What the sessions' event tasks saw.
#[derive(Default)]
struct Seen {
    /// Deliveries per message number.
    counts: Vec<u8>,
    /// Latencies in µs, in arrival order.
    latencies: Vec<u32>,
    /// Push time of each (ms since the start), in the same order.
    pushed_at_ms: Vec<u32>,
    /// Messages that reached a session they were not addressed to.
    misrouted: u64,
    /// Texts that were not a bench stamp.
    foreign: u64,
}

struct Shared {
    base: Instant,
    seen: Mutex<Seen>,
    online: AtomicUsize,
    offline: AtomicUsize,
}

/// `<seq> <µs>` → (seq, µs).
fn parse_stamp(text: &str) -> Option<(u64, u64)> {
    let mut it = text.split_whitespace();
    let seq = it.next()?.parse().ok()?;
    let at = it.next()?.parse().ok()?;
    Some((seq, at))
}

async fn consume(
    index: usize,
    n: usize,
    session: Arc<Session>,
    shared: Arc<Shared>,
    up: smol::channel::Sender<()>,
) {
    while let Some(e) = session.next_event().await {
        match e {
            Event::Online { .. } => {
                shared.online.fetch_add(1, Ordering::Relaxed);
                let _ = up.try_send(());
            }
            Event::Offline { reason } => {
                eprintln!("session {index} offline: {reason:?}");
                shared.offline.fetch_add(1, Ordering::Relaxed);
                let _ = up.try_send(());
            }
            Event::Message(m) => {
                let now = shared.base.elapsed().as_micros() as u64;
                let mut seen = shared.seen.lock().unwrap();
                match parse_stamp(&m.message.plain_text()) {
                    Some((seq, at)) => {
                        let i = seq as usize;
                        if seen.counts.len() <= i {
                            seen.counts.resize(i + 1, 0);
                        }
                        seen.counts[i] = seen.counts[i].saturating_add(1);
                        seen.latencies.push(now.saturating_sub(at) as u32);
                        seen.pushed_at_ms.push((at / 1000) as u32);
                        if i % n != index {
                            seen.misrouted += 1;
                        }
                    }
                    None => seen.foreign += 1,
                }
            }
            _ => {}
        }
    }
}

/// Pushes `rate` messages a second for `secs`, round-robin over the sessions; returns how
/// many were pushed and the round trip of each `say_batch` (µs, sorted): the emulator answers
/// it after it has queued the poll answers of the batch, so it is the push's share of the
/// latency without the client's.
fn push(p: &Params, base: Instant, stop: &AtomicBool) -> (u64, Vec<u32>) {
    let mut round_trips = Vec::new();
    let mut control = Control::connect(p.addrs()[0]);
    let n = p.sessions as u64;
    let started = Instant::now();
    let end = started + Duration::from_secs(p.push_secs);
    let mut pushed = 0u64;
    let mut tick = started;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        let due = (started.elapsed().as_secs_f64() * p.rate as f64) as u64;
        if due > pushed {
            let at = base.elapsed().as_micros() as u64;
            let messages: Vec<serde_json::Value> = (pushed..due)
                .map(|seq| {
                    serde_json::json!({
                        "from": PUSHER,
                        "to": {"buddy": FIRST_QQ + seq % n},
                        "text": format!("{seq} {at}"),
                    })
                })
                .collect();
            let body = serde_json::json!({ "messages": messages }).to_string();
            let sent_at = Instant::now();
            let answer = control.post("say_batch", &body);
            round_trips.push(sent_at.elapsed().as_micros() as u32);
            assert_eq!(answer["ok"], true, "say_batch refused: {answer}");
            pushed = due;
        }
        tick += TICK;
        if let Some(wait) = tick.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    round_trips.sort_unstable();
    (pushed, round_trips)
}

fn quantile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let mut p = Params::from_env();
    p.pick_port();
    let emulator = start_emulator(&p);
    let emu_pid = emulator.child.id().to_string();
    let base = Instant::now();
    let shared = Arc::new(Shared {
        base,
        seen: Mutex::new(Seen::default()),
        online: AtomicUsize::new(0),
        offline: AtomicUsize::new(0),
    });
    let ex = Arc::new(smol::Executor::new());
    let spawner = Spawner::Executor(Arc::clone(&ex));
    let addrs = p.addrs();
    let n = p.sessions;

    smol::block_on(ex.run(async {
        // Let the emulator settle (world loaded, listening) before its baseline.
        smol::Timer::after(Duration::from_millis(200)).await;
        let emu_rss0 = proc_status_bytes(&emu_pid, "VmRSS");
        let rss0 = proc_status_bytes("self", "VmRSS");
        let heap0 = HEAP.load(Ordering::Relaxed);
        let fds0 = open_fds();

        let (up_tx, up_rx) = smol::channel::unbounded::<()>();
        let mut sessions = Vec::with_capacity(n);
        let started = Instant::now();
        let mut in_flight = 0usize;
        // Logins wait while the open files near the limit (login connections close after
        // the agent's idle timeout).
        let fd_budget = fd_limit() * 9 / 10;
        let mut peak_fds = 0;
        for i in 0..n {
            if i % 64 == 0 {
                loop {
                    let fds = open_fds();
                    peak_fds = peak_fds.max(fds);
                    if fds < fd_budget {
                        break;
                    }
                    smol::Timer::after(Duration::from_millis(20)).await;
                }
            }
            if in_flight >= p.login_concurrency {
                let _ = up_rx.recv().await;
                in_flight -= 1;
            }
            let qq = FIRST_QQ + i as u64;
            let mut s = session::SessionConfig::new(ProfileId::S2015, qq);
            s.password = Some(PasswordMd5::from_password("p"));
            s.seed = qq;
            let mut client = ClientConfig::new(s);
            // Login connections (ptlogin2, s.web2 …) close soon after the login; a session
            // then holds only its poll connection.
            client.agent.idle_timeout = Duration::from_secs(env("IDLE_TIMEOUT_SECS", 2));
            let mut config = SessionConfig::new(client);
            config.resolver = Resolver::emulator(addrs[i % addrs.len()]);
            let session = Arc::new(Session::start_on(&spawner, config));
            ex.spawn(consume(i, n, Arc::clone(&session), Arc::clone(&shared), up_tx.clone()))
                .detach();
            sessions.push(session);
            in_flight += 1;
        }
        while in_flight > 0 {
            let _ = up_rx.recv().await;
            in_flight -= 1;
        }
        let login_time = started.elapsed();
        let online = shared.online.load(Ordering::Relaxed);
        let offline = shared.offline.load(Ordering::Relaxed);
        println!(
            "logged in: {online} of {n} sessions in {:.2} s ({:.0} logins/s); offline: {offline}; open fds while logging in at most {peak_fds} (sampled every 64 starts; limit {})",
            login_time.as_secs_f64(),
            online as f64 / login_time.as_secs_f64(),
            fd_limit(),
        );

        // Idle: every session holds its poll; the login connections close (idle timeout).
        let settle = Duration::from_secs(env("IDLE_SECS", 5));
        smol::Timer::after(settle).await;
        let rss1 = proc_status_bytes("self", "VmRSS");
        let heap1 = HEAP.load(Ordering::Relaxed);
        let emu_rss1 = proc_status_bytes(&emu_pid, "VmRSS");
        let fds1 = open_fds();
        let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / n as f64;
        println!(
            "idle after {} s: client RSS {:.1} MiB ({:.0} B/session), heap {:.1} MiB ({:.0} B/session), open fds {fds1} (+{})",
            settle.as_secs(),
            rss1 as f64 / 1048576.0,
            per(rss1, rss0),
            heap1 as f64 / 1048576.0,
            per(heap1 as u64, heap0 as u64),
            fds1.saturating_sub(fds0),
        );
        println!(
            "emulator RSS {:.1} MiB ({:.0} B/session over its baseline without sessions, {:.1} MiB)",
            emu_rss1 as f64 / 1048576.0,
            per(emu_rss1, emu_rss0),
            emu_rss0 as f64 / 1048576.0,
        );

        // Push phase, from another thread so that this one only runs the sessions.
        let stop = Arc::new(AtomicBool::new(false));
        let pushed = Arc::new(Mutex::new((0, Vec::new())));
        let pusher = {
            let p = p.clone();
            let stop = Arc::clone(&stop);
            let pushed = Arc::clone(&pushed);
            std::thread::spawn(move || *pushed.lock().unwrap() = push(&p, base, &stop))
        };
        let probe = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || wake_lateness(&stop))
        };
        let (cpu0, emu_cpu0, wall0) = (cpu_time("self"), cpu_time(&emu_pid), Instant::now());
        while !pusher.is_finished() {
            smol::Timer::after(Duration::from_millis(100)).await;
        }
        pusher.join().expect("the pusher thread");
        let wall = wall0.elapsed().as_secs_f64();
        let cpu = (cpu_time("self") - cpu0).as_secs_f64() / wall * 100.0;
        let emu_cpu = (cpu_time(&emu_pid) - emu_cpu0).as_secs_f64() / wall * 100.0;
        stop.store(true, Ordering::Relaxed);
        let late = probe.join().expect("the probe thread");
        let (pushed, round_trips) = std::mem::take(&mut *pushed.lock().unwrap());
        // Stragglers: wait until everything arrived or 5 s passed.
        let grace = Instant::now() + Duration::from_secs(5);
        loop {
            let got = shared.seen.lock().unwrap().latencies.len() as u64;
            if got >= pushed || Instant::now() > grace {
                break;
            }
            smol::Timer::after(Duration::from_millis(50)).await;
        }
        let seen = std::mem::take(&mut *shared.seen.lock().unwrap());
        let counts = &seen.counts;
        let once = (0..pushed as usize)
            .filter(|&i| counts.get(i) == Some(&1))
            .count();
        let lost = (0..pushed as usize)
            .filter(|&i| counts.get(i).is_none_or(|&c| c == 0))
            .count();
        let dup: u64 = counts.iter().map(|&c| c.saturating_sub(1) as u64).sum();
        if std::env::var_os("LATENCY_BY_SECOND").is_some() {
            // Diagnostic: the worst latency of each second of the push (ms), to tell a
            // periodic stall from a spread-out tail.
            let first = seen.pushed_at_ms.iter().min().copied().unwrap_or(0);
            let mut worst = vec![0u32; p.push_secs as usize + 1];
            for (&at, &l) in seen.pushed_at_ms.iter().zip(&seen.latencies) {
                let sec = ((at - first) / 1000) as usize;
                if let Some(w) = worst.get_mut(sec) {
                    *w = (*w).max(l / 1000);
                }
            }
            println!("worst latency per second of the push (ms): {worst:?}");
        }
        let mut lat = seen.latencies.clone();
        lat.sort_unstable();
        println!(
            "push: {pushed} messages in {} s ({:.0}/s); received {} (exactly once {once}, lost {lost}, duplicated {dup}, misrouted {}, foreign {})",
            p.push_secs,
            pushed as f64 / p.push_secs as f64,
            seen.latencies.len(),
            seen.misrouted,
            seen.foreign
        );
        println!(
            "latency push → application event: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            quantile(&lat, 0.5),
            quantile(&lat, 0.99),
            quantile(&lat, 0.999),
            quantile(&lat, 1.0),
        );
        println!(
            "say_batch round trip (push → emulator answered, client not included): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            quantile(&round_trips, 0.5),
            quantile(&round_trips, 0.99),
            quantile(&round_trips, 1.0),
        );
        println!(
            "during the push: client CPU {cpu:.0}% (all its threads), emulator CPU {emu_cpu:.0}%; a thread sleeping 1 ms wakes late by p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; load average {}",
            quantile(&late, 0.5),
            quantile(&late, 0.99),
            quantile(&late, 1.0),
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        );
        println!(
            "end: client RSS {:.1} MiB (peak {:.1} MiB), emulator RSS {:.1} MiB (peak {:.1} MiB), sessions offline {}",
            proc_status_bytes("self", "VmRSS") as f64 / 1048576.0,
            proc_status_bytes("self", "VmHWM") as f64 / 1048576.0,
            proc_status_bytes(&emu_pid, "VmRSS") as f64 / 1048576.0,
            proc_status_bytes(&emu_pid, "VmHWM") as f64 / 1048576.0,
            shared.offline.load(Ordering::Relaxed),
        );
        drop(sessions);
    }));
    drop(emulator);
}
