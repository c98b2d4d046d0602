//! How a response body is delimited (RFC 9112 §6.3) and whether the connection may be reused
//! afterwards (RFC 9112 §9.3): one pure function, [`framing`], built from one small function
//! per rule so that each rule can be read and tested on its own.
use http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Method, StatusCode, Version};

use super::{DecodeError, FieldLookup};

/// How the body of one response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body at all (HEAD, 1xx, 204, 304, 2xx to CONNECT, or `Content-Length: 0`).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the server closes the connection.
    UntilEof,
}

/// The framing decision for one response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// How the body ends.
    pub body: BodyFraming,
    /// Whether the connection may carry another request after this response. False after
    /// `Connection: close`, an HTTP/1.0 response without `keep-alive`, a body delimited by EOF,
    /// a 101 or a CONNECT tunnel, and whenever [`faulty`](Self::faulty) is set.
    pub keep_alive: bool,
    /// The head framed its body ambiguously: `Transfer-Encoding` together with
    /// `Content-Length`, or `Transfer-Encoding` in an HTTP/1.0 response. The body is decoded
    /// by `Transfer-Encoding` (as RFC 9112 §6.3 rule 3 and §6.1 say), but the connection must
    /// not be reused, whatever `Connection` says (request smuggling / response splitting risk).
    pub faulty: bool,
}

/// Decides the body framing and connection reuse of a response to `method` with `status`,
/// `version` and `headers`, following RFC 9112 §6.3 in order.
pub fn framing(
    method: &Method,
    status: StatusCode,
    version: Version,
    headers: &impl FieldLookup,
) -> Result<Framing, DecodeError> {
    let persistent = connection_persists(version, headers);

    // §6.3 rule 1: "Any response to a HEAD request and any response with a 1xx
    // (Informational), 204 (No Content), or 304 (Not Modified) status code is always
    // terminated by the first empty line after the header fields, regardless of the header
    // fields present in the message, and thus cannot contain a message body or trailer
    // section."
    if has_no_body(method, status) {
        // A 101 hands the connection to another protocol: it never carries HTTP again.
        let keep_alive = persistent && status != StatusCode::SWITCHING_PROTOCOLS;
        return Ok(Framing {
            body: BodyFraming::Empty,
            keep_alive,
            faulty: false,
        });
    }

    // §6.3 rule 2: "Any 2xx (Successful) response to a CONNECT request implies that the
    // connection will become a tunnel immediately after the empty line that concludes the
    // header fields."
    if is_tunnel(method, status) {
        return Ok(Framing {
            body: BodyFraming::Empty,
            keep_alive: false,
            faulty: false,
        });
    }

    let has_length = headers.has(&CONTENT_LENGTH);
    if headers.has(&TRANSFER_ENCODING) {
        // §6.3 rule 3: "If a message is received with both a Transfer-Encoding and a
        // Content-Length header field, the Transfer-Encoding overrides the Content-Length.
        // Such a message might indicate an attempt to perform request smuggling (Section 11.2)
        // or response splitting (Section 11.1) and ought to be handled as an error."
        // §6.1: "A server or client that receives an HTTP/1.0 message containing a
        // Transfer-Encoding header field MUST treat the message as if the framing is faulty,
        // even if a Content-Length is present, and close the connection after processing
        // the message."
        let faulty = has_length || version == Version::HTTP_10;
        // §6.3 rule 4: chunked last → chunked; otherwise "the response message body length
        // is determined by reading the connection until it is closed by the server".
        let body = transfer_coding_framing(headers)?;
        let keep_alive = persistent && !faulty && body != BodyFraming::UntilEof;
        return Ok(Framing {
            body,
            keep_alive,
            faulty,
        });
    }

    // §6.3 rules 5 and 6: a valid Content-Length (a list of identical values counting as
    // one) gives the length; an invalid one is an unrecoverable error.
    if let Some(length) = content_length(headers)? {
        let body = if length == 0 {
            BodyFraming::Empty
        } else {
            BodyFraming::Length(length)
        };
        return Ok(Framing {
            body,
            keep_alive: persistent,
            faulty: false,
        });
    }

    // §6.3 rule 8: "Otherwise, this is a response message without a declared message body
    // length, so the message body length is determined by the number of octets received
    // prior to the server closing the connection." Such a connection cannot be reused.
    Ok(Framing {
        body: BodyFraming::UntilEof,
        keep_alive: false,
        faulty: false,
    })
}

