//! Deadlines: delayed requests coming due, request/connect/head deadlines, idle expiry.
use super::*;

impl<T> Agent<T> {
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let delayed = self.delayed.first().map(|(at, _)| *at);
        let requests = self.requests.values().filter_map(|r| r.deadline);
        let conns = self
            .conns
            .values()
            .filter_map(|c| c.deadline(self.config.idle_timeout));
        delayed.into_iter().chain(requests).chain(conns).min()
    }

    pub(super) fn run_timers(&mut self) {
        let now = self.now;
        while let Some(&(at, id)) = self.delayed.first() {
            if at > now {
                break;
            }
            self.delayed.pop_first();
            if let Some(req) = self.requests.get_mut(&id) {
                req.place = Place::Queued;
                self.pools.get_mut(req.pool).queue.push_back(id);
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
}
