//! The session's side of the interface to the request engine: tagged requests out,
//! responses (or transport errors) in, cookie writes out.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use super::super::request::SessionVia;
use super::super::secret::Secret;
use super::event::{Event, MessageHandle};

/// Identifies one request the session made; the engine hands it back with the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// What a request is for: the session's transition for the tag decides what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// Login page (`login_sig`).
    LoginPage,
    /// `/check`.
    Check,
    /// Captcha image.
    Captcha,
    /// `/login`.
    Login,
    /// `check_sig` (not following redirects, so its `Set-Cookie`s are seen).
    CheckSig,
    /// QR image.
    QrShow,
    /// QR state poll.
    QrLogin,
    /// `getvfwebqq`.
    GetVfwebqq,
    /// `login2`.
    Login2,
    /// `login2` with the current psessionid.
    Relink,
    /// Friend list.
    Friends,
    /// Group list.
    Groups,
    /// Discussion list.
    Discussions,
    /// Own profile.
    SelfInfo,
    /// Presence snapshot (also the resume check of an imported session).
    OnlineBuddies,
    /// Recent conversations.
    RecentList,
    /// Members of one group.
    GroupMembers(u64),
    /// Members of one discussion.
    DiscussionMembers(u64),
    /// uin → QQ number.
    FriendUin2(u64),
    /// The long poll.
    Poll,
    /// One wire send of a message.
    Send(MessageHandle),
    /// A temporary-session signature.
    C2cSig {
        /// Member uin.
        to_uin: u64,
        /// Group or discussion.
        via: SessionVia,
    },
    /// \[W\] heartbeat.
    Heartbeat,
    /// \[W\] logout.
    Logout,
    /// Quick re-login with the saved `supertoken`.
    Pt4Auth,
    /// The answer to a friend request from QQ number `account`.
    FriendRequest {
        /// The requester's QQ number.
        account: u64,
        /// `allow_and_add2` rather than `deny_added_request2`.
        accept: bool,
    },
}

impl Tag {
    /// Whether a response still matters after a re-login started: a send's outcome always
    /// does (its message may have been delivered); everything else belongs to the old session.
    pub fn survives_relogin(self) -> bool {
        matches!(self, Tag::Send(_))
    }
}

/// A request for the engine.
pub struct SessionRequest {
    /// Hand this back with the response.
    pub id: RequestId,
    /// What it is for.
    pub tag: Tag,
    /// The request (absolute URI; the engine adds `Host`, cookies and framing).
    pub request: http::Request<Bytes>,
    /// May be sent again after a stale keep-alive failure: true for everything but sends,
    /// whose replay could duplicate a message (protocol §10).
    pub replayable: bool,
    /// Deadline of the whole request (the poll's is above the server hold, protocol §6.2).
    pub timeout: Duration,
    /// Follow redirects (false for check_sig, whose 302 carries the cookies, protocol §3.7).
    pub follow_redirects: bool,
}

impl fmt::Debug for SessionRequest {
    // The URI and body carry psessionid/vfwebqq/ptwebqq: show only method and path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRequest")
            .field("id", &self.id)
            .field("tag", &self.tag)
            .field("method", self.request.method())
            .field("path", &self.request.uri().path())
            .field("replayable", &self.replayable)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The request's deadline passed.
    Timeout {
        /// Whether any byte of the request had been written.
        written: bool,
    },
    /// The connection could not be opened: nothing was sent.
    Connect(String),
    /// The connection closed or reset.
    Closed {
        /// Whether any byte of the request had been written.
        written: bool,
    },
    /// The engine refused the request before sending any byte of it (for example a header
    /// it cannot encode).
    NotSent(String),
    /// Anything else the engine reports (body too large, bad framing …).
    Other(String),
}

impl TransportError {
    /// Whether the server may have received (and acted on) the request. A send that may have
    /// reached the server is never resent automatically (protocol §7.6: duplicates).
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            TransportError::Timeout { written } | TransportError::Closed { written } => *written,
            TransportError::Connect(_) | TransportError::NotSent(_) => false,
            TransportError::Other(_) => true,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Timeout { written } => {
                write!(f, "timed out (request written: {written})")
            }
            TransportError::Connect(e) => write!(f, "connect failed: {e}"),
            TransportError::Closed { written } => {
                write!(f, "connection closed (request written: {written})")
            }
            TransportError::NotSent(e) => write!(f, "not sent: {e}"),
            TransportError::Other(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for TransportError {}

/// A cookie the session needs in the engine's jar: `chkuin` before `/check` (protocol §1.5),
/// the rotated `ptwebqq` of poll retcode 116 (protocol §6.3), imported cookies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieUpdate {
    /// Cookie domain (`qq.com`, `ptlogin2.qq.com`, `web2.qq.com`).
    pub domain: &'static str,
    /// Name.
    pub name: String,
    /// Value.
    pub value: Secret,
}

/// What the session asks of its driver, in order.
#[derive(Debug)]
pub enum Output {
    /// Store a cookie in the jar (before submitting any later request).
    SetCookie(CookieUpdate),
    /// Submit a request.
    Request(SessionRequest),
    /// Hand an event to the application.
    Event(Event),
}
