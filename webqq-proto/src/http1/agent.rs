//! The request engine (the seed's `HTTPStream`): [`Agent`] takes requests, keeps a keep-alive
//! pool per origin, retries only what is safe (keepalive-race.md §6), enforces deadlines,
//! keeps cookies and decodes bodies. It does no I/O: a driver feeds it [`Input`]s and carries
//! out its [`Output`]s.
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Request, Uri, header};
use url::Url;

use super::body::BodyBuf;
use super::codec::{ContentDecoder, DecodeError, EncodeError, ResponseHead, encode_request};
use super::conn::{Cause, Conn, ConnEvent, ConnState};
use super::pool::{OriginPool, PoolStatus};
use super::redirect::{redirect_method, resolve_location};
use super::retry::{is_replayable, should_retry};
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
    content: Option<ContentDecoder>,
    /// The response is a redirect that will be followed: its body is dropped.
    redirect: bool,
    reused: bool,
}

struct Req<T> {
    tag: T,
    request: Request<Bytes>,
    origin: Origin,
    url: Url,
    /// The caller set `Cookie` itself: the jar does not touch it.
    own_cookie: bool,
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
pub struct Agent<T> {
    config: AgentConfig,
    now: Instant,
    next_conn: u64,
    next_request: u64,
    conns: HashMap<ConnId, Conn>,
    pools: HashMap<Origin, OriginPool>,
    requests: HashMap<RequestId, Req<T>>,
    delayed: BTreeSet<(Instant, RequestId)>,
    needs_dispatch: bool,
    out: VecDeque<Output<T>>,
    write_buf: BytesMut,
    scratch_conns: Vec<ConnId>,
    scratch_requests: Vec<RequestId>,
    jar: CookieJar,
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

impl<T> Agent<T> {
    /// An agent with no connections, its clock starting at `now`.
    pub fn new(config: AgentConfig, now: Instant) -> Self {
        Agent {
            config,
            now,
            next_conn: 0,
            next_request: 0,
            conns: HashMap::new(),
            pools: HashMap::new(),
            requests: HashMap::new(),
            delayed: BTreeSet::new(),
            needs_dispatch: false,
            out: VecDeque::new(),
            write_buf: BytesMut::new(),
            scratch_conns: Vec::new(),
            scratch_requests: Vec::new(),
            jar: CookieJar::new(),
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
            .get(origin)
            .map(OriginPool::status)
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

    /// Queues `request` (an absolute http/https URI; body as `Bytes`). Exactly one
    /// [`Output::Response`] with the returned id follows, unless the request is cancelled.
    /// A request the agent cannot send is answered with an error at the next poll.
    pub fn submit(&mut self, mut request: Request<Bytes>, options: RequestOptions<T>) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.stats.requests += 1;
        let target =
            Origin::from_uri(request.uri()).zip(request.uri().to_string().parse::<Url>().ok());
        let Some((origin, url)) = target else {
            let err =
                EncodeError::InvalidUri(format!("{}: not an absolute http(s) URI", request.uri()));
            self.emit_response(id, options.tag, Err(RequestError::InvalidRequest(err)));
            return id;
        };
        if self.config.accept_encoding && !request.headers().contains_key(header::ACCEPT_ENCODING) {
            request.headers_mut().insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static(ACCEPT_ENCODING),
            );
        }
        let place = match options.not_before {
            Some(at) if at > self.now => Place::Delayed(at),
            _ => Place::Queued,
        };
        match place {
            Place::Delayed(at) => {
                self.delayed.insert((at, id));
            }
            _ => {
                self.pools
                    .entry(origin.clone())
                    .or_default()
                    .queue
                    .push_back(id);
                self.needs_dispatch = true;
            }
        }
        let own_cookie = request.headers().contains_key(header::COOKIE);
        self.requests.insert(
            id,
            Req {
                tag: options.tag,
                request,
                origin,
                url,
                own_cookie,
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

    // ---- timers ----

    fn next_deadline(&self) -> Option<Instant> {
        let delayed = self.delayed.first().map(|(at, _)| *at);
        let requests = self.requests.values().filter_map(|r| r.deadline);
        let conns = self
            .conns
            .values()
            .filter_map(|c| c.deadline(self.config.idle_timeout));
        delayed.into_iter().chain(requests).chain(conns).min()
    }

    fn run_timers(&mut self) {
        let now = self.now;
        while let Some(&(at, id)) = self.delayed.first() {
            if at > now {
                break;
            }
            self.delayed.pop_first();
            if let Some(req) = self.requests.get_mut(&id) {
                req.place = Place::Queued;
                self.pools
                    .entry(req.origin.clone())
                    .or_default()
                    .queue
                    .push_back(id);
                self.needs_dispatch = true;
            }
        }

        let mut due = std::mem::take(&mut self.scratch_requests);
        due.extend(
            self.requests
                .iter()
                .filter(|(_, r)| r.deadline.is_some_and(|d| d <= now))
                .map(|(id, _)| *id),
        );
        due.sort_unstable();
        for id in due.drain(..) {
            self.fail_request(id, RequestError::Timeout(TimeoutPhase::Request));
        }
        self.scratch_requests = due;

        let idle_timeout = self.config.idle_timeout;
        let mut due = std::mem::take(&mut self.scratch_conns);
        due.extend(
            self.conns
                .values()
                .filter(|c| c.deadline(idle_timeout).is_some_and(|d| d <= now))
                .map(|c| c.id),
        );
        due.sort_unstable();
        for conn in due.drain(..) {
            let Some(c) = self.conns.get(&conn) else {
                continue;
            };
            match c.state() {
                ConnState::Connecting => {
                    self.on_connect_lost(conn, RequestError::Timeout(TimeoutPhase::Connect))
                }
                ConnState::Idle => {
                    self.stats.idle_expired += 1;
                    self.close_conn(conn);
                }
                _ => {
                    if let Some(id) = c.request {
                        self.fail_request(id, RequestError::Timeout(TimeoutPhase::Head));
                    } else {
                        self.close_conn(conn);
                    }
                }
            }
        }
        self.scratch_conns = due;
    }

    // ---- pool ----

    fn dispatch_all(&mut self) {
        let origins: Vec<Origin> = self
            .pools
            .iter()
            .filter(|(_, p)| !p.queue.is_empty())
            .map(|(o, _)| o.clone())
            .collect();
        for origin in origins {
            self.dispatch(&origin);
        }
    }

    /// Gives queued requests of `origin` idle connections (most recently used first), then
    /// opens connections for the rest within the limit.
    fn dispatch(&mut self, origin: &Origin) {
        loop {
            let Some(pool) = self.pools.get_mut(origin) else {
                return;
            };
            let Some(&id) = pool.queue.front() else { break };
            let Some(conn) = pool.checkout() else { break };
            pool.queue.pop_front();
            self.start_exchange(id, conn);
        }
        let Some(pool) = self.pools.get(origin) else {
            return;
        };
        for _ in 0..pool.conns_wanted(self.config.max_conns_per_origin) {
            self.open_conn(origin.clone(), None);
        }
    }

    /// Asks the driver for a connection; `reserved` is the retry it is opened for.
    fn open_conn(&mut self, origin: Origin, reserved: Option<RequestId>) {
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        self.stats.connections_opened += 1;
        self.pools
            .entry(origin.clone())
            .or_default()
            .opening(reserved.is_none());
        let mut conn = Conn::connecting(id, origin.clone(), self.now, self.config.connect_timeout);
        conn.request = reserved;
        self.conns.insert(id, conn);
        self.out.push_back(Output::Connect { conn: id, origin });
    }

    fn on_connected(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if !c.connected(self.now) {
            return;
        }
        let reserved = c.request.take();
        let pool = self.pools.entry(c.origin.clone()).or_default();
        pool.opened(reserved.is_none());
        match reserved {
            Some(id) => self.start_exchange(id, conn),
            None => {
                pool.checkin(conn);
                self.needs_dispatch = true;
            }
        }
    }

    /// A connection being opened failed or timed out: its reserved retry, or else the oldest
    /// request queued for its origin, gets the error (a fresh connection is never retried).
    fn on_connect_lost(&mut self, conn: ConnId, error: RequestError) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let victim = c.request.or_else(|| {
            self.pools
                .get(&c.origin)
                .and_then(|p| p.queue.front().copied())
        });
        self.close_conn(conn);
        if let Some(id) = victim {
            self.fail_request(id, error);
        }
    }

    /// Removes the connection and tells the driver to close it.
    fn close_conn(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(pool) = self.pools.get_mut(&c.origin) {
            if c.state() == ConnState::Connecting {
                pool.opened(c.request.is_none());
            }
            pool.closed(conn);
        }
        // A request's bytes not yet handed out must not be written to a dead connection.
        self.out
            .retain(|o| !matches!(o, Output::Write { conn: w, .. } if *w == conn));
        self.out.push_back(Output::Close { conn });
        self.needs_dispatch = true;
    }

    // ---- exchanges ----

    fn start_exchange(&mut self, id: RequestId, conn: ConnId) {
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        req.place = Place::OnConn(conn);
        req.attempts += 1;
        req.partial = None;
        if !req.own_cookie {
            match self.jar.request_header(&req.url) {
                Some(v) => req.request.headers_mut().insert(header::COOKIE, v),
                None => req.request.headers_mut().remove(header::COOKIE),
            };
        }
        self.write_buf.clear();
        if let Err(e) = encode_request(&req.request, &mut self.write_buf) {
            // The connection was not touched: back to the pool.
            if let Some(c) = self.conns.get(&conn) {
                self.pools
                    .entry(c.origin.clone())
                    .or_default()
                    .checkin(conn);
            }
            self.fail_request(id, RequestError::InvalidRequest(e));
            return;
        }
        let close_after = wants_close(req.request.headers());
        let method = req.request.method().clone();
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.start(id, method, close_after, self.config.decoder);
        if c.reused() {
            self.stats.reused += 1;
        }
        let bytes = self.write_buf.split().freeze();
        self.out.push_back(Output::Write { conn, bytes });
    }

    fn drive_conn(&mut self, conn: ConnId) {
        let max_requests = self.config.max_requests_per_conn;
        while let Some(c) = self.conns.get_mut(&conn) {
            let Some(event) = c.next_event(self.now, max_requests) else {
                break;
            };
            self.on_conn_event(conn, Some(event));
        }
    }

    /// Acts on what a connection's bytes meant. `None` (a failure with no exchange in
    /// progress) just closes the connection.
    fn on_conn_event(&mut self, conn: ConnId, event: Option<ConnEvent>) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let (id, reused) = (c.request, c.reused());
        let Some(event) = event else {
            self.close_conn(conn);
            return;
        };
        match event {
            ConnEvent::Head(head) => {
                let Some(id) = id else { return };
                let Some(req) = self.requests.get_mut(&id) else {
                    return;
                };
                self.jar.store_response(&req.url, &head.headers);
                let redirect = req.max_redirects > 0
                    && redirect_method(head.status, req.request.method()).is_some()
                    && head.headers.contains_key(header::LOCATION);
                let content = match head
                    .headers
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.to_str())
                {
                    Some(Ok(coding)) if !redirect => {
                        ContentDecoder::new(coding, self.config.decoder.limits.max_body_bytes)
                            .ok()
                            .flatten()
                    }
                    _ => None,
                };
                req.partial = Some(Partial {
                    head,
                    body: BodyBuf::default(),
                    content,
                    redirect,
                    reused,
                });
            }
            ConnEvent::Data(data) => {
                let Some(id) = id else { return };
                if let Err(e) = self.push_body(id, data) {
                    self.fail_request(id, RequestError::Decode(e));
                }
            }
            ConnEvent::End { trailers, reusable } => {
                if reusable {
                    c.request = None;
                    self.pools
                        .entry(c.origin.clone())
                        .or_default()
                        .checkin(conn);
                    self.needs_dispatch = true;
                } else {
                    self.close_conn(conn);
                }
                if let Some(id) = id {
                    // The connection is no longer the request's (a redirect or a failure of
                    // the finished response must not close it).
                    if let Some(req) = self.requests.get_mut(&id) {
                        req.place = Place::Finishing;
                    }
                    self.finish_response(id, trailers);
                }
            }
            ConnEvent::Failed { attempt, cause } => {
                self.close_conn(conn);
                let Some(id) = id else { return };
                let Some(req) = self.requests.get_mut(&id) else {
                    return;
                };
                let replayable = is_replayable(req.request.method(), req.replay);
                let retry = !matches!(cause, Cause::Decode(_))
                    && should_retry(attempt, replayable, req.retried);
                if retry {
                    req.retried = true;
                    req.partial = None;
                    self.stats.retries += 1;
                    let origin = req.origin.clone();
                    let conn = ConnId(self.next_conn);
                    req.place = Place::Reserved(conn);
                    self.open_conn(origin, Some(id));
                    return;
                }
                let error = match cause {
                    Cause::Closed => RequestError::ConnectionClosed {
                        reused: attempt.reused,
                        written: attempt.written,
                        response_started: attempt.response_started,
                    },
                    Cause::Io(error) => RequestError::ConnectionReset {
                        error,
                        reused: attempt.reused,
                        written: attempt.written,
                        response_started: attempt.response_started,
                    },
                    Cause::Decode(e) => RequestError::Decode(e),
                };
                self.fail_request(id, error);
            }
        }
    }

