//! Forward WebSocket (communication/ws: `/` universal, `/api`, `/event`) and reverse
//! WebSocket (communication/ws-reverse, universal role, reconnecting; `ws://` or `wss://`)
//! over async-tungstenite.
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use async_io::Async;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use async_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures_util::StreamExt;
use serde_json::{Value, json};
use smol::channel;
use smol::future::FutureExt;

use super::action::{self, Reply};
use super::dial::{WS, dial};
use super::{Core, auth, event};
use crate::driver::Spawner;
use crate::net::Connection;

/// Outgoing frames queued per connection before events for it are dropped.
pub const OUTGOING: usize = 1024;
/// Largest action frame accepted from a bot (tungstenite's default is 64 MiB).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// How often a reverse connection waiting for the login checks again.
const LOGIN_WAIT: Duration = Duration::from_millis(200);

/// What a WebSocket connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Actions and events (`/`, reverse).
    Universal,
    /// Actions only (`/api`).
    Api,
    /// Events only (`/event`).
    Event,
}

/// Binds `addr` and serves forward WebSocket there.
pub fn serve(
    spawner: &Spawner,
    core: Arc<Core>,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, smol::Task<()>)> {
    super::listen::listen(spawner, core, addr, "WebSocket", accept)
}

fn limits() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
}

fn refuse(status: StatusCode) -> ErrorResponse {
    let mut r = ErrorResponse::new(None);
    *r.status_mut() = status;
    r
}

async fn accept(core: Arc<Core>, tcp: Async<TcpStream>) {
    let mut role = Role::Universal;
    // The handshake callback's error type is tungstenite's, not ours to shrink.
    #[allow(clippy::result_large_err)]
    let check = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        role = match req.uri().path() {
            "/" | "" => Role::Universal,
            "/api" | "/api/" => Role::Api,
            "/event" | "/event/" => Role::Event,
            _ => return Err(refuse(StatusCode::NOT_FOUND)),
        };
        let query_token = req.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned())
        });
        let header = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        match auth::check(
            core.config().access_token.as_deref(),
            header,
            query_token.as_deref(),
        ) {
            Ok(()) => Ok(resp),
            Err(e) => Err(refuse(
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED),
            )),
        }
    };
    let ws = match async_tungstenite::accept_hdr_async_with_config(tcp, check, Some(limits())).await
    {
        Ok(ws) => ws,
        Err(e) => {
            tracing::debug!("OneBot WebSocket handshake: {e}");
            return;
        }
    };
    run_connection(&core, ws, role).await;
}

/// Serves one established connection in `role` until either side closes it.
async fn run_connection<S>(core: &Arc<Core>, ws: async_tungstenite::WebSocketStream<S>, role: Role)
where
    S: smol::io::AsyncRead + smol::io::AsyncWrite + Unpin + Send,
{
    let (mut sink, mut stream) = ws.split();
    let (out_tx, out_rx) = channel::bounded::<Value>(OUTGOING);
    let events = (role != Role::Api).then(|| core.subscribe());
    if role != Role::Api {
        let _ = out_tx.try_send(event::lifecycle(core, "connect"));
    }
    let writer = async {
        while let Ok(v) = out_rx.recv().await {
            if sink.send(Message::text(v.to_string())).await.is_err() {
                break;
            }
        }
    };
    let forward_events = async {
        match &events {
            Some(rx) => {
                while let Ok(e) = rx.recv().await {
                    let _ = out_tx.try_send((*e).clone());
                }
            }
            None => smol::future::pending::<()>().await,
        }
    };
    let reader = async {
        while let Some(Ok(frame)) = stream.next().await {
            let text = match frame {
                Message::Text(t) => t.to_string(),
                Message::Close(_) => break,
                _ => continue,
            };
            if role == Role::Event {
                continue;
            }
            let out = out_tx.clone();
            let core = Arc::clone(core);
            smol::spawn(async move {
                let _ = out.send(answer(&core, &text).await).await;
            })
            .detach();
        }
    };
    reader.or(writer).or(forward_events).await;
}

/// Answers one action frame `{action, params, echo}`.
pub async fn answer(core: &Arc<Core>, text: &str) -> Value {
    let Ok(req) = serde_json::from_str::<Value>(text) else {
        return Reply {
            retcode: action::BAD_PARAMS,
            data: Value::Null,
            message: Some("the frame is not JSON".into()),
        }
        .to_json(None);
    };
    let name = req["action"].as_str().unwrap_or("");
    let params = if req["params"].is_object() {
        req["params"].clone()
    } else {
        json!({})
    };
    action::call(core, name, &params)
        .await
        .to_json(req.get("echo"))
}

/// Connects to the bot at `url` as a universal client, and again after every disconnect.
pub async fn reverse(core: Arc<Core>, url: String) {
    loop {
        // X-Self-ID must be the account: a QR login learns it only when online.
        while core.self_id() == 0 {
            smol::Timer::after(LOGIN_WAIT).await;
        }
        match connect(&core, &url).await {
            Ok(ws) => {
                tracing::info!("reverse WebSocket connected to {url}");
                run_connection(&core, ws, Role::Universal).await;
                tracing::info!("reverse WebSocket to {url} closed");
            }
            Err(e) => tracing::warn!("reverse WebSocket to {url}: {e}"),
        }
        smol::Timer::after(core.config().reconnect).await;
    }
}

async fn connect(
    core: &Core,
    url: &str,
) -> Result<async_tungstenite::WebSocketStream<Connection>, Box<dyn std::error::Error + Send + Sync>>
{
    let mut req = url.into_client_request()?;
    let uri: http::Uri = req.uri().to_string().parse()?;
    let headers = req.headers_mut();
    headers.insert(
        "x-self-id",
        HeaderValue::from_str(&core.self_id().to_string())?,
    );
    headers.insert("x-client-role", HeaderValue::from_static("Universal"));
    if let Some(t) = &core.config().access_token {
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {t}"))?,
        );
    }
    let stream = dial(&uri, WS, core.tls()).await?;
    let (ws, _) = async_tungstenite::client_async_with_config(req, stream, Some(limits())).await?;
    Ok(ws)
}
