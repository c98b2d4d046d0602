//! The control API: the same operations as Rust methods on [`Emulator`] and as HTTP JSON under
//! `/_emulator/` on every host (see the README for curl examples).
//!
//! | method and path | body / query | does |
//! |---|---|---|
//! | `POST /_emulator/say` | `{"from":10002,"to":{"buddy":10001},"text":"hi"}` (`group`, `discussion`) | a simulated user speaks |
//! | `POST /_emulator/say_batch` | `{"messages":[{"from":…,"to":…,"text":…},…]}` | all of them speak, in order, or none (answers `said`) |
//! | `POST /_emulator/inject` | `{"qq":10001,"event":{…}}` | queue a raw poll event |
//! | `GET /_emulator/sent?qq=10001` | | what an account sent |
//! | `POST /_emulator/qr/scan` | `{}` or `{"qrsig":"…"}` | the phone scans (66 → 67) |
//! | `POST /_emulator/qr/confirm` | `{"qq":10001}` (+ `qrsig`) | the phone confirms (→ 0) |
//! | `POST /_emulator/kick` | `{"qq":10001,"reason":"…"}` | `kick_message`, session ends |
//! | `POST /_emulator/retcode` | `{"qq":10001,"retcode":116}` | the next poll answers it |
//! | `POST /_emulator/expire` | `{"qq":10001}` | the session expires |
//! | `GET`/`POST /_emulator/faults` | a [`Faults`] object | read / replace the faults |
//! | `GET`/`POST /_emulator/strictness` | a [`Strictness`] object | read / replace the switches |
//! | `GET /_emulator/sessions` | | live sessions |
//! | `GET /_emulator/captcha?qq=10001` | | the answer of the last captcha |
//! | `POST /_emulator/friend_request` | `{"from":10005,"to":10001,"msg":"hi"}` | `from` asks to be friends (`system_message`) |
//! | `POST /_emulator/group/join` | `{"qq":10005,"group":200001}` | `qq` joins (`sys_g_msg` `group_join` to the members) |
//! | `POST /_emulator/group/leave` | `{"qq":10003,"group":200001}` | `qq` leaves (`group_leave` to the members left) |
//! | `POST /_emulator/rename` | `{"qq":10003,"nick":"Robert"}` | a new nickname, seen in the next list fetch |
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::faults::Faults;
use super::http::{Request, Response};
use super::server::{Params, Server};
use super::strictness::Strictness;
use super::world::Target;
use super::{Emulator, http};

/// A message as the emulator recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMessage {
    /// Sender's QQ number.
    pub from: u64,
    /// Where it went.
    pub target: Target,
    /// Its text (strings joined, faces as `[face N]`).
    pub text: String,
    /// The content array as delivered (font first).
    pub content: Value,
    /// The client's `msg_id` (`None` for simulated users).
    pub msg_id: Option<u64>,
    /// Unix seconds (emulated).
    pub time: u64,
    /// The group's or discussion's `seq` it got (protocol §6.4); a number no message got
    /// was skipped on purpose (the `seq_gap` delivery fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// One message of [`Emulator::say_batch`] (the body of `POST /_emulator/say`, and each item
/// of `say_batch`'s `messages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Say {
    /// The simulated user who speaks.
    pub from: u64,
    /// To whom: a buddy, group or discussion.
    pub to: Target,
    /// What they say.
    pub text: String,
}

/// Why [`Emulator::say_batch`] said nothing: the first message that could not be said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    /// Its position in the batch (from 0).
    pub index: usize,
    /// Why it could not be said.
    pub error: ControlError,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "message {} of the batch: {}", self.index, self.error)
    }
}

impl std::error::Error for BatchError {}

/// A session as [`Emulator::sessions`] shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Account.
    pub qq: u64,
    /// Presence.
    pub status: String,
    /// get_online_buddies2 was called.
    pub registered: bool,
    /// Events waiting for a poll.
    pub queued: usize,
    /// A poll is held.
    pub polling: bool,
}

