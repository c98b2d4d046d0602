//! The facade (design.md, `Client`): a WebQQ [`Session`] and an HTTP [`Agent`] behind one
//! [`handle_input`](Client::handle_input) / [`poll_output`](Client::poll_output) pair, so an
//! adapter drives only this. See the crate documentation for an example.
//!
//! The glue, in one place:
//! - each session request is submitted to the agent, tagged with the session's request id,
//!   with its deadline (`now + timeout`), replay policy (replayable → [`Replay::Always`],
//!   a chat send → [`Replay::Never`]) and redirect policy;
//! - the session's cookie writes go to the agent's jar;
//! - each agent response goes back to the session; a failure is mapped to the session's
//!   [`TransportError`](session::TransportError) by [`transport::transport_error`], where `written` means "any byte
//!   of the request may have reached the server";
//! - the next deadline is the earlier of the session's timers and the agent's.
pub mod adapter;
mod io;
mod outcome;
mod transport;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::http1::{self, Agent, AgentConfig, CookieJar, CookieJarError, Replay, RequestOptions};
use crate::webqq::content::Message;
use crate::webqq::request::{FriendRequestAnswer, Target};
use crate::webqq::secret::Secret;
use crate::webqq::session::{
    self, CookieUpdate, MessageHandle, Phase, Session, SessionConfig, SessionRequest, SessionState,
};

pub use io::{Input, Output};
pub use outcome::SendOutcome;

/// Redirects followed for a session request that allows them (the WebQQ flows need at most
/// two: ptlogin's jump pages).
pub const MAX_REDIRECTS: u8 = 5;

/// How a [`Client`] behaves: the session's settings and the engine's.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The WebQQ session (profile, account, password, seed, pacing …).
    pub session: SessionConfig,
    /// The HTTP engine (pool, idle and connect timeouts, decoder limits).
    pub agent: AgentConfig,
}

impl ClientConfig {
    /// Defaults for both layers around a session configuration.
    pub fn new(session: SessionConfig) -> Self {
        ClientConfig {
            session,
            agent: AgentConfig::default(),
        }
    }
}

/// Everything to resume a client later without a new login: the session's tokens and the
/// whole cookie jar. The serialized form holds secrets: store it like a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientState {
    /// Tokens and the cookies the session tracks.
    pub session: SessionState,
    /// The agent's cookie jar as JSON ([`CookieJar::to_json`]).
    pub cookie_jar: Secret,
}

