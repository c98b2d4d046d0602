//! The `webqq` program end to end (issue 6, item 4: CLI tests).
mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use webqq_proto::emulator::{Profile, Target as EmuTarget};

const WEBQQ: &str = env!("CARGO_BIN_EXE_webqq");

#[test]
fn demo_logs_in_talks_both_ways_and_exits_zero() {
    let out = Command::new(WEBQQ)
        .args(["demo", "--duration", "5"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "fetching a QR code",
        "confirmed on the phone",
        "login2: opening the web session",
        "online as uin",
        "← [friend",
        "→ [",
        "✓ sent",
        "summary after",
        "latency      p50",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
}

#[test]
fn demo_with_a_password_profile_shows_the_captcha() {
    let out = Command::new(WEBQQ)
        .args(["demo", "--duration", "3", "--profile", "w2014"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("captcha image"), "{stdout}");
    assert!(stdout.contains("online as uin"), "{stdout}");
}

#[test]
fn bad_arguments_give_one_line_and_a_failure_code() {
    let out = Command::new(WEBQQ)
        .args(["run", "--qq", "1", "--password-file", "/nonexistent/pw"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot read password file"), "{stderr}");
}

/// Lines of a child's stdout, read on a thread.
struct Lines(mpsc::Receiver<String>);

impl Lines {
    fn next_matching(&self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .0
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {what} on stdout"));
            let v: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if pick(&v) {
                return v;
            }
        }
    }
}

#[test]
fn run_json_is_a_pipe_for_a_bot() {
    let (host, addr) = emulator(emulator_config(Profile::S2015));
    let mut child = Command::new(WEBQQ)
        .args([
            "run",
            "--json",
            "--qq",
            "10001",
            "--password-stdin",
            "--profile",
            "s2015",
        ])
        .args(["--emulator", &addr.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let lines = Lines(rx);
    writeln!(stdin, "password").unwrap();
    let online = lines.next_matching("online event", |v| v["sub_type"] == "online");
    assert_eq!(online["post_type"], "meta_event");
    assert_eq!(online["self_id"], BOT);

    smol::block_on(host.control(|e| e.say(BOB, EmuTarget::Group(GROUP), "hello pipe"))).unwrap();
    let msg = lines.next_matching("group message", |v| v["post_type"] == "message");
    assert_eq!(msg["message_type"], "group");
    assert_eq!(msg["raw_message"], "hello pipe");
    let gid = msg["group_id"].as_u64().expect("group_id");
    assert!(msg["user_id"].as_u64().is_some());

    let action = json!({"action": "send_group_msg", "params": {"group_id": gid, "message": "reply from the pipe"}, "echo": 7});
    writeln!(stdin, "{action}").unwrap();
    let reply = lines.next_matching("send reply", |v| v["echo"] == 7);
    assert_eq!(reply["status"], "ok", "{reply}");
    assert_eq!(reply["data"]["outcome"], "sent");
    let sent = smol::block_on(host.control(|e| e.sent(BOT)));
    assert_eq!(
        sent.last().map(|m| m.text.as_str()),
        Some("reply from the pipe")
    );

    writeln!(stdin, r#"{{"action": "get_group_list", "echo": "g"}}"#).unwrap();
    let groups = lines.next_matching("group list", |v| v["echo"] == "g");
    assert_eq!(groups["data"][0]["group_name"], "Rustaceans");
    writeln!(stdin, r#"{{"action": "no_such_thing", "echo": 1}}"#).unwrap();
    let unknown = lines.next_matching("unknown action reply", |v| v["echo"] == 1);
    assert_eq!(unknown["retcode"], 1404);

    writeln!(stdin, r#"{{"action": "quit"}}"#).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
}
