//! Fuzzes the whole `Client` (session + HTTP engine) with arbitrary server bytes on each
//! connection it opens, connection failures, time passing and the application's commands.
//!
//! Input: byte 0 picks the profile, byte 1 the config (password or QR, connect at once or
//! by script, seed); then a script until the input ends (see [`Driver::step`]). Server bytes
//! go to a connection chosen by the path of the request it last carried, so a seed can walk a
//! whole login with real replies and stay meaningful under mutation. At the end the
//! application logs out and every connection fails.
//!
//! Invariants:
//! - writes only on connections the client opened and the script connected, none after the
//!   client closed them or they ended; connection ids never reused; each closed at most once;
//! - a non-replayable request (a send, by its `msg_id`) is never written twice;
//! - every send gets exactly one outcome (`Confirmed` only after `Uncertain`), all by the end;
//! - every input is followed by a bounded number of outputs, then a deadline not in the past.
#![no_main]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use webqq_fuzz::Script;
use webqq_proto::client::{Input, Output};
use webqq_proto::http1::ConnId;
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::{SessionVia, Target};
use webqq_proto::webqq::session::{Event, MessageHandle, SessionConfig};
use webqq_proto::{Client, ClientConfig};

const PROFILES: [ProfileId; 5] = [
    ProfileId::W2013,
    ProfileId::W2014,
    ProfileId::S2015,
    ProfileId::S2016,
    ProfileId::S2018,
];
/// Request paths a reply can be addressed to (the seeds' generator, `fuzz/seeds.py`, uses
/// the same order).
const PATHS: [&str; 28] = [
    "/cgi-bin/login",
    "/check",
    "/getimage",
    "/login",
    "/check_sig",
    "/ptqrshow",
    "/ptqrlogin",
    "/api/getvfwebqq",
    "/channel/login2",
    "/api/get_user_friends2",
    "/api/get_group_name_list_mask2",
    "/api/get_discus_list",
    "/api/get_self_info2",
    "/channel/get_online_buddies2",
    "/channel/get_recent_list2",
    "/channel/poll2",
    "/channel/send_buddy_msg2",
    "/channel/send_qun_msg2",
    "/channel/send_discu_msg2",
    "/channel/send_sess_msg2",
    "/channel/get_c2cmsg_sig2",
    "/api/get_group_info_ext2",
    "/channel/get_discu_info",
    "/api/get_friend_uin2",
    "/web2/get_msg_tip",
    "/channel/logout2",
    "/pt4_auth",
    "/",
];
const MAX_OUTPUTS_PER_INPUT: usize = 100_000;

#[derive(Default)]
struct Conn {
    connected: bool,
    /// Closed by the client, or ended by the script (EOF, failure).
    done: bool,
    /// Closed by the client.
    closed: bool,
    /// Path of the last request written on it.
    last_path: String,
}

#[derive(Default)]
struct Outcome {
    outcome: Option<&'static str>,
    confirmed: bool,
}

struct Driver {
    /// `FUZZ_TRACE=1` prints every input and output (to read a crash's replay).
    trace: bool,
    client: Client,
    now: Instant,
    deadline: Instant,
    connect_at_once: bool,
    conns: BTreeMap<ConnId, Conn>,
    connecting: Vec<ConnId>,
    msg_ids: HashSet<u64>,
    sends: HashMap<MessageHandle, Outcome>,
}

/// The `msg_id`s in a written request (`r=` form field, JSON url-encoded).
fn msg_ids(bytes: &[u8]) -> Vec<u64> {
    const KEY: &[u8] = b"%22msg_id%22%3A";
    let mut ids = Vec::new();
    let mut rest = bytes;
    while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
        rest = &rest[at + KEY.len()..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if let Ok(id) = std::str::from_utf8(&rest[..digits]).unwrap().parse() {
            ids.push(id);
        }
    }
    ids
}

impl Driver {
    fn input(&mut self, input: Input<'_>) {
        if self.trace {
            eprintln!("-> {input:?}");
        }
        self.client.handle_input(input);
        self.drain();
    }