/// The WebQQ client as one sans-IO state machine. See the [module docs](self).
pub struct Client {
    session: Session,
    agent: Agent<session::RequestId>,
    now: Instant,
    /// Non-replayable requests in flight (few: the outbox sends one at a time), with whether
    /// any byte of them was seen handed out for writing, on any attempt.
    watched: Vec<(http1::RequestId, bool)>,
    events: VecDeque<session::Event>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.session)
            .field("agent", &self.agent)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client that has not started; its clock starts at `now`. Call [`start`](Self::start)
    /// or [`import_state`](Self::import_state).
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        Client {
            session: Session::new(config.session),
            agent: Agent::new(config.agent, now),
            now,
            watched: Vec::new(),
            events: VecDeque::new(),
        }
    }

    // ---- commands -----------------------------------------------------------------------

    /// Starts the login the profile and configuration call for.
    pub fn start(&mut self) {
        self.session.start(self.now);
    }

    /// Answers [`Event::CaptchaRequired`](session::Event::CaptchaRequired).
    pub fn submit_captcha(&mut self, code: &str) {
        self.session.submit_captcha(code, self.now);
    }

    /// Fetches a new captcha image.
    pub fn refresh_captcha(&mut self) {
        self.session.refresh_captcha(self.now);
    }

    /// Queues a message. Exactly one of `Sent`, `Uncertain` or `SendFailed` follows for the
    /// returned handle (and possibly `Confirmed` after `Uncertain`).
    pub fn send(&mut self, target: Target, message: Message) -> MessageHandle {
        self.session.send(target, message, self.now)
    }

    /// Fetches a group's members; `false` if the group is unknown.
    pub fn load_group_members(&mut self, gid: u64) -> bool {
        self.session.load_group_members(gid, self.now)
    }

    /// Fetches a discussion's members; `false` if unknown.
    pub fn load_discussion_members(&mut self, did: u64) -> bool {
        self.session.load_discussion_members(did, self.now)
    }

    /// Resolves a uin to its QQ number where the profile allows it.
    pub fn resolve_qq(&mut self, uin: u64) -> bool {
        self.session.resolve_qq(uin, self.now)
    }

    /// Answers a friend request from QQ number `account` where the era allows it
    /// ([`Session::answer_friend_request`]); `false` when it does not.
    pub fn answer_friend_request(&mut self, account: u64, answer: &FriendRequestAnswer) -> bool {
        self.session
            .answer_friend_request(account, answer, self.now)
    }

    /// Fetches the contact lists again now; `false` when not online or already refreshing.
    pub fn refresh_contacts(&mut self) -> bool {
        self.session.refresh_contacts(self.now)
    }

    /// Logs out; pending sends fail.
    pub fn logout(&mut self) {
        self.session.logout(self.now);
    }

    /// The state to resume later, when online.
    pub fn export_state(&self) -> Option<Result<ClientState, CookieJarError>> {
        let session = self.session.export_state()?;
        Some(self.agent.cookies().to_json().map(|json| ClientState {
            session,
            cookie_jar: Secret::new(json),
        }))
    }

    /// Resumes from exported state: the jar is replaced by the saved one, then the session
    /// checks its tokens (and falls back to a quick or full login if they are gone).
    pub fn import_state(&mut self, state: ClientState) -> Result<(), CookieJarError> {
        *self.agent.cookies_mut() = CookieJar::from_json(state.cookie_jar.expose())?;
        self.session.import_state(state.session, self.now);
        Ok(())
    }

    // ---- views --------------------------------------------------------------------------

    /// The session (phase, contacts, tracked cookies).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The HTTP engine (pool status, stats, cookie jar).
    pub fn agent(&self) -> &Agent<session::RequestId> {
        &self.agent
    }

    /// The session's phase.
    pub fn phase(&self) -> &Phase {
        self.session.phase()
    }

    /// The time of the latest [`Input::Time`] (or of [`Client::new`]).
    pub fn now(&self) -> Instant {
        self.now
    }

    // ---- driving ------------------------------------------------------------------------

    /// Takes in one thing that happened; then call [`poll_output`](Self::poll_output) until
    /// it returns [`Output::Timeout`]. Time only moves forward.
    pub fn handle_input(&mut self, input: Input<'_>) {
        if let Input::Time(now) = input {
            self.now = self.now.max(now);
        }
        self.agent.handle_input(input);
    }

    /// The next thing to do, ending with [`Output::Timeout`] when there is nothing else.
    #[must_use]
    pub fn poll_output(&mut self) -> Output {
        let now = self.now;
        loop {
            if let Some(e) = self.events.pop_front() {
                return Output::Event(e);
            }
            crate::burst::release_burst(&mut self.events);
            if self.session.poll_timeout().is_some_and(|at| at <= now) {
                self.session.handle_timeout(now);
            }
            if self.drain_session() {
                continue;
            }
            match self.agent.poll_output(now) {
                http1::Output::Connect { conn, origin } => {
                    return Output::Connect { conn, origin };
                }
                http1::Output::Write { conn, bytes } => {
                    self.note_written();
                    return Output::Write { conn, bytes };
                }
                http1::Output::Close { conn } => return Output::Close { conn },
                http1::Output::Response { id, tag, result } => {
                    let written = self.finish(id);
                    let result = match result {
                        Ok(r) => Ok(to_http(*r)),
                        Err(e) => Err(transport::transport_error(&e, written)),
                    };
                    self.session.handle_response(tag, result, now);
                }
                http1::Output::Timeout(at) => {
                    let at = self.session.poll_timeout().map_or(at, |s| s.min(at));
                    return Output::Timeout(at.max(now));
                }
            }
        }
    }

    /// Carries out the session's outputs; true if any event was queued.
    fn drain_session(&mut self) -> bool {
        let mut evented = false;
        while let Some(out) = self.session.poll_output() {
            match out {
                session::Output::SetCookie(c) => store_cookie(self.agent.cookies_mut(), &c),
                session::Output::Request(r) => self.submit(r),
                session::Output::Event(e) => {
                    self.events.push_back(e);
                    evented = true;
                }
            }
        }
        evented
    }

    fn submit(&mut self, r: SessionRequest) {
        let mut options = RequestOptions::new(r.id)
            .deadline(self.now + r.timeout)
            .replay(if r.replayable {
                Replay::Always
            } else {
                Replay::Never
            });
        if r.follow_redirects {
            options = options.follow_redirects(MAX_REDIRECTS);
        }
        let id = self.agent.submit(r.request, options);
        if !r.replayable {
            self.watched.push((id, false));
        }
    }

    /// After a write was handed out: records which watched requests have bytes out. Asked
    /// here because a request's own deadline can end it later with no trace of its writes.
    fn note_written(&mut self) {
        for (id, written) in &mut self.watched {
            *written |= self.agent.is_written(*id);
        }
    }

    /// Forgets a finished request; returns whether any byte of it was seen written.
    fn finish(&mut self, id: http1::RequestId) -> bool {
        let Some(i) = self.watched.iter().position(|(w, _)| *w == id) else {
            return false;
        };
        self.watched.swap_remove(i).1
    }
}

