//! What the session tells the application.

use std::fmt;

use bytes::Bytes;
use serde_json::Value;

use super::super::content::Message;
use super::super::login_decode::LoginError;
use super::super::poll::PollItem;
use super::super::request::Target;
use super::contacts::ContactsDiff;

/// Identifies one `send`; its outcome events carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageHandle(pub u64);

/// A login step, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginStep {
    /// Fetching the login page.
    LoginPage,
    /// `/check`.
    Check,
    /// `/login`.
    Login,
    /// Waiting for the QR code to be scanned and confirmed.
    QrCode,
    /// `check_sig`.
    CheckSig,
    /// `getvfwebqq`.
    GetVfwebqq,
    /// `login2`.
    Login2,
    /// Loading contacts and the post-login sequence.
    Contacts,
    /// Checking an imported session.
    Resume,
}

/// Which conversation a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chat {
    /// A friend (or stranger) by uin.
    Friend(u64),
    /// A group by gid.
    Group(u64),
    /// A discussion by did.
    Discussion(u64),
    /// A temporary session: the sender's uin and the group/discussion id it came through.
    Session {
        /// Sender uin.
        from_uin: u64,
        /// Group or discussion id.
        via: u64,
    },
}

impl Chat {
    /// Where a reply to this conversation goes; `None` for a temporary session, whose `via`
    /// does not say whether it is a group or a discussion, which `send_sess_msg2` needs
    /// (protocol §7.1).
    pub fn reply_target(self) -> Option<Target> {
        match self {
            Chat::Friend(uin) => Some(Target::Friend(uin)),
            Chat::Group(gid) => Some(Target::Group(gid)),
            Chat::Discussion(did) => Some(Target::Discussion(did)),
            Chat::Session { .. } => None,
        }
    }
}

/// A received chat message.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingMessage {
    /// The conversation.
    pub chat: Chat,
    /// The sender uin (the member for groups and discussions).
    pub sender: u64,
    /// Unix seconds, if sent.
    pub time: Option<i64>,
    /// The server's `msg_id`.
    pub msg_id: u64,
    /// Group/discussion sequence, if any.
    pub seq: Option<u64>,
    /// The content.
    pub message: Message,
    /// Sent by this account (from another device, echoed; protocol §6.5).
    pub is_self: bool,
}

/// Why a send failed for certain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The server refused with this code (protocol §7.6).
    Server(i64),
    /// The request never reached the server.
    Transport(String),
    /// The session was lost and the one resend after re-login was used up.
    SessionLost(i64),
    /// `get_c2cmsg_sig2` gave no signature: temporary sessions not allowed.
    NotAllowed,
    /// The session went offline (logout, kick, failed login) before it was sent.
    Offline,
}

impl fmt::Display for SendFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendFailure::Server(c) => write!(f, "server refused the message (retcode {c})"),
            SendFailure::Transport(e) => write!(f, "not sent: {e}"),
            SendFailure::SessionLost(c) => {
                write!(f, "session lost (retcode {c}) and resend used up")
            }
            SendFailure::NotAllowed => f.write_str("temporary session not allowed"),
            SendFailure::Offline => f.write_str("session offline"),
        }
    }
}

/// Why the session is offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineReason {
    /// Login failed (typed ptlogin error or an unreachable step).
    LoginFailed(LoginError),
    /// `login2` kept failing with this retcode (-1: transport).
    Login2Failed(i64),
    /// `kick_message` (protocol §6.5): not reconnected automatically.
    Kicked(String),
    /// `logout` was called.
    LoggedOut,
    /// Re-login needed but not possible (no password, or too many in a row).
    SessionLost(i64),
}