    fn drain(&mut self) {
        for _ in 0..MAX_OUTPUTS_PER_INPUT {
            let output = self.client.poll_output();
            if self.trace {
                eprintln!("  <- {output:?}");
            }
            match output {
                Output::Connect { conn, .. } => {
                    assert!(!self.conns.contains_key(&conn), "{conn} reused");
                    self.conns.insert(conn, Conn::default());
                    if self.connect_at_once {
                        self.conns.get_mut(&conn).unwrap().connected = true;
                        self.client.handle_input(Input::Connected { conn });
                    } else {
                        self.connecting.push(conn);
                    }
                }
                Output::Write { conn, bytes } => {
                    let c = self
                        .conns
                        .get_mut(&conn)
                        .expect("write on an unknown connection");
                    assert!(
                        c.connected && !c.done,
                        "write on {conn}, not connected or ended"
                    );
                    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
                    let line = String::from_utf8_lossy(line);
                    let mut words = line.split(' ');
                    if let (Some("GET" | "POST" | "HEAD"), Some(target)) =
                        (words.next(), words.next())
                    {
                        c.last_path = target.split('?').next().unwrap_or_default().to_string();
                    }
                    for id in msg_ids(&bytes) {
                        assert!(self.msg_ids.insert(id), "send msg_id {id} written twice");
                    }
                }
                Output::Close { conn } => {
                    let c = self
                        .conns
                        .get_mut(&conn)
                        .expect("close of an unknown connection");
                    assert!(!c.closed, "{conn} closed twice");
                    c.closed = true;
                    c.done = true;
                    self.connecting.retain(|c| *c != conn);
                }
                Output::Event(e) => self.on_event(e),
                Output::Timeout(at) => {
                    assert!(at >= self.now, "a deadline in the past");
                    self.deadline = at;
                    return;
                }
            }
        }
        panic!("outputs without bound");
    }

    fn on_event(&mut self, e: Event) {
        let (handle, outcome) = match e {
            Event::Sent { handle } => (handle, "Sent"),
            Event::Uncertain { handle, .. } => (handle, "Uncertain"),
            Event::SendFailed { handle, .. } => (handle, "SendFailed"),
            Event::Confirmed { handle } => {
                let o = self
                    .sends
                    .get_mut(&handle)
                    .expect("Confirmed for an unknown send");
                assert_eq!(o.outcome, Some("Uncertain"), "Confirmed {handle:?}");
                assert!(!o.confirmed, "{handle:?} confirmed twice");
                o.confirmed = true;
                return;
            }
            _ => return,
        };
        let o = self.sends.entry(handle).or_default();
        if let Some(first) = o.outcome {
            panic!("{handle:?} got {first} and then {outcome}");
        }
        o.outcome = Some(outcome);
    }

    /// A live connection: `sel` below 128 names the path of its last request (see [`PATHS`]),
    /// from 128 on an index among the live ones.
    fn pick(&self, sel: u8) -> Option<ConnId> {
        let mut live = self.conns.iter().filter(|(_, c)| c.connected && !c.done);
        match sel.checked_sub(128) {
            None => {
                let path = PATHS[usize::from(sel) % PATHS.len()];
                live.find(|(_, c)| c.last_path == path).map(|(id, _)| *id)
            }
            Some(i) => {
                let live: Vec<ConnId> = live.map(|(id, _)| *id).collect();
                (!live.is_empty()).then(|| live[usize::from(i) % live.len()])
            }
        }
    }

