//! The application behind the HTTP layer: logins, sessions, contacts, delivery, faults.
//! [`Server::handle`] answers one parsed request; answers decided later (released polls) and
//! events are collected with [`Server::take_answers`] and [`Server::take_events`].
mod channel;
mod contacts;
mod deliver;
mod ids;
mod lifecycle;
mod manage;
mod ops;
mod params;
mod poll;
mod psessionid;
mod ptlogin;
mod qr;
mod send;
mod session;
mod world_ops;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{Value, json};

use super::config::{EmulatorConfig, Timing};
use super::control::SentMessage;
use super::faults::{FaultAction, Faults};
use super::http::{Request, Response};
use super::pages;
use super::profile::Profile;
use super::rng::Rng;
use super::route::{Endpoint, route};
use super::strictness::Strictness;
use super::timers::{Timers, ms};
use super::world::World;
use super::{ConnId, Event, PolledMessage};

pub(crate) use params::Params;
pub(crate) use session::{EndReason, Session};

/// Messages remembered per sender for [`Emulator::sent`](super::Emulator::sent).
pub(crate) const MAX_SENT_PER_ACCOUNT: usize = 1000;
/// QR codes remembered at once; the oldest is forgotten first.
pub(crate) const MAX_QR_CODES: usize = 1024;

/// Which owed response a late answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Ticket {
    /// The connection.
    pub conn: ConnId,
    /// The slot on it.
    pub slot: u64,
}

/// Transport-level modifiers of a response (faults of protocol §11.4 "Transport"), and what
/// a poll answer carried (reported as [`Event::PollAnswered`] when it is written).
#[derive(Debug, Clone, Default)]
pub(crate) struct Transport {
    /// Write this much later.
    pub delay: Option<Duration>,
    /// Write half, then close.
    pub reset: bool,
    /// The account and the messages of a poll answer.
    pub carried: Option<(u64, Vec<PolledMessage>)>,
}

/// What the server does with a request.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Answer now.
    Respond(Response, Transport),
    /// Answer later through [`Server::take_answers`] (a held poll).
    Hold,
    /// Close the connection without answering.
    Drop,
}

/// Server timers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ServerTimer {
    /// A held poll's deadline.
    Hold { sid: u64 },
    /// Check a session's idle and lifetime expiry.
    Expiry { sid: u64 },
    /// Forget an ended session.
    Forget { sid: u64 },
    /// The next chatter line.
    Chatter,
}

/// A successful ptlogin authentication waiting for (or used by) login2.
#[derive(Debug, Clone)]
pub(crate) struct WebLogin {
    pub ptwebqq: String,
    pub skey: String,
    /// From getvfwebqq ([S]).
    pub vfwebqq: Option<String>,
    /// The check_sig ticket, until used.
    pub ptsigx: Option<String>,
    /// The long-lived `supertoken` cookie (protocol §3.11).
    pub supertoken: String,
}

/// The server state.
pub(crate) struct Server {
    profile: Profile,
    strict: Strictness,
    faults: Faults,
    timing: Timing,
    world: World,
    rng: Rng,
    now: Instant,
    start: Instant,
    /// /check state per account (protocol §11.2 "Per login attempt").
    checks: HashMap<u64, ptlogin::CheckState>,
    /// QR codes by qrsig, and their order.
    qrs: HashMap<String, qr::Qr>,
    qr_order: VecDeque<String>,
    /// Authenticated web logins per account, and the tokens that find them.
    logins: HashMap<u64, WebLogin>,
    login_tokens: HashMap<String, u64>,
    /// Sessions by id; every token (psessionid, vfwebqq, skey, ptwebqq) that finds one.
    sessions: HashMap<u64, Session>,
    session_tokens: HashMap<String, u64>,
    /// Live session per account; all sessions (live and ended) per account.
    live: HashMap<u64, u64>,
    by_account: HashMap<u64, Vec<u64>>,
    /// The session of each held poll.
    hold_owner: HashMap<Ticket, u64>,
    next_sid: u64,
    /// Per-group and per-discussion message sequence.
    group_seq: HashMap<u64, u64>,
    discu_seq: HashMap<u64, u64>,
    /// What each account sent.
    sent: HashMap<u64, VecDeque<SentMessage>>,
    timers: Timers<ServerTimer>,
    answers: Vec<(Ticket, Reply)>,
    events: Vec<Event>,
    chatter_next: usize,
}

