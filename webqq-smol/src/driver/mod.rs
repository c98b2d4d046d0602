//! The client driver: a [`Session`] owns a [`Client`] in a task that runs its `poll_output`
//! loop on async-io (design.md, Adapters). The task opens, writes, reads and closes the
//! client's connections itself (no task or channel per connection), arms one timer for
//! `Timeout`, and feeds every read, EOF, failure and timer back as an `Input`. No HTTP or
//! WebQQ decision is made here.
mod events;
mod latency;
mod run;
mod spawner;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_rustls::rustls::ClientConfig as TlsConfig;
use smol::channel::{self, Sender};
pub use webqq_proto::client::SendOutcome;
pub use webqq_proto::client::adapter::Stopped;
use webqq_proto::webqq::content::Message;
use webqq_proto::webqq::request::Target;
use webqq_proto::webqq::session::{Event, MessageHandle};
use webqq_proto::{Client, ClientConfig, ClientState};

use crate::resolve::Resolver;
pub use latency::LatencyHistogram;
pub use spawner::Spawner;

/// Events buffered for the application before the session waits for it to catch up (its
/// own sockets are then left unread; other sessions are not affected). They take memory
/// only while they wait.
pub const EVENT_BUFFER: usize = 1024;
/// The handle's requests (sends, inspections) queued for the driver task before their
/// senders wait. Small: a bounded channel allocates all its slots up front, in every
/// session; the driver empties it as fast as they come.
pub const INBOX: usize = 8;

/// Everything to start a [`Session`].
#[derive(Clone)]
pub struct SessionConfig {
    /// The core's configuration (account, profile, seed, limits).
    pub client: ClientConfig,
    /// Saved state to resume instead of logging in (see [`Session::export_state`]).
    pub resume: Option<ClientState>,
    /// Host overrides.
    pub resolver: Resolver,
    /// TLS for https origins; `None`: webpki roots only.
    pub tls: Option<Arc<TlsConfig>>,
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("client", &self.client)
            .field("resume", &self.resume.as_ref().map(|_| "<state>"))
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

impl SessionConfig {
    /// A session for `client` with no overrides and the webpki roots.
    pub fn new(client: ClientConfig) -> Self {
        SessionConfig {
            client,
            resume: None,
            resolver: Resolver::new(),
            tls: None,
        }
    }

    /// Trusts the CA certificates of a PEM file besides the webpki roots.
    pub fn trust_ca_file(mut self, path: impl Into<PathBuf>) -> std::io::Result<Self> {
        self.tls = Some(crate::tls::client_config(Some(&path.into()))?);
        Ok(self)
    }
}

/// What the adapter measured, beside the core's own statistics.
#[derive(Debug, Clone, Default)]
pub struct NetStats {
    /// Connections that opened.
    pub connected: u64,
    /// Connections that failed to open.
    pub connect_failed: u64,
    /// Time from a write on an otherwise quiet connection to the first byte back (held
    /// long-polls included), every answer since the start.
    pub latency: LatencyHistogram,
}

impl NetStats {
    /// The `q`-quantile (0..=1) of [`latency`](Self::latency), within 25%.
    pub fn latency_quantile(&self, q: f64) -> Option<Duration> {
        self.latency.quantile(q)
    }
}

/// A message to send and where its outcome goes.
pub(crate) struct SendJob {
    target: Target,
    message: Message,
    reply: Sender<(MessageHandle, SendOutcome)>,
}

type Inspect = Box<dyn FnOnce(&mut Client, &NetStats) + Send>;

/// What the handle asks of the driver task. Kept small (16 bytes): every session's inbox
/// allocates its slots up front.
pub(crate) enum Msg {
    /// Boxed: a target and a message are three times the size of every other variant.
    Send(Box<SendJob>),
    Inspect(Inspect),
}

/// A running WebQQ session. Dropping it stops the session and closes its connections.
pub struct Session {
    to_driver: Sender<Msg>,
    events: events::EventReceiver,
    _task: smol::Task<()>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// Starts a session on smol's global executor: it logs in (or resumes) at once.
    pub fn start(config: SessionConfig) -> Session {
        Session::start_on(&Spawner::Global, config)
    }

    /// Starts a session whose tasks run on `spawner`. Sessions sharing an executor are
    /// isolated: each has its own task, channels and sockets.
    pub fn start_on(spawner: &Spawner, config: SessionConfig) -> Session {
        let (to_driver, from_handle) = channel::bounded(INBOX);
        let (events_tx, events) = events::event_queue(EVENT_BUFFER);
        let driver = run::Driver::new(config, events_tx);
        let task = spawner.spawn(Box::new(driver).run(from_handle));
        Session {
            to_driver,
            events,
            _task: task,
        }
    }

    /// The next event; `None` once the session has stopped and all events were taken.
    /// Cancelling the wait loses nothing.
    pub async fn next_event(&self) -> Option<Event> {
        self.events.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_next_event(&self) -> Option<Event> {
        self.events.try_recv()
    }

    /// Events waiting to be taken (at most [`EVENT_BUFFER`]).
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Queues a message and resolves to its outcome. The outcome events also appear on the
    /// event stream.
    pub async fn send(&self, target: Target, message: Message) -> Result<SendOutcome, Stopped> {
        Ok(self.send_tracked(target, message).await?.1)
    }

    /// As [`Session::send`], with the handle the session gave the send (the one its
    /// `Confirmed` event names).
    pub async fn send_tracked(
        &self,
        target: Target,
        message: Message,
    ) -> Result<(MessageHandle, SendOutcome), Stopped> {
        let (reply, outcome) = channel::bounded(1);
        self.to_driver
            .send(Msg::Send(Box::new(SendJob {
                target,
                message,
                reply,
            })))
            .await
            .map_err(|_| Stopped)?;
        outcome.recv().await.map_err(|_| Stopped)
    }

    /// Runs `f` on the client inside the session's task (contacts, phase, stats, captcha
    /// answers, logout …) and returns its result.
    pub async fn with_client<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client, &NetStats) -> R + Send + 'static,
    ) -> Result<R, Stopped> {
        let (tx, rx) = channel::bounded(1);
        let job: Inspect = Box::new(move |c, s| {
            let _ = tx.try_send(f(c, s));
        });
        self.to_driver
            .send(Msg::Inspect(job))
            .await
            .map_err(|_| Stopped)?;
        rx.recv().await.map_err(|_| Stopped)
    }

    /// The state to resume from later (`None` unless online). It holds secrets.
    pub async fn export_state(&self) -> Result<Option<ClientState>, Stopped> {
        self.with_client(|c, _| c.export_state().and_then(Result::ok))
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn inbox_messages_stay_small() {
        // Every session allocates INBOX slots of this size up front.
        let size = std::mem::size_of::<super::Msg>();
        assert!(size <= 16, "Msg is {size} bytes");
    }
}
