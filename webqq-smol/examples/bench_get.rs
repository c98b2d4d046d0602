//! `bench_get URL N`: N sequential keep-alive GETs of URL through one [`HttpDriver`] on
//! `smol::block_on`, every body read in full, status 200 and a constant body length checked;
//! prints `webqq-smol: N requests in S s = R req/s (B body bytes)`, the line the peer clients
//! of `../shared/peers` print, so `scripts/bench-peers` can run it beside them. With N = 0 it
//! only builds the agent and driver (the baseline of the callgrind subtraction).
//!
//! The URI is parsed once, as the floor (`raw-get`) does; each request is a fresh
//! `http::Request` with the agent's defaults (pool, cookies, `Accept-Encoding`, deadlines).
use std::time::Instant;

use bytes::Bytes;
use webqq_smol::HttpDriver;
use webqq_smol::proto::http1::{Agent, AgentConfig, RequestOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:18080/small.json".to_string());
    let n: u64 = args
        .next()
        .map(|s| s.parse().expect("N must be an integer"))
        .unwrap_or(100_000);
    let uri: http::Uri = url.parse().expect("URL");

    smol::block_on(async {
        let agent: Agent<()> = Agent::new(AgentConfig::default(), Instant::now());
        let mut driver = HttpDriver::new(agent);
        let mut body_len = None;
        let mut bytes = 0u64;
        let start = Instant::now();
        for _ in 0..n {
            let request = http::Request::get(uri.clone())
                .body(Bytes::new())
                .expect("request");
            driver.submit(request, RequestOptions::new(()));
            let (_, (), result) = driver
                .next_response()
                .await
                .expect("one response per request");
            let response = result.expect("request failed");
            assert_eq!(response.status, 200, "unexpected status");
            let len = response.body.len();
            assert_eq!(*body_len.get_or_insert(len), len, "body length changed");
            bytes += len as u64;
        }
        let secs = start.elapsed().as_secs_f64();
        let rps = if secs > 0.0 { n as f64 / secs } else { 0.0 };
        println!("webqq-smol: {n} requests in {secs:.3} s = {rps:.0} req/s ({bytes} body bytes)");
    });
}
