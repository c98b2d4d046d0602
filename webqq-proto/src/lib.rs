//! # webqq-proto
//!
//! The sans-IO core of webqq-rs. It never touches a socket, a clock or a thread: it takes
//! bytes received, connection events and the current time, and gives back bytes to send,
//! connections to open or close, the next deadline, and events.
//!
//! Layers, bottom up (see `design.md`):
//! - [`http1::codec`]: HTTP/1.1 request encoding and incremental response decoding.
//! - [`http1::Agent`]: the request engine (pool, safe retries, deadlines, cookies).
//! - [`webqq`]: the WebQQ session (hashes, password schemes, decoders, the session machine).
//! - `emulator` (feature `emulator`): the WebQQ servers as a sans-IO state machine.
//! - [`Client`]: the session and the engine behind one `handle_input` / `poll_output` pair;
//!   adapters drive only this.
//!
//! ## Driving a [`Client`] by hand
//!
//! An adapter is a loop: carry out each [`client::Output`] until `Timeout(at)`, then wait for
//! I/O or `at` and feed what happened as an [`client::Input`]. Here the "network" is a
//! scripted server in memory that answers every request with a QR code, and time is virtual:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use webqq_proto::client::{Input, Output};
//! use webqq_proto::webqq::profile::ProfileId;
//! use webqq_proto::webqq::session::{Event, SessionConfig};
//! use webqq_proto::{Client, ClientConfig};
//!
//! // The scripted server: whatever is asked, a QR image and its `qrsig` cookie.
//! fn answer(_request: &[u8]) -> Vec<u8> {
//!     b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\
//!       Set-Cookie: qrsig=SIG; Path=/; Domain=ptlogin2.qq.com\r\n\
//!       Content-Length: 4\r\n\r\n\x89PNG"
//!         .to_vec()
//! }
//!
//! let mut now = Instant::now();
//! let config = ClientConfig::new(SessionConfig::new(ProfileId::S2018, 0)); // QR login
//! let mut client = Client::new(config, now);
//! client.start();
//!
//! let mut qr = None;
//! while qr.is_none() {
//!     match client.poll_output() {
//!         // Open a socket to origin.host:origin.port (here: nothing to open).
//!         Output::Connect { conn, origin } => {
//!             assert_eq!(origin.host, "ssl.ptlogin2.qq.com");
//!             client.handle_input(Input::Connected { conn });
//!         }
//!         // Write the bytes; whatever the server sends back is fed as `Data`.
//!         Output::Write { conn, bytes } => {
//!             let reply = answer(&bytes);
//!             client.handle_input(Input::Data { conn, bytes: &reply });
//!         }
//!         Output::Close { conn: _ } => {} // drop the socket
//!         Output::Event(Event::QrCode { png }) => qr = Some(png),
//!         Output::Event(other) => println!("{other:?}"),
//!         // Nothing to do until `at` (or until a socket is readable).
//!         Output::Timeout(at) => {
//!             now = at.max(now + Duration::from_millis(1));
//!             client.handle_input(Input::Time(now));
//!         }
//!     }
//! }
//! assert_eq!(&qr.unwrap()[..], b"\x89PNG");
//! // Show it; `QrScanned`, `QrConfirmed`, `Online`, `Message` … follow as the loop goes on.
//! // Commands are methods: `client.send(target, message)` returns a handle, and exactly
//! // one `Sent`, `Uncertain` or `SendFailed` event follows for it.
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use client::{Client, ClientConfig, ClientState};

mod burst;
pub mod client;
pub mod http1;
pub mod webqq;

#[cfg(feature = "emulator")]
pub mod emulator;