/// §6.3 rule 1: HEAD responses and 1xx, 204 and 304 responses end at the head.
pub(crate) fn has_no_body(method: &Method, status: StatusCode) -> bool {
    *method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
}

/// §6.3 rule 2: a 2xx to CONNECT turns the connection into a tunnel.
fn is_tunnel(method: &Method, status: StatusCode) -> bool {
    *method == Method::CONNECT && status.is_success()
}

/// §6.3 rule 4 with §7: the body is chunked when `chunked` is the final transfer coding,
/// else it runs until EOF. All `Transfer-Encoding` lines form one list (RFC 9110 §5.3).
/// §6.1: "A sender MUST NOT apply the chunked transfer coding more than once to a message
/// body", so a second `chunked` is an error; an empty list is not a valid field value either.
fn transfer_coding_framing(headers: &impl FieldLookup) -> Result<BodyFraming, DecodeError> {
    let mut codings = 0usize;
    let mut chunked_count = 0usize;
    let mut last_is_chunked = false;
    for value in headers.values_of(&TRANSFER_ENCODING) {
        for coding in list_members(value) {
            codings += 1;
            // A coding may carry parameters (`gzip;q=...` is not valid, but `x;p=v` is).
            let name = coding.split(|&b| b == b';').next().unwrap_or_default();
            last_is_chunked = trim_ows(name).eq_ignore_ascii_case(b"chunked");
            chunked_count += usize::from(last_is_chunked);
        }
    }
    if codings == 0 {
        return Err(DecodeError::Protocol(
            "empty Transfer-Encoding field".into(),
        ));
    }
    if chunked_count > 1 {
        return Err(DecodeError::Protocol(
            "Transfer-Encoding applies chunked more than once".into(),
        ));
    }
    Ok(if last_is_chunked {
        BodyFraming::Chunked
    } else {
        BodyFraming::UntilEof
    })
}

/// §6.3 rule 5: "If a message is received without Transfer-Encoding and with an invalid
/// Content-Length header field, then the message framing is invalid and the recipient MUST
/// treat it as an unrecoverable error, unless the field value can be successfully parsed as a
/// comma-separated list (Section 5.6.1 of [HTTP]), all values in the list are valid, and all
/// values in the list are the same (in which case, the message is processed with that single
/// value used as the Content-Length field value)."
/// Several `Content-Length` lines form one such list (RFC 9110 §5.3).
pub(crate) fn content_length(headers: &impl FieldLookup) -> Result<Option<u64>, DecodeError> {
    let mut found: Option<u64> = None;
    for value in headers.values_of(&CONTENT_LENGTH) {
        // The usual value is one bare number: no list to split, no OWS to trim.
        if let Some(length) = parse_length(value) {
            if found.is_some_and(|f| f != length) {
                return Err(differ(found.unwrap_or_default(), length));
            }
            found = Some(length);
            continue;
        }
        let mut members = 0usize;
        for member in value.split(|&b| b == b',') {
            members += 1;
            let length = parse_length(trim_ows(member)).ok_or_else(|| {
                DecodeError::Protocol(format!(
                    "invalid Content-Length value {:?}",
                    String::from_utf8_lossy(value)
                ))
            })?;
            if found.is_some_and(|f| f != length) {
                return Err(differ(found.unwrap_or_default(), length));
            }
            found = Some(length);
        }
        debug_assert!(members > 0);
    }
    Ok(found)
}

fn differ(first: u64, other: u64) -> DecodeError {
    DecodeError::Protocol(format!("Content-Length values differ: {first} and {other}"))
}