/// Everything the session reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A login step started.
    LoginProgress {
        /// Which.
        step: LoginStep,
    },
    /// A captcha must be solved: show `image` (JPEG) and call `submit_captcha`.
    CaptchaRequired {
        /// The image bytes.
        image: Bytes,
    },
    /// Scan this QR code (PNG) with mobile QQ.
    QrCode {
        /// The image bytes.
        png: Bytes,
    },
    /// The QR code was scanned; waiting for confirmation on the phone.
    QrScanned,
    /// The login was confirmed on the phone.
    QrConfirmed,
    /// The QR code expired; a new one follows (`QrCode`) unless the refresh limit is reached.
    QrExpired {
        /// Refreshes so far.
        refreshes: u32,
    },
    /// Logged in and polling.
    Online {
        /// Own uin (= QQ number).
        uin: u64,
    },
    /// The session stopped; pending sends have failed.
    Offline {
        /// Why.
        reason: OfflineReason,
    },
    /// `kick_message`: logged in elsewhere or removed by the server.
    Kicked {
        /// The server's text.
        reason: String,
    },
    /// The channel dropped (poll 120/121 or repeated failures); relinking.
    Relinking {
        /// The poll retcode (0 for failures).
        retcode: i64,
    },
    /// The server says the session is gone; logging in again.
    Relogin {
        /// The retcode that caused it.
        retcode: i64,
    },
    /// The `ptwebqq` cookie was rotated (poll 116).
    PtwebqqRotated,
    /// Contacts are loaded (see `Session::contacts`).
    ContactsLoaded,
    /// A periodic refresh found differences.
    ContactsChanged(ContactsDiff),
    /// Members of a group are loaded.
    GroupMembers {
        /// Group uin.
        gid: u64,
    },
    /// Members of a discussion are loaded.
    DiscussionMembers {
        /// Discussion id.
        did: u64,
    },
    /// A uin was resolved to a QQ number.
    QqNumber {
        /// The uin.
        uin: u64,
        /// The QQ number.
        qq: u64,
    },
    /// The server answered [`Session::answer_friend_request`](super::Session::answer_friend_request).
    FriendRequestAnswered {
        /// The requester's QQ number.
        account: u64,
        /// Accepted (and added back) rather than refused.
        accept: bool,
        /// `Err` with what went wrong when the server did not take the answer.
        result: Result<(), String>,
    },
    /// A chat message (deduplicated).
    Message(IncomingMessage),
    /// Any other typed poll event (status, system, group admin, file, typing, shake …).
    Notice(PollItem),
    /// A poll item of unknown type, never dropped.
    Unknown {
        /// The raw item.
        raw: Value,
    },
    /// A gap in a group's or discussion's `seq`: messages `first..=last` never arrived.
    MessagesLost {
        /// Which conversation.
        chat: Chat,
        /// First missing seq.
        first: u64,
        /// Last missing seq.
        last: u64,
    },
    /// The message was sent.
    Sent {
        /// Which send.
        handle: MessageHandle,
    },
    /// The server answered ambiguously (1202, 100100) or the connection failed after the
    /// request was written: probably delivered, never resent automatically.
    Uncertain {
        /// Which send.
        handle: MessageHandle,
        /// The server's retcode, `None` for a transport failure.
        retcode: Option<i64>,
    },
    /// An `Uncertain` send was seen echoed back: it was delivered.
    Confirmed {
        /// Which send.
        handle: MessageHandle,
    },
    /// The message was certainly not delivered.
    SendFailed {
        /// Which send.
        handle: MessageHandle,
        /// Why.
        reason: SendFailure,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_goes_back_to_the_same_conversation_except_a_temporary_session() {
        let table = [
            (Chat::Friend(7), Some(Target::Friend(7))),
            (Chat::Group(8), Some(Target::Group(8))),
            (Chat::Discussion(9), Some(Target::Discussion(9))),
            (
                Chat::Session {
                    from_uin: 7,
                    via: 8,
                },
                None,
            ),
        ];
        for (chat, want) in table {
            assert_eq!(chat.reply_target(), want, "{chat:?}");
        }
    }
}
