//! Fuzzes the message content codec (protocol §6.6, §7.2, §7.7) in both directions.
//!
//! Byte 0 picks the direction; the rest is the input.
//! - Receive (byte 0 even): the rest is a received `content` JSON array. Decoding never
//!   fails, keeps at most `MAX_SEGMENTS` (+1 marker), and what it decoded survives a send:
//!   encode it, let the server echo it, decode again, and the plain text and font are the same.
//! - Send (byte 0 odd): the rest is arbitrary text. `split_text` cuts it into parts of at most
//!   `MAX_MESSAGE_BYTES` whose concatenation is the text; each part, encoded for sending,
//!   echoed by the server and decoded, gives the part back.
//!
//! The server echo modelled here is what captures §45 and §49 show: the font moves first
//! and a space follows the last element (appended to it when it is text). Two transformations
//! are documented, so expected: `\r` arrives as `\n` (§6.6), and a message without text gets
//! the `"\n"` string the server needs (§7.2).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use webqq_proto::webqq::content::{
    Font, MAX_MESSAGE_BYTES, MAX_SEGMENTS, Message, SPLIT_WHITESPACE_FROM, Segment, split_text,
};

/// The sent `content` string as the receiving side gets it (see the module comment).
fn server_echo(sent: &str) -> Value {
    let Ok(Value::Array(mut items)) = serde_json::from_str::<Value>(sent) else {
        panic!("encode_for_send produced no JSON array: {sent}");
    };
    let font = items.pop().expect("no font element");
    assert_eq!(font[0], "font", "the font is not last: {sent}");
    match items.last_mut() {
        Some(Value::String(s)) => s.push(' '),
        _ => items.push(Value::String(" ".into())),
    }
    items.insert(0, font);
    Value::Array(items)
}

/// Whether `encode_for_send` writes a text element of its own for this message.
fn has_text(m: &Message) -> bool {
    m.segments.iter().any(|s| {
        matches!(
            s,
            Segment::Text(_) | Segment::CustomFace(_) | Segment::OffPic(_)
        )
    })
}

/// Sends `m` through the server echo and decodes it again.
fn round_trip(m: &Message) -> Message {
    Message::from_content(&server_echo(&m.encode_for_send()))
}

fn check_send_round_trip(m: &Message) {
    let back = round_trip(m);
    let mut want = m.plain_text().replace('\r', "\n");
    if !has_text(m) {
        want.push('\n');
    }
    assert_eq!(
        back.plain_text(),
        want,
        "plain text changed in a send round trip"
    );
    assert_eq!(back.font, Some(m.font.clone().unwrap_or_default()));
}

fuzz_target!(|data: &[u8]| {
    let [mode, input @ ..] = data else { return };
    if mode % 2 == 0 {
        let Ok(content) = serde_json::from_slice::<Value>(input) else {
            return;
        };
        let m = Message::from_content(&content);
        assert!(m.segments.len() <= MAX_SEGMENTS + 1);
        if let Some(Font { style, .. }) = &m.font {
            assert!(style.iter().all(|b| *b <= 1));
        }
        check_send_round_trip(&m);
        return;
    }

    let text = String::from_utf8_lossy(input);
    let parts = split_text(&text);
    assert_eq!(parts.concat(), text, "split lost or added bytes");
    if text.len() <= MAX_MESSAGE_BYTES {
        assert_eq!(parts, [&*text]);
    }
    for (i, part) in parts.iter().enumerate() {
        assert!(
            part.len() <= MAX_MESSAGE_BYTES,
            "part of {} bytes",
            part.len()
        );
        assert!(!part.is_empty() || text.is_empty(), "empty part");
        let last = i + 1 == parts.len();
        // §7.7: a cut not at whitespace falls within 3 bytes of the limit (a UTF-8 boundary).
        if !last && !part.ends_with(char::is_whitespace) {
            assert!(
                part.len() > MAX_MESSAGE_BYTES - 4,
                "early cut at {}",
                part.len()
            );
        }
        if !last && part.len() < SPLIT_WHITESPACE_FROM {
            panic!(
                "cut at {} bytes, before byte {SPLIT_WHITESPACE_FROM}",
                part.len()
            );
        }
        let m = Message::text(part);
        assert_eq!(
            m.plain_text(),
            *part,
            "face names did not survive Message::text"
        );
        check_send_round_trip(&m);
    }
});