/// RFC 9110 §8.6: `Content-Length = 1*DIGIT`; no sign, no hex, and it must fit in a u64.
fn parse_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut length = 0u64;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        length = length.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(length)
}

/// RFC 9112 §9.3: "If the close connection option is present (Section 9.6), the connection
/// will not persist after the current response; else, If the received protocol is HTTP/1.1
/// (or later), the connection will persist after the current response; else, If the received
/// protocol is HTTP/1.0, the "keep-alive" connection option is present, either the recipient
/// is not a proxy or the message is a response, and the recipient wishes to honor the
/// HTTP/1.0 "keep-alive" mechanism, the connection will persist after the current response;
/// otherwise, The connection will close after the current response."
pub(crate) fn connection_persists(version: Version, headers: &impl FieldLookup) -> bool {
    let mut keep_alive = false;
    for value in headers.values_of(&CONNECTION) {
        for option in list_members(value) {
            // RFC 9110 §7.6.1: connection options are case-insensitive.
            if option.eq_ignore_ascii_case(b"close") {
                return false;
            }
            keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
        }
    }
    version != Version::HTTP_10 || keep_alive
}

/// The non-empty members of a comma-separated list (RFC 9110 §5.6.1: recipients ignore empty
/// elements), with optional whitespace trimmed.
fn list_members(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|m| !m.is_empty())
}

