//! Response decoding speed: our decoder over whole realistic responses, side by side with
//! httparse's bare head parse of the same bytes (no framing, no header map, no body), so the
//! cost of everything the decoder adds shows as a ratio.
//!
//! Run: `cargo bench -p webqq-proto --bench decode`.
use std::hint::black_box;
use std::io::Write;
use std::mem::MaybeUninit;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::Method;
use webqq_proto::http1::codec::{ContentDecoder, DecodeEvent, DecoderConfig, ResponseDecoder};

/// One corpus entry: the wire bytes of one or more pipelined responses, the methods they
/// answer, and where each head starts (for the httparse side).
struct Case {
    name: &'static str,
    wire: Vec<u8>,
    heads: Vec<usize>,
}

const SERVER_FIELDS: &str = "Server: Tencent/1.0\r\nDate: Mon, 23 Oct 2017 08:00:00 GMT\r\n\
    Content-Type: application/json; charset=utf-8\r\nCache-Control: no-cache, no-store\r\n\
    Pragma: no-cache\r\nExpires: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
    Access-Control-Allow-Origin: http://d1.web2.qq.com\r\n\
    Access-Control-Allow-Credentials: true\r\n";

fn poll2_body() -> String {
    // The shape of a SmartQQ poll2 buddy message (webqq-captures.md §45).
    r#"{"retcode":0,"result":[{"poll_type":"message","value":{"msg_id":5832,"from_uin":2440652742,"to_uin":1234567,"msg_id2":681400,"msg_type":9,"reply_ip":176498075,"time":1450000000,"content":[["font",{"size":10,"color":"000000","style":[0,0,0],"name":"Arial"}],"hello"]}}]}"#.to_owned()
}

