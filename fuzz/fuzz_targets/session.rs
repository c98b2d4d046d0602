//! Fuzzes the WebQQ session state machine: arbitrary responses (status, cookies, body) or
//! transport errors to whatever requests it issues, in any order, with time passing and the
//! application's commands interleaved.
//!
//! Input: byte 0 picks the profile, byte 1 the config (password or QR, seed); then a script
//! of operations until the input ends (see [`Driver::step`]). A reply picks its request by
//! tag, so a seed can walk a whole login with real captures and stay meaningful under
//! mutation. At the end the application logs out and every request still out fails.
//!
//! Invariants, checked after every step:
//! - at most one poll of the current session is outstanding (a poll answered to a session
//!   that was since relinked, re-logged-in or stopped is not the current session's);
//! - every send gets exactly one outcome (`Sent`, `Uncertain` or `SendFailed`), a
//!   `Confirmed` only after an `Uncertain`, once; by the end every send has its outcome;
//! - request ids are unique and only sends are not replayable;
//! - time always moves on: after `handle_timeout(now)` no timer is due at `now`.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use webqq_fuzz::Script;
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::request::{SessionVia, Target};
use webqq_proto::webqq::session::{
    Event, MessageHandle, Output, RequestId, Session, SessionConfig, SessionRequest, Tag,
    TransportError,
};

const PROFILES: [ProfileId; 5] = [
    ProfileId::W2013,
    ProfileId::W2014,
    ProfileId::S2015,
    ProfileId::S2016,
    ProfileId::S2018,
];
const STATUSES: [u16; 12] = [200, 200, 200, 200, 302, 200, 304, 404, 500, 502, 503, 504];
/// Cookies a reply may set (bit i of the cookie byte sets entry i).
const COOKIES: [&str; 8] = [
    "ptwebqq=PTW; PATH=/; DOMAIN=qq.com",
    "qrsig=hJ9GvNx*oIvLjP5I5dQ19KPa3zwxNI62eALLO; PATH=/; DOMAIN=ptlogin2.qq.com",
    "uin=o0123456789; PATH=/; DOMAIN=qq.com",
    "skey=@abc; PATH=/; DOMAIN=qq.com",
    "p_skey=PS; PATH=/; DOMAIN=web2.qq.com",
    "supertoken=1234; PATH=/; DOMAIN=ptlogin2.qq.com",
    "ptwebqq=; PATH=/; DOMAIN=qq.com",
    "superkey=k; PATH=/; DOMAIN=ptlogin2.qq.com",
];
/// Queued outputs after one step beyond which the session is producing without bound.
const MAX_OUTPUTS_PER_STEP: usize = 10_000;

/// The tag's number in a script (the seeds' generator, `fuzz/seeds.py`, uses the same).
fn tag_kind(tag: Tag) -> u8 {
    match tag {
        Tag::LoginPage => 0,
        Tag::Check => 1,
        Tag::Captcha => 2,
        Tag::Login => 3,
        Tag::CheckSig => 4,
        Tag::QrShow => 5,
        Tag::QrLogin => 6,
        Tag::GetVfwebqq => 7,
        Tag::Login2 => 8,
        Tag::Relink => 9,
        Tag::Friends => 10,
        Tag::Groups => 11,
        Tag::Discussions => 12,
        Tag::SelfInfo => 13,
        Tag::OnlineBuddies => 14,
        Tag::RecentList => 15,
        Tag::GroupMembers(_) => 16,
        Tag::DiscussionMembers(_) => 17,
        Tag::FriendUin2(_) => 18,
        Tag::Poll => 19,
        Tag::Send(_) => 20,
        Tag::C2cSig { .. } => 21,
        Tag::Heartbeat => 22,
        Tag::Logout => 23,
        Tag::Pt4Auth => 24,
        Tag::FriendRequest { .. } => 25,
    }
}

#[derive(Default)]
struct Outcomes {
    final_outcome: Option<&'static str>,
    confirmed: bool,
}

struct Driver {
    /// `FUZZ_TRACE=1` prints every input and output (to read a crash's replay).
    trace: bool,
    session: Session,
    start: Instant,
    now: Instant,
    pending: Vec<SessionRequest>,
    seen_ids: HashSet<RequestId>,
    /// Session epoch: bumped whenever the session drops its old poll (relink, re-login,
    /// offline, kick); a poll is the current one if issued in the current epoch.
    epoch: u64,
    poll_epochs: HashMap<RequestId, u64>,
    sends: HashMap<MessageHandle, Outcomes>,
}

