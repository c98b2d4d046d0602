//! The ptlogin replies are JavaScript calls with single-quoted string arguments:
//! `ptui_checkVC('0','!ZDP','\x96\x00…');`, `ptuiCB('0','0','<url>','0','登录成功！', 'nick');`
//! (protocol §1.3, §3.3, §3.6). This parses exactly that shape.

use super::error::{DecodeError, DecodeErrorKind, check_size};

/// More arguments than any ptlogin callback has; a reply with more is refused.
const MAX_JS_ARGS: usize = 16;

/// Parses `name('a','b',...)` (optionally followed by `;` and whitespace) into its
/// arguments as raw bytes, with `\xNN`, `\'`, `\\`, `\n`, `\r`, `\t` and `\uXXXX` escapes decoded.
pub fn parse_js_call(
    what: &'static str,
    name: &str,
    body: &[u8],
) -> Result<Vec<Vec<u8>>, DecodeError> {
    check_size(what, body)?;
    let err = |m: &str| DecodeError::new(what, DecodeErrorKind::BadArguments(m.to_string()));
    let trimmed = trim_ascii(body);
    let rest = trimmed
        .strip_prefix(name.as_bytes())
        .and_then(|r| r.strip_prefix(b"("))
        .ok_or(DecodeError::new(what, DecodeErrorKind::NotJsCall))?;
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while rest.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        match rest.get(i) {
            Some(b')') if args.is_empty() => {
                i += 1;
                break;
            }
            Some(b'\'') => {}
            _ => return Err(err("expected a quoted argument")),
        }
        i += 1;
        let mut arg = Vec::new();
        loop {
            match rest.get(i) {
                None => return Err(err("unterminated string")),
                Some(b'\'') => {
                    i += 1;
                    break;
                }
                Some(b'\\') => {
                    let (bytes, used) =
                        unescape(&rest[i + 1..]).ok_or_else(|| err("bad escape"))?;
                    arg.extend_from_slice(&bytes);
                    i += 1 + used;
                }
                Some(&b) => {
                    arg.push(b);
                    i += 1;
                }
            }
        }
        args.push(arg);
        if args.len() > MAX_JS_ARGS {
            return Err(err("too many arguments"));
        }
        while rest.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        match rest.get(i) {
            Some(b',') => i += 1,
            Some(b')') => {
                i += 1;
                break;
            }
            _ => return Err(err("expected ',' or ')'")),
        }
    }
    let tail = trim_ascii(&rest[i..]);
    if !(tail.is_empty() || tail == b";") {
        return Err(err("trailing bytes after the call"));
    }
    Ok(args)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Decodes one escape (the bytes after the backslash): returns the produced bytes and how
/// many input bytes it used.
fn unescape(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    let hex = |h: &[u8]| {
        std::str::from_utf8(h)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    match *s.first()? {
        b'x' => Some((vec![u8::try_from(hex(s.get(1..3)?)?).ok()?], 3)),
        b'u' => {
            let c = char::from_u32(hex(s.get(1..5)?)?)?;
            Some((c.to_string().into_bytes(), 5))
        }
        b'n' => Some((vec![b'\n'], 1)),
        b'r' => Some((vec![b'\r'], 1)),
        b't' => Some((vec![b'\t'], 1)),
        other => Some((vec![other], 1)),
    }
}

/// A text argument (UTF-8, lossy for stray bytes).
pub fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_escapes_spaces_and_trailing_crlf() {
        let args = parse_js_call(
            "t",
            "ptuiCB",
            b"ptuiCB('0','a\\'b','\\x00\\xa5', 'x\\u4F60');\r\n",
        )
        .unwrap();
        assert_eq!(
            args,
            vec![
                b"0".to_vec(),
                b"a'b".to_vec(),
                vec![0, 0xa5],
                "x你".as_bytes().to_vec()
            ]
        );
    }

    #[test]
    fn refuses_other_shapes_without_panicking() {
        for bad in [
            &b"ptuiCB("[..],
            b"ptuiCB('0'",
            b"ptuiCB('0' '1')",
            b"ptuiCB('\\x4')",
            b"ptuiCB('\\",
            b"other('0')",
            b"ptuiCB('0');alert(1)",
            b"",
        ] {
            assert!(
                parse_js_call("t", "ptuiCB", bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(
            parse_js_call("t", "ptuiCB", b"ptuiCB()")
                .unwrap()
                .is_empty()
        );
    }
}