    fn push_body(&mut self, id: RequestId, data: Bytes) -> Result<(), DecodeError> {
        let Some(partial) = self.requests.get_mut(&id).and_then(|r| r.partial.as_mut()) else {
            return Ok(());
        };
        if partial.redirect {
            return Ok(());
        }
        match partial.content.as_mut() {
            Some(decoder) => {
                let decoded = decoder.push(&data)?;
                partial.body.push(decoded);
            }
            None => partial.body.push(data),
        }
        Ok(())
    }

    fn finish_response(&mut self, id: RequestId, trailers: HeaderMap) {
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        let Some(mut partial) = req.partial.take() else {
            return;
        };
        if let Some(decoder) = partial.content.as_mut() {
            match decoder.finish() {
                Ok(rest) => partial.body.push(rest),
                Err(e) => return self.fail_request(id, RequestError::Decode(e)),
            }
        }
        if partial.redirect {
            return self.follow_redirect(id, &partial.head);
        }
        let Some(req) = self.detach(id) else { return };
        let response = Response {
            version: partial.head.version,
            status: partial.head.status,
            reason: partial.head.reason,
            headers: partial.head.headers,
            body: partial.body.finish(),
            trailers,
            uri: req.request.uri().clone(),
            attempts: req.attempts,
            reused: partial.reused,
            redirects: req.redirects,
        };
        self.emit_response(id, req.tag, Ok(Box::new(response)));
    }

