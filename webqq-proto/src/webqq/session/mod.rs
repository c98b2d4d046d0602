//! The WebQQ session as a sans-IO state machine over tagged requests (design.md, `webqq`).
//!
//! The session emits [`Output`]s: cookie writes, [`SessionRequest`]s (an `http::Request`, a
//! [`Tag`] saying what it is for, replayability, timeout) and [`Event`]s. Its driver (the
//! `Client` facade, or a test) submits each request to an HTTP engine and hands the
//! response, or a [`TransportError`], back with [`Session::handle_response`]. Time enters
//! only as `now` arguments; [`Session::poll_timeout`] says when to call
//! [`Session::handle_timeout`]. Delays (retries, QR polling, pacing, the \[W\] heartbeat)
//! are session timers rather than engine "not before" options, so a re-login or a logout
//! cancels them in one place.
//!
//! Cookies: the engine's jar owns them. The session keeps a [`CookieView`] of the values the
//! protocol needs it to *read* (ptwebqq, qrsig, uin …), fed from the `Set-Cookie` headers of
//! every response it handles, and asks the jar to store the few it *writes* with
//! [`Output::SetCookie`] (chkuin, the rotated ptwebqq, imported cookies).
//!
//! Phases (login → online → relink/relogin) are one enum, [`Phase`]; every response is
//! dispatched by its tag in [`Session::handle_response`], the only place transitions happen.
//!
//! Driving a session by hand (a driver loops like this around a real HTTP engine):
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use webqq_proto::webqq::profile::ProfileId;
//! use webqq_proto::webqq::session::{Event, Output, Session, SessionConfig, Tag};
//!
//! let now = Instant::now();
//! let mut session = Session::new(SessionConfig::new(ProfileId::S2018, 0));
//! session.start(now);
//! let mut requests = Vec::new();
//! while let Some(out) = session.poll_output() {
//!     match out {
//!         Output::Request(r) => requests.push(r), // submit r.request to the engine
//!         Output::SetCookie(c) => drop(c),         // store in the engine's jar
//!         Output::Event(e) => println!("{e:?}"),   // hand to the application
//!     }
//! }
//! let qr = requests.pop().unwrap();
//! assert_eq!(qr.tag, Tag::QrShow);
//! // The engine's answer for it:
//! let resp = http::Response::builder()
//!     .status(200)
//!     .header("set-cookie", "qrsig=abc; Path=/; Domain=ptlogin2.qq.com")
//!     .body(Bytes::from_static(b"\x89PNG"))
//!     .unwrap();
//! session.handle_response(qr.id, Ok(resp), now);
//! assert!(matches!(session.poll_output(), Some(Output::Event(Event::QrCode { .. }))));
//! // Nothing more until the QR state is due to be polled:
//! let wake = session.poll_timeout().unwrap();
//! session.handle_timeout(wake);
//! assert!(matches!(session.poll_output(), Some(Output::Request(r)) if r.tag == Tag::QrLogin));
//! ```

mod contacts;
mod cookies;
mod event;
mod inbox;
mod io;
mod outbox;
#[cfg(test)]
mod tests;
mod transitions;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

pub use contacts::{
    ContactRef, Contacts, ContactsDiff, Discussion, DiscussionMember, Friend, Group, Member, Role,
};
pub use cookies::CookieView;
pub use event::{
    Chat, Event, IncomingMessage, LoginStep, MessageHandle, OfflineReason, SendFailure,
};
pub use io::{CookieUpdate, Output, RequestId, SessionRequest, Tag, TransportError};

use super::content::Message;
use super::hash::{ListHash, hash33};
use super::login_decode::{
    CheckOutcome, CheckVc, LoginError, QrState, login_outcome, parse_check_vc, parse_login_sig,
    parse_pt4_auth, parse_ptui_cb, qr_state,
};
use super::model::{
    self, C2cMsgSig, DiscussionInfoResult, DiscussionsResult, FriendUin2, FriendsResult,
    GroupInfoResult, GroupsResult, Login2Result, OnlineBuddy, SelfInfo, VfwebqqResult,
};
use super::password::{PasswordMd5, PasswordScheme, encode_password};
use super::poll::{PollEvent, PollItem, PollReply, decode_poll};
use super::profile::{ClientIdRule, IdleShape, LoginFlow, Profile, ProfileId};
use super::request::{self, Ctx, FriendRequestAnswer, SessionVia, Target};
use super::secret::Secret;
use super::send_reply::{SendReply, decode_send_reply};
use inbox::{Dedup, SeqTracker};
use outbox::{MsgIds, Outbox, PendingSend, earliest_send};
use transitions::ok_json;

