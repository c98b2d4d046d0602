//! Response decoding, one test per rule, each quoting the rule. Every input is decoded whole,
//! split in two at every offset and byte by byte (`support::decode_every_way`), with and
//! without a following EOF, and all ways must agree.
mod support;

use http::{Method, StatusCode, Version};
use support::{decode, decode_every_way, error, error_with, messages, one};
use webqq_proto::http1::codec::{BodyFraming, DecodeError, DecoderConfig, Leniency, Limits};

fn lenient(set: impl Fn(&mut Leniency)) -> DecoderConfig {
    let mut config = DecoderConfig::default();
    set(&mut config.leniency);
    config
}

fn limited(set: impl Fn(&mut Limits)) -> DecoderConfig {
    let mut config = DecoderConfig::default();
    set(&mut config.limits);
    config
}

#[test]
fn content_length_body_and_pipelined_rest() {
    // RFC 9112 §6.3 rule 6: "If a valid Content-Length header field is present without
    // Transfer-Encoding, its decimal value defines the expected message body length in
    // octets."
    let input = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n\
                  {\"retcode\":0}HTTP/1.1 204 No Content\r\n\r\n";
    let all = messages(DecoderConfig::default(), &[Method::GET], input);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].head.status, StatusCode::OK);
    assert_eq!(all[0].head.reason, "OK");
    assert_eq!(all[0].head.version, Version::HTTP_11);
    assert_eq!(all[0].head.headers["content-type"], "application/json");
    assert_eq!(all[0].body, b"{\"retcode\":0}");
    assert_eq!(all[1].head.status, StatusCode::NO_CONTENT);
    // Bytes past the length are the next response's, even when they cannot be one.
    let broken = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabcHTTP/1.1 204 No Content\r\n\r\n";
    let decoded = decode(broken);
    assert_eq!(decoded.messages.len(), 1);
    assert_eq!(decoded.messages[0].body, b"ab");
    assert!(decoded.error.unwrap().is_protocol());
}