    fn step(&mut self, script: &mut Script<'_>) {
        match script.byte() % 8 {
            // The next pending connect succeeds or fails.
            0 => {
                let fail = script.byte() & 1 != 0;
                if self.connecting.is_empty() {
                    return;
                }
                let conn = self.connecting.remove(0);
                if fail {
                    self.conns.get_mut(&conn).unwrap().done = true;
                    self.input(Input::ConnectFailed {
                        conn,
                        error: ErrorKind::ConnectionRefused,
                    });
                } else {
                    self.conns.get_mut(&conn).unwrap().connected = true;
                    self.input(Input::Connected { conn });
                }
            }
            // Server bytes.
            1 => {
                let sel = script.byte();
                let bytes = script.body();
                if let Some(conn) = self.pick(sel) {
                    self.input(Input::Data { conn, bytes });
                }
            }
            // The server closes, or the connection breaks.
            2 => {
                let (sel, how) = (script.byte(), script.byte());
                if let Some(conn) = self.pick(sel) {
                    self.conns.get_mut(&conn).unwrap().done = true;
                    if how & 1 == 0 {
                        self.input(Input::Eof { conn });
                    } else {
                        self.input(Input::Failed {
                            conn,
                            error: ErrorKind::ConnectionReset,
                        });
                    }
                }
            }
            3 => {
                self.now += Duration::from_millis(250) * u32::from(script.byte());
                self.input(Input::Time(self.now));
            }
            4 => {
                self.now = self.now.max(self.deadline);
                self.input(Input::Time(self.now));
            }
            5 => {
                let target = match script.byte() % 4 {
                    0 => Target::Friend(11),
                    1 => Target::Group(500),
                    2 => Target::Discussion(700),
                    _ => Target::Session {
                        to_uin: 11,
                        via: SessionVia::Group(500),
                    },
                };
                let n = usize::from(script.byte()) * 8;
                let text = String::from_utf8_lossy(script.bytes(n)).into_owned();
                if self.trace {
                    eprintln!("-> send {target:?} {text:?}");
                }
                let h = self.client.send(target, Message::text(&text));
                assert!(
                    self.sends.insert(h, Outcome::default()).is_none(),
                    "{h:?} reused"
                );
                self.drain();
            }
            6 => {
                match script.byte() % 4 {
                    0 => self.client.submit_captcha("abcd"),
                    1 => self.client.refresh_captcha(),
                    2 => drop(self.client.load_group_members(500)),
                    _ => drop(self.client.resolve_qq(11)),
                }
                self.drain();
            }
            _ => {
                self.client.logout();
                self.drain();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut script = Script(data);
    let (profile, config) = (script.byte(), script.byte());
    let mut session =
        SessionConfig::new(PROFILES[usize::from(profile) % PROFILES.len()], 123456789);
    if config & 1 != 0 {
        session.password = Some(PasswordMd5::from_password("password"));
    }
    session.seed = u64::from(config >> 2);
    let now = Instant::now();
    let mut d = Driver {
        trace: std::env::var_os("FUZZ_TRACE").is_some(),
        client: Client::new(ClientConfig::new(session), now),
        now,
        deadline: now,
        connect_at_once: config & 2 == 0,
        conns: BTreeMap::new(),
        connecting: Vec::new(),
        msg_ids: HashSet::new(),
        sends: HashMap::new(),
    };
    d.client.start();
    d.drain();
    let mut steps = 0;
    while !script.is_empty() && steps < 2_000 {
        d.step(&mut script);
        steps += 1;
    }

    // The application stops; every connection breaks; time runs out every deadline.
    d.client.logout();
    d.drain();
    let live: Vec<ConnId> = d
        .conns
        .iter()
        .filter(|(_, c)| !c.done)
        .map(|(id, _)| *id)
        .collect();
    for conn in live {
        let c = d.conns.get_mut(&conn).unwrap();
        c.done = true;
        if c.connected {
            d.input(Input::Failed {
                conn,
                error: ErrorKind::ConnectionReset,
            });
        } else {
            d.input(Input::ConnectFailed {
                conn,
                error: ErrorKind::ConnectionRefused,
            });
        }
    }
    d.connecting.clear();
    for _ in 0..8 {
        d.now = d.now.max(d.deadline) + Duration::from_secs(1);
        d.input(Input::Time(d.now));
    }
    for (h, o) in &d.sends {
        assert!(o.outcome.is_some(), "{h:?} never got an outcome");
    }
});