/// Sessions and logins hold tokens: `Debug` shows how many, never their values.
impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("profile", &self.profile)
            .field("live_sessions", &self.live.len())
            .field("sessions", &self.sessions.len())
            .field("logins", &self.logins.len())
            .field("qr_codes", &self.qrs.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    pub(crate) fn new(config: EmulatorConfig, now: Instant) -> Self {
        let mut world = config.world;
        world.reindex();
        let mut server = Server {
            profile: config.profile,
            strict: config.strictness,
            faults: config.faults,
            timing: config.timing,
            world,
            rng: Rng::new(config.seed),
            now,
            start: now,
            checks: HashMap::new(),
            qrs: HashMap::new(),
            qr_order: VecDeque::new(),
            logins: HashMap::new(),
            login_tokens: HashMap::new(),
            sessions: HashMap::new(),
            session_tokens: HashMap::new(),
            live: HashMap::new(),
            by_account: HashMap::new(),
            hold_owner: HashMap::new(),
            next_sid: 0,
            group_seq: HashMap::new(),
            discu_seq: HashMap::new(),
            sent: HashMap::new(),
            timers: Timers::default(),
            answers: Vec::new(),
            events: Vec::new(),
            chatter_next: 0,
        };
        if server.world.chatter_interval_ms > 0 && !server.world.chatter.is_empty() {
            let at = now + ms(server.world.chatter_interval_ms);
            server.timers.insert(at, ServerTimer::Chatter);
        }
        server
    }

    pub(crate) fn profile_id(&self) -> Profile {
        self.profile
    }

    pub(crate) fn timing(&self) -> &Timing {
        &self.timing
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    pub(crate) fn take_answers(&mut self) -> Vec<(Ticket, Reply)> {
        std::mem::take(&mut self.answers)
    }

    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Answers one request. `reused`: the connection carried a request before.
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        ticket: Ticket,
        req: &Request,
        reused: bool,
    ) -> Reply {
        self.now = self.now.max(now);
        let host = req.host();
        let Some(endpoint) = route(&host, &req.path) else {
            return respond(pages::error_page(StatusCode::NOT_FOUND));
        };
        let params = Params::from_request(req);
        if endpoint == Endpoint::Control {
            return respond(self.control_http(req, &params));
        }
        let mut transport = Transport::default();
        let mut forced = None;
        if let Some(action) = self.draw_fault(endpoint, reused) {
            match action {
                FaultAction::Status { status } => {
                    // Only error statuses: a 1xx/204/304 page would break the framing.
                    let status = StatusCode::from_u16(status)
                        .ok()
                        .filter(|s| s.is_client_error() || s.is_server_error())
                        .unwrap_or(StatusCode::BAD_GATEWAY);
                    return respond(pages::error_page(status));
                }
                FaultAction::Body { body } => return respond(Response::json(&body)),
                FaultAction::CloseOnArrival => return Reply::Drop,
                FaultAction::ResetMidResponse => transport.reset = true,
                FaultAction::Delay { ms: wait } => transport.delay = Some(ms(wait)),
                other => forced = Some(other),
            }
        }
        if let Some(refusal) = self.check_headers(endpoint, req) {
            return Reply::Respond(refusal, transport);
        }
        match self.dispatch(endpoint, ticket, req, &params, forced) {
            Reply::Respond(resp, own) => {
                transport.carried = own.carried;
                Reply::Respond(resp, transport)
            }
            other => other,
        }
    }

    fn dispatch(
        &mut self,
        endpoint: Endpoint,
        ticket: Ticket,
        req: &Request,
        params: &Params,
        forced: Option<FaultAction>,
    ) -> Reply {
        use Endpoint as E;
        // A retcode fault on a CGI other than poll and the sends is its whole answer.
        if let Some(FaultAction::Retcode { retcode, .. }) = &forced {
            if !matches!(
                endpoint,
                E::Poll2 | E::SendBuddyMsg2 | E::SendQunMsg2 | E::SendDiscuMsg2 | E::SendSessMsg2
            ) {
                return respond(self.error_reply(endpoint, *retcode));
            }
        }
        let resp = match endpoint {
            E::LoginPage | E::XLoginPage => self.login_page(),
            E::Ver => Response::js("ptuiV(201210240930);\r\n"),
            E::ProxyPage => Response::ok(super::http::HTML, pages::PROXY_PAGE),
            E::Check => self.check(req, params),
            E::GetImage => self.get_image(params),
            E::Login => self.login(req, params, forced),
            E::PtQrShow => self.ptqrshow(),
            E::PtQrLogin => self.ptqrlogin(req, params, forced),
            E::Pt4Auth => self.pt4_auth(req, params),
            E::CheckSig => self.check_sig(params),
            E::DeepLogout => Response::js("ptuiCB('0','0','','0','');"),
            E::GetVfWebqq => self.getvfwebqq(req, params),
            E::Login2 => self.login2(req, params),
            E::Poll2 => return self.poll2(ticket, req, params, forced),
            E::SendBuddyMsg2 | E::SendQunMsg2 | E::SendDiscuMsg2 | E::SendSessMsg2 => {
                self.send(endpoint, req, params, forced)
            }
            E::Logout2 => self.logout2(req, params),
            E::ChangeStatus2 => self.change_status2(req, params),
            E::GetOnlineBuddies2 => self.online_buddies(req, params),
            E::GetRecentList2 => self.recent_list(req, params),
            E::GetDiscuInfo => self.discu_info(req, params),
            E::GetC2cMsgSig2 => self.c2c_sig(req, params),
            E::InputNotify2 | E::Shake2 => self.nudge(endpoint, req, params),
            E::GetGfaceSig2 => self.gface_sig(req, params),
            E::GetMsgTip => Response::json(&json!({"retcode":0,"result":"ok"})),
            E::GetUserFriends2
            | E::GetGroupNameListMask2
            | E::GetGroupInfoExt2
            | E::GetDiscusList
            | E::GetFriendUin2
            | E::GetFriendInfo2
            | E::GetStrangerInfo2
            | E::GetSingleLongNick2
            | E::GetSelfInfo2
            | E::GetQqLevel2 => self.contacts(endpoint, req, params),
            E::ChangeMarkName2
            | E::ModifyFriendGroup
            | E::DeleteFriend
            | E::SetLongNick2
            | E::AllowAndAdd2
            | E::AllowAddedRequest2
            | E::DenyAddedRequest2
            | E::GetSelfBusinessCard2
            | E::QuitGroup2
            | E::QuitDiscu => self.manage(endpoint, req, params),
            E::Control => unreachable!("handled before"),
        };
        respond(resp)
    }

    /// Draws the first fault rule that applies to `endpoint` and fires.
    fn draw_fault(&mut self, endpoint: Endpoint, reused: bool) -> Option<FaultAction> {
        let name = endpoint.name();
        for i in 0..self.faults.rules.len() {
            let rule = &self.faults.rules[i];
            let matches = rule.endpoint.as_deref().is_none_or(|e| e == name);
            if !matches || rule.times == Some(0) {
                continue;
            }
            // Closing "exactly when a request arrives" only makes sense on a kept-alive connection.
            if rule.action == FaultAction::CloseOnArrival && !reused {
                continue;
            }
            if !self.rng.chance(rule.probability) {
                continue;
            }
            let rule = &mut self.faults.rules[i];
            if let Some(t) = rule.times.as_mut() {
                *t -= 1;
            }
            return Some(rule.action.clone());
        }
        None
    }

    /// Strict Referer / User-Agent checks of protocol §11.3 on the JSON CGIs.
    fn check_headers(&self, endpoint: Endpoint, req: &Request) -> Option<Response> {
        if !endpoint.is_json_cgi() {
            return None;
        }
        let referer_ok = req.header("referer").is_some_and(referer_is_qq);
        let ua_ok = req
            .header("user-agent")
            .is_some_and(|ua| !ua.trim().is_empty());
        if (self.strict.referer && !referer_ok) || (self.strict.user_agent && !ua_ok) {
            let code = if self.profile.is_webqq() {
                100101
            } else {
                100001
            };
            return Some(Response::json(&json!({ "retcode": code })));
        }
        None
    }

    /// The error envelope of `endpoint` for `retcode` (protocol §1.3, §6.3).
    pub(crate) fn error_reply(&self, endpoint: Endpoint, retcode: i64) -> Response {
        let on_channel = endpoint.is_channel();
        let body = match retcode {
            121 => json!({"retcode":121,"t":"0"}),
            122 => json!({"retcode":122,"errmsg":"wrong web client3"}),
            1202 if !self.profile.is_webqq() => json!({"errmsg":"error!!!","retcode":1202}),
            _ if !on_channel => json!({ "retcode": retcode }),
            _ if self.profile.is_webqq() => json!({"retcode": retcode, "errmsg": ""}),
            _ => json!({"errmsg": "error", "retcode": retcode}),
        };
        Response::json(&body)
    }

    pub(crate) fn on_time(&mut self, now: Instant) {
        self.now = self.now.max(now);
        while let Some((key, timer)) = self.timers.pop_due(now) {
            if let ServerTimer::Hold { sid }
            | ServerTimer::Expiry { sid }
            | ServerTimer::Forget { sid } = timer
            {
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.timer_keys.retain(|k| *k != key);
                }
            }
            match timer {
                ServerTimer::Hold { sid } => self.hold_expired(sid),
                ServerTimer::Expiry { sid } => self.check_expiry(sid),
                ServerTimer::Forget { sid } => self.forget_session(sid),
                ServerTimer::Chatter => self.chatter(),
            }
        }
    }

    /// Records a sent message and tells the host.
    pub(crate) fn record_sent(&mut self, msg: SentMessage) {
        let log = self.sent.entry(msg.from).or_default();
        if log.len() >= MAX_SENT_PER_ACCOUNT {
            log.pop_front();
        }
        log.push_back(msg.clone());
        self.events.push(Event::Sent(msg));
    }

    /// Unix seconds of the emulated clock (anchored at 2016-01-01 plus the time since start).
    pub(crate) fn unix_time(&self) -> u64 {
        1_451_606_400 + self.now.duration_since(self.start).as_secs()
    }

    /// The connection of these waiting slots is gone: their held polls are released.
    pub(crate) fn conn_gone(&mut self, conn: ConnId, waiting: &[u64]) {
        for slot in waiting {
            if let Some(sid) = self.hold_owner.remove(&Ticket { conn, slot: *slot }) {
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.held = None;
                }
            }
        }
    }

    /// Takes the held poll of `sid`, if any.
    pub(crate) fn take_hold(&mut self, sid: u64) -> Option<Ticket> {
        let (ticket, _) = self.sessions.get_mut(&sid)?.held.take()?;
        self.hold_owner.remove(&ticket);
        Some(ticket)
    }

    /// Schedules a timer of session `sid`; it is cancelled if the session is forgotten first,
    /// so sessions that come and go leave no deadlines behind.
    pub(crate) fn session_timer(&mut self, sid: u64, at: Instant, timer: ServerTimer) {
        let key = self.timers.insert(at, timer);
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.timer_keys.push(key);
        }
    }

    /// Makes `token` find session `sid`.
    pub(crate) fn add_session_token(&mut self, sid: u64, token: String) {
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.tokens.push(token.clone());
            self.session_tokens.insert(token, sid);
        }
    }

    fn chatter(&mut self) {
        if self.world.chatter.is_empty() || self.world.chatter_interval_ms == 0 {
            return;
        }
        if !self.live.is_empty() {
            let line = self.world.chatter[self.chatter_next % self.world.chatter.len()].clone();
            self.chatter_next += 1;
            let _ = self.say(line.from, line.to, &line.text);
        }
        let at = self.now + ms(self.world.chatter_interval_ms);
        self.timers.insert(at, ServerTimer::Chatter);
    }
}

