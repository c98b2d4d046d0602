//! `webqq run`: a real client, interactive or as a JSON-lines pipe.
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use smol::future::FutureExt;
use smol::io::AsyncBufReadExt;
use smol::stream::StreamExt;
use webqq_proto::emulator::Profile;
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{self, Event};
use webqq_proto::{ClientConfig, ClientState};
use webqq_smol::{Resolver, SendOutcome, Session, SessionConfig, tls};

use crate::names::Names;
use crate::style::{bold, cyan, dim, green, red, yellow};
use crate::{Error, RunArgs, json};

/// Where a QR code image is written for the user to scan.
const QR_FILE: &str = "webqq-qr.png";

pub fn main(args: RunArgs) -> Result<(), Error> {
    smol::block_on(run(args))
}

pub(crate) fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string()
}

async fn run(args: RunArgs) -> Result<(), Error> {
    let mut lines = smol::io::BufReader::new(smol::Unblock::new(std::io::stdin())).lines();
    let password = if args.password_stdin {
        let line = lines.next().await.ok_or("no password on stdin")??;
        Some(first_line(&line))
    } else {
        None
    };
    let config = session_config(&args, password)?;
    let session = Arc::new(Session::start(config));
    let mut ui = Ui {
        json: args.json,
        names: Names::default(),
        session: Arc::clone(&session),
    };
    if !ui.json {
        println!("{}", dim("type `help` for commands"));
    }
    enum Next {
        Event(Option<Event>),
        Line(Option<std::io::Result<String>>),
    }
    loop {
        let next = async { Next::Event(session.next_event().await) }
            .or(async { Next::Line(lines.next().await) })
            .await;
        match next {
            Next::Event(None) => return Err("the session stopped".into()),
            Next::Event(Some(e)) => {
                let offline = matches!(e, Event::Offline { .. });
                // The tokens to resume with are new after a login and after a rotation.
                let save = matches!(e, Event::Online { .. } | Event::PtwebqqRotated);
                ui.event(e).await;
                if save {
                    save_state(&session, args.state.as_deref()).await;
                }
                if offline {
                    return Err("offline".into());
                }
            }
            Next::Line(None) => break,
            Next::Line(Some(line)) => {
                if !ui.command(line?.trim()).await {
                    break;
                }
            }
        }
    }
    save_state(&session, args.state.as_deref()).await;
    Ok(())
}

/// The session `args` ask for (also used by `webqq onebot`); `password` read from stdin
/// already when `--password-stdin`.
pub(crate) fn session_config(
    args: &RunArgs,
    password: Option<String>,
) -> Result<SessionConfig, Error> {
    let password = match (&args.password_file, password) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read password file {}: {e}", path.display()))?;
            Some(first_line(&text))
        }
        (None, p) => p,
    };
    let profile = args.profile.unwrap_or(if args.qr {
        Profile::S2018
    } else {
        Profile::S2015
    });
    let mut s = session::SessionConfig::new(profile.into(), args.qq.unwrap_or(0));
    s.password = password.as_deref().map(PasswordMd5::from_password);
    s.seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut config = SessionConfig::new(ClientConfig::new(s));
    let mut resolver = Resolver::new();
    for o in args.resolve.iter().cloned() {
        resolver.add(o);
    }
    if let Some(addr) = args.emulator {
        for o in Resolver::emulator(addr).overrides() {
            resolver.add(o.clone());
        }
    }
    config.resolver = resolver;
    if let Some(ca) = &args.ca {
        config.tls = Some(tls::client_config(Some(ca))?);
    }
    if let Some(path) = &args.state
        && path.exists()
    {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read state file {}: {e}", path.display()))?;
        let state: ClientState = serde_json::from_str(&text)
            .map_err(|e| format!("state file {}: {e}", path.display()))?;
        config.resume = Some(state);
    }
    Ok(config)
}

pub(crate) async fn save_state(session: &Session, path: Option<&Path>) {
    let Some(path) = path else { return };
    if let Ok(Some(state)) = session.export_state().await {
        match serde_json::to_string(&state) {
            Ok(text) => {
                if let Err(e) = std::fs::write(path, text) {
                    tracing::warn!("cannot save state to {}: {e}", path.display());
                }
            }
            Err(e) => tracing::warn!("cannot encode state: {e}"),
        }
    }
}

struct Ui {
    json: bool,
    names: Names,
    session: Arc<Session>,
}

impl Ui {
    async fn refresh_names(&mut self) {
        let me = self.names.me;
        if let Ok(n) = self
            .session
            .with_client(move |c, _| Names::from_contacts(me, c.session().contacts()))
            .await
        {
            self.names = n;
        }
    }

