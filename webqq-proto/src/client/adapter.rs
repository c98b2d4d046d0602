//! Runtime-free pieces that every adapter's session handle (webqq-blocking, webqq-smol)
//! shares, so the adapters say them once and re-export them under their own names.

use std::fmt;

/// The adapter's driver (a thread or a task) has ended: it was stopped, dropped or panicked,
/// so the session can take no more commands and will produce no more events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the session has stopped")
    }
}

impl std::error::Error for Stopped {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopped_says_what_ended() {
        assert_eq!(Stopped.to_string(), "the session has stopped");
    }
}