/// Protocol §1.4: the servers only check that a qq.com referer is present (assumption).
fn referer_is_qq(referer: &str) -> bool {
    let rest = referer.split_once("://").map_or(referer, |(_, r)| r);
    let host = rest.split(['/', '?', ':']).next().unwrap_or("");
    host == "qq.com" || host.ends_with(".qq.com")
}

fn respond(resp: Response) -> Reply {
    Reply::Respond(resp, Transport::default())
}

/// `{"retcode":0,"result":…}`.
pub(crate) fn ok(result: Value) -> Response {
    Response::json(&json!({"retcode":0,"result":result}))
}

/// Accessors for the control API.
impl Server {
    pub(crate) fn sent_by(&self, qq: u64) -> Vec<SentMessage> {
        self.sent
            .get(&qq)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.faults
    }

    pub(crate) fn set_strictness(&mut self, strictness: Strictness) {
        self.strict = strictness;
    }

    pub(crate) fn strictness(&self) -> &Strictness {
        &self.strict
    }

    pub(crate) fn session_infos(&self) -> Vec<super::control::SessionInfo> {
        let mut v: Vec<_> = self
            .live
            .values()
            .filter_map(|sid| self.sessions.get(sid))
            .map(|s| super::control::SessionInfo {
                qq: s.qq,
                status: s.status.clone(),
                registered: s.registered,
                queued: s.queue.len(),
                polling: s.held.is_some(),
            })
            .collect();
        v.sort_by_key(|s| s.qq);
        v
    }

    #[cfg(test)]
    pub(crate) fn session_count(&self) -> usize {
        self.sessions.len()
    }

    #[cfg(test)]
    pub(crate) fn timer_count(&self) -> usize {
        self.timers.len()
    }

    #[cfg(test)]
    pub(crate) fn session_token_count(&self) -> usize {
        self.session_tokens.len() + self.login_tokens.len()
    }

    pub(crate) fn captcha_answer(&self, qq: u64) -> Option<String> {
        self.checks
            .get(&qq)
            .filter(|c| c.captcha && !c.vc.is_empty())
            .map(|c| c.vc.clone())
    }
}
