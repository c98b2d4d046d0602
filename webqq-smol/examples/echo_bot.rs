//! Embedding webqq-smol: an echo bot on smol.
//!
//! Run against the emulator built into this example (no network needed):
//! `cargo run -p webqq-smol --example echo_bot`. Against a real server or a running
//! `webqq emulator`, build the `SessionConfig` the same way with its `resolver` and `tls`.
use std::time::Duration;

use webqq_proto::ClientConfig;
use webqq_proto::emulator::{EmulatorConfig, Profile, Target as EmuTarget};
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::password::PasswordMd5;
use webqq_proto::webqq::profile::ProfileId;
use webqq_proto::webqq::session::{self, Event};
use webqq_smol::{EmulatorHost, Resolver, Session, SessionConfig};

/// Logs in, answers one message with its echo, and returns.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    smol::block_on(async {
        // A server to talk to: the emulator with its demo world on a loopback port.
        let mut host = EmulatorHost::start(EmulatorConfig::demo(Profile::S2015))?;
        let addr = host.listen("127.0.0.1:0".parse()?)?;

        // The bot: password login to the demo world's account 10001.
        let mut s = session::SessionConfig::new(ProfileId::S2015, 10001);
        s.password = Some(PasswordMd5::from_password("password"));
        let mut config = SessionConfig::new(ClientConfig::new(s));
        config.resolver = Resolver::emulator(addr); // every qq.com host → the emulator
        let session = Session::start(config);

        let mut answered = 0;
        while let Some(event) = session.next_event().await {
            match event {
                Event::Online { uin } => {
                    println!("online as {uin}");
                    // Someone says hello (through the emulator's control API).
                    host.control(|e| e.say(10002, EmuTarget::Buddy(10001), "hello, bot"))
                        .await?;
                }
                Event::Message(m) if !m.is_self => {
                    let text = m.message.plain_text();
                    println!("got {text:?}");
                    let Some(to) = m.chat.reply_target() else {
                        continue;
                    };
                    let outcome = session.send(to, Message::text(&text)).await?;
                    println!("echoed: {outcome:?}");
                    answered += 1;
                    if answered == 1 {
                        break;
                    }
                }
                Event::Offline { reason } => return Err(format!("offline: {reason:?}").into()),
                _ => {}
            }
        }
        smol::Timer::after(Duration::from_millis(10)).await;
        Ok(())
    })
}
