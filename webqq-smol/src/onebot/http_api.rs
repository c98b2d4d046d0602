//! The HTTP API (communication/http): `GET` or `POST /<action>`, parameters from the query,
//! a form or a JSON body. Requests are parsed by the emulator's HTTP/1.1 server codec
//! ([`RequestParser`]), answers encoded by its [`Response`].
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use async_io::Async;
use bytes::BytesMut;
use http::StatusCode;
use serde_json::{Map, Value, json};
use smol::future::FutureExt;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use webqq_proto::emulator::http::{Request, RequestParser, Response};

use super::action::{self, Reply};
use super::{Core, auth};
use crate::driver::Spawner;

/// Bytes read per call.
const READ_CHUNK: usize = 16 * 1024;
/// A connection that sends nothing this long is closed.
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Binds `addr` and serves the API there; returns the bound address and the accept task.
pub fn serve(
    spawner: &Spawner,
    core: Arc<Core>,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, smol::Task<()>)> {
    super::listen::listen(spawner, core, addr, "HTTP", connection)
}

async fn connection(core: Arc<Core>, mut tcp: Async<TcpStream>) {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let request = match parser.parse(&mut buf) {
            Ok(Some(r)) => r,
            Ok(None) => {
                if parser.take_continue() {
                    let _ = tcp.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
                }
                let read = async { tcp.read(&mut chunk).await.ok() }.or(async {
                    smol::Timer::after(IDLE_TIMEOUT).await;
                    None
                });
                match read.await {
                    None | Some(0) => return,
                    Some(n) => {
                        buf.extend_from_slice(&chunk[..n]);
                        continue;
                    }
                }
            }
            Err(e) => {
                let r = answer(StatusCode::BAD_REQUEST, json!({"error": e.to_string()}));
                let _ = tcp.write_all(&r.encode(false, true)).await;
                return;
            }
        };
        let keep = request.keep_alive();
        let response = handle(&core, &request).await;
        if tcp.write_all(&response.encode(false, !keep)).await.is_err() || !keep {
            return;
        }
    }
}

fn answer(status: StatusCode, body: Value) -> Response {
    Response {
        status,
        ..Response::json(&body)
    }
}

/// Answers one API request.
pub async fn handle(core: &Arc<Core>, request: &Request) -> Response {
    let query: Map<String, Value> = form_urlencoded::parse(request.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let token = query.get("access_token").and_then(Value::as_str);
    if let Err(e) = auth::check(
        core.config().access_token.as_deref(),
        request.header("authorization"),
        token,
    ) {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        return answer(status, Value::Null);
    }
    let action = request.path.trim_matches('/');
    let base = action
        .strip_suffix("_async")
        .or_else(|| action.strip_suffix("_rate_limited"))
        .unwrap_or(action);
    if !action::known(base) {
        // communication/http: an API that does not exist is a 404.
        return answer(
            StatusCode::NOT_FOUND,
            Reply {
                retcode: action::UNSUPPORTED,
                data: Value::Null,
                message: Some(format!("{base} is not supported by WebQQ")),
            }
            .to_json(None),
        );
    }
    let mut params = query;
    params.remove("access_token");
    if request.method == http::Method::POST && !request.body.is_empty() {
        let ctype = request.header("content-type").unwrap_or("");
        if ctype.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(Value::Object(o)) => params.extend(o),
                _ => return answer(StatusCode::BAD_REQUEST, Value::Null),
            }
        } else if ctype.starts_with("application/x-www-form-urlencoded") {
            params.extend(
                form_urlencoded::parse(&request.body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))),
            );
        } else {
            return answer(StatusCode::NOT_ACCEPTABLE, Value::Null);
        }
    } else if request.method != http::Method::GET && request.method != http::Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, Value::Null);
    }
    let reply = action::call(core, action, &Value::Object(params)).await;
    answer(StatusCode::OK, reply.to_json(None))
}
