//! The outbox: queued sends, pacing, `msg_id`s (protocol §7.3, §7.7).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::super::content::{MAX_MESSAGE_BYTES, Message, split_text};
use super::super::request::Target;
use super::event::MessageHandle;

/// One `send` call: one or more wire messages (long text is split, protocol §7.7), one outcome.
#[derive(Debug, Clone)]
pub struct PendingSend {
    /// The handle returned to the caller.
    pub handle: MessageHandle,
    /// Where it goes.
    pub target: Target,
    /// Wire messages still to send, in order.
    pub parts: VecDeque<Message>,
    /// The whole plain text (echo matching, identical-text pacing).
    pub text: String,
    /// Set when a part got an ambiguous answer: the final outcome is `Uncertain`.
    pub uncertain: Option<Option<i64>>,
    /// The one resend after a re-login (protocol §8.3) was used.
    pub resent: bool,
}

impl PendingSend {
    /// Splits `message` into wire parts.
    pub fn new(handle: MessageHandle, target: Target, message: Message) -> Self {
        let text = message.plain_text();
        let parts = if text.len() > MAX_MESSAGE_BYTES {
            split_text(&text).into_iter().map(Message::text).collect()
        } else {
            VecDeque::from([message])
        };
        PendingSend {
            handle,
            target,
            parts,
            text,
            uncertain: None,
            resent: false,
        }
    }
}

/// Protocol §7.3: `msg_id = t + (++sequence)` with `t = (seconds % 10000) * 10000` taken once;
/// here `t` comes from the seed (no clock in the core).
#[derive(Debug, Clone)]
pub struct MsgIds {
    base: u64,
    sequence: u64,
}

impl MsgIds {
    /// Starts at `(seed_value % 10000) * 10000`.
    pub fn new(seed_value: u64) -> Self {
        MsgIds {
            base: (seed_value % 10_000) * 10_000,
            sequence: 0,
        }
    }

    /// The next id.
    pub fn next_id(&mut self) -> u64 {
        self.sequence += 1;
        self.base + self.sequence
    }
}

/// Pacing rule of the seed (`twqq`, protocol §7.7): at least `interval` between sends, plus
/// one more interval when the text repeats the previous one (identical messages sent in
/// quick succession lost one of them).
pub fn earliest_send(
    last: Option<(Instant, &str)>,
    text: &str,
    interval: Duration,
) -> Option<Instant> {
    let (at, last_text) = last?;
    let extra = if last_text == text {
        interval
    } else {
        Duration::ZERO
    };
    Some(at + interval + extra)
}

/// The queue and the pacing memory.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Sends waiting, head first; the head may be in flight.
    pub queue: VecDeque<PendingSend>,
    /// Whether the head's current part is in flight.
    pub in_flight: bool,
    /// When and what was last put on the wire.
    pub last: Option<(Instant, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_id_rule() {
        let mut ids = MsgIds::new(1_234_569_131);
        assert_eq!(ids.next_id(), 91310001, "the official example (§7.3)");
        assert_eq!(ids.next_id(), 91310002);
    }

    #[test]
    fn pacing_rule() {
        let t0 = Instant::now();
        let i = Duration::from_millis(500);
        assert_eq!(earliest_send(None, "a", i), None);
        assert_eq!(earliest_send(Some((t0, "a")), "b", i), Some(t0 + i));
        assert_eq!(earliest_send(Some((t0, "a")), "a", i), Some(t0 + 2 * i));
    }

    #[test]
    fn long_text_becomes_several_parts() {
        let text = "字".repeat(500);
        let p = PendingSend::new(MessageHandle(1), Target::Friend(1), Message::text(&text));
        assert_eq!(p.parts.len(), 3);
        let joined: String = p.parts.iter().map(Message::plain_text).collect();
        assert_eq!(joined, text);
        let p = PendingSend::new(
            MessageHandle(2),
            Target::Friend(1),
            Message::text("hi[微笑]"),
        );
        assert_eq!(p.parts.len(), 1);
        assert_eq!(p.text, "hi[微笑]");
    }
}