    async fn event(&mut self, e: Event) {
        match &e {
            Event::Online { uin } => {
                self.names.me = *uin;
                self.refresh_names().await;
            }
            Event::ContactsLoaded
            | Event::GroupMembers { .. }
            | Event::DiscussionMembers { .. } => self.refresh_names().await,
            Event::QrCode { png } => {
                if let Err(err) = std::fs::write(QR_FILE, png) {
                    tracing::warn!("cannot write {QR_FILE}: {err}");
                }
            }
            _ => {}
        }
        if self.json {
            if let Some(v) = json::event(&e, &self.names, Some(QR_FILE)) {
                println!("{v}");
            }
            return;
        }
        match e {
            Event::LoginProgress { step } => {
                println!("{} {}", cyan("login"), crate::demo::step_text(step))
            }
            Event::CaptchaRequired { image } => {
                std::fs::write("webqq-captcha.jpg", &image).ok();
                println!(
                    "{} captcha written to webqq-captcha.jpg; type `captcha CODE`",
                    yellow("login")
                );
            }
            Event::QrCode { .. } => println!("{} scan {QR_FILE} with mobile QQ", yellow("login")),
            Event::QrScanned => println!("{} scanned; confirm on the phone", cyan("login")),
            Event::QrConfirmed => println!("{} confirmed", cyan("login")),
            Event::Online { uin } => println!(
                "{} online as uin {uin}: {} friends, {} groups, {} discussions",
                green("ready"),
                self.names.friends.len(),
                self.names.groups.len(),
                self.names.discussions.len()
            ),
            Event::Message(m) => println!(
                "[{}] {}: {}",
                self.names.chat(m.chat),
                bold(&self.names.sender(m.chat, m.sender)),
                m.message.plain_text()
            ),
            Event::Offline { reason } => println!("{} offline: {reason:?}", red("net")),
            Event::Kicked { reason } => println!("{} kicked: {reason}", red("net")),
            Event::Relinking { .. } | Event::Relogin { .. } => println!("{} {e:?}", yellow("net")),
            other => tracing::debug!(?other),
        }
    }

    /// Carries out one command line; `false` to quit.
    async fn command(&mut self, line: &str) -> bool {
        if line.is_empty() {
            return true;
        }
        if self.json {
            return self.json_command(line).await;
        }
        let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
        match cmd {
            "quit" | "exit" => return false,
            "help" => println!(
                "friends · groups · discussions · say <target> <text> · captcha <code> · status · quit\n\
                 <target>: a name or id, optionally as friend:…, group:…, discussion:…"
            ),
            "friends" => list(&self.names.friends),
            "groups" => list(&self.names.groups),
            "discussions" => list(&self.names.discussions),
            "captcha" => {
                let code = rest.trim().to_string();
                let _ = self
                    .session
                    .with_client(move |c, _| c.submit_captcha(&code))
                    .await;
            }
            "status" => {
                let s = self
                    .session
                    .with_client(|c, n| {
                        format!(
                            "{:?} · {:?} · {} connections",
                            c.phase(),
                            c.agent().stats(),
                            n.connected
                        )
                    })
                    .await;
                println!("{}", s.unwrap_or_default());
            }
            "say" => {
                let Some((who, text)) = rest.trim().split_once(' ') else {
                    println!("usage: say <target> <text>");
                    return true;
                };
                match find_target(&self.names, who) {
                    Some(target) => self.spawn_send(target, text.to_string(), Value::Null),
                    None => println!("{} no friend, group or discussion {who:?}", red("error")),
                }
            }
            _ => println!("unknown command {cmd:?}; try `help`"),
        }
        true
    }

    fn spawn_send(&self, target: Target, text: String, echo: Value) {
        let session = Arc::clone(&self.session);
        let json = self.json;
        smol::spawn(async move {
            let outcome = session.send_tracked(target, Message::text(&text)).await;
            if json {
                let v = match outcome {
                    Ok((handle, SendOutcome::Sent)) => json::reply(
                        true,
                        0,
                        json!({"message_id": handle.0, "outcome": "sent"}),
                        &echo,
                    ),
                    Ok((handle, SendOutcome::Uncertain { retcode })) => json::reply(
                        true,
                        0,
                        json!({"message_id": handle.0, "outcome": "uncertain", "server_retcode": retcode}),
                        &echo,
                    ),
                    Ok((handle, SendOutcome::Failed(why))) => json::reply(
                        false,
                        100,
                        json!({"message_id": handle.0, "outcome": "failed", "reason": why.to_string()}),
                        &echo,
                    ),
                    Err(e) => json::reply(
                        false,
                        100,
                        json!({"outcome": "failed", "reason": e.to_string()}),
                        &echo,
                    ),
                };
                println!("{v}");
            } else {
                match outcome {
                    Ok((_, SendOutcome::Sent)) => println!("{} {text}", green("✓ sent")),
                    Ok((_, o)) => println!("{} {text}: {o:?}", yellow("?")),
                    Err(e) => println!("{} {e}", red("✗")),
                }
            }
        })
        .detach();
    }

