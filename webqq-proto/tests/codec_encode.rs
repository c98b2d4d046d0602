//! Request encoding, checked by parsing the output back with httparse (an independent parser):
//! generated requests round-trip; the framing fields are the encoder's.
use bytes::{Bytes, BytesMut};
use http::{Method, Request};
use proptest::prelude::*;
use webqq_proto::http1::codec::encode_request;

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::HEAD),
        Just(Method::DELETE)
    ]
}

proptest! {
    #[test]
    fn encoded_requests_parse_back(
        method in method(),
        host in "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5}){1,2}",
        port in prop::option::of(1u16..),
        https in any::<bool>(),
        path in "(/[a-zA-Z0-9._~-]{0,8}){1,4}",
        query in prop::option::of("[a-zA-Z0-9=&%_-]{0,20}"),
        fields in prop::collection::vec(("x-[a-z0-9-]{1,10}", "[!-~]([ !-~]{0,20}[!-~])?"), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let scheme = if https { "https" } else { "http" };
        let authority = match port { Some(p) => format!("{host}:{p}"), None => host.clone() };
        let target = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
        let mut builder = Request::builder().method(method.clone()).uri(format!("{scheme}://{authority}{target}"));
        for (name, value) in &fields {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder.body(Bytes::from(body.clone())).unwrap();
        let mut wire = BytesMut::new();
        encode_request(&req, &mut wire).unwrap();

        let mut slots = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Request::new(&mut slots);
        let head_len = match parsed.parse(&wire).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => panic!("incomplete head"),
        };
        prop_assert_eq!(parsed.method, Some(method.as_str()));
        prop_assert_eq!(parsed.path, Some(target.as_str()));
        prop_assert_eq!(parsed.version, Some(1));
        let default_port = if https { 443 } else { 80 };
        let want_host = match port { Some(p) if p != default_port => format!("{host}:{p}"), _ => host.clone() };
        let got: Vec<(String, Vec<u8>)> =
            parsed.headers.iter().map(|h| (h.name.to_owned(), h.value.to_vec())).collect();
        prop_assert_eq!(&got[0], &("host".to_owned(), want_host.into_bytes()));
        // The caller's fields follow, grouped by name in first-seen order (HeaderMap order).
        let mut want_fields: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, _) in &fields {
            if !want_fields.iter().any(|(n, _)| n == name) {
                for (n, v) in fields.iter().filter(|(n, _)| n == name) {
                    want_fields.push((n.clone(), v.clone().into_bytes()));
                }
            }
        }
        let needs_length = !body.is_empty() || method == Method::POST || method == Method::PUT;
        let mut want_rest = want_fields;
        if needs_length {
            want_rest.push(("content-length".to_owned(), body.len().to_string().into_bytes()));
        }
        prop_assert_eq!(&got[1..], &want_rest[..]);
        prop_assert_eq!(&wire[head_len..], &body[..]);
    }
}
