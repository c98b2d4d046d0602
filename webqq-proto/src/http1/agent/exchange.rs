//! One request on one connection: sending it, acting on what comes back (retry, redirect,
//! answer), and taking a request out when it ends.
use super::*;

impl<T> Agent<T> {
    pub(super) fn start_exchange(&mut self, id: RequestId, conn: ConnId) {
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        req.place = Place::OnConn(conn);
        req.attempts += 1;
        req.partial = None;
        self.extra_fields.clear();
        if req.accept_encoding {
            self.extra_fields.push((
                header::ACCEPT_ENCODING,
                HeaderValue::from_static(ACCEPT_ENCODING),
            ));
        }
        // The jar's cookies are looked up at each attempt: a redirect or a retry may find
        // new ones.
        if !req.own_cookie && self.jar.holds_any() {
            if let Some(cookie) = req
                .url(&mut self.urls)
                .and_then(|url| self.jar.request_header(url))
            {
                self.extra_fields.push((header::COOKIE, cookie));
            }
        }
        self.write_buf.clear();
        if let Err(e) = req.source.encode(&self.extra_fields, &mut self.write_buf) {
            // The connection was not touched: back to the pool.
            if let Some(c) = self.conns.get(&conn) {
                self.pools.get_mut(c.pool).checkin(conn);
            }
            self.fail_request(id, RequestError::InvalidRequest(e));
            return;
        }
        let close_after = req.close_after;
        let method = req.source.request().method().clone();
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

    pub(super) fn drive_conn(&mut self, conn: ConnId) {
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
    pub(super) fn on_conn_event(&mut self, conn: ConnId, event: Option<ConnEvent>) {
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
                if head.headers.has(&header::SET_COOKIE) {
                    if let Some(url) = req.url(&mut self.urls) {
                        self.jar.store_response(url, &head.headers);
                    }
                }
                if should_retry_after_408(head.status, reused, req.retried) {
                    self.close_conn(conn);
                    self.retry_on_fresh_conn(id);
                    return;
                }
                let redirect = req.max_redirects > 0
                    && redirect_method(head.status, req.source.request().method()).is_some()
                    && head.headers.has(&header::LOCATION);
                let content = match head
                    .headers
                    .first(&header::CONTENT_ENCODING)
                    .map(std::str::from_utf8)
                {
                    Some(Ok(coding)) if !redirect => {
                        ContentDecoder::new(coding, self.config.decoder.limits.max_body_bytes)
                            .ok()
                            .flatten()
                            .map(Box::new)
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
                    self.pools.get_mut(c.pool).checkin(conn);
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
                let replayable = is_replayable(req.source.request().method(), req.replay);
                let retry = !matches!(cause, Cause::Decode(_))
                    && should_retry(attempt, replayable, req.retried);
                if retry {
                    self.retry_on_fresh_conn(id);
                    return;
                }
                self.fail_request(id, failure_error(attempt, cause));
            }
        }
    }

    /// Sends request `id` again, once, on a connection opened for it alone.
    pub(super) fn retry_on_fresh_conn(&mut self, id: RequestId) {
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        req.retried = true;
        req.partial = None;
        self.stats.retries += 1;
        let pool = req.pool;
        let fresh = self.open_conn(pool, Some(id));
        if let Some(req) = self.requests.get_mut(&id) {
            req.place = Place::Reserved(fresh);
        }
    }

    pub(super) fn push_body(&mut self, id: RequestId, data: Bytes) -> Result<(), DecodeError> {
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

    pub(super) fn finish_response(&mut self, id: RequestId, trailers: HeaderMap) {
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
        let Some(mut req) = self.detach(id) else {
            return;
        };
        let response = Response {
            version: partial.head.version,
            status: partial.head.status,
            reason: partial.head.reason,
            headers: partial.head.headers,
            body: partial.body.finish(),
            trailers,
            uri: req.source.take_uri(),
            attempts: req.attempts,
            reused: partial.reused,
            redirects: req.redirects,
        };
        self.emit_response(id, req.tag, Ok(Box::new(response)));
    }

    /// Turns request `id` into the next hop of a redirect and queues it first for its origin.
    pub(super) fn follow_redirect(&mut self, id: RequestId, head: &ResponseHead) {
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        if req.redirects >= req.max_redirects {
            let max = req.max_redirects;
            return self.fail_request(id, RequestError::TooManyRedirects { max });
        }
        let location = head
            .headers
            .first(&header::LOCATION)
            .and_then(|v| std::str::from_utf8(v).ok())
            .unwrap_or("");
        let Some(base) = req.url(&mut self.urls) else {
            // The path only: WebQQ queries carry session keys (ptwebqq, vfwebqq).
            let error = RequestError::InvalidRedirect(format!(
                "the URI of the request to {} is not a URL",
                req.source.request().uri().path()
            ));
            return self.fail_request(id, error);
        };
        let next = resolve_location(base, location).and_then(|url| {
            let uri: Uri = url
                .as_str()
                .parse()
                .map_err(|e| format!("Location {location:?}: {e}"))?;
            let (scheme, host, port) =
                origin_parts(&uri).ok_or_else(|| format!("Location {location:?}: no host"))?;
            let pool = self
                .pools
                .id_of_named_by_server(scheme, host, port)
                .ok_or_else(|| {
                    format!("Location {location:?}: a new origin past the agent's {MAX_ORIGINS}")
                })?;
            Ok((url, uri, pool))
        });
        let (url, uri, pool) = match next {
            Ok(next) => next,
            Err(e) => return self.fail_request(id, RequestError::InvalidRedirect(e)),
        };
        let Some((method, keep_body)) = redirect_method(head.status, req.source.request().method())
        else {
            // Unreachable: only a followed redirect status gets here. Answer rather than
            // leave the request without an outcome.
            let error = RequestError::InvalidRedirect(format!("status {}", head.status));
            return self.fail_request(id, error);
        };
        let request = req.source.to_mut();
        let headers = request.headers_mut();
        if !keep_body {
            for name in [
                header::CONTENT_LENGTH,
                header::CONTENT_TYPE,
                header::TRANSFER_ENCODING,
            ] {
                headers.remove(name);
            }
            *request.body_mut() = Bytes::new();
        }
        if pool != req.pool {
            // Credentials the caller set by hand are for the origin they asked for; the jar
            // decides cookies for the new one.
            request.headers_mut().remove(header::AUTHORIZATION);
            if req.own_cookie {
                request.headers_mut().remove(header::COOKIE);
                req.own_cookie = false;
            }
        }
        request.headers_mut().remove(header::HOST);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        req.url = Some(url);
        req.pool = pool;
        req.redirects += 1;
        req.attempts = 0;
        req.retried = false;
        req.place = Place::Queued;
        self.pools.get_mut(pool).queue.push_front(id);
        self.needs_dispatch = true;
    }

    /// Takes request `id` out of wherever it is; a connection it was on is closed.
    pub(super) fn detach(&mut self, id: RequestId) -> Option<Req<T>> {
        let req = self.requests.remove(&id)?;
        crate::burst::release_burst_map(&mut self.requests);
        match req.place {
            Place::Delayed(at) => {
                self.delayed.remove(&(at, id));
            }
            Place::Queued => {
                self.pools.get_mut(req.pool).queue.retain(|&q| q != id);
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

    pub(super) fn fail_request(&mut self, id: RequestId, error: RequestError) {
        if let Some(req) = self.detach(id) {
            self.emit_response(id, req.tag, Err(error));
        }
    }

    pub(super) fn emit_response(
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

/// The error a caller gets for an attempt that failed and was not retried.
fn failure_error(attempt: Attempt, cause: Cause) -> RequestError {
    let Attempt {
        reused,
        written,
        response_started,
    } = attempt;
    match cause {
        Cause::Closed => RequestError::ConnectionClosed {
            reused,
            written,
            response_started,
        },
        Cause::Io(error) => RequestError::ConnectionReset {
            error,
            reused,
            written,
            response_started,
        },
        Cause::Decode(e) => RequestError::Decode(e),
    }
}