#[test]
fn no_body_for_head_1xx_204_304() {
    // §6.3 rule 1: "Any response to a HEAD request and any response with a 1xx
    // (Informational), 204 (No Content), or 304 (Not Modified) status code is always
    // terminated by the first empty line after the header fields, regardless of the header
    // fields present in the message"
    let next = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    for (method, first) in [
        (
            Method::HEAD,
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        ),
        (
            Method::HEAD,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            Method::GET,
            "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
        ),
        (
            Method::GET,
            "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
    ] {
        let input = format!("{first}{next}");
        let all = messages(
            DecoderConfig::default(),
            &[method.clone(), Method::GET],
            input.as_bytes(),
        );
        assert_eq!(all.len(), 2, "{method} {first:?}");
        assert!(all[0].body.is_empty());
        assert_eq!(all[0].head.framing.body, BodyFraming::Empty);
        assert_eq!(all[1].body, b"x");
    }
}

#[test]
fn interim_responses_are_exposed_then_skipped() {
    // RFC 9110 §15.2: "A client MUST be able to parse one or more 1xx responses received
    // prior to a final response, even if the client does not expect one."
    let m = one(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n\
                  HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let interim: Vec<u16> = m.interim.iter().map(|h| h.status.as_u16()).collect();
    assert_eq!(interim, [100, 103]);
    assert_eq!(m.interim[1].headers["link"], "</a.css>");
    assert_eq!(m.head.status, StatusCode::OK);
    assert_eq!(m.body, b"ok");
}

#[test]
fn switching_protocols_is_final_and_leaves_the_rest() {
    // RFC 9110 §15.2.2: after 101 "the server will switch to the protocols defined by the
    // response's Upgrade header field immediately after the empty line".
    let decoded = decode(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00");
    assert_eq!(decoded.error, None);
    assert_eq!(decoded.messages.len(), 1);
    assert!(!decoded.messages[0].head.framing.keep_alive);
    assert_eq!(decoded.rest, b"\x81\x00");
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    // RFC 9112 §7.1: "chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF"; §7.1.1:
    // "A recipient MUST ignore unrecognized chunk extensions"; §7.1.2: trailer fields follow
    // the last chunk.
    let m = one(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                  5;name=value\r\nhello\r\n1 ; a ; b=\"q\"\r\n \r\nA\r\n0123456789\r\n\
                  000;ext\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n");
    assert_eq!(m.body, b"hello 0123456789");
    assert_eq!(m.trailers.len(), 2);
    assert_eq!(m.trailers["x-checksum"], "abc");
    assert!(m.head.framing.keep_alive);
}

#[test]
fn chunk_syntax_errors() {
    // §7.1: "chunk-size = 1*HEXDIG", lines end in CRLF, and chunk data is followed by CRLF.
    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (body, what) in [
        ("5\nhello\r\n0\r\n\r\n", "CRLF"),
        ("3\r\nabc__0\r\n\r\n", "CRLF"),
        ("3\r\nabc\n0\r\n\r\n", "CRLF"),
        ("g\r\n", "hex"),
        ("\r\nabc", "hex"),
        (";x\r\n", "hex"),
        ("5 x\r\nhello\r\n", "chunk-size"),
        ("11111111111111111\r\n", "chunk-size"),
        ("0\r\nbad trailer\r\n\r\n", "trailer"),
    ] {
        let err = error(format!("{head}{body}").as_bytes());
        assert!(err.is_protocol(), "{body:?}: {err}");
        assert!(err.to_string().contains(what), "{body:?}: {err}");
    }
    // Whitespace after the size (before any extension) is accepted, as by h11 and hyper.
    assert_eq!(
        one(format!("{head}3  \r\nabc\r\n0\r\n\r\n").as_bytes()).body,
        b"abc"
    );
}

#[test]
fn transfer_encoding_with_content_length_is_chunked_and_closes() {
    // §6.3 rule 3: "the Transfer-Encoding overrides the Content-Length. Such a message might
    // indicate an attempt to perform request smuggling ... and ought to be handled as an
    // error."
    let decoded = decode(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n\
                           2\r\nhi\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
    );
    assert_eq!(decoded.error, None);
    let m = &decoded.messages[0];
    assert_eq!(m.body, b"hi");
    assert!(m.head.framing.faulty && !m.head.framing.keep_alive);
    assert_eq!(decoded.rest, b"HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn http10_with_transfer_encoding_is_faulty() {
    // §6.1: "A server or client that receives an HTTP/1.0 message containing a
    // Transfer-Encoding header field MUST treat the message as if the framing is faulty, even
    // if a Content-Length is present, and close the connection after processing the message."
    let decoded = decode(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n\
                           1\r\na\r\n0\r\n\r\nleftover",
    );
    let m = &decoded.messages[0];
    assert_eq!((m.head.version, &m.body[..]), (Version::HTTP_10, &b"a"[..]));
    assert!(m.head.framing.faulty && !m.head.framing.keep_alive);
    assert_eq!(decoded.rest, b"leftover");
}

#[test]
fn transfer_encoding_without_final_chunked_reads_until_eof() {
    // §6.3 rule 4: "If a Transfer-Encoding header field is present in a response and the
    // chunked transfer coding is not the final encoding, the message body length is
    // determined by reading the connection until it is closed by the server."
    let m = one(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n5\r\nabcde\r\n0\r\n\r\n");
    assert_eq!(m.head.framing.body, BodyFraming::UntilEof);
    assert_eq!(m.body, b"5\r\nabcde\r\n0\r\n\r\n");
}

#[test]
fn content_length_lists_and_conflicts() {
    // §6.3 rule 5: an invalid Content-Length is "an unrecoverable error, unless the field
    // value can be successfully parsed as a comma-separated list ..., all values in the list
    // are valid, and all values in the list are the same".
    let m = one(b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(m.body, b"abc");
    for cl in ["3, 4", "abc", "-3", "+3", " ", "99999999999999999999"] {
        let err = error(format!("HTTP/1.1 200 OK\r\nContent-Length: {cl}\r\n\r\nabc").as_bytes());
        assert!(
            err.is_protocol() && err.to_string().contains("Content-Length"),
            "{cl:?}: {err}"
        );
    }
    let err = error(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc");
    assert!(err.is_protocol(), "{err}");
}

#[test]
fn no_framing_reads_until_eof_and_never_keeps_alive() {
    // §6.3 rule 8: "the message body length is determined by the number of octets received
    // prior to the server closing the connection."
    let m = one(
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nall of this\r\n\r\nHTTP/1.1 200 OK\r\n",
    );
    assert_eq!(m.head.framing.body, BodyFraming::UntilEof);
    assert!(!m.head.framing.keep_alive);
    assert_eq!(m.body, b"all of this\r\n\r\nHTTP/1.1 200 OK\r\n");
    assert_eq!(one(b"HTTP/1.0 200 OK\r\n\r\n").body, b"");
}

#[test]
fn keep_alive_follows_version_and_connection_options() {
    // RFC 9112 §9.3: close option ⇒ no reuse; HTTP/1.1 persists; HTTP/1.0 persists only with
    // the keep-alive option.
    for (head, keep_alive) in [
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
        (
            "HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n",
            false,
        ),
        ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        (
            "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n",
            true,
        ),
    ] {
        let input = format!("{head}{head}");
        let decoded = decode(input.as_bytes());
        assert_eq!(decoded.error, None);
        // A reusable connection decodes the second response; otherwise it is left over.
        assert_eq!(
            decoded.messages.len(),
            if keep_alive { 2 } else { 1 },
            "{head:?}"
        );
        assert_eq!(
            decoded.messages[0].head.framing.keep_alive, keep_alive,
            "{head:?}"
        );
    }
}

#[test]
fn eof_rules() {
    // RFC 9112 §8: "A client that receives an incomplete response message, which can occur
    // when a connection is closed prematurely ..., MUST record the message as incomplete."
    // Idle connection: a clean close.
    let idle = decode(b"");
    assert_eq!((idle.messages.len(), idle.error), (0, None));
    // Mid-head.
    let err = error(b"HTTP/1.1 200 OK\r\nContent-Le");
    assert_eq!(
        err,
        DecodeError::Incomplete {
            part: "head",
            received: 27,
            expected: None
        }
    );
    // Mid-body with a length: names bytes received and expected.
    let err = error(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    assert_eq!(
        err,
        DecodeError::Incomplete {
            part: "body",
            received: 3,
            expected: Some(10)
        }
    );
    assert_eq!(
        err.to_string(),
        "connection closed mid-body: received 3 of 10 bytes"
    );
    // Mid-chunked body, wherever the cut falls.
    let full = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    for cut in 46..full.len() {
        let err = error(&full[..cut]);
        assert!(err.is_incomplete(), "cut {cut}: {err}");
    }
    // Body until EOF: complete.
    assert_eq!(one(b"HTTP/1.1 200 OK\r\n\r\nabc").body, b"abc");
    // After a complete response, EOF is a clean close too.
    assert_eq!(
        decode(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").error,
        None
    );
}

#[test]
fn head_syntax_errors() {
    // RFC 9112 §4: "status-line = HTTP-version SP status-code SP [ reason-phrase ]",
    // "status-code = 3DIGIT"; §2.2: "A recipient of a bare CR ... MUST consider that element
    // to be invalid"; RFC 9110 §5.5: CR, LF, NUL in a value are invalid.
    for input in [
        &b"HTTP/1.2 200 OK\r\n\r\n"[..],
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 099 Odd\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\rX: y\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n: v\r\n\r\n",
    ] {
        let err = error(input);
        assert!(
            err.is_protocol(),
            "{:?}: {err}",
            String::from_utf8_lossy(input)
        );
    }
    // A missing reason and obs-text in it are fine; the reason is kept as received.
    assert_eq!(one(b"HTTP/1.1 200\r\n\r\n").head.reason, "");
    assert_eq!(
        one(b"HTTP/1.1 200 \xe6\x88\x90\xe5\x8a\x9f\r\n\r\n")
            .head
            .reason,
        "成功".as_bytes()
    );
}

#[test]
fn leniency_obs_fold() {
    // RFC 9112 §5.2: "A user agent that receives an obs-fold in a response message ... MUST
    // replace each received obs-fold with one or more SP octets prior to interpreting the
    // field value."
    let input = b"HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n";
    assert!(error(input).is_protocol());
    let m = &messages(lenient(|l| l.obs_fold = true), &[Method::GET], input)[0];
    assert_eq!(m.head.headers["x-long"], "a    b");
}

#[test]
fn leniency_spaces_before_colon() {
    // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon."
    let input = b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok";
    assert!(error(input).is_protocol());
    let m = &messages(
        lenient(|l| l.spaces_before_colon = true),
        &[Method::GET],
        input,
    )[0];
    assert_eq!(m.body, b"ok");
}

#[test]
fn leniency_bare_lf() {
    // RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line terminator and ignore
    // any preceding CR."
    for input in [
        &b"HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok"[..],
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\nok",
        b"HTTP/1.1 200 OK\n\nok",
    ] {
        let err = error(input);
        assert!(
            err.is_protocol() && err.to_string().contains("bare LF"),
            "{err}"
        );
        let m = &messages(lenient(|l| l.bare_lf = true), &[Method::GET], input)[0];
        assert_eq!(m.body, b"ok");
    }
    let trailer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\n\r\n";
    assert!(error(trailer).to_string().contains("bare LF"));
    let m = &messages(lenient(|l| l.bare_lf = true), &[Method::GET], trailer)[0];
    assert_eq!(m.trailers["a"], "b");
}

#[test]
fn leniency_multiple_spaces_in_status_line() {
    // RFC 9112 §4: single SP separators.
    let input = b"HTTP/1.1  200  OK\r\nContent-Length: 0\r\n\r\n";
    assert!(error(input).is_protocol());
    let m = &messages(
        lenient(|l| l.multiple_spaces_in_status_line = true),
        &[Method::GET],
        input,
    )[0];
    assert_eq!(
        (m.head.status, &m.head.reason[..]),
        (StatusCode::OK, &b"OK"[..])
    );
}

#[test]
fn leniency_empty_lines_before_status() {
    // RFC 9112 §2.2 robustness: empty lines before the start line.
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb";
    let strict = decode(input);
    assert_eq!(strict.messages.len(), 1);
    assert!(strict.error.unwrap().to_string().contains("empty line"));
    let all = messages(
        lenient(|l| l.empty_lines_before_status = true),
        &[Method::GET],
        input,
    );
    assert_eq!(all.len(), 2);
    // Only empty lines before EOF: still a clean close.
    let idle = decode_every_way(
        lenient(|l| l.empty_lines_before_status = true),
        &[Method::GET],
        b"\r\n\r\n",
    );
    assert_eq!((idle.messages.len(), idle.error), (0, None));
}

#[test]
fn limits_are_typed_errors() {
    let big_head = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "v".repeat(200));
    let err = error_with(limited(|l| l.max_head_bytes = 100), big_head.as_bytes());
    assert!(err.is_limit() && err.to_string().contains("head"), "{err}");

    let many = format!(
        "HTTP/1.1 200 OK\r\n{}Content-Length: 0\r\n\r\n",
        "X: 1\r\n".repeat(5)
    );
    let err = error_with(limited(|l| l.max_headers = 5), many.as_bytes());
    assert!(
        err.is_limit() && err.to_string().contains("header fields"),
        "{err}"
    );
    let err = error_with(
        limited(|l| l.max_headers = 300),
        format!("HTTP/1.1 200 OK\r\n{}\r\n", "X: 1\r\n".repeat(301)).as_bytes(),
    );
    assert!(err.is_limit(), "{err}");

    let small_body = limited(|l| l.max_body_bytes = 5);
    for input in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        b"HTTP/1.1 200 OK\r\n\r\nabcdef",
    ] {
        let err = error_with(small_body, input);
        assert!(err.is_limit() && err.to_string().contains("body"), "{err}");
    }
    // Exactly at the limit is fine.
    assert_eq!(
        messages(small_body, &[Method::GET], b"HTTP/1.1 200 OK\r\n\r\nabcde")[0].body,
        b"abcde"
    );

    let ext = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;{}\r\na\r\n0\r\n\r\n",
        "e".repeat(100)
    );
    let err = error_with(limited(|l| l.max_chunk_line_bytes = 64), ext.as_bytes());
    assert!(
        err.is_limit() && err.to_string().contains("chunk-size line"),
        "{err}"
    );

    let trailers = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: {}\r\n\r\n",
        "t".repeat(100)
    );
    let err = error_with(limited(|l| l.max_trailer_bytes = 64), trailers.as_bytes());
    assert!(
        err.is_limit() && err.to_string().contains("trailer"),
        "{err}"
    );
}

#[test]
fn default_limits_hold_against_endless_input() {
    // An endless head, chunk-size line or trailer section is cut at its limit, never
    // buffered without bound. Fed in 4 KiB reads like a socket would.
    let config = DecoderConfig::default();
    for (prefix, filler) in [
        ("HTTP/1.1 200 OK\r\n", "X-Fill: aaaaaaaaaaaaaaaa\r\n"),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;",
            "eeeeeeeeeeeeeeee",
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
            "X-T: tttttttttttt\r\n",
        ),
    ] {
        let input = format!("{prefix}{}", filler.repeat(80 * 1024 / filler.len()));
        let decoded = webqq_proto::http1::codec::decode_all(
            config,
            &[Method::GET],
            input.as_bytes().chunks(4096),
            false,
        );
        let err = decoded.error.expect("a limit error");
        assert!(err.is_limit(), "{prefix:?}: {err}");
    }
}

#[test]
fn errors_say_what_and_where() {
    let cases: [(&[u8], &str); 4] = [
        (
            b"HTTP/1.1 200 OK\r\nX\x01: v\r\n\r\n",
            "invalid header name in the response head",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
            "Content-Length values differ: 1 and 2",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "chunk-size line \"zz\"",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab",
            "chunk data is not followed by CRLF",
        ),
    ];
    for (input, want) in cases {
        let err = error(input);
        assert!(
            err.to_string().contains(want),
            "{err} should contain {want:?}"
        );
    }
}

#[test]
fn pipelined_sequence_of_mixed_framings() {
    let one_of_each = [
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfour!",
        "HTTP/1.1 200 OK\r\n\r\nfive until eof",
    ];
    let input = one_of_each.concat();
    let all = messages(
        DecoderConfig::default(),
        &[Method::POST, Method::GET],
        input.as_bytes(),
    );
    let bodies: Vec<&[u8]> = all.iter().map(|m| &m.body[..]).collect();
    assert_eq!(
        bodies,
        [&b"one"[..], b"two", b"", b"four!", b"five until eof"]
    );
    assert_eq!(all[0].interim.len(), 1);
}

#[test]
fn gzip_content_coding_after_chunked_transfer_coding() {
    // RFC 9110 §8.4: content coding is a property of the representation, undone after the
    // transfer coding; the decoded size is held to the body limit.
    use std::io::Write;
    use webqq_proto::http1::codec::ContentDecoder;
    let text = br#"{"retcode":0,"result":{"friends":[{"uin":2440652742}]}}"#.repeat(20);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let gz = gz.finish().unwrap();
    let mut wire =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in gz.chunks(50) {
        wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    let m = one(&wire);
    let coding = m.head.headers["content-encoding"].to_str().unwrap();
    let inflate = |max: u64| -> Result<Vec<u8>, DecodeError> {
        let mut d = ContentDecoder::new(coding, max)?.unwrap();
        let mut out = Vec::new();
        for piece in m.body.chunks(7) {
            out.extend_from_slice(&d.push(piece)?);
        }
        out.extend_from_slice(&d.finish()?);
        Ok(out)
    };
    assert_eq!(inflate(1 << 20).unwrap(), text);
    assert!(inflate(100).unwrap_err().is_limit());
}
