//! Counters of what the agent did, for tests, benchmarks and the `fetch` summary.

/// Running totals since the agent was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentStats {
    /// Requests submitted.
    pub requests: u64,
    /// Requests finished with an error.
    pub errors: u64,
    /// Connections asked for ([`Output::Connect`](super::Output::Connect)).
    pub connections_opened: u64,
    /// Requests (attempts) sent on a connection that had carried an earlier exchange.
    pub reused: u64,
    /// Attempts sent again after a connection failure.
    pub retries: u64,
    /// Requests that ended in a timeout (connect, head or whole request).
    pub timeouts: u64,
    /// Idle connections closed because the server closed them or sent unsolicited bytes.
    pub idle_closed_by_server: u64,
    /// Idle connections the client closed after its idle timeout.
    pub idle_expired: u64,
    /// Bytes received from servers.
    pub bytes_in: u64,
    /// Bytes handed to the driver for writing.
    pub bytes_out: u64,
}
