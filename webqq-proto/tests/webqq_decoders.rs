//! Property tests: no server reply can make a WebQQ decoder panic, and the content codec
//! keeps its promises.

use proptest::prelude::*;
use webqq_proto::webqq::content::{MAX_MESSAGE_BYTES, Message, Segment, split_text};
use webqq_proto::webqq::hash::ListHash;
use webqq_proto::webqq::login_decode::{parse_check_vc, parse_login_sig, parse_ptui_cb};
use webqq_proto::webqq::model::{FriendsResult, GroupInfoResult, decode_result};
use webqq_proto::webqq::poll::decode_poll;
use webqq_proto::webqq::send_reply::decode_send_reply;

/// Bytes that look like the replies (so the fuzzing reaches past the first byte).
fn replyish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "'",
        "(",
        ")",
        ";",
        "\\x",
        "\\u4F60",
        "retcode",
        "0",
        "116",
        "\"p\"",
        "result",
        "poll_type",
        "value",
        "message",
        "group_message",
        "content",
        "font",
        "face",
        "ptuiCB",
        "ptui_checkVC",
        "\"msg_id\"",
        "1",
        "-1",
        "1e400",
        "null",
        "\"from_uin\"",
        "\"seq\"",
        "\"time\"",
        "\u{1F600}",
        " ",
        "errCode",
        "errMsg",
    ]);
    prop::collection::vec(pieces, 0..64).prop_map(|v| v.concat().into_bytes())
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in prop_oneof![replyish(), prop::collection::vec(any::<u8>(), 0..256)]) {
        let _ = decode_poll(&bytes);
        let _ = decode_send_reply(&bytes);
        let _ = parse_check_vc(&bytes);
        let _ = parse_ptui_cb(&bytes);
        let _ = parse_login_sig(&bytes);
        let _ = decode_result::<FriendsResult>("friends", &bytes);
        let _ = decode_result::<GroupInfoResult>("group_info", &bytes);
    }

    #[test]
    fn split_text_rejoins_and_respects_the_limit(text in "(\\PC|\\s){0,1200}") {
        let parts = split_text(&text);
        prop_assert_eq!(parts.concat(), text.clone());
        for p in &parts {
            prop_assert!(p.len() <= MAX_MESSAGE_BYTES);
        }
    }

    #[test]
    fn text_survives_encode_for_send(text in "[a-z \\[\\]微笑你好]{0,40}") {
        let sent = Message::text(&text);
        let enc = sent.encode_for_send();
        let v: serde_json::Value = serde_json::from_str(&enc).unwrap();
        let items = v.as_array().unwrap();
        // Sent arrays put the font last; received ones first.
        let received: Vec<serde_json::Value> = std::iter::once(items[items.len() - 1].clone())
            .chain(items[..items.len() - 1].iter().cloned())
            .collect();
        let back = Message::from_content(&serde_json::Value::Array(received));
        let has_text = sent.segments.iter().any(|s| matches!(s, Segment::Text(_)));
        // A message without text gets "\n" appended (protocol §7.2, `lwqq`).
        let want = if has_text { text.clone() } else { format!("{text}\n") };
        // The receiver trims one trailing space (protocol §6.6).
        let want = want.strip_suffix(' ').unwrap_or(&want).to_string();
        prop_assert_eq!(back.plain_text(), want);
    }

    #[test]
    fn list_hashes_are_total(uin in any::<u64>(), pt in "\\PC{0,80}") {
        for v in ListHash::ALL {
            prop_assert!(!v.compute(uin, &pt).is_empty());
        }
    }
}
