//! The request engine (the seed's `HTTPStream`): [`Agent`] takes requests, keeps a keep-alive
//! pool per origin, retries only what is safe (keepalive-race.md §6), enforces deadlines,
//! keeps cookies and decodes bodies. It does no I/O: a driver feeds it [`Input`]s and carries
//! out its [`Output`]s.
mod dispatch;
mod exchange;
mod timers;

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Uri, header};
use url::Url;

use super::body::BodyBuf;
use super::codec::{
    ContentDecoder, DecodeError, EncodeError, FieldLookup, ResponseHead, encode_request_with,
};
use super::conn::{Cause, Conn, ConnEvent, ConnState};
use super::io::IdMap;
use super::origin::origin_parts;
use super::pool::{MAX_ORIGINS, PoolId, PoolStatus, Pools};
use super::prepared::{PreparedRequest, RequestFlags};
use super::redirect::{redirect_method, resolve_location};
use super::retry::{Attempt, is_replayable, should_retry, should_retry_after_408};
use super::url_cache::UrlCache;
use super::{
    AgentConfig, AgentStats, ConnId, CookieJar, Input, Origin, Output, Replay, RequestError,
    RequestId, RequestOptions, Response, TimeoutPhase,
};

/// With no deadline pending, [`Output::Timeout`] names an instant this far ahead.
pub const NO_DEADLINE_WAKEUP: Duration = Duration::from_secs(3600);

/// `Accept-Encoding` sent when the caller gave none (the codec decodes both).
const ACCEPT_ENCODING: &str = "gzip, deflate";

/// Where a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Waiting for its not-before time.
    Delayed(Instant),
    /// In its origin's FIFO.
    Queued,
    /// Waiting for a fresh connection opened for its retry.
    Reserved(ConnId),
    /// On a connection.
    OnConn(ConnId),
    /// Its response just ended; being answered or redirected.
    Finishing,
}

/// A response being received.
struct Partial {
    head: ResponseHead,
    body: BodyBuf,
    /// Boxed: it is large (an inflater's state) and most responses have none, while the
    /// record holding it is moved several times per response.
    content: Option<Box<ContentDecoder>>,
    /// The response is a redirect that will be followed: its body is dropped.
    redirect: bool,
    reused: bool,
}

/// What a request sends: the caller's own `http::Request`, or a prepared one shared with
/// other submits (copied into an owned one only when a redirect changes it).
///
/// Boxed when owned: the request record is moved in and out of the request table, and a
/// 256-byte `http::Request` inline would make each move four times longer.
enum Source {
    Owned(Box<Request<Bytes>>),
    Prepared(PreparedRequest),
}

impl Source {
    fn request(&self) -> &Request<Bytes> {
        match self {
            Source::Owned(request) => request,
            Source::Prepared(prepared) => prepared.request(),
        }
    }

    fn to_mut(&mut self) -> &mut Request<Bytes> {
        if let Source::Prepared(prepared) = self {
            *self = Source::Owned(Box::new(prepared.request().clone()));
        }
        match self {
            Source::Owned(request) => request,
            Source::Prepared(_) => unreachable!("made owned above"),
        }
    }

    /// The URI, for the response (the request is not sent again after this).
    fn take_uri(&mut self) -> Uri {
        match self {
            Source::Owned(request) => std::mem::take(request.uri_mut()),
            Source::Prepared(prepared) => prepared.request().uri().clone(),
        }
    }

    fn encode(
        &self,
        extra: &[(HeaderName, HeaderValue)],
        out: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        match self {
            Source::Owned(request) => encode_request_with(request, extra, out),
            Source::Prepared(prepared) => {
                prepared.write_with(extra, out);
                Ok(())
            }
        }
    }
}

