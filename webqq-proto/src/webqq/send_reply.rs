//! Replies of `send_buddy_msg2`, `send_qun_msg2`, `send_discu_msg2`, `send_sess_msg2`
//! (protocol §7.6).

use serde_json::Value;

use super::error::DecodeError;
use super::model::parse_envelope;

/// What a send reply says happened to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendReply {
    /// `{"retcode":0,"result":"ok"}` or `{"errCode":0,"msg":"send ok"}`.
    Sent,
    /// 1202 ("probably failed, but usually delivered") or 100100 (reported delivered):
    /// never resent automatically.
    Uncertain(i64),
    /// 103 / 108 / 100012: the session is gone; the server refused the message, so it was
    /// not delivered and may be resent once after a re-login.
    SessionExpired(i64),
    /// Any other code (`100001` bad target, `errCode` ≠ 0, `errMsg:"ERROR"`).
    Failed(i64),
}

/// Decodes a 200 send reply.
pub fn decode_send_reply(body: &[u8]) -> Result<SendReply, DecodeError> {
    let env = parse_envelope("send_msg2", body)?;
    // `mojo` treats `errMsg":"ERROR"` as a hard failure whatever the code says.
    if env.raw.get("errMsg").and_then(Value::as_str) == Some("ERROR") {
        return Ok(SendReply::Failed(env.retcode.unwrap_or(-1)));
    }
    Ok(match env.retcode {
        Some(0) => SendReply::Sent,
        Some(c @ (1202 | 100100)) => SendReply::Uncertain(c),
        Some(c @ (103 | 108 | 100012)) => SendReply::SessionExpired(c),
        Some(c) => SendReply::Failed(c),
        None => SendReply::Failed(-1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reply_of_section_7_6() {
        let table: &[(&str, SendReply)] = &[
            (r#"{"retcode":0,"result":"ok"}"#, SendReply::Sent),
            (r#"{"errCode":0,"msg":"send ok"}"#, SendReply::Sent),
            (r#"{"errCode":3,"errMsg":"ERROR"}"#, SendReply::Failed(3)),
            (r#"{"errCode":0,"errMsg":"ERROR"}"#, SendReply::Failed(0)),
            (
                r#"{"retcode":100100,"result":"ok"}"#,
                SendReply::Uncertain(100100),
            ),
            (
                r#"{"errmsg":"error!!!","retcode":1202}"#,
                SendReply::Uncertain(1202),
            ),
            (
                r#"{"retcode":1202,"errmsg":""}"#,
                SendReply::Uncertain(1202),
            ),
            (r#"{"retcode":100001}"#, SendReply::Failed(100001)),
            (r#"{"retcode":100012}"#, SendReply::SessionExpired(100012)),
            (r#"{"retcode":108}"#, SendReply::SessionExpired(108)),
            (r#"{"retcode":103}"#, SendReply::SessionExpired(103)),
            (r#"{"msg":"?"}"#, SendReply::Failed(-1)),
        ];
        for (body, want) in table {
            assert_eq!(&decode_send_reply(body.as_bytes()).unwrap(), want, "{body}");
        }
        assert!(
            decode_send_reply(b"502 Bad Gateway")
                .unwrap_err()
                .is_malformed()
        );
    }
}
