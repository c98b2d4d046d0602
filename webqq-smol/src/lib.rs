//! # webqq-smol
//!
//! The async adapter of webqq-rs on smol / async-io. It is thin for now: it will own a
//! `webqq_proto` client and run its `poll_output` loop on async-io sockets and timers
//! (the adapters issue). Today it only re-exports the core.
#![forbid(unsafe_code)]

pub use webqq_proto as proto;