/// The agent's response as the session takes it.
fn to_http(r: http1::Response) -> http::Response<Bytes> {
    let mut resp = http::Response::new(r.body);
    *resp.status_mut() = r.status;
    *resp.version_mut() = r.version;
    *resp.headers_mut() = r.headers.into_map();
    resp
}

/// Stores a cookie the session writes (chkuin, a rotated ptwebqq, imported cookies) as if
/// its domain had set it for every path.
fn store_cookie(jar: &mut CookieJar, c: &CookieUpdate) {
    let Ok(url) = Url::parse(&format!("http://{}/", c.domain)) else {
        return;
    };
    let line = format!(
        "{}={}; Domain={}; Path=/",
        c.name,
        c.value.expose(),
        c.domain
    );
    // A value the header syntax refuses could never have come from a server either.
    let Ok(value) = HeaderValue::from_str(&line) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, value);
    jar.store_response(&url, &headers);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webqq::profile::ProfileId;

    #[test]
    fn session_cookie_writes_reach_the_jar_for_every_path() {
        let mut jar = CookieJar::new();
        let c = CookieUpdate {
            domain: "qq.com",
            name: "ptwebqq".into(),
            value: Secret::new("abc"),
        };
        store_cookie(&mut jar, &c);
        let url: Url = "http://d1.web2.qq.com/channel/poll2".parse().unwrap();
        assert_eq!(jar.request_header(&url).unwrap(), "ptwebqq=abc");
        let bad = CookieUpdate {
            value: Secret::new("a\r\nX: y"),
            ..c
        };
        store_cookie(&mut jar, &bad);
        assert_eq!(jar.request_header(&url).unwrap(), "ptwebqq=abc");
    }

    #[test]
    fn idle_client_sleeps_and_never_exports() {
        let now = Instant::now();
        let cfg = ClientConfig::new(SessionConfig::new(ProfileId::S2018, 0));
        let mut client = Client::new(cfg, now);
        assert!(matches!(client.poll_output(), Output::Timeout(at) if at > now));
        assert!(client.export_state().is_none());
    }
}