fn contacts_body() -> String {
    // The shape of get_user_friends2 (webqq-captures.md §25), 60 friends.
    let friends: Vec<String> = (0..60)
        .map(|i| format!(r#"{{"categories":0,"flag":0,"uin":{}}}"#, 2440652742u64 + i))
        .collect();
    let info: Vec<String> = (0..60)
        .map(|i| {
            format!(
                r#"{{"face":0,"flag":8388608,"nick":"nick{i}","uin":{}}}"#,
                2440652742u64 + i
            )
        })
        .collect();
    format!(
        r#"{{"retcode":0,"result":{{"categories":[{{"index":1,"name":"Family","sort":1}}],"friends":[{}],"info":[{}],"marknames":[],"vipinfo":[]}}}}"#,
        friends.join(","),
        info.join(",")
    )
}

fn with_length(body: &[u8], extra: &str) -> Vec<u8> {
    let mut wire = format!(
        "HTTP/1.1 200 OK\r\n{SERVER_FIELDS}{extra}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    wire.extend_from_slice(body);
    wire
}

fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut wire = format!("HTTP/1.1 200 OK\r\n{SERVER_FIELDS}Transfer-Encoding: chunked\r\n\r\n")
        .into_bytes();
    for chunk in body.chunks(size) {
        wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const NOT_MODIFIED: &str = "HTTP/1.1 304 Not Modified\r\nServer: Tencent/1.0\r\n\
    Date: Mon, 23 Oct 2017 08:00:00 GMT\r\nETag: \"5e1-4f1c2a\"\r\n\
    Last-Modified: Wed, 11 Nov 2015 05:00:00 GMT\r\nCache-Control: max-age=600\r\n\r\n";

fn corpus() -> Vec<Case> {
    let single = |name, wire: Vec<u8>| Case {
        name,
        wire,
        heads: vec![0],
    };
    let poll2 = with_length(poll2_body().as_bytes(), "Connection: keep-alive\r\n");
    let mut batch = Vec::new();
    let mut heads = Vec::new();
    for i in 0..10 {
        heads.push(batch.len());
        let response = if i % 2 == 0 {
            NOT_MODIFIED.as_bytes().to_vec()
        } else {
            poll2.clone()
        };
        batch.extend_from_slice(&response);
    }
    vec![
        single("poll2_content_length", poll2.clone()),
        single(
            "contacts_chunked",
            chunked(contacts_body().as_bytes(), 1024),
        ),
        single(
            "gzip_body",
            with_length(
                &gzip(contacts_body().as_bytes()),
                "Content-Encoding: gzip\r\n",
            ),
        ),
        single("not_modified_304", NOT_MODIFIED.as_bytes().to_vec()),
        Case {
            name: "pipelined_batch_10",
            wire: batch,
            heads,
        },
    ]
}

/// Decodes every response in `buf` with one decoder, as a connection would; returns the body
/// bytes seen (so nothing is optimised away).
fn decode_all_responses(
    decoder: &mut ResponseDecoder,
    buf: &mut BytesMut,
    responses: usize,
) -> usize {
    let mut body = 0;
    for _ in 0..responses {
        decoder.reset_for(Method::GET);
        loop {
            match decoder.decode(buf).expect("valid corpus") {
                Some(DecodeEvent::Data(data)) => body += data.len(),
                Some(DecodeEvent::End { .. }) => break,
                Some(_) => {}
                None => panic!("corpus response incomplete"),
            }
        }
    }
    body
}

/// httparse alone: parses each head, nothing else.
fn httparse_heads(wire: &[u8], heads: &[usize]) -> usize {
    let mut total = 0;
    for &at in heads {
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 100];
        let mut response = httparse::Response::new(&mut []);
        let parsed = httparse::ParserConfig::default()
            .parse_response_with_uninit_headers(&mut response, &wire[at..], &mut slots)
            .expect("valid corpus");
        total += parsed.unwrap() + response.headers.len();
    }
    total
}

fn bench(c: &mut Criterion) {
    for case in corpus() {
        let mut group = c.benchmark_group(case.name);
        group.throughput(Throughput::Bytes(case.wire.len() as u64));
        let mut decoder = ResponseDecoder::new(DecoderConfig::default(), Method::GET);
        // One buffer for every iteration, as a connection has: the bytes are copied in (what
        // a read does), decoded, and the split-off pieces dropped, all inside the timed part;
        // the buffer's allocation is reused. A fresh `BytesMut` per iteration would time an
        // allocation (its promotion to shared storage on the first split) and a free per
        // response, and decode bytes that are cold in the cache while httparse parses hot
        // ones.
        let mut buf = BytesMut::with_capacity(case.wire.len());
        group.bench_function("webqq_decoder", |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(black_box(&case.wire));
                black_box(decode_all_responses(
                    &mut decoder,
                    &mut buf,
                    case.heads.len(),
                ))
            })
        });
        group.bench_function("httparse_head_only", |b| {
            b.iter(|| black_box(httparse_heads(black_box(&case.wire), &case.heads)))
        });
        if case.name == "gzip_body" {
            group.bench_function("webqq_decoder_and_gunzip", |b| {
                b.iter(|| {
                    buf.clear();
                    buf.extend_from_slice(black_box(&case.wire));
                    let buf = &mut buf;
                    decoder.reset_for(Method::GET);
                    let mut gunzip = None;
                    let mut out = 0;
                    while let Some(event) = decoder.decode(buf).expect("valid corpus") {
                        match event {
                            DecodeEvent::Head(head) => {
                                let coding = head.headers["content-encoding"].to_str().unwrap();
                                gunzip = ContentDecoder::new(coding, 1 << 24).unwrap();
                            }
                            DecodeEvent::Data(data) => {
                                out += gunzip.as_mut().unwrap().push(&data).unwrap().len();
                            }
                            DecodeEvent::End { .. } => {
                                out += gunzip.as_mut().unwrap().finish().unwrap().len();
                                break;
                            }
                            DecodeEvent::Interim(_) => {}
                        }
                    }
                    black_box(out)
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
