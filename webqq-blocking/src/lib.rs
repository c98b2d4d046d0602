//! # webqq-blocking
//!
//! The blocking adapter of webqq-rs on std::net and threads: [`Driver`] runs a
//! [`webqq_proto::http1::Agent`] in a loop over `poll_output`, reading sockets on the calling
//! thread (a blocking read when one connection is waiting for a response, which is the usual
//! case), with a watcher thread per connection that peeks when several sockets must be waited
//! on, and a thread per connection attempt. It holds no HTTP logic: every decision is the
//! agent's.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;

pub use driver::{Driver, Finished};
pub use webqq_proto as proto;
