//! The demo bot's answers: a few commands, and an echo of anything else.
use std::time::{SystemTime, UNIX_EPOCH};

/// The reply to `text`, or `None` for nothing (empty messages).
pub fn answer(text: &str, now: SystemTime) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (command, rest) = text.split_once(' ').unwrap_or((text, ""));
    Some(match command.to_ascii_lowercase().as_str() {
        "time" => format!("it is {} UTC", clock(now)),
        "ping" => "pong".into(),
        "help" => "I answer: time, ping, help, echo <text>; anything else comes back".into(),
        "echo" if !rest.is_empty() => rest.trim().to_string(),
        _ => format!("you said: {text}"),
    })
}

/// `HH:MM:SS` of the UTC day.
fn clock(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn commands_and_echo() {
        let t = UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 13 * 3600 + 5 * 60 + 9);
        let cases = [
            ("time", Some("it is 13:05:09 UTC")),
            (" PING ", Some("pong")),
            ("echo  hi there", Some("hi there")),
            ("hello", Some("you said: hello")),
            ("echo", Some("you said: echo")),
            ("   ", None),
        ];
        for (text, want) in cases {
            assert_eq!(answer(text, t).as_deref(), want, "{text:?}");
        }
        assert!(answer("help", t).unwrap().contains("time"));
    }
}
