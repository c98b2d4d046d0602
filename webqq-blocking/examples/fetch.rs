//! Fetches URLs in order through one agent (one keep-alive pool), optionally pausing between
//! them, and prints each response (or, with `--json`, one JSON object per URL and a summary).
//!
//! ```text
//! cargo run -p webqq-blocking --example fetch -- [--json] [--method M] [--data S]
//!     [--header 'N: V']... [--gap-ms N] [--resolve HOST:PORT:ADDR]... URL...
//! ```
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use serde::Serialize;
use webqq_blocking::Driver;
use webqq_blocking::proto::http1::{Agent, AgentConfig, RequestError, RequestOptions, Response};

#[derive(Parser)]
#[command(about = "Fetch URLs in order through one keep-alive agent")]
struct Args {
    /// One JSON object per URL, then a summary line.
    #[arg(long)]
    json: bool,
    /// Request method (default GET, or POST with --data).
    #[arg(long)]
    method: Option<String>,
    /// Request body.
    #[arg(long)]
    data: Option<String>,
    /// Extra request header `Name: value` (repeatable).
    #[arg(long = "header", value_name = "N: V")]
    headers: Vec<String>,
    /// Milliseconds to sleep between requests.
    #[arg(long, default_value_t = 0)]
    gap_ms: u64,
    /// Connect to ADDR for HOST:PORT (repeatable), like curl's --resolve.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    resolves: Vec<String>,
    /// URLs to fetch, in order.
    #[arg(required = true)]
    urls: Vec<String>,
}

fn parse_resolve(s: &str) -> Result<(String, u16, SocketAddr), String> {
    let mut parts = s.splitn(3, ':');
    let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("--resolve {s}: want HOST:PORT:ADDR"));
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("--resolve {s}: bad port"))?;
    let ip: IpAddr = addr
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| format!("--resolve {s}: bad address"))?;
    Ok((host.to_string(), port, SocketAddr::new(ip, port)))
}

fn build(args: &Args, url: &str) -> Result<http::Request<Bytes>, String> {
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| if args.data.is_some() { "POST" } else { "GET" }.into());
    let mut builder = http::Request::builder().method(method.as_str()).uri(url);
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?}: want 'Name: value'"))?;
        builder = builder.header(name.trim(), value.trim());
    }
    let has_type = args
        .headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("content-type:"));
    if args.data.is_some() && !has_type {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
    }
    let body = Bytes::from(args.data.clone().unwrap_or_default());
    builder.body(body).map_err(|e| format!("{url}: {e}"))
}

fn version(v: http::Version) -> &'static str {
    match v {
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_11 => "1.1",
        _ => "?",
    }
}

/// One line of `--json` output; fields in the order issue 3 lists them.
#[derive(Serialize)]
struct Line<'a> {
    url: &'a str,
    status: Option<u16>,
    reason: Option<String>,
    version: Option<&'static str>,
    headers: Vec<[String; 2]>,
    body: Option<String>,
    body_len: usize,
    attempts: Option<u32>,
    reused: Option<bool>,
    error: Option<ErrorJson>,
}

#[derive(Serialize)]
struct ErrorJson {
    kind: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Summary {
    requests: usize,
    errors: usize,
    connections_opened: u64,
    reused: u64,
    retries: u64,
}

#[derive(Serialize)]
struct SummaryLine {
    summary: Summary,
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn to_json(url: &str, result: &Result<Box<Response>, RequestError>) -> String {
    let line = match result {
        Ok(r) => Line {
            url,
            status: Some(r.status.as_u16()),
            reason: Some(lossy(&r.reason)),
            version: Some(version(r.version)),
            headers: r
                .headers
                .iter()
                .map(|(n, v)| [n.as_str().to_string(), lossy(v.as_bytes())])
                .collect(),
            body: Some(lossy(&r.body)),
            body_len: r.body.len(),
            attempts: Some(r.attempts),
            reused: Some(r.reused),
            error: None,
        },
        Err(e) => Line {
            url,
            status: None,
            reason: None,
            version: None,
            headers: Vec::new(),
            body: None,
            body_len: 0,
            attempts: None,
            reused: None,
            error: Some(ErrorJson {
                kind: e.kind(),
                message: e.to_string(),
            }),
        },
    };
    serde_json::to_string(&line).expect("plain data serializes")
}

fn print_readable(method: &str, url: &str, result: &Result<Box<Response>, RequestError>) {
    match result {
        Ok(r) => {
            println!(
                "{method} {url} -> HTTP/{} {} {} ({} body bytes, attempts {}, {} connection)",
                version(r.version),
                r.status.as_u16(),
                String::from_utf8_lossy(&r.reason),
                r.body.len(),
                r.attempts,
                if r.reused { "reused" } else { "new" }
            );
            for (name, value) in &r.headers {
                println!("  {name}: {}", String::from_utf8_lossy(value.as_bytes()));
            }
            println!("{}", String::from_utf8_lossy(&r.body));
        }
        Err(e) => println!("{method} {url} -> error ({}): {e}", e.kind()),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = AgentConfig::default();
    let connect_timeout = config.connect_timeout;
    let mut driver: Driver<usize> =
        Driver::new(Agent::new(config, Instant::now()), connect_timeout);
    for r in &args.resolves {
        match parse_resolve(r) {
            Ok((host, port, addr)) => driver.resolve(&host, port, addr),
            Err(e) => {
                eprintln!("fetch: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut errors = 0;
    for (i, url) in args.urls.iter().enumerate() {
        if i > 0 && args.gap_ms > 0 {
            std::thread::sleep(Duration::from_millis(args.gap_ms));
        }
        let request = match build(&args, url) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("fetch: {e}");
                return ExitCode::from(2);
            }
        };
        let method = request.method().to_string();
        driver.submit(request, RequestOptions::new(i));
        let Some((_, _, result)) = driver.next_response() else {
            unreachable!("one request pending")
        };
        errors += usize::from(result.is_err());
        if args.json {
            println!("{}", to_json(url, &result));
        } else {
            print_readable(&method, url, &result);
        }
    }
    let stats = driver.agent().stats();
    if args.json {
        let summary = Summary {
            requests: args.urls.len(),
            errors,
            connections_opened: stats.connections_opened,
            reused: stats.reused,
            retries: stats.retries,
        };
        let line = SummaryLine { summary };
        println!(
            "{}",
            serde_json::to_string(&line).expect("plain data serializes")
        );
    } else {
        println!(
            "{} requests, {errors} errors, {} connections opened, {} reused, {} retries",
            args.urls.len(),
            stats.connections_opened,
            stats.reused,
            stats.retries
        );
    }
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
