//! HTTP POST of events (communication/http-post): each event is POSTed as JSON to the bot's
//! URL (`http://`, or `https://` over rustls) with `X-Self-ID` and, given a secret, `X-Signature`; a JSON reply to a message event
//! is a quick operation. The request is written by the project's HTTP/1.1 codec
//! ([`encode_request`]) and the answer read by its [`ResponseDecoder`], one connection per
//! event (bots answer slowly; a stuck one delays only the events behind it).
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Method;
use serde_json::Value;
use smol::channel::Receiver;
use smol::future::FutureExt;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use webqq_proto::http1::codec::{DecodeEvent, DecoderConfig, ResponseDecoder, encode_request};

use super::dial::{HTTP, dial};
use super::{Core, auth, quick};
use crate::net::Connection;

/// How long one POST (connect, write, answer) may take.
pub const POST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most bytes of a bot's answer kept (a quick operation is small).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Why a POST failed.
#[derive(Debug)]
pub enum PostError {
    /// The URL is not `http(s)://host[:port]/path`.
    Url(String),
    /// Connecting (TCP or TLS) failed.
    Connect(String),
    /// Writing the request or reading the answer failed.
    Io(std::io::Error),
    /// The answer was not HTTP/1.1 the codec accepts.
    Decode(String),
    /// No answer within [`POST_TIMEOUT`].
    Timeout,
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostError::Url(u) => write!(f, "post URL {u:?} is not http(s)://host[:port]/path"),
            PostError::Connect(e) => write!(f, "connecting to the bot: {e}"),
            PostError::Io(e) => write!(f, "posting the event: {e}"),
            PostError::Decode(e) => write!(f, "the bot's answer: {e}"),
            PostError::Timeout => write!(f, "the bot did not answer in {POST_TIMEOUT:?}"),
        }
    }
}

impl std::error::Error for PostError {}

impl PostError {
    /// The post URL is not one the gateway can reach.
    pub fn is_url(&self) -> bool {
        matches!(self, PostError::Url(_))
    }

    /// The bot's server could not be reached (TCP or TLS).
    pub fn is_connect(&self) -> bool {
        matches!(self, PostError::Connect(_))
    }

    /// The connection failed while the event was sent or answered.
    pub fn is_io(&self) -> bool {
        matches!(self, PostError::Io(_))
    }

    /// The bot's answer was not HTTP/1.1 the codec accepts, or too long.
    pub fn is_decode(&self) -> bool {
        matches!(self, PostError::Decode(_))
    }

    /// The bot did not answer within [`POST_TIMEOUT`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, PostError::Timeout)
    }
}

/// POSTs every event from `events` to `url`, carrying out quick operations in the answers.
pub async fn run(core: Arc<Core>, url: String, events: Receiver<Arc<Value>>) {
    while let Ok(event) = events.recv().await {
        match post(&core, &url, &event).await {
            Ok((status, body)) if status == 200 && !body.is_empty() => {
                if let Ok(op) = serde_json::from_slice::<Value>(&body) {
                    quick::apply(&core, &event, &op).await;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

/// POSTs one event; returns the status and body of the answer.
pub async fn post(core: &Core, url: &str, event: &Value) -> Result<(u16, Vec<u8>), PostError> {
    let body = Bytes::from(event.to_string());
    let uri: http::Uri = url.parse().map_err(|_| PostError::Url(url.into()))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(PostError::Url(url.into()));
    }
    let mut req = http::Request::post(uri.clone())
        .header("content-type", "application/json")
        .header("x-self-id", core.self_id().to_string())
        .header("connection", "close");
    if let Some(secret) = &core.config().secret {
        req = req.header("x-signature", auth::signature(secret, &body));
    }
    let req = req.body(body).map_err(|e| PostError::Url(e.to_string()))?;
    let mut wire = BytesMut::new();
    encode_request(&req, &mut wire).map_err(|e| PostError::Url(e.to_string()))?;
    let exchange = async {
        let mut tcp = dial(&uri, HTTP, core.tls())
            .await
            .map_err(PostError::Connect)?;
        tcp.write_all(&wire).await.map_err(PostError::Io)?;
        read_answer(&mut tcp).await
    };
    exchange
        .or(async {
            smol::Timer::after(POST_TIMEOUT).await;
            Err(PostError::Timeout)
        })
        .await
}

async fn read_answer(tcp: &mut Connection) -> Result<(u16, Vec<u8>), PostError> {
    let mut decoder = ResponseDecoder::new(DecoderConfig::default(), Method::POST);
    let mut buf = BytesMut::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut status = 0;
    let mut body = Vec::new();
    let mut eof = false;
    loop {
        let event = if eof {
            decoder.decode_eof(&mut buf)
        } else {
            decoder.decode(&mut buf)
        }
        .map_err(|e| PostError::Decode(e.to_string()))?;
        match event {
            Some(DecodeEvent::Interim(_)) => {}
            Some(DecodeEvent::Head(h)) => status = h.status.as_u16(),
            Some(DecodeEvent::Data(d)) => {
                if body.len() + d.len() > MAX_ANSWER_BYTES {
                    return Err(PostError::Decode("answer too long".into()));
                }
                body.extend_from_slice(&d);
            }
            Some(DecodeEvent::End { .. }) => return Ok((status, body)),
            None if eof => return Err(PostError::Decode("connection closed early".into())),
            None => match tcp.read(&mut chunk).await.map_err(PostError::Io)? {
                0 => eof = true,
                n => buf.extend_from_slice(&chunk[..n]),
            },
        }
    }
}
