//! The WebQQ / SmartQQ session layer (see `design.md`, layer `webqq`).
//!
//! - [`hash`]: the list hashes and ptlogin's small hashes (protocol §4).
//! - [`password`]: the `p` parameter of `/login`, schemes A, B, C (protocol §3.5), over
//!   [`qqtea`].
//! - [`secret`]: redacted wrappers for passwords, cookies and session keys.
//! - [`profile`]: the era tables (hosts, referers, flows, body shapes), protocol §11.1.
//! - [`request`]: one request builder per endpoint.
//! - [`jscall`], [`login_decode`], [`model`], [`poll`], [`send_reply`], [`content`]: the
//!   decoders of every reply family and the message content codec, tested on real captures.
//! - [`session`]: the state machine tying them together.
//!
//! Commands of a [`session::Session`]: `start`, `submit_captcha`, `refresh_captcha`, `send`,
//! `load_group_members`, `load_discussion_members`, `resolve_qq`, `answer_friend_request`,
//! `refresh_contacts`, `logout`, `export_state`, `import_state`; plus `handle_response` / `handle_timeout` from the driver.
//! Events ([`session::Event`]): `LoginProgress`, `CaptchaRequired`, `QrCode`, `QrScanned`,
//! `QrConfirmed`, `QrExpired`, `Online`, `Offline`, `Kicked`, `Relinking`, `Relogin`,
//! `PtwebqqRotated`, `ContactsLoaded`, `ContactsChanged`, `GroupMembers`,
//! `DiscussionMembers`, `QqNumber`, `FriendRequestAnswered`, `Message`, `Notice`, `Unknown`,
//! `MessagesLost`, `Sent`, `Uncertain`, `Confirmed`, `SendFailed`.

pub mod content;
pub mod error;
pub mod hash;
pub mod jscall;
pub mod login_decode;
pub mod model;
pub mod password;
pub mod poll;
pub mod profile;
pub mod qqtea;
pub mod request;
pub mod secret;
pub mod send_reply;
pub mod session;
