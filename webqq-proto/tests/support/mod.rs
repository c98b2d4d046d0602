//! Helpers shared by the integration tests: the every-split decoding runner, a test response
//! encoder and proptest strategies for responses.
// Each test file uses a different part of this module.
#![allow(dead_code)]

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use proptest::prelude::*;
use webqq_proto::http1::codec::{DecodeError, Decoded, DecoderConfig, Message, decode_all};

/// Decodes `input` (one connection's bytes, then EOF) whole, split in two at every offset, and
/// byte by byte; asserts that every way gives the same result, and returns it.
///
/// Without the EOF the completed messages must agree too, but an error may show later in a
/// split run: the decoder parses a head again only once its end can have arrived (see
/// `ResponseDecoder::decode`), so an error inside an unfinished head waits for that end, the
/// head limit or EOF.
pub fn decode_every_way(config: DecoderConfig, methods: &[Method], input: &[u8]) -> Decoded {
    let show = || String::from_utf8_lossy(input).into_owned();
    let whole = decode_all(config, methods, [input], true);
    let open = decode_all(config, methods, [input], false);
    let ways = (0..=input.len())
        .map(|at| vec![&input[..at], &input[at..]])
        .chain([input.chunks(1).collect::<Vec<_>>()]);
    for (way, pieces) in ways.enumerate() {
        let how = if way > input.len() {
            "byte by byte".to_owned()
        } else {
            format!("split at {way}")
        };
        let split = decode_all(config, methods, pieces.iter().copied(), true);
        assert_eq!(split, whole, "{how} differs from whole for {:?}", show());
        let split_open = decode_all(config, methods, pieces, false);
        assert_eq!(
            split_open.messages,
            open.messages,
            "{how} without EOF: {:?}",
            show()
        );
        if split_open.error.is_some() {
            assert_eq!(
                split_open.error,
                open.error,
                "{how} without EOF: {:?}",
                show()
            );
        }
    }
    whole
}

/// Same as [`decode_every_way`] with the default config and every request a GET.
pub fn decode(input: &[u8]) -> Decoded {
    decode_every_way(DecoderConfig::default(), &[Method::GET], input)
}

/// The responses of `input`, which must decode without error.
pub fn messages(config: DecoderConfig, methods: &[Method], input: &[u8]) -> Vec<Message> {
    let decoded = decode_every_way(config, methods, input);
    if let Some(e) = decoded.error {
        panic!("{:?}: unexpected error {e}", String::from_utf8_lossy(input));
    }
    decoded.messages
}

/// The one response of `input` (default config, GET), which must decode without error.
pub fn one(input: &[u8]) -> Message {
    let mut all = messages(DecoderConfig::default(), &[Method::GET], input);
    assert_eq!(all.len(), 1, "{:?}", String::from_utf8_lossy(input));
    all.remove(0)
}

/// The error that decoding `input` ends with (however it is split).
pub fn error_with(config: DecoderConfig, input: &[u8]) -> DecodeError {
    let decoded = decode_every_way(config, &[Method::GET], input);
    decoded
        .error
        .unwrap_or_else(|| panic!("{:?} decoded without error", String::from_utf8_lossy(input)))
}

/// The error that decoding `input` with the default config ends with.
pub fn error(input: &[u8]) -> DecodeError {
    error_with(DecoderConfig::default(), input)
}

/// How a generated response delimits its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySpec {
    /// `Content-Length`.
    Length,
    /// `Transfer-Encoding: chunked`, with these chunk sizes (cycled over the body) and trailers.
    Chunked {
        sizes: Vec<usize>,
        trailers: Vec<(String, String)>,
    },
    /// No framing header: the body runs to EOF (must be the last response).
    UntilEof,
}

/// A response for the test encoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSpec {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub framing: BodySpec,
}

/// The test encoder: the wire bytes of `spec`, written independently of the decoder.
pub fn encode_response(spec: &ResponseSpec) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", spec.status, spec.reason).into_bytes();
    for (name, value) in &spec.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    match &spec.framing {
        BodySpec::Length => {
            out.extend_from_slice(
                format!("Content-Length: {}\r\n\r\n", spec.body.len()).as_bytes(),
            );
            out.extend_from_slice(&spec.body);
        }
        BodySpec::Chunked { sizes, trailers } => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            let mut rest = &spec.body[..];
            let mut size = sizes.iter().cycle();
            while !rest.is_empty() {
                let n = (*size.next().unwrap_or(&1)).clamp(1, rest.len());
                out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                out.extend_from_slice(&rest[..n]);
                out.extend_from_slice(b"\r\n");
                rest = &rest[n..];
            }
            out.extend_from_slice(b"0\r\n");
            for (name, value) in trailers {
                out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
        BodySpec::UntilEof => {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&spec.body);
        }
    }
    out
}

/// Checks that `got` is the message `spec` describes.
pub fn assert_matches_spec(got: &Message, spec: &ResponseSpec) {
    assert_eq!(got.head.status, StatusCode::from_u16(spec.status).unwrap());
    assert_eq!(got.head.reason, spec.reason.as_bytes());
    let mut want = fields(&spec.headers);
    match &spec.framing {
        BodySpec::Length => {
            want.append("content-length", HeaderValue::from(spec.body.len()));
        }
        BodySpec::Chunked { .. } => {
            want.append("transfer-encoding", HeaderValue::from_static("chunked"));
        }
        BodySpec::UntilEof => {}
    }
    assert_eq!(got.head.headers, want);
    assert_eq!(got.body, spec.body);
    let trailers = match &spec.framing {
        BodySpec::Chunked { trailers, .. } => fields(trailers),
        _ => HeaderMap::new(),
    };
    assert_eq!(got.trailers, trailers);
}

/// A header map from (name, value) pairs, in order.
pub fn fields(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// A field name that is not a framing or connection field.
pub fn field_name() -> impl Strategy<Value = String> {
    "x-[a-z0-9-]{1,12}|server|date|content-type|set-cookie|cache-control"
}

/// A field value: visible ASCII with inner spaces, nothing to trim.
pub fn field_value() -> impl Strategy<Value = String> {
    "[!-~]([ !-~]{0,30}[!-~])?|"
}

/// Fields of a generated head or trailer section.
pub fn field_list(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((field_name(), field_value()), 0..max)
}

/// A response with a body (status other than 1xx, 204, 304) framed `framing`.
pub fn response_with(
    framing: impl Strategy<Value = BodySpec>,
) -> impl Strategy<Value = ResponseSpec> {
    let status = (200u16..600).prop_filter("status with a body", |s| *s != 204 && *s != 304);
    (
        status,
        "[A-Za-z]([A-Za-z ]{0,18}[A-Za-z])?|",
        field_list(8),
        prop::collection::vec(any::<u8>(), 0..400),
        framing,
    )
        .prop_map(|(status, reason, headers, body, framing)| ResponseSpec {
            status,
            reason,
            headers,
            body,
            framing,
        })
}

/// Length or chunked framing (the connection stays usable after it).
pub fn reusable_framing() -> impl Strategy<Value = BodySpec> {
    prop_oneof![
        Just(BodySpec::Length),
        (prop::collection::vec(1usize..300, 1..6), field_list(3))
            .prop_map(|(sizes, trailers)| BodySpec::Chunked { sizes, trailers }),
    ]
}

/// Any framing.
pub fn any_framing() -> impl Strategy<Value = BodySpec> {
    prop_oneof![3 => reusable_framing(), 1 => Just(BodySpec::UntilEof)]
}