/// Retcodes of relink that count as a failure to retry (protocol §3.10: 112 server full,
/// 113 retry later, 115 temporarily blocked); anything else non-zero means a full login.
const RELINK_RETRYABLE: [i64; 3] = [112, 113, 115];
/// Protocol §6.3: "109, 110 … wait 10 s, poll again"; "other: wait 10 s, count a failure".
const POLL_PAUSE: Duration = Duration::from_secs(10);
/// Protocol §6.3: relink "up to 3 attempts, 1 s apart".
const RELINK_SPACING: Duration = Duration::from_secs(1);
/// Spacing of login-step retries (getvfwebqq/login2: `sj` retries 3 times).
const STEP_RETRY_SPACING: Duration = Duration::from_secs(1);
/// Pause before retrying a busy/try-again `/login` (ptuiCB 1, 6, 8).
const LOGIN_BUSY_PAUSE: Duration = Duration::from_secs(5);
/// Times a wrong captcha / expired page restarts at `/check` before giving up.
const MAX_CHECK_RESTARTS: u32 = 3;
/// Tries of the list hash variants on retcode 50 (protocol §4.1: `lwqq` tries all four).
const HASH_VARIANTS: usize = ListHash::ALL.len();
/// Temporary-session signatures are cached this long (`mojo` caches 300 s, protocol §7.4).
const C2C_SIG_TTL: Duration = Duration::from_secs(300);
/// Outputs queued before the driver drains them; the session never produces more than a
/// few per input, so reaching this means the driver stopped draining.
const MAX_QUEUED_OUTPUTS: usize = 65_536;

/// How a session behaves. [`SessionConfig::new`] gives the defaults described on each field.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The era.
    pub profile: ProfileId,
    /// The QQ number (for password login; QR login learns it from the cookies).
    pub qq: u64,
    /// The password digest; `None` selects QR login where the profile allows it.
    pub password: Option<PasswordMd5>,
    /// Seed of every random choice (clientid, msg_id start, cache busters, scheme C).
    pub seed: u64,
    /// A desktop browser User-Agent (protocol §1.4).
    pub user_agent: String,
    /// Initial status for login2 (protocol §5.13), default `online`.
    pub status: String,
    /// Minimum interval between sends, default 0.5 s (protocol §7.7, `twqq`).
    pub send_interval: Duration,
    /// Received-message keys remembered for de-duplication, default 4096 (protocol §6.8).
    pub dedup_window: usize,
    /// How long an `Uncertain` send waits for its echo to become `Confirmed`, default 60 s.
    pub echo_window: Duration,
    /// QR codes fetched again after expiry before giving up, default 5.
    pub qr_refresh_limit: u32,
    /// Interval of `ptqrlogin` polls, default 2 s (protocol §3.8: every 1–3 s).
    pub qr_poll_interval: Duration,
    /// Retries of one login step (page, check, check_sig, getvfwebqq, login2), default 3.
    pub step_retries: u32,
    /// Relink attempts, default 3 (protocol §6.3, §8.3).
    pub relink_attempts: u32,
    /// Consecutive poll failures before relinking, default 8 (protocol §6.3: "more than 8").
    pub poll_failure_threshold: u32,
    /// Consecutive automatic re-logins without reaching `Online` before going offline,
    /// default 3.
    pub max_relogins: u32,
    /// Period of the contact-list refresh, default 10 minutes; `None` disables it.
    pub contacts_refresh: Option<Duration>,
    /// Timeout of every request but the poll, default 30 s.
    pub request_timeout: Duration,
}

