//! # webqq-proto
//!
//! The sans-IO core of webqq-rs. It never touches a socket, a clock or a thread: it takes
//! bytes received, connection events and the current time, and gives back bytes to send,
//! connections to open or close, the next deadline, and events.
//!
//! Layers, bottom up (see `design.md`):
//! - [`http1::codec`]: HTTP/1.1 request encoding and incremental response decoding.
//! - [`webqq`]: the WebQQ session (hashes, password schemes, decoders, the session machine).
//! - `emulator` (feature `emulator`): the WebQQ servers as a sans-IO state machine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod http1;
pub mod webqq;

#[cfg(feature = "emulator")]
pub mod emulator;
