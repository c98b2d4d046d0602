//! # webqq-blocking
//!
//! The blocking adapter of webqq-rs on std::net and threads: [`Driver`] runs a
//! [`webqq_proto::http1::Agent`] with one reader thread per connection and one thread per
//! connection attempt, all reporting to the driver's loop over `poll_output`. It holds no
//! HTTP logic: every decision is the agent's.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;

pub use driver::{Driver, Finished};
pub use webqq_proto as proto;