impl Driver {
    fn drain(&mut self) {
        let mut n = 0;
        while let Some(out) = self.session.poll_output() {
            n += 1;
            assert!(n <= MAX_OUTPUTS_PER_STEP, "outputs without bound");
            if self.trace {
                eprintln!("  <- {out:?}");
            }
            match out {
                Output::Request(r) => self.on_request(r),
                Output::SetCookie(c) => assert!(!c.name.is_empty(), "nameless cookie"),
                Output::Event(e) => self.on_event(e),
            }
        }
    }

    fn on_request(&mut self, r: SessionRequest) {
        assert!(self.seen_ids.insert(r.id), "request id {:?} reused", r.id);
        assert_eq!(r.replayable, !matches!(r.tag, Tag::Send(_)), "{r:?}");
        if let Tag::Send(h) = r.tag {
            assert!(
                self.sends
                    .get(&h)
                    .is_some_and(|o| o.final_outcome.is_none()),
                "a send request for {h:?}, which is unknown or already has its outcome"
            );
        }
        if r.tag == Tag::Poll {
            let current = self
                .poll_epochs
                .values()
                .filter(|e| **e == self.epoch)
                .count();
            assert_eq!(current, 0, "a second poll while one is outstanding");
            self.poll_epochs.insert(r.id, self.epoch);
        }
        self.pending.push(r);
    }

    fn on_event(&mut self, e: Event) {
        let (handle, outcome) = match e {
            Event::Relinking { .. }
            | Event::Relogin { .. }
            | Event::Offline { .. }
            | Event::Kicked { .. } => {
                self.epoch += 1;
                return;
            }
            Event::Sent { handle } => (handle, "Sent"),
            Event::Uncertain { handle, .. } => (handle, "Uncertain"),
            Event::SendFailed { handle, .. } => (handle, "SendFailed"),
            Event::Confirmed { handle } => {
                let o = self.outcomes(handle);
                assert_eq!(o.final_outcome, Some("Uncertain"), "Confirmed {handle:?}");
                assert!(!o.confirmed, "{handle:?} confirmed twice");
                o.confirmed = true;
                return;
            }
            _ => return,
        };
        let o = self.outcomes(handle);
        if let Some(first) = o.final_outcome {
            panic!("{handle:?} got {first} and then {outcome}");
        }
        o.final_outcome = Some(outcome);
    }

    fn outcomes(&mut self, handle: MessageHandle) -> &mut Outcomes {
        self.sends
            .get_mut(&handle)
            .unwrap_or_else(|| panic!("an outcome for {handle:?}, never returned by send"))
    }

    /// `sel` below 128: the first pending request of that kind (see [`tag_kind`]), if any;
    /// from 128 on: the pending request at index `sel - 128` (modulo their number).
    fn take(&mut self, sel: u8) -> Option<SessionRequest> {
        let pos = match sel.checked_sub(128) {
            None => self.pending.iter().position(|r| tag_kind(r.tag) == sel)?,
            Some(_) if self.pending.is_empty() => return None,
            Some(i) => usize::from(i) % self.pending.len(),
        };
        let r = self.pending.remove(pos);
        self.poll_epochs.remove(&r.id);
        Some(r)
    }

    fn answer(&mut self, id: RequestId, result: Result<http::Response<Bytes>, TransportError>) {
        if self.trace {
            eprintln!("-> {id:?} {result:?}");
        }
        self.session.handle_response(id, result, self.now);
    }

    fn timeout(&mut self) {
        if self.trace {
            eprintln!("-> timeout at {:?}", self.now - self.start);
        }
        self.session.handle_timeout(self.now);
        if let Some(at) = self.session.poll_timeout() {
            assert!(at > self.now, "a timer is still due after handle_timeout");
        }
    }

