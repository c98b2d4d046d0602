//! `webqq`: the demo, a real client (interactive or JSON lines) and the emulator server.
//! See the README's CLI reference.
#![forbid(unsafe_code)]

mod bot;
mod demo;
mod emulator_cmd;
mod json;
mod names;
mod onebot;
mod run;
mod style;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use webqq_proto::emulator::Profile;
use webqq_smol::Override;

/// WebQQ / SmartQQ from the command line: a client, a demo and the server emulator.
#[derive(Parser, Debug)]
#[command(name = "webqq", version)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the emulator in process and a bot against it over loopback sockets.
    Demo(DemoArgs),
    /// Log in and chat (interactive), or be a JSON-lines pipe for a bot (--json).
    Run(RunArgs),
    /// Serve the WebQQ servers (every virtual host on one port).
    Emulator(EmulatorArgs),
    /// Serve a session as a OneBot v11 implementation (HTTP, webhook, WebSocket).
    Onebot(Box<onebot::OnebotArgs>),
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Seconds to run before the summary.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Era: w2013, w2014, s2015 (password + captcha), s2016, s2018 (QR code).
    #[arg(long, default_value = "s2018", value_parser = parse_profile)]
    profile: Profile,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("login").required(true).args(["qq", "qr"])))]
pub struct RunArgs {
    /// QQ number for password login.
    #[arg(long, requires = "password_source")]
    qq: Option<u64>,
    /// Read the password from the first line of stdin.
    #[arg(long, group = "password_source")]
    password_stdin: bool,
    /// Read the password from the first line of a file.
    #[arg(long, group = "password_source")]
    password_file: Option<PathBuf>,
    /// Log in by QR code (the image is written to webqq-qr.png).
    #[arg(long, conflicts_with = "qq")]
    qr: bool,
    /// Era (default: s2015 for password login, s2018 for QR).
    #[arg(long, value_parser = parse_profile)]
    profile: Option<Profile>,
    /// Connect HOST[:PORT] to ADDR (IP:PORT) instead of resolving it; HOST may be *.domain.
    #[arg(long = "resolve", value_name = "HOST=ADDR")]
    resolve: Vec<Override>,
    /// Send every qq.com host to an emulator's plain listener at ADDR.
    #[arg(long, value_name = "ADDR")]
    emulator: Option<SocketAddr>,
    /// Also trust the CA certificates in this PEM file (e.g. the emulator's).
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Resume from and save the session to this file (it holds secrets).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// One JSON object per event on stdout, one command per line on stdin.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct EmulatorArgs {
    /// Plain HTTP listener for every virtual host (repeatable: one emulator on several
    /// addresses, e.g. 127.0.0.1-4 to spread many clients over more source ports).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: Vec<SocketAddr>,
    /// World file (JSON); default: the demo world.
    #[arg(long, value_name = "FILE")]
    world: Option<PathBuf>,
    /// Era to play.
    #[arg(long, default_value = "s2018", value_parser = parse_profile)]
    profile: Profile,
    /// Close kept-alive connections idle this long (milliseconds).
    #[arg(long, value_name = "N")]
    idle_close_ms: Option<u64>,
    /// HTTPS listener with a self-signed certificate.
    #[arg(long, value_name = "ADDR")]
    tls_listen: Option<SocketAddr>,
    /// Where to write the CA certificate clients must trust (with --tls-listen).
    #[arg(long, value_name = "FILE", default_value = "webqq-emulator-ca.pem")]
    ca_out: PathBuf,
    /// Seed of the emulator's random choices.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase()))
        .map_err(|_| format!("unknown profile {s:?} (w2013, w2014, s2015, s2016, s2018)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Demo(a) => demo::main(a),
        Command::Run(a) => run::main(a),
        Command::Emulator(a) => emulator_cmd::main(a),
        Command::Onebot(a) => onebot::main(*a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webqq: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Errors of the commands: one clear line each.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
