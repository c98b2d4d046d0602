//! Differential test: generated responses decoded by our decoder and by Python's h11 must give
//! the same status, reason, fields, body and trailers. Skipped with a note when python3 or h11
//! is missing (`scripts/setup` installs h11), but fails when `CI` is set.
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use support::{any_framing, encode_response, response_with};
use webqq_proto::http1::codec::{DecoderConfig, decode_all};

const CASES: usize = 300;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn field_map(list: &serde_json::Value) -> HeaderMap {
    let mut map = HeaderMap::new();
    for pair in list.as_array().unwrap() {
        let name = HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap();
        map.append(
            name,
            HeaderValue::from_bytes(&unhex(pair[1].as_str().unwrap())).unwrap(),
        );
    }
    map
}

/// Runs the h11 script on `cases`, or `None` (after a note) when h11 is not available.
fn run_h11(cases: &serde_json::Value) -> Option<serde_json::Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/h11_decode.py");
    let unavailable = |why: String| {
        if std::env::var_os("CI").is_some() {
            panic!("h11 differential test cannot run under CI: {why} (run scripts/setup)");
        }
        eprintln!("note: skipping the h11 differential test: {why} (scripts/setup installs h11)");
        None
    };
    let probe = Command::new("python3").args(["-c", "import h11"]).output();
    match probe {
        Err(e) => return unavailable(format!("python3 not found ({e})")),
        Ok(out) if !out.status.success() => return unavailable("python3 cannot import h11".into()),
        Ok(_) => {}
    }
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(cases.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "h11 script failed");
    Some(serde_json::from_slice(&out.stdout).expect("h11 script output is JSON"))
}

#[test]
fn generated_responses_decode_like_h11() {
    let mut runner = TestRunner::new(Config {
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
        ..Config::default()
    });
    let strategy = response_with(any_framing());
    let specs: Vec<_> = (0..CASES)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let wires: Vec<Vec<u8>> = specs.iter().map(encode_response).collect();
    let cases = serde_json::Value::Array(
        wires
            .iter()
            .map(|w| serde_json::json!({"method": "GET", "wire": hex(w)}))
            .collect(),
    );
    let Some(theirs) = run_h11(&cases) else {
        return;
    };
    assert_eq!(theirs.as_array().unwrap().len(), CASES);

    for ((wire, spec), h11) in wires.iter().zip(&specs).zip(theirs.as_array().unwrap()) {
        let ours = decode_all(DecoderConfig::default(), &[Method::GET], [&wire[..]], true);
        let shown = String::from_utf8_lossy(wire);
        assert_eq!(
            h11["error"],
            serde_json::Value::Null,
            "h11 refused {shown:?} ({spec:?})"
        );
        assert_eq!(ours.error, None, "we refused {shown:?}");
        let m = &ours.messages[0];
        assert_eq!(
            m.head.status.as_u16(),
            h11["status"].as_u64().unwrap() as u16,
            "{shown:?}"
        );
        assert_eq!(
            m.head.reason,
            unhex(h11["reason"].as_str().unwrap()),
            "{shown:?}"
        );
        assert_eq!(m.head.headers, field_map(&h11["headers"]), "{shown:?}");
        assert_eq!(m.body, unhex(h11["body"].as_str().unwrap()), "{shown:?}");
        assert_eq!(m.trailers, field_map(&h11["trailers"]), "{shown:?}");
    }
}

#[test]
fn malformed_responses_are_refused_by_both() {
    // Inputs on which the parsers surveyed in keepalive-race.md §7 agree: all refuse them.
    let inputs: [&[u8]; 9] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc__0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX : a\r\nContent-Length: 0\r\n\r\n",
    ];
    let cases = serde_json::Value::Array(
        inputs
            .iter()
            .map(|w| serde_json::json!({"method": "GET", "wire": hex(w)}))
            .collect(),
    );
    let Some(theirs) = run_h11(&cases) else {
        return;
    };
    for (wire, h11) in inputs.iter().zip(theirs.as_array().unwrap()) {
        let shown = String::from_utf8_lossy(wire);
        assert_ne!(
            h11["error"],
            serde_json::Value::Null,
            "h11 accepted {shown:?}"
        );
        let ours = decode_all(DecoderConfig::default(), &[Method::GET], [*wire], true);
        assert!(ours.error.is_some(), "we accepted {shown:?}");
    }
}
