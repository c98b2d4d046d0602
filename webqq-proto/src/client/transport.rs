//! The one rule that joins the engine's failures to the session's: what a [`RequestError`]
//! means for a request that may or may not have reached the server.
use crate::http1::{RequestError, TimeoutPhase};
use crate::webqq::session::TransportError;

/// Maps the engine's error to the session's. `written_before` is what the client saw of the
/// request before it failed: some byte of it (on this or an earlier attempt) was handed out
/// for writing. `written` in the result means "any byte of the request may have reached the
/// server" (keepalive-race.md §6): a send that may have been applied is never resent and is
/// reported `Uncertain`, one that certainly was not is `SendFailed` (protocol §7.6).
pub(crate) fn transport_error(error: &RequestError, written_before: bool) -> TransportError {
    match error {
        // Refused by the encoder or the URI check: nothing was written.
        RequestError::InvalidRequest(e) => TransportError::NotSent(e.to_string()),
        // The connection for the (last) attempt never opened; an earlier attempt's bytes
        // may still have arrived.
        RequestError::ConnectFailed { error } if !written_before => {
            TransportError::Connect(error.to_string())
        }
        RequestError::ConnectFailed { .. } => TransportError::Closed { written: true },
        RequestError::ConnectionClosed { written, .. }
        | RequestError::ConnectionReset { written, .. } => TransportError::Closed {
            written: written_before || *written > 0,
        },
        // The head timer runs only once the request was handed out for writing.
        RequestError::Timeout(TimeoutPhase::Head) => TransportError::Timeout { written: true },
        RequestError::Timeout(TimeoutPhase::Connect | TimeoutPhase::Request) => {
            TransportError::Timeout {
                written: written_before,
            }
        }
        // A response (or a redirect) arrived: the server saw the request.
        e @ (RequestError::Decode(_)
        | RequestError::TooManyRedirects { .. }
        | RequestError::InvalidRedirect(_)) => TransportError::Other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::*;
    use crate::http1::codec::EncodeError;

    #[test]
    fn may_have_reached_server_table() {
        let closed = |written| RequestError::ConnectionClosed {
            reused: true,
            written,
            response_started: false,
        };
        let reset = |written| RequestError::ConnectionReset {
            error: ErrorKind::ConnectionReset,
            reused: false,
            written,
            response_started: false,
        };
        let connect = RequestError::ConnectFailed {
            error: ErrorKind::ConnectionRefused,
        };
        let invalid = RequestError::InvalidRequest(EncodeError::InvalidUri("x".into()));
        // (error, written seen before, may have reached the server)
        let cases = [
            (invalid, false, false),
            (connect.clone(), false, false),
            (connect, true, true),
            (closed(0), false, false),
            (closed(0), true, true),
            (closed(10), false, true),
            (reset(0), false, false),
            (reset(1), false, true),
            (RequestError::Timeout(TimeoutPhase::Connect), false, false),
            (RequestError::Timeout(TimeoutPhase::Request), false, false),
            (RequestError::Timeout(TimeoutPhase::Request), true, true),
            (RequestError::Timeout(TimeoutPhase::Head), false, true),
            (RequestError::TooManyRedirects { max: 5 }, false, true),
        ];
        for (error, before, want) in cases {
            let got = transport_error(&error, before);
            assert_eq!(
                got.may_have_reached_server(),
                want,
                "{error:?} {before} → {got:?}"
            );
        }
    }
}