struct Req<T> {
    tag: T,
    source: Source,
    /// The pool of the request's origin.
    pool: PoolId,
    /// The request's URL for the cookie jar and redirects, parsed on first use (many
    /// requests need neither).
    url: Option<Url>,
    /// The caller set `Cookie` itself: the jar does not touch it.
    own_cookie: bool,
    /// `Accept-Encoding` is added when the request is encoded (the caller set none).
    accept_encoding: bool,
    /// The request carries `Connection: close`.
    close_after: bool,
    deadline: Option<Instant>,
    head_timeout: Option<Duration>,
    replay: Replay,
    max_redirects: u8,
    attempts: u32,
    retried: bool,
    redirects: u8,
    place: Place,
    partial: Option<Partial>,
}

/// The sans-IO HTTP/1.1 request engine.
///
/// `T` is the caller's tag type: each request carries one ([`RequestOptions::tag`]) and gets
/// it back in its [`Output::Response`]. A generic tag (rather than a number) lets the WebQQ
/// session use an enum that says what each response is for, with no side table.
///
/// Driving it: call [`poll_output`](Self::poll_output) until it returns [`Output::Timeout`],
/// carrying out each output; then wait for I/O or that instant, feed what happened with
/// [`handle_input`](Self::handle_input), and poll again.
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use webqq_proto::http1::{Agent, AgentConfig, Input, Output, RequestOptions};
///
/// let now = Instant::now();
/// let mut agent: Agent<&str> = Agent::new(AgentConfig::default(), now);
/// let request = http::Request::get("http://w.qq.com/").body(Bytes::new()).unwrap();
/// let id = agent.submit(request, RequestOptions::new("home page"));
///
/// let Output::Connect { conn, origin } = agent.poll_output(now) else { panic!() };
/// assert_eq!(origin.to_string(), "http://w.qq.com:80");
/// assert!(matches!(agent.poll_output(now), Output::Timeout(_)));
///
/// agent.handle_input(Input::Connected { conn });
/// let Output::Write { bytes, .. } = agent.poll_output(now) else { panic!() };
/// assert!(bytes.starts_with(b"GET / HTTP/1.1\r\n"));
///
/// agent.handle_input(Input::Data { conn, bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" });
/// let Output::Response { id: answered, tag, result } = agent.poll_output(now) else { panic!() };
/// assert_eq!((answered, tag, result.unwrap().body), (id, "home page", Bytes::from("hi")));
/// ```
pub struct Agent<T> {
    config: AgentConfig,
    now: Instant,
    next_conn: u64,
    next_request: u64,
    conns: IdMap<ConnId, Conn>,
    /// In the order origins were first seen, so that the agent's outputs do not depend on a
    /// hash seed: a run is reproducible (design.md rule 1).
    pools: Pools,
    requests: IdMap<RequestId, Req<T>>,
    delayed: BTreeSet<(Instant, RequestId)>,
    needs_dispatch: bool,
    out: VecDeque<Output<T>>,
    write_buf: BytesMut,
    scratch_conns: Vec<ConnId>,
    scratch_requests: Vec<RequestId>,
    scratch_pools: Vec<PoolId>,
    /// Fields added to the request being encoded (`Accept-Encoding`, `Cookie`); reused.
    extra_fields: Vec<(HeaderName, HeaderValue)>,
    jar: CookieJar,
    urls: UrlCache,
    stats: AgentStats,
}

