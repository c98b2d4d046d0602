//! The request engine's own cost per request (issue 8's budget): one kept-alive connection,
//! each iteration a submit, the Write handed out, a small JSON response fed back, and the
//! Response taken, with cookies in the jar.
//!
//! Run: `cargo bench -p webqq-proto --bench agent`.
use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use webqq_proto::http1::{Agent, AgentConfig, ConnId, Input, Output, RequestOptions};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: Tencent/1.0\r\nContent-Type: application/json; charset=utf-8\r\n\
Cache-Control: no-cache\r\nContent-Length: 32\r\n\r\n{\"retcode\":0,\"result\":\"ok\"}     ";

fn one_request(agent: &mut Agent<u32>, conn: ConnId, now: Instant, request: &http::Request<Bytes>) {
    agent.submit(request.clone(), RequestOptions::new(7));
    let Output::Write { bytes, .. } = agent.poll_output(now) else {
        panic!("want a write")
    };
    black_box(bytes);
    let _ = agent.poll_output(now);
    agent.handle_input(Input::Data {
        conn,
        bytes: RESPONSE,
    });
    let Output::Response { result, .. } = agent.poll_output(now) else {
        panic!("want a response")
    };
    black_box(result.expect("200"));
    let _ = agent.poll_output(now);
}

fn bench(c: &mut Criterion) {
    let now = Instant::now();
    let mut agent: Agent<u32> = Agent::new(AgentConfig::default(), now);
    let request = http::Request::post("http://d1.web2.qq.com/channel/poll2")
        .header("referer", "http://d1.web2.qq.com/proxy.html?v=20151105001")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(
            b"r=%7B%22ptwebqq%22%3A%22x%22%2C%22clientid%22%3A53999199%7D",
        ))
        .unwrap();
    // Open the connection once, with one Set-Cookie to carry.
    agent.submit(request.clone(), RequestOptions::new(0));
    let Output::Connect { conn, .. } = agent.poll_output(now) else {
        panic!("want a connect")
    };
    let _ = agent.poll_output(now);
    agent.handle_input(Input::Connected { conn });
    let _ = agent.poll_output(now);
    agent.handle_input(Input::Data {
        conn,
        bytes: b"HTTP/1.1 200 OK\r\nSet-Cookie: ptwebqq=abc; Domain=qq.com; Path=/\r\nContent-Length: 0\r\n\r\n",
    });
    while !matches!(agent.poll_output(now), Output::Timeout(_)) {}
    c.bench_function("agent/request on a kept-alive connection", |b| {
        b.iter(|| one_request(&mut agent, conn, now, &request))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
