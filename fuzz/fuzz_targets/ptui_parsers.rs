//! Fuzzes the ptlogin JavaScript-callback parsers: `ptui_checkVC`, `ptuiCB` (of `/login` and
//! `/ptqrlogin`), the `pt4_auth` callback, the `login_sig` scrape, and the shared argument
//! parser under them.
//!
//! The input is one reply body. Besides "no panic" it asserts: errors are typed
//! (`is_malformed`, named after the callback); whatever the argument parser accepts it gives
//! back the same arguments after they are re-encoded with `\xNN` escapes (a round trip), and
//! after surrounding whitespace and a `;` are added; decoded replies keep their documented
//! shape (2, 3 or 5 checkVC fields, an 8-byte salt from field 3 on); every `ptuiCB` code maps
//! to exactly one login outcome and QR state.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webqq_proto::webqq::jscall::parse_js_call;
use webqq_proto::webqq::login_decode::{
    CheckOutcome, LoginError, QrState, login_outcome, parse_check_vc, parse_login_sig,
    parse_pt4_auth, parse_ptui_cb, qr_state,
};

/// `name('a','b')` with every argument byte outside `[A-Za-z0-9]` written as `\xNN`.
fn encode_call(name: &str, args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("{name}(").into_bytes();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'\'');
        for &b in arg {
            if b.is_ascii_alphanumeric() {
                out.push(b);
            } else {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            }
        }
        out.push(b'\'');
    }
    out.push(b')');
    out
}

fn check_call_round_trip(name: &str, body: &[u8]) {
    let Ok(args) = parse_js_call("fuzz", name, body) else {
        return;
    };
    let again = parse_js_call("fuzz", name, &encode_call(name, &args))
        .expect("re-encoded arguments were refused");
    assert_eq!(args, again, "argument round trip differs");
    let mut padded = b" \r\n".to_vec();
    padded.extend_from_slice(body);
    padded.extend_from_slice(b" \t");
    let padded = parse_js_call("fuzz", name, &padded).expect("surrounding whitespace refused");
    assert_eq!(args, padded, "surrounding whitespace changed the arguments");
}

fuzz_target!(|body: &[u8]| {
    check_call_round_trip("ptui_checkVC", body);
    check_call_round_trip("ptuiCB", body);

    match parse_check_vc(body) {
        Ok(c) => {
            assert!(matches!(c.fields, 2 | 3 | 5), "{} fields", c.fields);
            assert_eq!(c.salt.is_some(), c.fields >= 3);
            assert_eq!(c.rand_salt.is_some(), c.fields == 5);
            assert!(c.fields == 5 || c.pt_verifysession.is_none());
            let args = parse_js_call("fuzz", "ptui_checkVC", body).unwrap();
            let expected = match args[0].as_slice() {
                b"0" => CheckOutcome::NoCaptcha {
                    verify_code: String::from_utf8_lossy(&args[1]).into_owned(),
                },
                b"1" => CheckOutcome::CaptchaRequired {
                    cap_cd: String::from_utf8_lossy(&args[1]).into_owned(),
                },
                other => panic!("accepted a first argument of {other:?}"),
            };
            assert_eq!(c.outcome, expected);
        }
        Err(e) => {
            assert_eq!(e.what, "ptui_checkVC");
            assert!(e.is_malformed(), "{e}");
            assert!(e.to_string().starts_with("ptui_checkVC reply: "));
        }
    }

    match parse_ptui_cb(body) {
        Ok(cb) => {
            let outcome = login_outcome(&cb);
            let abnormal = cb.url.expose().contains("aq.qq.com");
            assert_eq!(outcome.is_ok(), cb.code == 0 && !abnormal);
            if let Err(e) = &outcome {
                // Exactly one of the three classes, and a message naming the login.
                let classes = [e.is_retryable(), e.is_restart_at_check(), e.is_fatal()];
                assert_eq!(classes.iter().filter(|c| **c).count(), 1, "{e:?}");
                assert!(e.to_string().starts_with("login: "));
                assert!(!matches!(
                    e,
                    LoginError::Malformed(_) | LoginError::Unreachable(_)
                ));
            }
            let state = qr_state(&cb);
            match cb.code {
                66 => assert_eq!(state, QrState::Waiting),
                67 => assert_eq!(state, QrState::Scanned),
                65 => assert_eq!(state, QrState::Expired),
                _ => match (&state, &outcome) {
                    (QrState::Confirmed(a), Ok(b)) => assert_eq!(a, b),
                    (QrState::Failed(a), Err(b)) => assert_eq!(a, b),
                    other => panic!("QR state and login outcome disagree: {other:?}"),
                },
            }
        }
        Err(e) => {
            assert_eq!(e.what, "ptuiCB");
            assert!(e.is_malformed(), "{e}");
            assert!(e.to_string().starts_with("ptuiCB reply: "));
        }
    }

    if let Some(url) = parse_pt4_auth(body) {
        assert!(
            url.starts_with("http") && url.contains("check_sig"),
            "{url}"
        );
    }
    if let Some(sig) = parse_login_sig(body) {
        assert!(!sig.contains('"'));
        assert!(sig.len() < body.len());
    }
});
