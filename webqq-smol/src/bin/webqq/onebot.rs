//! `webqq onebot`: a session served as a OneBot v11 implementation (issue 9). The gateway is
//! `webqq_smol::onebot`; this file maps flags to its config and answers login prompts.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use clap::Args;
use smol::io::AsyncBufReadExt;
use smol::stream::StreamExt;
use webqq_smol::onebot::{Gateway, GatewayConfig, MessageFormat};
use webqq_smol::{Session, Spawner};

use crate::{Error, RunArgs, run};

/// Where the QR code and captcha images are written.
const QR_FILE: &str = "webqq-qr.png";
const CAPTCHA_FILE: &str = "webqq-captcha.jpg";

#[derive(Args, Debug)]
pub struct OnebotArgs {
    #[command(flatten)]
    login: RunArgs,
    /// Serve the HTTP API on ADDR.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Serve forward WebSocket (/, /api, /event) on ADDR.
    #[arg(long, value_name = "ADDR")]
    ws: Option<SocketAddr>,
    /// POST every event to URL (http:// or https://; --ca adds a CA to trust).
    #[arg(long, value_name = "URL")]
    post_url: Option<String>,
    /// Connect to a reverse WebSocket (universal) at URL (ws:// or wss://), reconnecting.
    #[arg(long, value_name = "URL")]
    ws_reverse: Option<String>,
    /// Require this token from clients and send it to the bot.
    #[arg(long, value_name = "T")]
    access_token: Option<String>,
    /// Sign POSTed events with HMAC-SHA1 (X-Signature).
    #[arg(long, value_name = "S")]
    secret: Option<String>,
    /// Heartbeat meta event interval in milliseconds (0: none).
    #[arg(long, default_value_t = 15_000)]
    heartbeat_ms: u64,
    /// Message format in events: string (CQ codes) or array (segments).
    #[arg(long, default_value = "string", value_parser = ["string", "array"])]
    message_format: String,
    /// Stable id store (default: next to --state, else in memory only).
    #[arg(long, value_name = "FILE")]
    ids: Option<PathBuf>,
}

pub fn main(args: OnebotArgs) -> Result<(), Error> {
    smol::block_on(serve(args))
}

async fn serve(args: OnebotArgs) -> Result<(), Error> {
    let mut lines = smol::io::BufReader::new(smol::Unblock::new(std::io::stdin())).lines();
    let password = if args.login.password_stdin {
        let line = lines.next().await.ok_or("no password on stdin")??;
        Some(run::first_line(&line))
    } else {
        None
    };
    let session = Session::start(run::session_config(&args.login, password)?);
    let mut config = GatewayConfig::new();
    config.http = args.http;
    config.ws = args.ws;
    config.post_url = args.post_url;
    config.ws_reverse = args.ws_reverse;
    if let Some(ca) = &args.login.ca {
        config.tls = Some(webqq_smol::tls::client_config(Some(ca))?);
    }
    config.access_token = args.access_token;
    config.secret = args.secret;
    config.heartbeat = Duration::from_millis(args.heartbeat_ms);
    config.format = if args.message_format == "array" {
        MessageFormat::Array
    } else {
        MessageFormat::String
    };
    config.self_id = args.login.qq.unwrap_or(0);
    config.ids_file = args.ids.or_else(|| {
        args.login
            .state
            .as_ref()
            .map(|s| s.with_extension("onebot-ids.json"))
    });
    let gateway = Gateway::start(&Spawner::Global, session, config)?;
    if let Some(a) = gateway.http_addr() {
        eprintln!("onebot: HTTP API on http://{a}/");
    }
    if let Some(a) = gateway.ws_addr() {
        eprintln!("onebot: WebSocket on ws://{a}/");
    }
    let core = gateway.core().clone();
    let events = core.subscribe();
    while let Ok(e) = events.recv().await {
        if e["notice_type"] != "webqq_login" {
            continue;
        }
        let image = |field: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(e[field].as_str().unwrap_or(""))
                .unwrap_or_default()
        };
        match e["sub_type"].as_str().unwrap_or("") {
            "qr_ready" => {
                std::fs::write(QR_FILE, image("image_png_base64"))?;
                eprintln!("onebot: scan {QR_FILE} with mobile QQ");
            }
            "captcha_required" => {
                std::fs::write(CAPTCHA_FILE, image("image_jpeg_base64"))?;
                eprintln!("onebot: type the captcha in {CAPTCHA_FILE}");
                let line = lines.next().await.ok_or("no captcha on stdin")??;
                let params = serde_json::json!({"code": run::first_line(&line)});
                webqq_smol::onebot::action::call(&core, "webqq_submit_captcha", &params).await;
            }
            "online" => {
                eprintln!("onebot: online as {}", core.self_id());
                run::save_state(core.session(), args.login.state.as_deref()).await;
            }
            "offline" => return Err(format!("offline: {}", e["reason"]).into()),
            _ => {}
        }
    }
    Ok(())
}
