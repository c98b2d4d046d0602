//! Embedding webqq-blocking: an echo bot on plain threads, no async runtime.
//!
//! Run against the emulator built into this example (no network needed):
//! `cargo run -p webqq-blocking --features emulator --example echo_bot`. Against a real
//! server, build the `SessionConfig` the same way without the emulator's `resolver`.
use std::net::TcpListener;
use std::time::Instant;

use webqq_blocking::serve::serve;
use webqq_blocking::{Resolver, Session, SessionConfig};
use webqq_proto::ClientConfig;
use webqq_proto::emulator::{Emulator, EmulatorConfig, Profile, Target as EmuTarget};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::session::{self, Event};

/// Logs in, answers one message with its echo, and returns what it echoed.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A server to talk to: the emulator with its demo world on a loopback port.
    let emulator = Emulator::new(EmulatorConfig::demo(Profile::S2015), Instant::now())?;
    let server = serve(emulator, TcpListener::bind("127.0.0.1:0")?)?;

    // The bot: password login to the demo world's account 10001.
    let mut s = session::SessionConfig::new(ProfileId::S2015, 10001);
    s.password = Some(PasswordMd5::from_password("password"));
    let mut config = SessionConfig::new(ClientConfig::new(s));
    config.resolver = Resolver::emulator(server.addr()); // every qq.com host → the emulator
    let session = Session::start(config)?;

    for event in session.events() {
        match event {
            Event::Online { uin } => {
                println!("online as {uin}");
                // Someone says hello (through the emulator's control API).
                server.control(|e| e.say(10002, EmuTarget::Buddy(10001), "hello, bot"))?;
            }
            Event::Message(m) if !m.is_self => {
                let text = m.message.plain_text();
                println!("got {text:?}");
                let Some(to) = m.chat.reply_target() else {
                    continue;
                };
                let outcome = session.send(to, Message::text(&text))?;
                println!("echoed: {outcome:?}");
                return Ok(());
            }
            Event::Offline { reason } => return Err(format!("offline: {reason:?}").into()),
            _ => {}
        }
    }
    Err("the session stopped".into())
}
