//! # webqq-blocking
//!
//! The blocking adapter of webqq-rs on std::net and threads. It is thin for now: the request
//! engine issue gives it a driver loop over the core's `poll_output`. Today it only re-exports
//! the core.
#![forbid(unsafe_code)]

pub use webqq_proto as proto;
