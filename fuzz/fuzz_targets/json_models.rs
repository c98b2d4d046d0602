//! Fuzzes the JSON envelope and the serde models of the login2 and contact replies
//! (protocol §1.3, §3.9, §3.10, §5), and the HTML unescaping of names (§5.1).
//!
//! Byte 0 picks the model; the rest is the 200 body. Besides "no panic" it asserts: errors
//! are typed (malformed or a retcode, named after the endpoint); a decoded model serializes
//! to a body that decodes to the same model (the emulator relies on that); decoded contact
//! lists can be loaded into a contact book and diffed; `html_unescape` never lengthens text
//! and leaves text without `&` alone.
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use webqq_proto::webqq::model::{
    C2cMsgSig, DiscussionInfoResult, DiscussionsResult, FriendUin2, FriendsResult, GroupInfoResult,
    GroupsResult, Login2Result, OnlineBuddy, SelfInfo, VfwebqqResult, decode_result, html_unescape,
    parse_envelope,
};
use webqq_proto::webqq::session::Contacts;

/// Decodes `body` as `T`; on success checks the serialize → decode round trip.
fn check<T>(what: &'static str, body: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    match decode_result::<T>(what, body) {
        Ok(model) => {
            let again = serde_json::to_vec(&serde_json::json!({"retcode": 0, "result": model}))
                .expect("a decoded model does not serialize");
            let back = decode_result::<T>(what, &again)
                .unwrap_or_else(|e| panic!("serialized {model:?} does not decode: {e}"));
            assert_eq!(back, model, "serialize → decode changed the model");
            Some(model)
        }
        Err(e) => {
            assert_eq!(e.what, what);
            assert!(e.is_malformed() || e.is_retcode(), "{e}");
            assert_eq!(e.is_retcode(), e.retcode().is_some_and(|r| r != 0));
            assert!(e.to_string().starts_with(&format!("{what} reply: ")));
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [model, body @ ..] = data else { return };
    if let Ok(env) = parse_envelope("fuzz", body) {
        assert!(env.raw.is_object());
    }
    let mut book = Contacts::default();
    match model % 11 {
        0 => drop(check::<VfwebqqResult>("getvfwebqq", body)),
        1 => drop(check::<Login2Result>("login2", body)),
        2 => {
            if let Some(r) = check::<FriendsResult>("get_user_friends2", body) {
                book.set_friends(r);
            }
        }
        3 => {
            if let Some(r) = check::<GroupsResult>("get_group_name_list_mask2", body) {
                book.set_groups(r);
            }
        }
        4 => {
            if let Some(r) = check::<GroupInfoResult>("get_group_info_ext2", body) {
                book.set_group_members(1, r);
            }
        }
        5 => {
            if let Some(r) = check::<DiscussionsResult>("get_discus_list", body) {
                book.set_discussions(r);
            }
        }
        6 => {
            if let Some(r) = check::<DiscussionInfoResult>("get_discu_info", body) {
                book.set_discussion_members(1, r);
            }
        }
        7 => {
            if let Some(list) = check::<Vec<OnlineBuddy>>("get_online_buddies2", body) {
                for b in list {
                    book.set_status(b.uin, Some(b.status));
                }
            }
        }
        8 => drop(check::<SelfInfo>("get_self_info2", body)),
        9 => drop(check::<FriendUin2>("get_friend_uin2", body)),
        _ => drop(check::<C2cMsgSig>("get_c2cmsg_sig2", body)),
    }
    let empty = Contacts::default();
    let _ = book.diff(&empty);
    let _ = empty.diff(&book);

    let text = String::from_utf8_lossy(body);
    let plain = html_unescape(&text);
    assert!(plain.len() <= text.len(), "unescaping lengthened the text");
    if !text.contains('&') {
        assert_eq!(plain, text);
    }
});