    /// One operation of the script; its first byte says which.
    fn step(&mut self, input: &mut Script<'_>) {
        match input.byte() % 8 {
            // Reply: request kind, status, cookie bits, body.
            0 => {
                let (sel, status, cookies) = (input.byte(), input.byte(), input.byte());
                let body = Bytes::copy_from_slice(input.body());
                let Some(req) = self.take(sel) else { return };
                let status = STATUSES[usize::from(status) % STATUSES.len()];
                let mut resp = http::Response::builder().status(status);
                for (i, c) in COOKIES.iter().enumerate() {
                    if cookies & (1 << i) != 0 {
                        resp = resp.header(http::header::SET_COOKIE, *c);
                    }
                }
                self.answer(req.id, Ok(resp.body(body).unwrap()));
            }
            // Transport error: request kind, which error.
            1 => {
                let (sel, kind) = (input.byte(), input.byte());
                let Some(req) = self.take(sel) else { return };
                let written = kind & 4 != 0;
                let error = match kind % 4 {
                    0 => TransportError::Timeout { written },
                    1 => TransportError::Connect("refused".into()),
                    2 => TransportError::Closed { written },
                    _ => TransportError::Other("bad framing".into()),
                };
                self.answer(req.id, Err(error));
            }
            // Time passes: n × 250 ms.
            2 => {
                self.now += Duration::from_millis(250) * u32::from(input.byte());
                self.timeout();
            }
            // Time jumps to the next timer.
            3 => {
                if let Some(at) = self.session.poll_timeout() {
                    self.now = self.now.max(at);
                }
                self.timeout();
            }
            // The application sends: target, text.
            4 => {
                let target = match input.byte() % 5 {
                    0 => Target::Friend(11),
                    1 => Target::Group(500),
                    2 => Target::Discussion(700),
                    3 => Target::Session {
                        to_uin: 11,
                        via: SessionVia::Group(500),
                    },
                    _ => Target::Session {
                        to_uin: 12,
                        via: SessionVia::Discussion(700),
                    },
                };
                let n = usize::from(input.byte()) * 8;
                let text = String::from_utf8_lossy(input.bytes(n)).into_owned();
                if self.trace {
                    eprintln!("-> send {target:?} {text:?}");
                }
                let h = self.session.send(target, Message::text(&text), self.now);
                // `send` may already have emitted its outcome (offline): keep what was seen.
                let fresh = self.sends.insert(h, Outcomes::default());
                assert!(fresh.is_none(), "handle {h:?} reused");
                self.drain();
                return;
            }
            // Captcha answers.
            5 => {
                if input.byte() & 1 == 0 {
                    self.session.submit_captcha(" abcd ", self.now);
                } else {
                    self.session.refresh_captcha(self.now);
                }
            }
            // Lazy loads.
            6 => {
                let (what, id) = (input.byte(), u64::from(input.byte()));
                let gid = self.session.contacts().groups.keys().next().copied();
                let did = self.session.contacts().discussions.keys().next().copied();
                let uin = self.session.contacts().friends.keys().next().copied();
                match what % 3 {
                    0 => self.session.load_group_members(gid.unwrap_or(id), self.now),
                    1 => self
                        .session
                        .load_discussion_members(did.unwrap_or(id), self.now),
                    _ => self.session.resolve_qq(uin.unwrap_or(id), self.now),
                };
            }
            _ => self.session.logout(self.now),
        }
        self.drain();
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Script(data);
    let (profile, config) = (input.byte(), input.byte());
    let mut cfg = SessionConfig::new(PROFILES[usize::from(profile) % PROFILES.len()], 123456789);
    if config & 1 != 0 {
        cfg.password = Some(PasswordMd5::from_password("password"));
    }
    cfg.seed = u64::from(config >> 1);
    let now = Instant::now();
    let mut d = Driver {
        trace: std::env::var_os("FUZZ_TRACE").is_some(),
        session: Session::new(cfg),
        start: now,
        now,
        pending: Vec::new(),
        seen_ids: HashSet::new(),
        epoch: 0,
        poll_epochs: HashMap::new(),
        sends: HashMap::new(),
    };
    d.session.start(d.now);
    d.drain();
    let mut steps = 0;
    while !input.is_empty() && steps < 2_000 {
        d.step(&mut input);
        steps += 1;
    }

    // The application stops; every request still out fails as if the connection closed.
    d.session.logout(d.now);
    d.drain();
    while let Some(req) = d.pending.pop() {
        d.answer(req.id, Err(TransportError::Closed { written: true }));
        d.drain();
    }
    d.timeout();
    d.drain();
    for (h, o) in &d.sends {
        assert!(o.final_outcome.is_some(), "{h:?} never got an outcome");
    }
});
