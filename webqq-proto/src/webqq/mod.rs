//! The WebQQ / SmartQQ session layer (see `design.md`, layer `webqq`).
//!
//! - [`hash`]: the list hashes and ptlogin's small hashes (protocol §4).
//! - [`password`]: the `p` parameter of `/login`, schemes A, B, C (protocol §3.5), over
//!   [`qqtea`].
//! - [`secret`]: redacted wrappers for passwords, cookies and session keys.

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
