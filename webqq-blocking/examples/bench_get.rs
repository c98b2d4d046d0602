//! `bench_get URL N`: N sequential keep-alive GETs of URL through one [`Driver`], every body
//! read in full, status 200 and a constant body length checked; prints
//! `webqq-blocking: N requests in S s = R req/s (B body bytes)`, the line the peer clients of
//! `../shared/peers` print, so `scripts/bench-peers` can run it beside them. With N = 0 it only
//! builds the agent and driver (the baseline of the callgrind subtraction).
//!
//! The request is built once, as the floor (`raw-get`) builds its request bytes once, as a
//! [`PreparedRequest`] (the API a WebQQ poll loop uses for a request it repeats), and
//! submitted N times with the agent's defaults (pool, cookie jar, `Accept-Encoding`,
//! deadlines, safe retries): each submit goes through the whole agent, only the checking
//! and encoding of the request's own head are done once. `--fresh` builds a new
//! `http::Request` per GET instead (`Driver::submit`).
use std::time::{Duration, Instant};

use bytes::Bytes;
use webqq_blocking::Driver;
use webqq_blocking::proto::http1::{Agent, AgentConfig, PreparedRequest, RequestOptions};

fn main() {
    let fresh = std::env::args().any(|a| a == "--fresh");
    let mut args = std::env::args().skip(1).filter(|a| a != "--fresh");
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:18080/small.json".to_string());
    let n: u64 = args
        .next()
        .map(|s| s.parse().expect("N must be an integer"))
        .unwrap_or(100_000);
    let uri: http::Uri = url.parse().expect("URL");
    let request = || {
        http::Request::get(uri.clone())
            .body(Bytes::new())
            .expect("request")
    };
    let prepared = PreparedRequest::new(request()).expect("a request the agent can send");

    let agent: Agent<()> = Agent::new(AgentConfig::default(), Instant::now());
    let mut driver = Driver::new(agent, Duration::from_secs(10));
    let mut body_len = None;
    let mut bytes = 0u64;
    let start = Instant::now();
    for _ in 0..n {
        if fresh {
            driver.submit(request(), RequestOptions::new(()));
        } else {
            driver.submit_prepared(&prepared, RequestOptions::new(()));
        }
        let (_, (), result) = driver.next_response().expect("one response per request");
        let response = result.expect("request failed");
        assert_eq!(response.status, 200, "unexpected status");
        let len = response.body.len();
        assert_eq!(*body_len.get_or_insert(len), len, "body length changed");
        bytes += len as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    let rps = if secs > 0.0 { n as f64 / secs } else { 0.0 };
    println!("webqq-blocking: {n} requests in {secs:.3} s = {rps:.0} req/s ({bytes} body bytes)");
}