    /// Turns request `id` into the next hop of a redirect and queues it first for its origin.
    fn follow_redirect(&mut self, id: RequestId, head: &ResponseHead) {
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        if req.redirects >= req.max_redirects {
            let max = req.max_redirects;
            return self.fail_request(id, RequestError::TooManyRedirects { max });
        }
        let location = head
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let next = resolve_location(&req.url, location).and_then(|url| {
            let uri: Uri = url
                .as_str()
                .parse()
                .map_err(|e| format!("Location {location:?}: {e}"))?;
            let origin =
                Origin::from_uri(&uri).ok_or_else(|| format!("Location {location:?}: no host"))?;
            Ok((url, uri, origin))
        });
        let (url, uri, origin) = match next {
            Ok(next) => next,
            Err(e) => return self.fail_request(id, RequestError::InvalidRedirect(e)),
        };
        let Some((method, keep_body)) = redirect_method(head.status, req.request.method()) else {
            return;
        };
        let headers = req.request.headers_mut();
        if !keep_body {
            for name in [
                header::CONTENT_LENGTH,
                header::CONTENT_TYPE,
                header::TRANSFER_ENCODING,
            ] {
                headers.remove(name);
            }
            *req.request.body_mut() = Bytes::new();
        }
        if origin != req.origin {
            // Credentials the caller set by hand are for the origin they asked for; the jar
            // decides cookies for the new one.
            req.request.headers_mut().remove(header::AUTHORIZATION);
            if req.own_cookie {
                req.request.headers_mut().remove(header::COOKIE);
                req.own_cookie = false;
            }
        }
        req.request.headers_mut().remove(header::HOST);
        *req.request.method_mut() = method;
        *req.request.uri_mut() = uri;
        req.url = url;
        req.origin = origin.clone();
        req.redirects += 1;
        req.attempts = 0;
        req.retried = false;
        req.place = Place::Queued;
        self.pools.entry(origin).or_default().queue.push_front(id);
        self.needs_dispatch = true;
    }