impl SessionConfig {
    /// Defaults for `profile` and account `qq`.
    pub fn new(profile: ProfileId, qq: u64) -> Self {
        SessionConfig {
            profile,
            qq,
            password: None,
            seed: 0,
            user_agent: "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36".into(),
            status: "online".into(),
            send_interval: Duration::from_millis(500),
            dedup_window: 4096,
            echo_window: Duration::from_secs(60),
            qr_refresh_limit: 5,
            qr_poll_interval: Duration::from_secs(2),
            step_retries: 3,
            relink_attempts: 3,
            poll_failure_threshold: 8,
            max_relogins: 3,
            contacts_refresh: Some(Duration::from_secs(600)),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Everything needed to resume a session without a new login (protocol §3.11: `qqbot`
/// pickles cookies and tokens and tests them with `get_online_buddies2`). `Debug` is
/// redacted; the serialized form holds secrets and must be stored like a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// The era the tokens belong to.
    pub profile: String,
    /// Own uin.
    pub uin: u64,
    /// `clientid`.
    pub clientid: u64,
    /// `psessionid`.
    pub psessionid: Secret,
    /// `vfwebqq`.
    pub vfwebqq: Secret,
    /// Tracked cookies as `(name, domain, value)`.
    pub cookies: Vec<(String, String, Secret)>,
}

/// The phase of the session; one variant per step, transitions only in `handle_response`,
/// `handle_timeout` and the commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not started.
    Idle,
    /// Fetching the login page.
    LoginPage,
    /// `/check` in flight.
    Check,
    /// Fetching a captcha image.
    Captcha {
        /// The `/check` reply it belongs to.
        check: CheckVc,
        /// Its `cap_cd`.
        cap_cd: String,
    },
    /// Waiting for `submit_captcha`.
    AwaitCaptcha {
        /// The `/check` reply it belongs to.
        check: CheckVc,
        /// Its `cap_cd` (for a refresh).
        cap_cd: String,
    },
    /// `/login` in flight.
    Login {
        /// The `/check` reply.
        check: CheckVc,
        /// The verify code used.
        vc: String,
    },
    /// Fetching a QR image.
    QrShow,
    /// Polling the QR state.
    QrWait {
        /// `67` was seen.
        scanned: bool,
    },
    /// `check_sig` in flight.
    CheckSig {
        /// The URL (a login ticket).
        url: Secret,
    },
    /// `getvfwebqq` in flight.
    GetVfwebqq,
    /// `login2` in flight.
    Login2,
    /// Checking imported tokens.
    Resume,
    /// Quick re-login with the saved `supertoken` (protocol §3.11).
    QuickAuth,
    /// Loading contacts and the post-login sequence.
    Contacts {
        /// Which step.
        stage: ContactsStage,
    },
    /// Polling.
    Online,
    /// Relinking.
    Relink {
        /// Attempts made.
        attempt: u32,
    },
    /// Stopped.
    Offline,
}

/// Steps of the post-login sequence in the official client's order (protocol §3.1 step 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactsStage {
    /// Friends, groups, discussions and self info in parallel; this many still pending.
    Lists(u8),
    /// `get_online_buddies2` (mandatory before poll in \[S\]).
    OnlineBuddies,
    /// `get_recent_list2` (the official client polls after it returns).
    RecentList,
}

/// A delayed action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Re-issue the current phase's request.
    Reissue,
    /// Next poll.
    Poll,
    /// \[W\] heartbeat.
    Heartbeat,
    /// Contact refresh.
    Refresh,
    /// Next send.
    SendNext,
}

/// The session. See the module documentation.
pub struct Session {
    cfg: SessionConfig,
    profile: &'static Profile,
    rng: ChaCha8Rng,
    phase: Phase,
    /// Incremented on every re-login: responses to older requests are ignored.
    generation: u64,
    next_request: u64,
    inflight: HashMap<RequestId, (Tag, u64)>,
    out: VecDeque<Output>,
    timers: Vec<(Instant, Action)>,
    cookies: CookieView,
    clientid: u64,
    login_sig: String,
    uin: u64,
    psessionid: Secret,
    vfwebqq: Secret,
    friends_hash: (usize, ListHash),
    groups_hash: (usize, Option<ListHash>),
    step_failures: u32,
    check_restarts: u32,
    qr_refreshes: u32,
    relogins: u32,
    poll_inflight: bool,
    poll_failures: u32,
    heartbeat_rc: u64,
    contacts: Contacts,
    refresh: Option<(u8, Contacts)>,
    dedup: Dedup,
    seqs: SeqTracker,
    outbox: Outbox,
    msg_ids: MsgIds,
    next_handle: u64,
    c2c_sigs: HashMap<(u64, SessionVia), (Secret, Instant)>,
    awaiting_echo: Vec<(MessageHandle, Target, String, Instant)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("profile", &self.profile.id)
            .field("phase", &self.phase)
            .field("uin", &self.uin)
            .field("cookies", &self.cookies)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session that has not started; call [`Session::start`] or [`Session::import_state`].
    pub fn new(cfg: SessionConfig) -> Self {
        let profile = Profile::get(cfg.profile);
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let clientid = match profile.clientid {
            // [W] twqq: `randrange(11111111, 99999999)`.
            ClientIdRule::Random8 => 11_111_111 + rng.next_u64() % 88_888_888,
            ClientIdRule::Fixed(c) => c,
        };
        let msg_ids = MsgIds::new(rng.next_u64());
        Session {
            dedup: Dedup::new(cfg.dedup_window),
            friends_hash: (0, profile.friends_hash),
            groups_hash: (0, profile.groups_hash),
            cfg,
            profile,
            rng,
            phase: Phase::Idle,
            generation: 0,
            next_request: 0,
            inflight: HashMap::new(),
            out: VecDeque::new(),
            timers: Vec::new(),
            cookies: CookieView::default(),
            clientid,
            login_sig: String::new(),
            uin: 0,
            psessionid: Secret::default(),
            vfwebqq: Secret::default(),
            step_failures: 0,
            check_restarts: 0,
            qr_refreshes: 0,
            relogins: 0,
            poll_inflight: false,
            poll_failures: 0,
            heartbeat_rc: 0,
            contacts: Contacts::default(),
            refresh: None,
            seqs: SeqTracker::default(),
            outbox: Outbox::default(),
            msg_ids,
            next_handle: 0,
            c2c_sigs: HashMap::new(),
            awaiting_echo: Vec::new(),
        }
    }