/// Why a control call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlError {
    /// No such account in the world.
    UnknownAccount(u64),
    /// No such group, discussion or account.
    UnknownTarget(Target),
    /// The sender is not in the group or discussion.
    NotAMember {
        /// Sender.
        qq: u64,
        /// Target.
        target: Target,
    },
    /// The account has no live session.
    NotLoggedIn(u64),
    /// A QR operation did not apply.
    Qr(String),
    /// A control request was malformed, or asks for what is already so (a second join).
    BadRequest(String),
}

impl ControlError {
    /// The account, group or discussion does not exist.
    pub fn is_unknown(&self) -> bool {
        matches!(
            self,
            ControlError::UnknownAccount(_) | ControlError::UnknownTarget(_)
        )
    }
    /// The account is not logged in.
    pub fn is_not_logged_in(&self) -> bool {
        matches!(self, ControlError::NotLoggedIn(_))
    }
    /// The account is not in the group or discussion.
    pub fn is_not_a_member(&self) -> bool {
        matches!(self, ControlError::NotAMember { .. })
    }
    /// A QR operation did not apply.
    pub fn is_qr(&self) -> bool {
        matches!(self, ControlError::Qr(_))
    }
    /// The request was malformed or asked for what is already so.
    pub fn is_bad_request(&self) -> bool {
        matches!(self, ControlError::BadRequest(_))
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::UnknownAccount(qq) => write!(f, "account {qq} is not in the world"),
            ControlError::UnknownTarget(t) => write!(f, "target {t:?} is not in the world"),
            ControlError::NotAMember { qq, target } => {
                write!(f, "{qq} is not a member of {target:?}")
            }
            ControlError::NotLoggedIn(qq) => write!(f, "account {qq} has no live session"),
            ControlError::Qr(s) => write!(f, "QR: {s}"),
            ControlError::BadRequest(s) => write!(f, "bad control request: {s}"),
        }
    }
}

impl std::error::Error for ControlError {}

impl Emulator {
    /// A simulated user `from` says `text` to `target` (a buddy, group or discussion).
    pub fn say(&mut self, from: u64, target: Target, text: &str) -> Result<(), ControlError> {
        let r = self.server.say(from, target, text);
        self.collect_server_output();
        r
    }

    /// Many simulated users speak, in order, as one control call (load generators push
    /// thousands of messages a second this way). Every message is checked first: if one
    /// cannot be said, none is, and the error names it.
    pub fn say_batch(&mut self, messages: &[Say]) -> Result<(), BatchError> {
        let r = self.server.say_batch(messages);
        self.collect_server_output();
        r
    }

    /// Queues a raw poll event (any JSON, normally `{"poll_type":…,"value":…}`) for `qq`.
    pub fn inject(&mut self, qq: u64, event: Value) -> Result<(), ControlError> {
        let r = self.server.inject(qq, event);
        self.collect_server_output();
        r
    }

    /// What account `qq` sent, oldest first (at most the last 1000 messages).
    pub fn sent(&self, qq: u64) -> Vec<SentMessage> {
        self.server.sent_by(qq)
    }

    /// The phone scans a QR code (`None`: the newest waiting one); returns its qrsig.
    pub fn qr_scan(&mut self, qrsig: Option<&str>) -> Result<String, ControlError> {
        self.server
            .qr_advance(qrsig, None)
            .map_err(ControlError::Qr)
    }

    /// Account `qq` confirms a QR login on the phone; returns the qrsig.
    pub fn qr_confirm(&mut self, qrsig: Option<&str>, qq: u64) -> Result<String, ControlError> {
        self.server
            .qr_advance(qrsig, Some(qq))
            .map_err(ControlError::Qr)
    }

    /// Forces `qq` offline with a `kick_message`.
    pub fn kick(&mut self, qq: u64, reason: &str) -> Result<(), ControlError> {
        let r = self.server.kick(qq, reason);
        self.collect_server_output();
        r
    }

    /// The next poll of `qq` answers `retcode` (116 rotates ptwebqq; 120/121 ask for relink).
    pub fn force_retcode(&mut self, qq: u64, retcode: i64) -> Result<(), ControlError> {
        let r = self.server.force_retcode(qq, retcode);
        self.collect_server_output();
        r
    }

