//! A scripted WebQQ server (SmartQQ 2018, QR login) small enough to reason about: it serves
//! the login and contact steps with fixed bodies, holds `poll2`, delivers injected messages
//! in every chat type, takes sends in every chat type, and applies the faults it is given.
//! It records what it delivered and what it accepted, for the invariants.
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde_json::{Value, json};

use super::{Server, ServerOut, Tally};

/// Own uin (the QR login's account).
pub const SELF_UIN: u64 = 294_717_557;
/// A friend.
pub const FRIEND: u64 = 11;
/// A group (gid) and its code.
pub const GROUP: (u64, u64) = (500, 600);
/// A discussion.
pub const DISCUSSION: u64 = 700;
/// A stranger writing through the group (temporary session).
pub const STRANGER: u64 = 12;
/// How long an empty poll is held by default.
pub const POLL_HOLD: Duration = Duration::from_secs(30);

const FRIENDS: &str = r#"{"retcode":0,"result":{"friends":[{"uin":11,"categories":0}],"info":[{"uin":11,"nick":"eleven"}],"marknames":[],"categories":[]}}"#;
const GROUPS: &str = r#"{"retcode":0,"result":{"gnamelist":[{"gid":500,"code":600,"name":"grp"}],"gmasklist":[],"gmarklist":[]}}"#;
const DISCUS: &str = r#"{"retcode":0,"result":{"dnamelist":[{"did":700,"name":"talk"}]}}"#;
const SELF: &str =
    r#"{"retcode":0,"result":{"uin":294717557,"account":294717557,"nick":"me","face":522}}"#;

/// Where an incoming message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum From {
    /// The friend.
    Friend,
    /// The group.
    Group,
    /// The discussion.
    Discussion,
    /// The stranger, through the group.
    Session,
}

/// A message the server queued for the client.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Its text (unique per run).
    pub text: String,
    /// Its chat.
    pub from: From,
    /// `msg_id`.
    pub msg_id: u64,
    /// Group/discussion `seq`.
    pub seq: Option<u64>,
}

/// What the server does with one send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFault {
    /// Delivered, `retcode 0`.
    None,
    /// Delivered, answered 1202.
    Uncertain1202Delivered,
    /// Not delivered, answered 100100.
    Uncertain100100Lost,
    /// Not delivered, HTTP 502.
    BadGateway,
    /// Delivered, then the connection is closed without an answer.
    DeliveredNoAnswer,
    /// Delivered, never answered (the connection stays open).
    DeliveredHang,
}

/// Faults of the poll channel (probabilities per poll answer).
#[derive(Debug, Clone, Default)]
pub struct PollFaults {
    /// Answer 502 (messages stay queued).
    pub bad_gateway: f64,
    /// Answer 121 (the client relinks).
    pub relink: f64,
    /// Answer 116 with a new ptwebqq.
    pub rotate: f64,
    /// Repeat an already delivered message in the batch.
    pub duplicate: f64,
    /// Reverse the batch.
    pub reorder: f64,
    /// Skip a group/discussion seq on purpose (the message is never sent).
    pub seq_gap: f64,
}

/// The scripted server.
pub struct MiniServer {
    now: Instant,
    rng: ChaCha8Rng,
    bufs: HashMap<u64, Vec<u8>>,
    out: VecDeque<ServerOut>,
    /// A held poll: connection and when to answer it idle.
    held: Option<(u64, Instant)>,
    queue: Vec<Incoming>,
    next_msg_id: u64,
    seqs: HashMap<From, u64>,
    /// Faults of the poll channel.
    pub poll_faults: PollFaults,
    /// How long an empty poll is held.
    pub poll_hold: Duration,
    /// Fault per send text (default: none).
    pub send_faults: HashMap<String, SendFault>,
    /// Messages written in poll answers: (conn, end offset of the answer on that
    /// connection, message). The answer reached the client iff it read that many bytes.
    pub written: Vec<(u64, u64, Incoming)>,
    /// Seqs skipped on purpose: (chat, seq).
    pub skipped: Vec<(From, u64)>,
    bytes_out: HashMap<u64, u64>,
    /// Sends delivered to their target: text → times.
    pub delivered: HashMap<String, u32>,
    /// `msg_id`s of send requests read (a repeat means a non-replayable request was replayed).
    pub send_msg_ids: Vec<u64>,
    /// Requests served by last path segment.
    pub served: Tally,
    /// Faults injected.
    pub injected: Tally,
    ptwebqq: u32,
}

