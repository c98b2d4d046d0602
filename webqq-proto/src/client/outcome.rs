//! How one send ended, as both adapters hand it to the application: the first of the
//! session's `Sent`, `Uncertain` or `SendFailed` events for its handle.
use crate::webqq::session::{Event, MessageHandle, SendFailure};

/// How one send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered.
    Sent,
    /// Probably delivered, not resent (retcode 1202 / 100100, or the connection failed after
    /// the request was written); a `Confirmed` event may follow on the event stream.
    Uncertain {
        /// The server's retcode; `None` for a transport failure.
        retcode: Option<i64>,
    },
    /// Certainly not delivered.
    Failed(SendFailure),
}

impl SendOutcome {
    /// The send an event ends and how, if it ends one.
    pub fn of(event: &Event) -> Option<(MessageHandle, SendOutcome)> {
        match event {
            Event::Sent { handle } => Some((*handle, SendOutcome::Sent)),
            Event::Uncertain { handle, retcode } => {
                Some((*handle, SendOutcome::Uncertain { retcode: *retcode }))
            }
            Event::SendFailed { handle, reason } => {
                Some((*handle, SendOutcome::Failed(reason.clone())))
            }
            _ => None,
        }
    }

    /// `sent`, `uncertain` or `failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            SendOutcome::Sent => "sent",
            SendOutcome::Uncertain { .. } => "uncertain",
            SendOutcome::Failed(_) => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_three_ending_events_end_a_send() {
        let h = MessageHandle(7);
        let cases = [
            (Event::Sent { handle: h }, Some("sent")),
            (
                Event::Uncertain {
                    handle: h,
                    retcode: Some(1202),
                },
                Some("uncertain"),
            ),
            (
                Event::SendFailed {
                    handle: h,
                    reason: SendFailure::Server(100012),
                },
                Some("failed"),
            ),
            (Event::QrConfirmed, None),
        ];
        for (event, want) in cases {
            let got = SendOutcome::of(&event);
            assert_eq!(got.as_ref().map(|(_, o)| o.kind()), want, "{event:?}");
            if let Some((handle, _)) = got {
                assert_eq!(handle, h);
            }
        }
    }
}
