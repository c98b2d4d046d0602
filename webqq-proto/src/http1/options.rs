//! Per-request options and agent-wide configuration, with the defaults as named constants.
use std::time::{Duration, Instant};

use super::codec::DecoderConfig;

/// Connections opened at most per origin (issue 3: default 4).
pub const DEFAULT_MAX_CONNS_PER_ORIGIN: usize = 4;
/// The client closes a connection idle this long. Below common server keep-alive timeouts
/// (nginx 75 s, load balancers 60 s) so the client, not the server, usually closes first
/// (keepalive-race.md §8).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed by default.
pub const DEFAULT_MAX_REDIRECTS: u8 = 0;

/// When a request may be sent again after its connection failed
/// (keepalive-race.md §6; the rule itself is [`should_retry`](super::should_retry)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Replay {
    /// Replayable when the method is idempotent by RFC 9110 §9.2.2
    /// (GET, HEAD, OPTIONS, TRACE, PUT, DELETE).
    #[default]
    Auto,
    /// The caller knows the request is safe to repeat (for example a long poll).
    Always,
    /// Never replay once any byte of it was written.
    Never,
}

/// How one request is sent. `T` is the caller's tag, returned untouched with the response so
/// that a state machine above (the WebQQ session) knows what the response is for.
#[derive(Debug, Clone)]
pub struct RequestOptions<T> {
    /// The caller's tag.
    pub tag: T,
    /// Do not send before this instant (the seed's per-request delay).
    pub not_before: Option<Instant>,
    /// The whole request, redirects and retries included, must be done by this instant.
    pub deadline: Option<Instant>,
    /// Time from the request being written to the response head being complete; `None`
    /// uses [`AgentConfig::head_timeout`].
    pub head_timeout: Option<Duration>,
    /// Replay policy after a connection failure.
    pub replay: Replay,
    /// Redirects to follow (0: hand 3xx responses to the caller).
    pub max_redirects: u8,
}

impl<T> RequestOptions<T> {
    /// Options with every default and the given tag.
    pub fn new(tag: T) -> Self {
        RequestOptions {
            tag,
            not_before: None,
            deadline: None,
            head_timeout: None,
            replay: Replay::Auto,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }
    /// Sets [`not_before`](Self::not_before).
    pub fn not_before(mut self, at: Instant) -> Self {
        self.not_before = Some(at);
        self
    }
    /// Sets [`deadline`](Self::deadline).
    pub fn deadline(mut self, at: Instant) -> Self {
        self.deadline = Some(at);
        self
    }
    /// Sets [`head_timeout`](Self::head_timeout).
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = Some(timeout);
        self
    }
    /// Sets [`replay`](Self::replay).
    pub fn replay(mut self, replay: Replay) -> Self {
        self.replay = replay;
        self
    }
    /// Sets [`max_redirects`](Self::max_redirects).
    pub fn follow_redirects(mut self, max: u8) -> Self {
        self.max_redirects = max;
        self
    }
}

impl<T: Default> Default for RequestOptions<T> {
    fn default() -> Self {
        RequestOptions::new(T::default())
    }
}

/// Agent-wide settings.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Connections open at once per origin, connecting ones included (0 counts as 1).
    pub max_conns_per_origin: usize,
    /// The client closes connections idle longer than this.
    pub idle_timeout: Duration,
    /// Requests sent on one connection before the client closes it (`None`: no limit).
    pub max_requests_per_conn: Option<u32>,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Default time from request written to response head complete (`None`: no limit).
    pub head_timeout: Option<Duration>,
    /// Limits and leniency of the response decoder.
    pub decoder: DecoderConfig,
    /// Add `Accept-Encoding: gzip, deflate` to requests that have none, and decode bodies.
    pub accept_encoding: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            max_conns_per_origin: DEFAULT_MAX_CONNS_PER_ORIGIN,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_requests_per_conn: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            head_timeout: None,
            decoder: DecoderConfig::default(),
            accept_encoding: true,
        }
    }
}
