//! # webqq-smol
//!
//! webqq-rs on smol / async-io: a [`Session`] drives a [`webqq_proto::Client`] over real
//! sockets (TLS by rustls, host overrides by a [`Resolver`]), and [`EmulatorHost`] serves the
//! sans-IO emulator on TCP and TLS listeners; [`HttpDriver`] runs the HTTP/1.1 request engine
//! alone for an application's own requests. The `webqq` program (`src/bin/webqq`) is built on
//! the first two. Every protocol decision is in `webqq-proto`; this crate moves bytes, arms timers
//! and hands out events.
//!
//! ```no_run
//! use webqq_proto::ClientConfig;
//! use webqq_proto::webqq::profile::ProfileId;
//! use webqq_proto::webqq::session::{self, Event};
//! use webqq_smol::{Session, SessionConfig};
//!
//! smol::block_on(async {
//!     // QR login (no password) against the real hosts; see `Resolver` to point elsewhere.
//!     let config = SessionConfig::new(ClientConfig::new(session::SessionConfig::new(
//!         ProfileId::S2018,
//!         0,
//!     )));
//!     let session = Session::start(config);
//!     while let Some(event) = session.next_event().await {
//!         if let Event::Message(m) = event {
//!             println!("{:?}: {}", m.chat, m.message.plain_text());
//!         }
//!     }
//! });
//! ```
//!
//! `examples/echo_bot.rs` is a complete bot against the emulator.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod driver;
pub mod http_driver;
mod net;
pub mod onebot;
pub mod resolve;
pub mod serve;
mod sockets;
pub mod tls;

pub use driver::{NetStats, SendOutcome, Session, SessionConfig, Spawner, Stopped};
pub use http_driver::HttpDriver;
pub use resolve::{Override, Resolver};
pub use serve::EmulatorHost;
pub use webqq_proto as proto;