    /// Ends `qq`'s session as expired.
    pub fn expire(&mut self, qq: u64) -> Result<(), ControlError> {
        let r = self.server.expire(qq);
        self.collect_server_output();
        r
    }

    /// Replaces the faults.
    pub fn set_faults(&mut self, faults: Faults) {
        self.server.set_faults(faults);
    }

    /// The current faults (fired `times` counted down).
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Replaces the validation switches.
    pub fn set_strictness(&mut self, strictness: Strictness) {
        self.server.set_strictness(strictness);
    }

    /// Live sessions.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.server.session_infos()
    }

    /// The answer of the last captcha image served for `qq`.
    pub fn captcha_answer(&self, qq: u64) -> Option<String> {
        self.server.captcha_answer(qq)
    }

    /// Simulated user `from` asks account `to` (logged in) to be friends, saying `message`.
    pub fn friend_request(
        &mut self,
        from: u64,
        to: u64,
        message: &str,
    ) -> Result<(), ControlError> {
        let r = self.server.friend_request(from, to, message);
        self.collect_server_output();
        r
    }

    /// Account `qq` joins group `group`; its members are told.
    pub fn join_group(&mut self, qq: u64, group: u64) -> Result<(), ControlError> {
        let r = self.server.join_group(qq, group);
        self.collect_server_output();
        r
    }

    /// Account `qq` leaves group `group`; the members left are told.
    pub fn leave_group(&mut self, qq: u64, group: u64) -> Result<(), ControlError> {
        let r = self.server.leave_group(qq, group);
        self.collect_server_output();
        r
    }

    /// Account `qq` takes the nickname `nick`.
    pub fn rename(&mut self, qq: u64, nick: &str) -> Result<(), ControlError> {
        self.server.rename(qq, nick)
    }
}

#[derive(Deserialize)]
struct BatchBody {
    messages: Vec<Say>,
}

#[derive(Deserialize)]
struct QqBody {
    qq: u64,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    retcode: Option<i64>,
    #[serde(default)]
    event: Option<Value>,
}

#[derive(Deserialize)]
struct FriendRequestBody {
    from: u64,
    to: u64,
    #[serde(default)]
    msg: String,
}

#[derive(Deserialize)]
struct MembershipBody {
    qq: u64,
    group: u64,
}

#[derive(Deserialize)]
struct RenameBody {
    qq: u64,
    nick: String,
}

#[derive(Deserialize, Default)]
struct QrBody {
    #[serde(default)]
    qrsig: Option<String>,
    #[serde(default)]
    qq: Option<u64>,
}

fn parse<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, ControlError> {
    let body: &[u8] = if req.body.is_empty() {
        b"{}"
    } else {
        &req.body
    };
    serde_json::from_slice(body).map_err(|e| ControlError::BadRequest(e.to_string()))
}

impl Server {
    /// [`Emulator::say_batch`]: all checked, then all said.
    pub(crate) fn say_batch(&mut self, messages: &[Say]) -> Result<(), BatchError> {
        for (index, m) in messages.iter().enumerate() {
            self.check_say(m.from, m.to)
                .map_err(|error| BatchError { index, error })?;
        }
        for m in messages {
            self.say_checked(m.from, m.to, &m.text);
        }
        Ok(())
    }