impl<T> std::fmt::Debug for Agent<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("conns", &self.conns.len())
            .field("requests", &self.requests.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<T> Req<T> {
    /// The request's URL (see [`Req::url`]); `None` only if the `url` crate refuses a URI
    /// that `http` accepted, in which case cookies are neither sent nor stored for it.
    fn url(&mut self, cache: &mut UrlCache) -> Option<&Url> {
        if self.url.is_none() {
            self.url = cache.get(self.source.request().uri());
        }
        self.url.as_ref()
    }
}

impl<T> Agent<T> {
    /// An agent with no connections, its clock starting at `now`.
    pub fn new(config: AgentConfig, now: Instant) -> Self {
        Agent {
            config,
            now,
            next_conn: 0,
            next_request: 0,
            conns: IdMap::default(),
            pools: Pools::default(),
            requests: IdMap::default(),
            delayed: BTreeSet::new(),
            needs_dispatch: false,
            out: VecDeque::new(),
            write_buf: BytesMut::new(),
            scratch_conns: Vec::new(),
            scratch_requests: Vec::new(),
            scratch_pools: Vec::new(),
            extra_fields: Vec::new(),
            jar: CookieJar::new(),
            urls: UrlCache::default(),
            stats: AgentStats::default(),
        }
    }

    /// Counters since the agent was made.
    pub fn stats(&self) -> AgentStats {
        self.stats
    }

    /// The cookie jar.
    pub fn cookies(&self) -> &CookieJar {
        &self.jar
    }

    /// The cookie jar, to add or replace cookies (for example one restored from JSON).
    pub fn cookies_mut(&mut self) -> &mut CookieJar {
        &mut self.jar
    }

    /// What the pool of `origin` holds now.
    pub fn pool_status(&self, origin: &Origin) -> PoolStatus {
        self.pools
            .lookup(origin)
            .map(|id| self.pools.get(id).status())
            .unwrap_or_default()
    }

    /// The state of connection `conn`, or `None` once it is closed and forgotten.
    pub fn conn_state(&self, conn: ConnId) -> Option<ConnState> {
        self.conns.get(&conn).map(Conn::state)
    }

    /// Requests submitted and not yet answered.
    pub fn pending(&self) -> usize {
        self.requests.len()
    }

    /// Whether any byte of request `id`'s current attempt has been handed out for writing
    /// (false when it is delayed, queued, connecting, answered or unknown). A caller that must
    /// know whether a request that later times out may have reached the server (a chat send)
    /// asks this after each [`Output::Write`].
    pub fn is_written(&self, id: RequestId) -> bool {
        match self.requests.get(&id).map(|r| r.place) {
            Some(Place::OnConn(conn)) => self.conns.get(&conn).is_some_and(Conn::has_written),
            _ => false,
        }
    }

    /// Queues `request` (an absolute http/https URI; body as `Bytes`). Exactly one
    /// [`Output::Response`] with the returned id follows, unless the request is cancelled.
    /// A request the agent cannot send is answered with an error at the next poll.
    pub fn submit(&mut self, request: Request<Bytes>, options: RequestOptions<T>) -> RequestId {
        let Some((scheme, host, port)) = origin_parts(request.uri()) else {
            let id = self.next_request_id();
            let err =
                EncodeError::InvalidUri(format!("{}: not an absolute http(s) URI", request.uri()));
            self.emit_response(id, options.tag, Err(RequestError::InvalidRequest(err)));
            return id;
        };
        let pool = self.pools.id_of(scheme, host, port);
        let flags = RequestFlags::of(request.headers());
        self.enqueue(Source::Owned(Box::new(request)), pool, flags, options)
    }

    /// [`submit`](Self::submit) for a request prepared once and sent many times: the same
    /// outcome, without building, checking and encoding the request again (see
    /// [`PreparedRequest`]).
    pub fn submit_prepared(
        &mut self,
        request: &PreparedRequest,
        options: RequestOptions<T>,
    ) -> RequestId {
        let origin = request.origin();
        let pool = self.pools.id_of(origin.scheme, &origin.host, origin.port);
        self.enqueue(
            Source::Prepared(request.clone()),
            pool,
            request.flags(),
            options,
        )
    }

    fn next_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.stats.requests += 1;
        id
    }

    fn enqueue(
        &mut self,
        source: Source,
        pool: PoolId,
        flags: RequestFlags,
        options: RequestOptions<T>,
    ) -> RequestId {
        let id = self.next_request_id();
        let place = match options.not_before {
            Some(at) if at > self.now => Place::Delayed(at),
            _ => Place::Queued,
        };
        match place {
            Place::Delayed(at) => {
                self.delayed.insert((at, id));
            }
            _ => {
                self.pools.get_mut(pool).queue.push_back(id);
                self.needs_dispatch = true;
            }
        }
        self.requests.insert(
            id,
            Req {
                tag: options.tag,
                source,
                pool,
                url: None,
                own_cookie: flags.own_cookie,
                accept_encoding: self.config.accept_encoding && !flags.accept_encoding_given,
                close_after: flags.close_after,
                deadline: options.deadline,
                head_timeout: options.head_timeout.or(self.config.head_timeout),
                replay: options.replay,
                max_redirects: options.max_redirects,
                attempts: 0,
                retried: false,
                redirects: 0,
                place,
                partial: None,
            },
        );
        id
    }

    /// Drops request `id` without a response. A connection it was using is closed (its
    /// response could still arrive). Returns false when the request is unknown or finished.
    pub fn cancel(&mut self, id: RequestId) -> bool {
        self.detach(id).is_some()
    }

    /// Takes in one thing that happened. Call [`poll_output`](Self::poll_output) afterwards.
    /// Inputs for connections the agent closed are ignored.
    pub fn handle_input(&mut self, input: Input<'_>) {
        match input {
            Input::Time(now) => self.now = self.now.max(now),
            Input::Connected { conn } => self.on_connected(conn),
            Input::ConnectFailed { conn, error } => {
                self.on_connect_lost(conn, RequestError::ConnectFailed { error })
            }
            Input::Data { conn, bytes } => {
                self.stats.bytes_in += bytes.len() as u64;
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                match c.state() {
                    ConnState::Connecting => {
                        let error = std::io::ErrorKind::InvalidData;
                        self.on_connect_lost(conn, RequestError::ConnectFailed { error });
                    }
                    ConnState::Idle => {
                        // Unsolicited bytes on an idle connection (a 408 is the server
                        // closing it): close quietly, like Go's readLoop.
                        self.stats.idle_closed_by_server += 1;
                        self.close_conn(conn);
                    }
                    ConnState::Sending => {
                        // Nothing written yet: the request goes back as "nothing written".
                        let event = c.fail(Cause::Closed);
                        self.on_conn_event(conn, event);
                    }
                    _ => {
                        c.receive(bytes);
                        self.drive_conn(conn);
                    }
                }
            }
            Input::Eof { conn } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                match c.state() {
                    ConnState::Connecting => {
                        let error = std::io::ErrorKind::UnexpectedEof;
                        self.on_connect_lost(conn, RequestError::ConnectFailed { error });
                    }
                    ConnState::Idle => {
                        self.stats.idle_closed_by_server += 1;
                        self.close_conn(conn);
                    }
                    _ => {
                        c.receive_eof();
                        self.drive_conn(conn);
                    }
                }
            }
            Input::Failed { conn, error } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                match c.state() {
                    ConnState::Connecting => {
                        self.on_connect_lost(conn, RequestError::ConnectFailed { error })
                    }
                    ConnState::Idle => {
                        self.stats.idle_closed_by_server += 1;
                        self.close_conn(conn);
                    }
                    _ => {
                        let event = c.fail(Cause::Io(error));
                        self.on_conn_event(conn, event);
                    }
                }
            }
        }
    }

    /// The next thing to do. Returns outputs one by one and then [`Output::Timeout`]`(at)`:
    /// call again when `at` is reached, or sooner as soon as an input was handled or a
    /// request submitted or cancelled. Deadlines due at `now` are acted on here.
    #[must_use]
    pub fn poll_output(&mut self, now: Instant) -> Output<T> {
        self.now = self.now.max(now);
        if self.out.is_empty() {
            self.run_timers();
            if self.needs_dispatch {
                self.needs_dispatch = false;
                self.dispatch_all();
            }
        }
        match self.out.pop_front() {
            Some(output) => {
                if let Output::Write { conn, bytes } = &output {
                    self.stats.bytes_out += bytes.len() as u64;
                    let head_timeout = self
                        .conns
                        .get(conn)
                        .and_then(|c| c.request)
                        .and_then(|r| self.requests.get(&r).and_then(|r| r.head_timeout));
                    if let Some(c) = self.conns.get_mut(conn) {
                        c.write_taken(self.now, bytes.len(), head_timeout);
                    }
                }
                output
            }
            None => Output::Timeout(
                self.next_deadline()
                    .unwrap_or(self.now + NO_DEADLINE_WAKEUP),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::prepared::wants_close;

    #[test]
    fn connection_close_tokens() {
        let cases = [
            ("close", true),
            ("Keep-Alive, CLOSE", true),
            ("keep-alive", false),
            ("closed", false),
        ];
        for (value, want) in cases {
            let mut h = HeaderMap::new();
            h.insert(header::CONNECTION, HeaderValue::from_static(value));
            assert_eq!(wants_close(&h), want, "{value}");
        }
    }

    /// Connects the agent's pending connection and returns what it writes next.
    fn next_write(agent: &mut Agent<u8>, now: Instant) -> (ConnId, Bytes) {
        loop {
            match agent.poll_output(now) {
                Output::Connect { conn, .. } => agent.handle_input(Input::Connected { conn }),
                Output::Write { conn, bytes } => return (conn, bytes),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn next_response(agent: &mut Agent<u8>, now: Instant) -> Box<Response> {
        loop {
            match agent.poll_output(now) {
                Output::Response { result, .. } => return result.unwrap(),
                Output::Timeout(_) => panic!("no response"),
                _ => {}
            }
        }
    }

    /// A prepared request is sent as the same request submitted fresh each time would be:
    /// same bytes, the jar's new cookies, and redirects followed from it.
    #[test]
    fn prepared_requests_behave_as_fresh_ones() {
        let now = Instant::now();
        let build = || {
            Request::get("http://w.qq.com/poll")
                .header("referer", "http://w.qq.com/")
                .body(Bytes::new())
                .unwrap()
        };
        let prepared = PreparedRequest::new(build()).unwrap();
        let config = AgentConfig::default();
        let (mut fresh, mut shared) = (Agent::new(config.clone(), now), Agent::new(config, now));
        let answers: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nSet-Cookie: ptwebqq=abc; Path=/\r\nContent-Length: 1\r\n\r\na",
            b"HTTP/1.1 302 Found\r\nLocation: /moved\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
        ];
        for (round, answer) in answers.iter().take(2).enumerate() {
            let options = || RequestOptions::new(0u8).follow_redirects(1);
            fresh.submit(build(), options());
            shared.submit_prepared(&prepared, options());
            let (a, wrote_fresh) = next_write(&mut fresh, now);
            let (b, wrote_shared) = next_write(&mut shared, now);
            assert_eq!(wrote_shared, wrote_fresh, "round {round}");
            if round == 1 {
                let wire = String::from_utf8_lossy(&wrote_shared);
                assert!(wire.contains("cookie: ptwebqq=abc\r\n"), "{wire}");
            }
            fresh.handle_input(Input::Data {
                conn: a,
                bytes: answer,
            });
            shared.handle_input(Input::Data {
                conn: b,
                bytes: answer,
            });
            if round == 0 {
                assert_eq!(next_response(&mut shared, now).body, "a");
                next_response(&mut fresh, now);
            } else {
                // The redirect: the next hop is written by both alike.
                let (a, hop_fresh) = next_write(&mut fresh, now);
                let (b, hop_shared) = next_write(&mut shared, now);
                assert_eq!(hop_shared, hop_fresh);
                assert!(hop_shared.starts_with(b"GET /moved HTTP/1.1\r\n"));
                fresh.handle_input(Input::Data {
                    conn: a,
                    bytes: answers[2],
                });
                shared.handle_input(Input::Data {
                    conn: b,
                    bytes: answers[2],
                });
                let response = next_response(&mut shared, now);
                assert_eq!((response.redirects, &response.body[..]), (1, &b"b"[..]));
                assert_eq!(response.uri, "http://w.qq.com/moved");
                next_response(&mut fresh, now);
            }
        }
        // The prepared request itself is untouched by the redirect.
        assert_eq!(prepared.request().uri(), "http://w.qq.com/poll");
    }
}