    // ---- public surface ---------------------------------------------------------------

    /// The current phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The era's parameters (what this session can do).
    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    /// The contact book.
    pub fn contacts(&self) -> &Contacts {
        &self.contacts
    }

    /// The cookie values the session tracks.
    pub fn cookies(&self) -> &CookieView {
        &self.cookies
    }

    /// The next thing for the driver to do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        let out = self.out.pop_front();
        if out.is_none() {
            // The login's burst of parallel requests is over: give its capacity back.
            crate::burst::release_burst(&mut self.out);
        }
        out
    }

    /// When [`Session::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.iter().map(|(at, _)| *at).min()
    }

    /// Starts the login the profile and config call for.
    pub fn start(&mut self, now: Instant) {
        self.begin_login(now);
    }

    /// Answers a `CaptchaRequired` with the code the user read.
    pub fn submit_captcha(&mut self, code: &str, now: Instant) {
        let Phase::AwaitCaptcha { check, .. } = self.phase.clone() else {
            return;
        };
        let vc = code.trim().to_string();
        self.phase = Phase::Login {
            check: check.clone(),
            vc: vc.clone(),
        };
        self.issue_login(&check, &vc, now);
    }

    /// Fetches a new captcha image (the user could not read the last one).
    pub fn refresh_captcha(&mut self, now: Instant) {
        if let Phase::AwaitCaptcha { check, cap_cd } = self.phase.clone() {
            self.phase = Phase::Captcha { check, cap_cd };
            self.issue_phase_request(now);
        }
    }

    /// Queues a message; its outcome arrives as exactly one of `Sent`, `Uncertain` or
    /// `SendFailed` (and possibly a later `Confirmed` for an `Uncertain`).
    pub fn send(&mut self, target: Target, message: Message, now: Instant) -> MessageHandle {
        self.next_handle += 1;
        let handle = MessageHandle(self.next_handle);
        if self.phase == Phase::Offline {
            self.emit(Event::SendFailed {
                handle,
                reason: SendFailure::Offline,
            });
            return handle;
        }
        self.outbox
            .queue
            .push_back(PendingSend::new(handle, target, message));
        self.pump_outbox(now);
        handle
    }

    /// Fetches a group's members (lazily; the poll is not blocked). `false` if unknown. While
    /// a fetch of the same group is on its way, asking again adds no request: a poll answer
    /// of many joins and leaves in one group costs one `get_group_info_ext2`.
    pub fn load_group_members(&mut self, gid: u64, now: Instant) -> bool {
        let Some(code) = self.contacts.groups.get(&gid).map(|g| g.code) else {
            return false;
        };
        let tag = Tag::GroupMembers(gid);
        if self
            .inflight
            .values()
            .any(|&(t, generation)| t == tag && generation == self.generation)
        {
            return true;
        }
        let req = self.build(|c| request::group_info(c, code));
        self.submit(tag, req, now);
        true
    }

    /// Fetches a discussion's members. `false` if unknown.
    pub fn load_discussion_members(&mut self, did: u64, now: Instant) -> bool {
        if !self.contacts.discussions.contains_key(&did) {
            return false;
        }
        let req = self.build(|c| request::discussion_info(c, did));
        self.submit(Tag::DiscussionMembers(did), req, now);
        true
    }

    /// Resolves a uin to its QQ number where the profile still allows it (protocol §5.6).
    pub fn resolve_qq(&mut self, uin: u64, now: Instant) -> bool {
        if !self.profile.friend_uin2 || self.phase != Phase::Online {
            return false;
        }
        let req = self.build(|c| request::friend_uin2(c, uin));
        self.submit(Tag::FriendUin2(uin), req, now);
        true
    }

    /// Answers the friend request of QQ number `account` (a `system_message`
    /// `verify_required`, protocol §6.5) with `allow_and_add2` or `deny_added_request2`
    /// (protocol §5.12); [`Event::FriendRequestAnswered`] follows. `false` when the era has no
    /// such CGI (SmartQQ) or the session is not online.
    pub fn answer_friend_request(
        &mut self,
        account: u64,
        answer: &FriendRequestAnswer,
        now: Instant,
    ) -> bool {
        if !self.profile.friend_requests || self.phase != Phase::Online {
            return false;
        }
        let accept = matches!(answer, FriendRequestAnswer::Accept { .. });
        let req = self.build(|c| request::answer_friend_request(c, account, answer));
        self.submit(Tag::FriendRequest { account, accept }, req, now);
        true
    }

    /// Fetches the friend, group and discussion lists again now; differences arrive as
    /// [`Event::ContactsChanged`]. `false` when not online or a refresh is already running.
    pub fn refresh_contacts(&mut self, now: Instant) -> bool {
        if self.phase != Phase::Online || self.refresh.is_some() {
            return false;
        }
        self.start_refresh(now);
        true
    }

    /// Logs out: \[W\] `logout2`, then offline; pending sends fail.
    pub fn logout(&mut self, now: Instant) {
        if self.profile.heartbeat.is_some() && !self.psessionid.is_empty() {
            let req = self.build(request::logout);
            self.submit(Tag::Logout, req, now);
        }
        self.go_offline(OfflineReason::LoggedOut);
    }

    /// The tokens and cookies to resume later, when online.
    pub fn export_state(&self) -> Option<SessionState> {
        (self.phase == Phase::Online).then(|| SessionState {
            profile: format!("{:?}", self.profile.id),
            uin: self.uin,
            clientid: self.clientid,
            psessionid: self.psessionid.clone(),
            vfwebqq: self.vfwebqq.clone(),
            cookies: self
                .cookies
                .entries()
                .into_iter()
                .map(|(n, d, v)| (n, d.to_string(), v))
                .collect(),
        })
    }

    /// Resumes from exported state: cookies go back to the jar, then `get_online_buddies2`
    /// tests the session; if it is gone, a saved `supertoken` is tried (`pt4_auth`, protocol
    /// §3.11) before a normal login.
    pub fn import_state(&mut self, state: SessionState, now: Instant) {
        self.uin = state.uin;
        self.clientid = state.clientid;
        self.psessionid = state.psessionid;
        self.vfwebqq = state.vfwebqq;
        for (name, _, value) in state.cookies {
            self.cookies.set(&name, value.expose());
            if let Some(domain) = cookies::domain_of(&name) {
                self.out.push_back(Output::SetCookie(CookieUpdate {
                    domain,
                    name,
                    value,
                }));
            }
        }
        self.progress(LoginStep::Resume);
        self.phase = Phase::Resume;
        self.issue_phase_request(now);
    }

    /// Fires due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = Vec::new();
        self.timers.retain(|&(at, a)| {
            if at <= now {
                due.push(a);
                false
            } else {
                true
            }
        });
        for action in due {
            match action {
                Action::Reissue => self.issue_phase_request(now),
                Action::Poll => self.issue_poll(now),
                Action::Heartbeat => self.heartbeat(now),
                Action::Refresh => self.start_refresh(now),
                Action::SendNext => self.pump_outbox(now),
            }
        }
        self.awaiting_echo.retain(|(.., deadline)| *deadline > now);
    }

    /// Feeds the response (or transport error) to request `id`. Every transition of the
    /// session happens here, by tag.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let Some((tag, generation)) = self.inflight.remove(&id) else {
            return;
        };
        if let Ok(resp) = &result {
            self.cookies.absorb(resp.headers());
        }
        if generation != self.generation && !tag.survives_relogin() {
            if tag == Tag::Poll {
                self.on_stale_poll(result, now);
            }
            return;
        }
        match tag {
            Tag::LoginPage => self.on_login_page(result, now),
            Tag::Check => self.on_check(result, now),
            Tag::Captcha => self.on_captcha(result, now),
            Tag::Login => self.on_login(result, now),
            Tag::QrShow => self.on_qr_show(result, now),
            Tag::QrLogin => self.on_qr_login(result, now),
            Tag::CheckSig => self.on_check_sig(result, now),
            Tag::GetVfwebqq => self.on_getvfwebqq(result, now),
            Tag::Login2 => self.on_login2(result, now),
            Tag::Relink => self.on_relink(result, now),
            Tag::Friends | Tag::Groups | Tag::Discussions | Tag::SelfInfo => {
                self.on_list(tag, result, now)
            }
            Tag::OnlineBuddies => self.on_online_buddies(result, now),
            Tag::Pt4Auth => self.on_pt4_auth(result, now),
            Tag::RecentList => self.on_recent_list(now),
            Tag::GroupMembers(gid) => {
                if let Ok(r) = ok_json::<GroupInfoResult>("get_group_info_ext2", &result) {
                    self.contacts.set_group_members(gid, r);
                    self.emit(Event::GroupMembers { gid });
                }
            }
            Tag::DiscussionMembers(did) => {
                if let Ok(r) = ok_json::<DiscussionInfoResult>("get_discu_info", &result) {
                    self.contacts.set_discussion_members(did, r);
                    self.emit(Event::DiscussionMembers { did });
                }
            }
            Tag::FriendUin2(uin) => {
                if let Ok(r) = ok_json::<FriendUin2>("get_friend_uin2", &result) {
                    if let Some(f) = self.contacts.friends.get_mut(&uin) {
                        f.qq = Some(r.account);
                    }
                    self.emit(Event::QqNumber { uin, qq: r.account });
                }
            }
            Tag::FriendRequest { account, accept } => {
                let result = ok_json::<serde_json::Value>("friend request answer", &result)
                    .map(drop)
                    .map_err(|f| f.text);
                self.emit(Event::FriendRequestAnswered {
                    account,
                    accept,
                    result,
                });
            }
            Tag::Poll => self.on_poll(result, now),
            Tag::Send(handle) => self.on_send(handle, result, now),
            Tag::C2cSig { to_uin, via } => self.on_c2c_sig(to_uin, via, result, now),
            Tag::Heartbeat | Tag::Logout => {}
        }
    }

    // ---- plumbing ---------------------------------------------------------------------

    fn emit(&mut self, e: Event) {
        if self.out.len() < MAX_QUEUED_OUTPUTS {
            self.out.push_back(Output::Event(e));
        }
    }

    fn progress(&mut self, step: LoginStep) {
        self.emit(Event::LoginProgress { step });
    }

    fn at(&mut self, when: Instant, action: Action) {
        self.timers.retain(|&(_, a)| a != action);
        self.timers.push((when, action));
    }

    fn cache_buster(&mut self) -> u64 {
        // Looks like a millisecond timestamp; the servers never validated it (§1.2).
        1_400_000_000_000 + self.rng.next_u64() % 100_000_000_000
    }

    fn random_fraction(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Builds a request with the current tokens and a fresh cache buster.
    fn build<R>(&mut self, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        let t = self.cache_buster();
        let ctx = Ctx {
            profile: self.profile,
            user_agent: &self.cfg.user_agent,
            clientid: self.clientid,
            psessionid: self.psessionid.expose(),
            vfwebqq: self.vfwebqq.expose(),
            t,
        };
        f(&ctx)
    }

    fn submit(&mut self, tag: Tag, request: http::Request<Bytes>, _now: Instant) -> RequestId {
        self.next_request += 1;
        let id = RequestId(self.next_request);
        self.inflight.insert(id, (tag, self.generation));
        let timeout = match tag {
            Tag::Poll => self.profile.poll_timeout,
            Tag::Heartbeat => self
                .profile
                .heartbeat
                .map_or(self.cfg.request_timeout, |h| h.timeout),
            _ => self.cfg.request_timeout,
        };
        self.out.push_back(Output::Request(SessionRequest {
            id,
            tag,
            request,
            replayable: !matches!(tag, Tag::Send(_)),
            timeout,
            follow_redirects: tag != Tag::CheckSig,
        }));
        id
    }
}
