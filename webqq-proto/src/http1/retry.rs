//! When a failed attempt is sent again: one pure function per rule (keepalive-race.md §6, §8).
use http::{Method, StatusCode};

use super::Replay;

/// What is known about one failed attempt on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// The connection had carried an earlier exchange (it came from the idle pool).
    pub reused: bool,
    /// Request bytes handed out for writing.
    pub written: u64,
    /// At least one response byte arrived.
    pub response_started: bool,
}

/// RFC 9110 §9.2.2: "the request methods defined by this specification [that are idempotent
/// are] PUT, DELETE, and safe request methods" (GET, HEAD, OPTIONS, TRACE).
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Whether a request may be sent twice: `Auto` follows the method, the others are the caller's
/// word.
pub fn is_replayable(method: &Method, replay: Replay) -> bool {
    match replay {
        Replay::Auto => is_idempotent(method),
        Replay::Always => true,
        Replay::Never => false,
    }
}

/// Retry once, on a fresh connection, only when the connection was reused and either nothing
/// was written, or the request is replayable and no response byte arrived. Never after a
/// fresh connection (it had no reason to be stale, and retrying could loop against a server
/// that hangs up on this request: Go's `shouldRetryRequest`), never after a response byte,
/// never twice (RFC 9110 §9.2.2: "a client SHOULD NOT automatically retry a failed automatic
/// retry").
pub fn should_retry(attempt: Attempt, replayable: bool, already_retried: bool) -> bool {
    if already_retried || !attempt.reused || attempt.response_started {
        return false;
    }
    attempt.written == 0 || replayable
}

/// RFC 9110 §15.5.9: 408 means "the server did not receive a complete request message within
/// the time that it was prepared to wait", and "if the client has an outstanding request in
/// transit, it MAY repeat that request". On a reused connection a 408 is the server closing
/// it as idle just as the request went out (keepalive-race.md §1), so the request is sent
/// again once, on a fresh connection, whatever its method. On a fresh connection, or after a
/// retry, the 408 is the answer.
pub fn should_retry_after_408(status: StatusCode, reused: bool, already_retried: bool) -> bool {
    status == StatusCode::REQUEST_TIMEOUT && reused && !already_retried
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotent_methods_rfc9110() {
        let cases = [
            (Method::GET, true),
            (Method::HEAD, true),
            (Method::OPTIONS, true),
            (Method::TRACE, true),
            (Method::PUT, true),
            (Method::DELETE, true),
            (Method::POST, false),
            (Method::PATCH, false),
            (Method::CONNECT, false),
        ];
        for (m, want) in cases {
            assert_eq!(is_idempotent(&m), want, "{m}");
        }
    }

    #[test]
    fn replay_policy_table() {
        let cases = [
            (Method::GET, Replay::Auto, true),
            (Method::POST, Replay::Auto, false),
            (Method::POST, Replay::Always, true),
            (Method::GET, Replay::Never, false),
        ];
        for (m, r, want) in cases {
            assert_eq!(is_replayable(&m, r), want, "{m} {r:?}");
        }
    }

    #[test]
    fn should_retry_table() {
        let a = |reused, written, response_started| Attempt {
            reused,
            written,
            response_started,
        };
        // (attempt, replayable, already retried, retry?)
        let cases = [
            // The stale keep-alive case: reused, request written, no response byte.
            (a(true, 120, false), true, false, true),
            (a(true, 120, false), false, false, false),
            // Nothing written reached the server: any method.
            (a(true, 0, false), false, false, true),
            // Fresh connection: never.
            (a(false, 0, false), true, false, false),
            (a(false, 120, false), true, false, false),
            // A response byte arrived: never.
            (a(true, 120, true), true, false, false),
            // Never twice.
            (a(true, 0, false), true, true, false),
        ];
        for (attempt, replayable, retried, want) in cases {
            assert_eq!(
                should_retry(attempt, replayable, retried),
                want,
                "{attempt:?} {replayable} {retried}"
            );
        }
    }

    #[test]
    fn retry_after_408_table() {
        let cases = [
            (408, true, false, true),
            (408, false, false, false),
            (408, true, true, false),
            (503, true, false, false),
            (200, true, false, false),
        ];
        for (status, reused, retried, want) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(
                should_retry_after_408(status, reused, retried),
                want,
                "{status} {reused} {retried}"
            );
        }
    }
}
