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
    fn next_matching(&self, what: &str, mut pick: impl FnMut(&Value) -> bool) -> Value {
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
    let first_id = reply["data"]["message_id"].as_u64().expect("message_id");
    let sent = smol::block_on(host.control(|e| e.sent(BOT)));
    assert_eq!(
        sent.last().map(|m| m.text.as_str()),
        Some("reply from the pipe")
    );

    writeln!(stdin, "{}", json!({"action": "send_group_msg", "params": {"group_id": gid, "message": "second"}, "echo": 8})).unwrap();
    let second = lines.next_matching("second send reply", |v| v["echo"] == 8);
    assert_eq!(
        second["data"]["message_id"].as_u64(),
        Some(first_id + 1),
        "each send has its own id: {second}"
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

/// Starts `webqq run --json` for the bot at `addr` with a state file; returns the child,
/// its stdin and its stdout lines.
fn run_json(
    addr: std::net::SocketAddr,
    state: &std::path::Path,
) -> (std::process::Child, std::process::ChildStdin, Lines) {
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
        .args(["--emulator", &addr.to_string(), "--state"])
        .arg(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
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
    writeln!(stdin, "password").unwrap();
    (child, stdin, Lines(rx))
}

#[test]
fn run_resumes_from_its_state_file_without_a_new_login() {
    let (_host, addr) = emulator(emulator_config(Profile::S2015));
    let state = std::env::temp_dir().join(format!("webqq-state-{}.json", std::process::id()));
    let (mut child, mut stdin, lines) = run_json(addr, &state);
    let steps = |lines: &Lines| {
        let mut steps = Vec::new();
        lines.next_matching("online event", |v| {
            if v["event"] == "login_progress" {
                steps.push(v["step"].as_str().unwrap_or("").to_string());
            }
            v["sub_type"] == "online"
        });
        steps
    };
    assert!(steps(&lines).contains(&"login".to_string()));
    writeln!(stdin, r#"{{"action": "quit"}}"#).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(state.exists());

    let (mut child, mut stdin, lines) = run_json(addr, &state);
    let second = steps(&lines);
    assert_eq!(
        second.first().map(String::as_str),
        Some("resume"),
        "{second:?}"
    );
    assert!(!second.contains(&"login".to_string()), "{second:?}");
    writeln!(stdin, r#"{{"action": "quit"}}"#).unwrap();
    assert!(child.wait().unwrap().success());
    std::fs::remove_file(&state).ok();
}

/// POSTs JSON to the emulator's control API over a plain socket; returns the body.
fn control(addr: std::net::SocketAddr, path: &str, body: &str) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /_emulator/{path} HTTP/1.1\r\nHost: w.qq.com\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{out}");
    body.to_string()
}

#[test]
fn emulator_command_serves_https_with_its_ca_and_the_control_api() {
    use webqq_proto::webqq::profile::ProfileId;
    use webqq_proto::webqq::session::Event;
    use webqq_smol::{Resolver, Session};

    let dir = std::env::temp_dir().join(format!("webqq-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let mut child = Command::new(WEBQQ)
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .args(["--profile", "s2018", "--ca-out"])
        .arg(&ca)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut addr_after = |marker: &str| -> std::net::SocketAddr {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let rest = &line[line.find(marker).unwrap_or_else(|| panic!("{line}")) + marker.len()..];
        rest.split(|c: char| c == ';' || c.is_whitespace())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let plain = addr_after("http://");
    let secure = addr_after("https://");
    let mut config = session_config(ProfileId::S2018, 0, None, plain)
        .trust_ca_file(&ca)
        .unwrap();
    config.resolver = Resolver::emulator_tls(plain, secure);
    let session = Session::start(config);
    within(20, "QR login through the control API over TLS", async {
        loop {
            match session.next_event().await.unwrap() {
                Event::QrCode { .. } => {
                    let scan = control(plain, "qr/scan", "{}");
                    assert!(scan.contains("\"ok\":true"), "{scan}");
                    let confirm = control(plain, "qr/confirm", r#"{"qq":10001}"#);
                    assert!(confirm.contains("\"ok\":true"), "{confirm}");
                }
                Event::Online { uin } => {
                    assert_eq!(uin, BOT);
                    break;
                }
                Event::Offline { reason } => panic!("{reason:?}"),
                _ => {}
            }
        }
        let said = control(
            plain,
            "say",
            r#"{"from":10002,"to":{"buddy":10001},"text":"over TLS"}"#,
        );
        assert!(said.contains("\"ok\":true"), "{said}");
        loop {
            if let Event::Message(m) = session.next_event().await.unwrap() {
                assert_eq!(m.message.plain_text(), "over TLS");
                break;
            }
        }
        // s2018 origins are all https and port 443 resolves only to the TLS listener: the
        // login and polls above went through rustls, trusting the CA the command wrote.
    });
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
