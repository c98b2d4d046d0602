//! `webqq emulator`: the WebQQ servers on sockets.
use webqq_proto::emulator::{EmulatorConfig, Event, World};
use webqq_smol::{EmulatorHost, tls};

use crate::{EmulatorArgs, Error};

pub fn main(args: EmulatorArgs) -> Result<(), Error> {
    let world = match &args.world {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read world file {}: {e}", path.display()))?;
            World::from_json(&text).map_err(|e| format!("world file {}: {e}", path.display()))?
        }
        None => World::demo(),
    };
    let mut config = EmulatorConfig {
        profile: args.profile,
        seed: args.seed,
        world,
        ..EmulatorConfig::default()
    };
    config.timing.idle_close_ms = args.idle_close_ms;
    smol::block_on(async {
        let mut host = EmulatorHost::start(config)?;
        let events = host.subscribe().await;
        for addr in &args.listen {
            let plain = host
                .listen(*addr)
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            println!(
                "webqq emulator ({:?}) serving every virtual host on http://{plain}",
                args.profile
            );
        }
        if let Some(addr) = args.tls_listen {
            let id = tls::emulator_identity()?;
            std::fs::write(&args.ca_out, &id.ca_pem)
                .map_err(|e| format!("cannot write {}: {e}", args.ca_out.display()))?;
            let secure = host
                .listen_tls(addr, id.config)
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            println!(
                "  and https://{secure}; trust the CA written to {}",
                args.ca_out.display()
            );
        }
        println!("  control API under /_emulator/ on the same port(s); Ctrl-C stops");
        while let Ok(e) = events.recv().await {
            match e {
                Event::Served {
                    host, path, status, ..
                } => {
                    tracing::info!("{status} {host}{path}")
                }
                Event::BadRequest { error, .. } => tracing::info!("bad request: {error}"),
                Event::LoggedIn { qq } => println!("login: {qq}"),
                Event::SessionEnded { qq, reason } => println!("session of {qq} ended: {reason}"),
                Event::CaptchaIssued { qq, answer } => println!("captcha for {qq}: {answer}"),
                Event::QrShown { .. } => {
                    println!("QR code shown; confirm with POST /_emulator/qr/confirm")
                }
                Event::Sent(m) => println!("{} → {:?}: {}", m.from, m.target, m.text),
                other => tracing::debug!(?other),
            }
        }
        Ok(())
    })
}
