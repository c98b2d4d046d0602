//! # webqq-smol
//!
//! webqq-rs on smol / async-io: a [`Session`] drives a [`webqq_proto::Client`] over real
//! sockets (TLS by rustls, host overrides by a [`Resolver`]), and [`EmulatorHost`] serves the
//! sans-IO emulator on TCP and TLS listeners. The `webqq` program (`src/bin/webqq`) is built
//! on both. Every protocol decision is in `webqq-proto`; this crate moves bytes, arms timers
//! and hands out events.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod driver;
mod net;
pub mod onebot;
pub mod resolve;
pub mod serve;
pub mod tls;

pub use driver::{NetStats, SendOutcome, Session, SessionConfig, Spawner, Stopped};
pub use resolve::{Override, Resolver};
pub use serve::EmulatorHost;
pub use webqq_proto as proto;