impl MiniServer {
    /// A server at `now` drawing its faults from `seed`.
    pub fn new(now: Instant, seed: u64) -> Self {
        MiniServer {
            now,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5e72),
            bufs: HashMap::new(),
            out: VecDeque::new(),
            held: None,
            queue: Vec::new(),
            next_msg_id: 1000,
            seqs: HashMap::new(),
            poll_faults: PollFaults::default(),
            poll_hold: POLL_HOLD,
            send_faults: HashMap::new(),
            written: Vec::new(),
            skipped: Vec::new(),
            bytes_out: HashMap::new(),
            delivered: HashMap::new(),
            send_msg_ids: Vec::new(),
            served: Tally::default(),
            injected: Tally::default(),
            ptwebqq: 0,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// Queues a message from `from` with this text; answers a held poll at once.
    pub fn inject(&mut self, from: From, text: &str) {
        self.next_msg_id += 1;
        let seq = match from {
            From::Group | From::Discussion => {
                let mut s = self.seqs.get(&from).copied().unwrap_or(100) + 1;
                // Skip one on purpose, never the first of a chat (nothing to compare with).
                if s > 101 && self.chance(self.poll_faults.seq_gap) {
                    self.skipped.push((from, s));
                    self.injected.add("seq_gap", 1);
                    s += 1;
                }
                self.seqs.insert(from, s);
                Some(s)
            }
            _ => None,
        };
        self.queue.push(Incoming {
            text: text.to_string(),
            from,
            msg_id: self.next_msg_id,
            seq,
        });
        if let Some((conn, _)) = self.held.take() {
            self.answer_poll(conn);
        }
    }

    /// Messages not yet written to any poll.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    fn respond(&mut self, conn: u64, status: u16, headers: &[String], body: &[u8]) -> u64 {
        let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for h in headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        let end = self.bytes_out.entry(conn).or_default();
        *end += bytes.len() as u64;
        let end = *end;
        self.out
            .push_back(ServerOut::Write(conn, Bytes::from(bytes)));
        end
    }

    fn json(&mut self, conn: u64, body: &str) {
        self.respond(conn, 200, &[], body.as_bytes());
    }

    fn item(&mut self, m: &Incoming) -> Value {
        let content = json!([["font", {"name": "宋体", "size": 10, "style": [0, 0, 0], "color": "000000"}], m.text]);
        let base = |poll_type: &str, mut v: Value| {
            v["msg_id"] = json!(m.msg_id);
            v["msg_id2"] = json!(m.msg_id * 7);
            v["to_uin"] = json!(SELF_UIN);
            v["msg_type"] = json!(9);
            v["time"] = json!(1_500_000_000 + m.msg_id);
            v["content"] = content.clone();
            json!({"poll_type": poll_type, "value": v})
        };
        match m.from {
            From::Friend => base("message", json!({"from_uin": FRIEND})),
            From::Group => base(
                "group_message",
                json!({"from_uin": GROUP.0, "group_code": GROUP.1, "send_uin": FRIEND, "seq": m.seq}),
            ),
            From::Discussion => base(
                "discu_message",
                json!({"from_uin": 10000, "did": DISCUSSION, "send_uin": FRIEND, "seq": m.seq}),
            ),
            From::Session => base(
                "sess_message",
                json!({"from_uin": STRANGER, "id": GROUP.0, "ruin": 99, "service_type": 0}),
            ),
        }
    }