    /// Answers `/_emulator/…`.
    pub(crate) fn control_http(&mut self, req: &Request, params: &Params) -> Response {
        let path = req.path.trim_start_matches("/_emulator/");
        let post = req.method == ::http::Method::POST;
        let result: Result<Value, ControlError> = match (post, path) {
            (true, "say") => parse::<Say>(req)
                .and_then(|b| self.say(b.from, b.to, &b.text))
                .map(|_| json!({})),
            (true, "say_batch") => match parse::<BatchBody>(req) {
                // The status of the cause (404 for an unknown account …), the batch's message.
                Ok(b) => match self.say_batch(&b.messages) {
                    Ok(()) => Ok(json!({"said": b.messages.len()})),
                    Err(e) => return error_response(&e.error, &e.to_string()),
                },
                Err(e) => Err(e),
            },
            (true, "inject") => parse::<QqBody>(req)
                .and_then(|b| {
                    let event = b
                        .event
                        .ok_or_else(|| ControlError::BadRequest("missing event".into()))?;
                    self.inject(b.qq, event)
                })
                .map(|_| json!({})),
            (false, "sent") => match params.number("qq") {
                Some(qq) => Ok(json!({"sent": self.sent_by(qq)})),
                None => Err(ControlError::BadRequest("missing qq".into())),
            },
            (true, "qr/scan") => parse::<QrBody>(req)
                .and_then(|b| {
                    self.qr_advance(b.qrsig.as_deref(), None)
                        .map_err(ControlError::Qr)
                })
                .map(|qrsig| json!({"qrsig": qrsig})),
            (true, "qr/confirm") => parse::<QrBody>(req)
                .and_then(|b| {
                    let qq =
                        b.qq.ok_or_else(|| ControlError::BadRequest("missing qq".into()))?;
                    self.qr_advance(b.qrsig.as_deref(), Some(qq))
                        .map_err(ControlError::Qr)
                })
                .map(|qrsig| json!({"qrsig": qrsig})),
            (true, "kick") => parse::<QqBody>(req)
                .and_then(|b| {
                    self.kick(
                        b.qq,
                        b.reason
                            .as_deref()
                            .unwrap_or("您的帐号在另一地点登录，您已被迫下线。"),
                    )
                })
                .map(|_| json!({})),
            (true, "retcode") => parse::<QqBody>(req)
                .and_then(|b| {
                    let code = b
                        .retcode
                        .ok_or_else(|| ControlError::BadRequest("missing retcode".into()))?;
                    self.force_retcode(b.qq, code)
                })
                .map(|_| json!({})),
            (true, "expire") => parse::<QqBody>(req)
                .and_then(|b| self.expire(b.qq))
                .map(|_| json!({})),
            (true, "friend_request") => parse::<FriendRequestBody>(req)
                .and_then(|b| self.friend_request(b.from, b.to, &b.msg))
                .map(|_| json!({})),
            (true, "group/join") => parse::<MembershipBody>(req)
                .and_then(|b| self.join_group(b.qq, b.group))
                .map(|_| json!({})),
            (true, "group/leave") => parse::<MembershipBody>(req)
                .and_then(|b| self.leave_group(b.qq, b.group))
                .map(|_| json!({})),
            (true, "rename") => parse::<RenameBody>(req)
                .and_then(|b| self.rename(b.qq, &b.nick))
                .map(|_| json!({})),
            (true, "faults") => parse::<Faults>(req).map(|f| {
                self.set_faults(f);
                json!({})
            }),
            (false, "faults") => Ok(json!({"faults": self.faults()})),
            (true, "strictness") => parse::<Strictness>(req).map(|s| {
                self.set_strictness(s);
                json!({})
            }),
            (false, "strictness") => Ok(json!({"strictness": self.strictness()})),
            (false, "sessions") => Ok(json!({"sessions": self.session_infos()})),
            (false, "captcha") => {
                match params.number("qq").and_then(|qq| self.captcha_answer(qq)) {
                    Some(answer) => Ok(json!({"answer": answer})),
                    None => Err(ControlError::BadRequest(
                        "no captcha issued for that qq".into(),
                    )),
                }
            }
            _ => return super::pages::error_page(::http::StatusCode::NOT_FOUND),
        };
        match result {
            Ok(mut v) => {
                v["ok"] = json!(true);
                Response::json(&v)
            }
            Err(e) => error_response(&e, &e.to_string()),
        }
    }
}

/// `{"ok":false,"error":message}`: 404 when `cause` is an unknown account, target or a missing
/// session, 400 otherwise.
fn error_response(cause: &ControlError, message: &str) -> Response {
    let status = if cause.is_unknown() || cause.is_not_logged_in() {
        ::http::StatusCode::NOT_FOUND
    } else {
        ::http::StatusCode::BAD_REQUEST
    };
    Response {
        status,
        ..Response::ok(
            http::JSON,
            json!({"ok": false, "error": message}).to_string(),
        )
    }
}
