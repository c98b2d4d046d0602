//! HTTP/1.1 client machinery, bottom up:
//! - [`codec`]: bytes ⇄ messages;
//! - [`resolve`]: the host override map adapters connect through;
//! - `conn`: one connection's state machine ([`ConnState`]);
//! - [`Agent`]: the request engine (pool per origin, safe retries, deadlines, redirects,
//!   cookies, content decoding) speaking the [`Input`]/[`Output`] vocabulary.
pub mod codec;
pub mod resolve;

mod agent;
mod body;
mod conn;
mod cookies;
mod error;
mod io;
mod keep_alive;
mod options;
mod origin;
mod pool;
mod prepared;
mod redirect;
mod response;
mod retry;
mod stats;
mod url_cache;

pub use agent::{Agent, NO_DEADLINE_WAKEUP};
pub use conn::ConnState;
pub use cookies::{CookieJar, CookieJarError, MAX_COOKIES};
pub use error::{RequestError, TimeoutPhase};
pub use io::{ConnId, Input, Output, RequestId};
pub use keep_alive::idle_limit_from_hint;
pub use options::{
    AgentConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNS_PER_ORIGIN,
    DEFAULT_MAX_REDIRECTS, Replay, RequestOptions,
};
pub use origin::{Origin, Scheme};
pub use pool::{MAX_ORIGINS, PoolStatus};
pub use prepared::PreparedRequest;
pub use redirect::redirect_method;
pub use response::Response;
pub use retry::{Attempt, is_idempotent, is_replayable, should_retry, should_retry_after_408};
pub use stats::AgentStats;
pub use url_cache::URL_CACHE_ENTRIES;
