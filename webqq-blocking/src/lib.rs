//! # webqq-blocking
//!
//! webqq-rs on std::net and threads. Two drivers, no HTTP or WebQQ logic in either:
//! - [`Session`] runs a [`webqq_proto::Client`] (the whole WebQQ client) on a thread of its
//!   own, with a reader thread per connection feeding the driver's channel, host overrides
//!   by a [`Resolver`] and TLS by rustls; a blocking API: events by
//!   [`recv`](Session::recv) / [`recv_timeout`](Session::recv_timeout) /
//!   [`events`](Session::events), [`send`](Session::send) returning the send's outcome.
//! - [`Driver`] runs a bare [`webqq_proto::http1::Agent`] for throughput, reading sockets on
//!   the calling thread (a blocking read when one connection is waiting for a response, the
//!   usual case), with a watcher thread per connection that peeks when several sockets must
//!   be waited on, and a thread per connection attempt.
//!
//! With the feature `emulator`, `serve::serve` hosts the sans-IO emulator on a
//! `TcpListener`. `examples/echo_bot.rs` is a complete bot against it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;
mod net;
pub mod resolve;
#[cfg(feature = "emulator")]
pub mod serve;
mod session;
pub mod tls;

pub use driver::{Driver, Finished};
pub use resolve::{Override, Resolver};
pub use session::{EVENT_BUFFER, INBOX, SendOutcome, Session, SessionConfig, Stopped};
pub use webqq_proto as proto;