    fn answer_poll(&mut self, conn: u64) {
        if self.chance(self.poll_faults.bad_gateway) {
            self.injected.add("poll_502", 1);
            self.respond(conn, 502, &[], b"Bad Gateway");
            return;
        }
        if self.chance(self.poll_faults.relink) {
            self.injected.add("poll_121", 1);
            self.json(conn, r#"{"retcode":121,"t":"0"}"#);
            return;
        }
        if self.chance(self.poll_faults.rotate) {
            self.injected.add("poll_116", 1);
            self.ptwebqq += 1;
            let body = format!(r#"{{"retcode":116,"p":"PT{}"}}"#, self.ptwebqq);
            self.json(conn, &body);
            return;
        }
        if self.queue.is_empty() {
            self.json(conn, r#"{"retcode":0,"errmsg":""}"#);
            return;
        }
        let mut batch: Vec<Incoming> = self.queue.drain(..).collect();
        let mut items: Vec<Value> = batch.iter().map(|m| self.item(m)).collect();
        if !self.written.is_empty() && self.chance(self.poll_faults.duplicate) {
            self.injected.add("poll_duplicate", 1);
            let i = (self.rng.next_u64() % self.written.len() as u64) as usize;
            let again = self.written[i].2.clone();
            items.push(self.item(&again));
        }
        if self.chance(self.poll_faults.reorder) {
            self.injected.add("poll_reorder", 1);
            items.reverse();
        }
        let body = json!({"retcode": 0, "result": items}).to_string();
        let end = self.respond(conn, 200, &[], body.as_bytes());
        for m in batch.drain(..) {
            self.written.push((conn, end, m));
        }
    }

    fn on_send(&mut self, conn: u64, body: &[u8]) {
        let r = form_urlencoded::parse(body)
            .find(|(k, _)| k == "r")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let r: Value = serde_json::from_str(&r).unwrap_or(Value::Null);
        self.send_msg_ids.push(r["msg_id"].as_u64().unwrap_or(0));
        let content: Value = r["content"]
            .as_str()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or(Value::Null);
        let text = content[0].as_str().unwrap_or("").to_string();
        let fault = self
            .send_faults
            .get(&text)
            .copied()
            .unwrap_or(SendFault::None);
        let deliver = matches!(
            fault,
            SendFault::None
                | SendFault::Uncertain1202Delivered
                | SendFault::DeliveredNoAnswer
                | SendFault::DeliveredHang
        );
        if deliver {
            *self.delivered.entry(text).or_default() += 1;
        }
        match fault {
            SendFault::None => self.json(conn, r#"{"retcode":0,"result":"ok"}"#),
            SendFault::Uncertain1202Delivered => self.json(conn, r#"{"retcode":1202,"errmsg":""}"#),
            SendFault::Uncertain100100Lost => {
                self.json(conn, r#"{"retcode":100100,"result":"ok"}"#)
            }
            SendFault::BadGateway => {
                self.respond(conn, 502, &[], b"Bad Gateway");
            }
            SendFault::DeliveredHang => {}
            SendFault::DeliveredNoAnswer => {
                self.bufs.remove(&conn);
                self.out.push_back(ServerOut::Close(conn));
            }
        }
    }

    fn route(&mut self, conn: u64, path: &str, body: &[u8]) {
        let name = path
            .split('?')
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        self.served.add(leak(&name), 1);
        match name.as_str() {
            "ptqrshow" => {
                let c = "Set-Cookie: qrsig=QRSIG; Path=/; Domain=ptlogin2.qq.com".to_string();
                self.respond(conn, 200, &[c], b"\x89PNG");
            }
            "ptqrlogin" => self.json(
                conn,
                "ptuiCB('0','0','https://ptlogin2.qq.com/check_sig?pttype=1&service=ptqrlogin','0','ok', 'me');",
            ),
            "check_sig" => {
                let h = [
                    "Set-Cookie: ptwebqq=PT0; Path=/; Domain=qq.com".to_string(),
                    format!("Set-Cookie: uin=o0{SELF_UIN}; Path=/; Domain=qq.com"),
                    "Location: https://w.qq.com/".to_string(),
                ];
                self.respond(conn, 302, &h, b"");
            }
            "getvfwebqq" => self.json(conn, r#"{"retcode":0,"result":{"vfwebqq":"VF"}}"#),
            "login2" => self.json(
                conn,
                r#"{"retcode":0,"result":{"uin":294717557,"status":"online","vfwebqq":"X","psessionid":"PS"}}"#,
            ),
            "get_user_friends2" => self.json(conn, FRIENDS),
            "get_group_name_list_mask2" => self.json(conn, GROUPS),
            "get_discus_list" => self.json(conn, DISCUS),
            "get_self_info2" => self.json(conn, SELF),
            "get_online_buddies2" => self.json(conn, r#"{"retcode":0,"result":[]}"#),
            "get_recent_list2" => self.json(conn, r#"{"retcode":0,"result":[]}"#),
            "poll2" => {
                if let Some((old, _)) = self.held.take() {
                    // A newer poll replaces a held one (the client gave up on it).
                    self.json(old, r#"{"retcode":0,"errmsg":""}"#);
                }
                if self.queue.is_empty() {
                    self.held = Some((conn, self.now + self.poll_hold));
                } else {
                    self.answer_poll(conn);
                }
            }
            "send_buddy_msg2" | "send_qun_msg2" | "send_discu_msg2" | "send_sess_msg2" => {
                self.on_send(conn, body)
            }
            "get_c2cmsg_sig2" => self.json(
                conn,
                r#"{"retcode":0,"result":{"type":0,"value":"SIG","flags":{"text":1}}}"#,
            ),
            _ => {
                self.respond(conn, 404, &[], b"not found");
            }
        }
    }
}

/// Tally names must be `'static`; the route names are few.
fn leak(name: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "ptqrshow",
        "ptqrlogin",
        "check_sig",
        "getvfwebqq",
        "login2",
        "poll2",
        "send_buddy_msg2",
        "send_qun_msg2",
        "send_discu_msg2",
        "send_sess_msg2",
        "get_c2cmsg_sig2",
    ];
    NAMES
        .iter()
        .find(|n| **n == name)
        .copied()
        .unwrap_or("other")
}

impl Server for MiniServer {
    fn accepted(&mut self, now: Instant, conn: u64) {
        self.now = now;
        self.bufs.insert(conn, Vec::new());
    }

    fn data(&mut self, now: Instant, conn: u64, bytes: &[u8]) {
        self.now = now;
        let Some(buf) = self.bufs.get_mut(&conn) else {
            return;
        };
        buf.extend_from_slice(bytes);
        loop {
            let Some(buf) = self.bufs.get_mut(&conn) else {
                return;
            };
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            let Ok(httparse::Status::Complete(head)) = req.parse(buf) else {
                return;
            };
            let len = req
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                .unwrap_or(0usize);
            if buf.len() < head + len {
                return;
            }
            let path = req.path.unwrap_or("/").to_string();
            let body = buf[head..head + len].to_vec();
            buf.drain(..head + len);
            self.route(conn, &path, &body);
        }
    }

    fn eof(&mut self, now: Instant, conn: u64) {
        self.now = now;
        self.bufs.remove(&conn);
        if self.held.is_some_and(|(c, _)| c == conn) {
            self.held = None;
        }
    }

    fn time(&mut self, now: Instant) {
        self.now = now;
        if let Some((conn, at)) = self.held {
            if at <= now {
                self.held = None;
                self.answer_poll(conn);
            }
        }
    }

    fn poll(&mut self) -> ServerOut {
        if let Some(o) = self.out.pop_front() {
            if let ServerOut::Close(c) = &o {
                self.bufs.remove(c);
                if self.held.is_some_and(|(h, _)| h == *c) {
                    self.held = None;
                }
            }
            return o;
        }
        ServerOut::Timeout(
            self.held
                .map_or(self.now + Duration::from_secs(3600), |(_, at)| at),
        )
    }
}