/// Strips OWS (SP / HTAB) from both ends.
fn trim_ows(s: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = s.iter().position(|b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_ows(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use http::HeaderValue;

    /// Header fields as (name, value) pairs, in order.
    type Fields<'a> = &'a [(&'a str, &'a str)];

    fn headers(fields: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in fields {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn decide(method: Method, status: u16, version: Version, fields: &[(&str, &str)]) -> Framing {
        framing(
            &method,
            StatusCode::from_u16(status).unwrap(),
            version,
            &headers(fields),
        )
        .unwrap()
    }

    fn refused(status: u16, fields: &[(&str, &str)]) -> DecodeError {
        framing(
            &Method::GET,
            StatusCode::from_u16(status).unwrap(),
            Version::HTTP_11,
            &headers(fields),
        )
        .unwrap_err()
    }

    const V11: Version = Version::HTTP_11;
    const V10: Version = Version::HTTP_10;

    fn fr(body: BodyFraming, keep_alive: bool, faulty: bool) -> Framing {
        Framing {
            body,
            keep_alive,
            faulty,
        }
    }

    #[test]
    fn rule_1_head_1xx_204_304_have_no_body() {
        // "Any response to a HEAD request and any response with a 1xx (Informational),
        // 204 (No Content), or 304 (Not Modified) status code is always terminated by the
        // first empty line after the header fields, regardless of the header fields"
        use BodyFraming::*;
        let cl = [("content-length", "10")];
        let te = [("transfer-encoding", "chunked")];
        let table: &[(Method, u16, Fields, Framing)] = &[
            (Method::HEAD, 200, &cl, fr(Empty, true, false)),
            (Method::HEAD, 200, &te, fr(Empty, true, false)),
            (Method::HEAD, 200, &[], fr(Empty, true, false)),
            (Method::GET, 100, &cl, fr(Empty, true, false)),
            (Method::GET, 103, &[], fr(Empty, true, false)),
            (Method::GET, 204, &cl, fr(Empty, true, false)),
            (Method::GET, 204, &te, fr(Empty, true, false)),
            (Method::GET, 304, &cl, fr(Empty, true, false)),
            // An invalid Content-Length does not matter when the rule says there is no body.
            (
                Method::GET,
                304,
                &[("content-length", "x")],
                fr(Empty, true, false),
            ),
            // 101 Switching Protocols: no body, and the connection leaves HTTP.
            (
                Method::GET,
                101,
                &[("connection", "upgrade")],
                fr(Empty, false, false),
            ),
        ];
        for (method, status, fields, want) in table {
            assert_eq!(
                decide(method.clone(), *status, V11, fields),
                *want,
                "{method} {status} {fields:?}"
            );
        }
    }

    #[test]
    fn rule_2_connect_2xx_is_a_tunnel() {
        // "Any 2xx (Successful) response to a CONNECT request implies that the connection
        // will become a tunnel immediately after the empty line"
        let want = fr(BodyFraming::Empty, false, false);
        assert_eq!(
            decide(Method::CONNECT, 200, V11, &[("content-length", "5")]),
            want
        );
        // A refused CONNECT is an ordinary response.
        assert_eq!(
            decide(Method::CONNECT, 407, V11, &[("content-length", "5")]),
            fr(BodyFraming::Length(5), true, false)
        );
    }

    #[test]
    fn rule_3_te_with_cl_is_chunked_and_not_reusable() {
        // "If a message is received with both a Transfer-Encoding and a Content-Length header
        // field, the Transfer-Encoding overrides the Content-Length. Such a message might
        // indicate an attempt to perform request smuggling ... and ought to be handled as an
        // error."
        let want = fr(BodyFraming::Chunked, false, true);
        let te_cl = [("transfer-encoding", "chunked"), ("content-length", "10")];
        let cl_te = [("content-length", "10"), ("transfer-encoding", "chunked")];
        assert_eq!(decide(Method::GET, 200, V11, &te_cl), want);
        assert_eq!(decide(Method::GET, 200, V11, &cl_te), want);
        // Even an invalid Content-Length is overridden.
        let bad_cl = [("content-length", "nope"), ("transfer-encoding", "chunked")];
        assert_eq!(decide(Method::GET, 200, V11, &bad_cl), want);
    }

    #[test]
    fn rule_4_chunked_last_or_read_until_eof() {
        // "If a Transfer-Encoding header field is present in a response and the chunked
        // transfer coding is the final encoding, the message body length is determined by
        // reading and decoding the chunked data until the transfer coding indicates the data
        // is complete." ... "If a Transfer-Encoding header field is present in a response and
        // the chunked transfer coding is not the final encoding, the message body length is
        // determined by reading the connection until it is closed by the server."
        use BodyFraming::*;
        let table: &[(Fields, Framing)] = &[
            (
                &[("transfer-encoding", "chunked")],
                fr(Chunked, true, false),
            ),
            (
                &[("transfer-encoding", "CHUNKED")],
                fr(Chunked, true, false),
            ),
            (
                &[("transfer-encoding", "gzip, chunked")],
                fr(Chunked, true, false),
            ),
            (
                &[
                    ("transfer-encoding", "gzip"),
                    ("transfer-encoding", "chunked"),
                ],
                fr(Chunked, true, false),
            ),
            (&[("transfer-encoding", "gzip")], fr(UntilEof, false, false)),
            (
                &[("transfer-encoding", "chunkedchunked")],
                fr(UntilEof, false, false),
            ),
            (
                &[("transfer-encoding", "identity")],
                fr(UntilEof, false, false),
            ),
            (
                &[("transfer-encoding", "chunked, identity")],
                fr(UntilEof, false, false),
            ),
        ];
        for (fields, want) in table {
            assert_eq!(decide(Method::GET, 200, V11, fields), *want, "{fields:?}");
        }
    }

    #[test]
    fn rule_4_chunked_applied_twice_or_empty_is_an_error() {
        // §6.1: "A sender MUST NOT apply the chunked transfer coding more than once"
        for fields in [
            &[("transfer-encoding", "chunked, chunked")][..],
            &[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked"),
            ],
            &[("transfer-encoding", "chunked, gzip, chunked")],
            &[("transfer-encoding", " , ")],
        ] {
            let err = refused(200, fields);
            assert!(err.is_protocol(), "{fields:?}: {err}");
        }
    }

    #[test]
    fn rule_5_content_length_lists_and_invalid_values() {
        // "unless the field value can be successfully parsed as a comma-separated list ...,
        // all values in the list are valid, and all values in the list are the same"
        use BodyFraming::*;
        let table: &[(Fields, BodyFraming)] = &[
            (&[("content-length", "5")], Length(5)),
            (&[("content-length", "5, 5")], Length(5)),
            (
                &[("content-length", "5"), ("content-length", "5")],
                Length(5),
            ),
            (&[("content-length", " 5 ")], Length(5)),
            (&[("content-length", "0")], Empty),
            (&[("content-length", "007")], Length(7)),
            (
                &[("content-length", "7"), ("content-length", "7, 7")],
                Length(7),
            ),
            (
                &[("content-length", "18446744073709551615")],
                Length(u64::MAX),
            ),
        ];
        for (fields, want) in table {
            assert_eq!(
                decide(Method::GET, 200, V11, fields).body,
                *want,
                "{fields:?}"
            );
        }
        for fields in [
            &[("content-length", "5, 6")][..],
            &[("content-length", "5"), ("content-length", "6")],
            &[("content-length", "+5")],
            &[("content-length", "0x5")],
            &[("content-length", "-1")],
            &[("content-length", "")],
            &[("content-length", "5,")],
            &[("content-length", "5 5")],
            &[("content-length", "18446744073709551616")],
            &[("content-length", "99999999999999999999")],
            &[("content-length", "5"), ("content-length", "5, 6")],
            &[("content-length", "5, 5"), ("content-length", "6")],
            &[("content-length", "5/")],
            &[("content-length", ":5")],
        ] {
            let err = refused(200, fields);
            assert!(err.is_protocol(), "{fields:?}: {err}");
            assert!(err.to_string().contains("Content-Length"), "{err}");
        }
    }

    #[test]
    fn rule_8_no_length_reads_until_close() {
        // "Otherwise, this is a response message without a declared message body length, so
        // the message body length is determined by the number of octets received prior to
        // the server closing the connection."
        let want = fr(BodyFraming::UntilEof, false, false);
        assert_eq!(decide(Method::GET, 200, V11, &[]), want);
        assert_eq!(
            decide(Method::GET, 200, V10, &[("connection", "keep-alive")]),
            want
        );
    }

    #[test]
    fn http10_with_transfer_encoding_is_faulty() {
        // §6.1: "A server or client that receives an HTTP/1.0 message containing a
        // Transfer-Encoding header field MUST treat the message as if the framing is faulty,
        // even if a Content-Length is present, and close the connection after processing"
        let fields = [
            ("transfer-encoding", "chunked"),
            ("connection", "keep-alive"),
        ];
        assert_eq!(
            decide(Method::GET, 200, V10, &fields),
            fr(BodyFraming::Chunked, false, true)
        );
    }

    #[test]
    fn keep_alive_per_9_3() {
        // "If the close connection option is present, the connection will not persist ...
        // else, If the received protocol is HTTP/1.1 (or later), the connection will persist
        // ... else, If the received protocol is HTTP/1.0, the "keep-alive" connection option
        // is present ..., the connection will persist"
        let table: &[(Version, Fields, bool)] = &[
            (V11, &[], true),
            (V11, &[("connection", "close")], false),
            (V11, &[("connection", "CLOSE")], false),
            (V11, &[("connection", "foo, Close ,bar")], false),
            (
                V11,
                &[("connection", "keep-alive"), ("connection", "close")],
                false,
            ),
            (V11, &[("connection", "closed")], true),
            (V11, &[("proxy-connection", "close")], true),
            (V10, &[], false),
            (V10, &[("connection", "keep-alive")], true),
            (V10, &[("connection", "Keep-Alive, foo")], true),
            (V10, &[("connection", "keep-alive, close")], false),
        ];
        for (version, fields, want) in table {
            let mut fields = fields.to_vec();
            fields.push(("content-length", "1"));
            let got = decide(Method::GET, 200, *version, &fields);
            assert_eq!(got.keep_alive, *want, "{version:?} {fields:?}");
        }
    }
}