    // ---- finishing ----

    /// Takes request `id` out of wherever it is; a connection it was on is closed.
    fn detach(&mut self, id: RequestId) -> Option<Req<T>> {
        let req = self.requests.remove(&id)?;
        match req.place {
            Place::Delayed(at) => {
                self.delayed.remove(&(at, id));
            }
            Place::Queued => {
                if let Some(pool) = self.pools.get_mut(&req.origin) {
                    pool.queue.retain(|&q| q != id);
                }
            }
            Place::Reserved(conn) | Place::OnConn(conn) => {
                if self.conns.get(&conn).is_some_and(|c| c.request == Some(id)) {
                    self.close_conn(conn);
                }
            }
            Place::Finishing => {}
        }
        Some(req)
    }

    fn fail_request(&mut self, id: RequestId, error: RequestError) {
        if let Some(req) = self.detach(id) {
            self.emit_response(id, req.tag, Err(error));
        }
    }

    fn emit_response(
        &mut self,
        id: RequestId,
        tag: T,
        result: Result<Box<Response>, RequestError>,
    ) {
        if let Err(e) = &result {
            self.stats.errors += 1;
            if e.is_timeout() {
                self.stats.timeouts += 1;
            }
        }
        self.out.push_back(Output::Response { id, tag, result });
    }
}

/// RFC 9112 §9.6: a request with the `close` connection option ends its connection.
fn wants_close(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("close"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