    async fn json_command(&mut self, line: &str) -> bool {
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                println!(
                    "{}",
                    json::reply(false, 1400, json!({"error": e.to_string()}), &Value::Null)
                );
                return true;
            }
        };
        let echo = v.get("echo").cloned().unwrap_or(Value::Null);
        let params = v.get("params").cloned().unwrap_or(json!({}));
        let id = |k: &str| params.get(k).and_then(Value::as_u64);
        let text = params
            .get("message")
            .and_then(Value::as_str)
            .map(String::from);
        let action = v.get("action").and_then(Value::as_str).unwrap_or("");
        let target = match action {
            "send_private_msg" => id("user_id").map(Target::Friend),
            "send_group_msg" => id("group_id").map(Target::Group),
            "send_discuss_msg" => id("discuss_id").map(Target::Discussion),
            _ => None,
        };
        let bad = |what: &str| json::reply(false, 1400, json!({"error": what}), &echo);
        let answer = match action {
            "send_private_msg" | "send_group_msg" | "send_discuss_msg" => match (target, text) {
                (Some(t), Some(text)) => {
                    self.spawn_send(t, text, echo);
                    return true;
                }
                _ => bad("params need the id and `message`"),
            },
            "get_friend_list" => {
                let list: Vec<Value> = self
                    .names
                    .friends
                    .iter()
                    .map(|(uin, n)| json!({"user_id": uin, "nickname": n}))
                    .collect();
                json::reply(true, 0, list.into(), &echo)
            }
            "get_group_list" => {
                let list: Vec<Value> = self
                    .names
                    .groups
                    .iter()
                    .map(|(g, n)| json!({"group_id": g, "group_name": n}))
                    .collect();
                json::reply(true, 0, list.into(), &echo)
            }
            "get_discuss_list" => {
                let list: Vec<Value> = self
                    .names
                    .discussions
                    .iter()
                    .map(|(d, n)| json!({"discuss_id": d, "discuss_name": n}))
                    .collect();
                json::reply(true, 0, list.into(), &echo)
            }
            "get_status" => {
                let phase = self
                    .session
                    .with_client(|c, _| format!("{:?}", c.phase()))
                    .await
                    .unwrap_or_default();
                json::reply(
                    true,
                    0,
                    json!({"online": self.names.me != 0, "phase": phase, "self_id": self.names.me}),
                    &echo,
                )
            }
            "submit_captcha" => match params.get("code").and_then(Value::as_str) {
                Some(code) => {
                    let code = code.to_string();
                    let _ = self
                        .session
                        .with_client(move |c, _| c.submit_captcha(&code))
                        .await;
                    json::reply(true, 0, Value::Null, &echo)
                }
                None => bad("params need `code`"),
            },
            // Leaves the session alive on the server, to be resumed with --state.
            "quit" => {
                println!("{}", json::reply(true, 0, Value::Null, &echo));
                return false;
            }
            "logout" => {
                let _ = self.session.with_client(|c, _| c.logout()).await;
                json::reply(true, 0, Value::Null, &echo)
            }
            other => json::reply(
                false,
                1404,
                json!({"error": format!("unknown action {other:?}")}),
                &echo,
            ),
        };
        println!("{answer}");
        true
    }
}

fn list(m: &std::collections::HashMap<u64, String>) {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.1.cmp(b.1));
    for (id, name) in v {
        println!("  {id:>12}  {name}");
    }
}

/// `friend:Alice`, `group:Rustaceans`, `discussion:lunch`, or a bare name or id.
fn find_target(names: &Names, spec: &str) -> Option<Target> {
    let (kind, key) = match spec.split_once(':') {
        Some((k, v)) => (Some(k), v),
        None => (None, spec),
    };
    // An id or a whole name, else the one name starting with `key` (any case).
    let find = |m: &std::collections::HashMap<u64, String>| {
        let exact = m
            .iter()
            .find(|(id, n)| id.to_string() == key || n.eq_ignore_ascii_case(key));
        if let Some((id, _)) = exact {
            return Some(*id);
        }
        let key = key.to_lowercase();
        let mut starts = m.iter().filter(|(_, n)| n.to_lowercase().starts_with(&key));
        match (starts.next(), starts.next()) {
            (Some((id, _)), None) => Some(*id),
            _ => None,
        }
    };
    let friend = || find(&names.friends).map(Target::Friend);
    let group = || find(&names.groups).map(Target::Group);
    let disc = || find(&names.discussions).map(Target::Discussion);
    match kind {
        Some("friend" | "f") => friend(),
        Some("group" | "g") => group(),
        Some("discussion" | "d") => disc(),
        _ => friend().or_else(group).or_else(disc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_by_id_whole_name_or_unique_prefix() {
        let mut names = Names::default();
        names.friends.insert(11, "Alice (work)".into());
        names.friends.insert(12, "Bob".into());
        names.friends.insert(13, "Bobby".into());
        names.groups.insert(21, "Rustaceans".into());
        names.discussions.insert(31, "lunch".into());
        let cases = [
            ("11", Some(Target::Friend(11))),
            ("alice", Some(Target::Friend(11))),
            ("bob", Some(Target::Friend(12))), // a whole name beats a longer one
            ("bo", None),                      // ambiguous prefix
            ("group:rust", Some(Target::Group(21))),
            ("Rustaceans", Some(Target::Group(21))),
            ("d:lunch", Some(Target::Discussion(31))),
            ("friend:lunch", None),
            ("nobody", None),
        ];
        for (spec, want) in cases {
            assert_eq!(find_target(&names, spec), want, "{spec}");
        }
    }
}
