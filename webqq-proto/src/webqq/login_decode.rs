//! Decoders of the ptlogin replies: the login page's `login_sig`, `ptui_checkVC`, `ptuiCB`
//! of `/login` and of `/ptqrlogin` (protocol §3.2, §3.3, §3.6, §3.8).

use std::fmt;

use super::error::{DecodeError, DecodeErrorKind};
use super::jscall::{parse_js_call, text};
use super::secret::Secret;

/// Protocol §3.2: `var g_login_sig=encodeURIComponent("<sig>");` in the login page. From
/// 2015-04 the page no longer has it and an empty `login_sig` is accepted, so `None` is not
/// an error.
pub fn parse_login_sig(html: &[u8]) -> Option<String> {
    const MARK: &str = "g_login_sig=encodeURIComponent(\"";
    let body =
        std::str::from_utf8(html.get(..html.len().min(super::error::MAX_DECODE_BODY))?).ok()?;
    let start = body.find(MARK)? + MARK.len();
    let len = body[start..].find('"')?;
    Some(body[start..start + len].to_string())
}

/// Protocol §3.11: the `pt4_auth` reply is a JS callback "whose 2nd quoted argument is a
/// `https://ptlogin4.web2.qq.com/check_sig?...` URL when the token is still valid". The
/// callback's name is not recorded, so any identifier is accepted. `None`: token not valid.
pub fn parse_pt4_auth(body: &[u8]) -> Option<String> {
    let open = body.iter().position(|&b| b == b'(')?;
    let name = std::str::from_utf8(&body[..open]).ok()?.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let args = parse_js_call("pt4_auth", name, body).ok()?;
    let url = text(args.get(1)?);
    (url.starts_with("http") && url.contains("check_sig")).then_some(url)
}

/// What `/check` says about the captcha (protocol §3.3, argument 1 and 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// `'0'`: no captcha; use this verify code (`!` + 3 characters).
    NoCaptcha {
        /// The verify code to hash into `p`.
        verify_code: String,
    },
    /// `'1'`: a captcha is needed; the token goes to `/getimage?cap_cd=`.
    CaptchaRequired {
        /// The captcha session token (`cap_cd`).
        cap_cd: String,
    },
}

/// A decoded `ptui_checkVC(...)` in its 2-, 3- or 5-argument form (protocol §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckVc {
    /// Captcha or verify code.
    pub outcome: CheckOutcome,
    /// Argument 3: the 8-byte salt (absent in the 2-argument ≤2012 form).
    pub salt: Option<[u8; 8]>,
    /// Argument 4 (2015): `pt_verifysession`, to send back as `pt_verifysession_v1`.
    pub pt_verifysession: Option<Secret>,
    /// Argument 5 (2015): `isRandSalt`, echoed as `pt_randsalt`.
    pub rand_salt: Option<String>,
    /// How many arguments the reply had (2, 3 or 5).
    pub fields: usize,
}

/// Decodes a `/check` reply.
pub fn parse_check_vc(body: &[u8]) -> Result<CheckVc, DecodeError> {
    const WHAT: &str = "ptui_checkVC";
    let args = parse_js_call(WHAT, "ptui_checkVC", body)?;
    let bad = |m: &str| DecodeError::new(WHAT, DecodeErrorKind::BadArguments(m.to_string()));
    if !matches!(args.len(), 2 | 3 | 5) {
        return Err(bad(&format!(
            "{} arguments, expected 2, 3 or 5",
            args.len()
        )));
    }
    let second = text(&args[1]);
    let outcome = match args[0].as_slice() {
        b"0" => CheckOutcome::NoCaptcha {
            verify_code: second,
        },
        b"1" => CheckOutcome::CaptchaRequired { cap_cd: second },
        _ => return Err(bad("argument 1 is neither '0' nor '1'")),
    };
    let salt = match args.get(2) {
        Some(s) => Some(<[u8; 8]>::try_from(s.as_slice()).map_err(|_| bad("salt is not 8 bytes"))?),
        None => None,
    };
    Ok(CheckVc {
        outcome,
        salt,
        pt_verifysession: args
            .get(3)
            .map(|a| Secret::new(text(a)))
            .filter(|s| !s.is_empty()),
        rand_salt: args.get(4).map(|a| text(a)),
        fields: args.len(),
    })
}

/// A decoded `ptuiCB('<code>','<sub>','<url>','<redirect>','<message>', '<nick>')`
/// (protocol §3.6, §3.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtuiCb {
    /// Argument 1, the result code.
    pub code: u32,
    /// Argument 2, a sub-code (`'2'` with code 4 = page expired).
    pub sub: String,
    /// Argument 3: the URL to open next (check_sig) on success. Its `ptsigx` is a login
    /// ticket, hence a [`Secret`].
    pub url: Secret,
    /// Argument 5: the human-readable message.
    pub message: String,
    /// Argument 6: the nickname on success.
    pub nick: String,
}

/// Decodes a `/login` or `/ptqrlogin` reply.
pub fn parse_ptui_cb(body: &[u8]) -> Result<PtuiCb, DecodeError> {
    const WHAT: &str = "ptuiCB";
    let args = parse_js_call(WHAT, "ptuiCB", body)?;
    if args.len() < 5 {
        return Err(DecodeError::new(
            WHAT,
            DecodeErrorKind::BadArguments(format!("{} arguments, expected 6", args.len())),
        ));
    }
    let code = text(&args[0]).parse::<u32>().map_err(|_| {
        DecodeError::new(
            WHAT,
            DecodeErrorKind::BadArguments("code is not a number".into()),
        )
    })?;
    Ok(PtuiCb {
        code,
        sub: text(&args[1]),
        url: Secret::new(text(&args[2])),
        message: text(&args[4]),
        nick: args.get(5).map(|a| text(a)).unwrap_or_default(),
    })
}

/// Why `/login` refused (protocol §3.6, the `ptuiCB` code table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// 1: system busy; retry later.
    Busy,
    /// 2: QQ number expired or invalid.
    AccountInvalid,
    /// 3: wrong account or password.
    WrongPassword,
    /// 4: wrong verification code; restart at `/check`.
    WrongCaptcha,
    /// 4 with sub-code 2: the login page expired; restart at `/check`.
    PageExpired,
    /// 5: verification failed; restart.
    VerificationFailed,
    /// 6: try again.
    TryAgain,
    /// 7: parameter error (shown as "network error").
    BadParameters,
    /// 8: too many logins from this IP.
    TooManyLogins,
    /// 19: account frozen.
    Frozen,
    /// 24: cookies missing (`chkuin`/`ptvfsession`).
    CookiesDisabled,
    /// 71: account banned.
    Banned,
    /// 10005: second verification (QR/"barcode") required.
    SecondVerificationRequired,
    /// Code 0 but the URL is an `aq.qq.com` unlock page: account abnormal.
    Abnormal {
        /// The unlock page.
        url: String,
    },
    /// 65: the QR code expired (only surfaced when the refresh limit is reached).
    QrExpired,
    /// A code not in the table.
    Other {
        /// The code.
        code: u32,
        /// The server's message.
        message: String,
    },
    /// The ptlogin reply could not be decoded at all.
    Malformed(String),
    /// A login step kept failing at the transport or HTTP level.
    Unreachable(String),
}

impl LoginError {
    /// Worth an automatic retry after a pause (1, 6, 8).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LoginError::Busy | LoginError::TryAgain | LoginError::TooManyLogins
        )
    }

    /// The login must restart at `/check` for a fresh captcha or verify code (4, 5).
    pub fn is_restart_at_check(&self) -> bool {
        matches!(
            self,
            LoginError::WrongCaptcha | LoginError::PageExpired | LoginError::VerificationFailed
        )
    }

    /// Only the account owner can fix this (password, ban, freeze, unlock, QR scan).
    pub fn is_fatal(&self) -> bool {
        !self.is_retryable() && !self.is_restart_at_check()
    }
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::Busy => f.write_str("login: system busy (ptuiCB 1)"),
            LoginError::AccountInvalid => {
                f.write_str("login: QQ number expired or invalid (ptuiCB 2)")
            }
            LoginError::WrongPassword => f.write_str("login: wrong account or password (ptuiCB 3)"),
            LoginError::WrongCaptcha => f.write_str("login: wrong verification code (ptuiCB 4)"),
            LoginError::PageExpired => f.write_str("login: page expired (ptuiCB 4/2)"),
            LoginError::VerificationFailed => f.write_str("login: verification failed (ptuiCB 5)"),
            LoginError::TryAgain => f.write_str("login: try again (ptuiCB 6)"),
            LoginError::BadParameters => f.write_str("login: parameter error (ptuiCB 7)"),
            LoginError::TooManyLogins => {
                f.write_str("login: too many logins from this IP (ptuiCB 8)")
            }
            LoginError::Frozen => f.write_str("login: account frozen (ptuiCB 19)"),
            LoginError::CookiesDisabled => f.write_str("login: cookies missing (ptuiCB 24)"),
            LoginError::Banned => f.write_str("login: account banned (ptuiCB 71)"),
            LoginError::SecondVerificationRequired => {
                f.write_str("login: second verification required (ptuiCB 10005)")
            }
            LoginError::Abnormal { url } => write!(f, "login: account abnormal, unlock at {url}"),
            LoginError::QrExpired => {
                f.write_str("login: QR code expired too many times (ptuiCB 65)")
            }
            LoginError::Other { code, message } => write!(f, "login: ptuiCB {code}: {message}"),
            LoginError::Malformed(m) => write!(f, "login: {m}"),
            LoginError::Unreachable(m) => write!(f, "login: server unreachable: {m}"),
        }
    }
}

impl std::error::Error for LoginError {}

/// A successful `/login` or `/ptqrlogin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOk {
    /// The URL to visit next (check_sig, or the proxy page in \[W-early\]); a login ticket.
    pub next_url: Secret,
    /// The account's nickname.
    pub nick: String,
}

/// Maps a `/login` `ptuiCB` to success or a typed [`LoginError`] (protocol §3.6 table).
pub fn login_outcome(cb: &PtuiCb) -> Result<LoginOk, LoginError> {
    Err(match cb.code {
        0 if cb.url.expose().contains("aq.qq.com") => LoginError::Abnormal {
            url: cb.url.expose().to_string(),
        },
        0 => {
            return Ok(LoginOk {
                next_url: cb.url.clone(),
                nick: cb.nick.clone(),
            });
        }
        1 => LoginError::Busy,
        2 => LoginError::AccountInvalid,
        3 => LoginError::WrongPassword,
        4 if cb.sub == "2" => LoginError::PageExpired,
        4 => LoginError::WrongCaptcha,
        5 => LoginError::VerificationFailed,
        6 => LoginError::TryAgain,
        7 => LoginError::BadParameters,
        8 => LoginError::TooManyLogins,
        19 => LoginError::Frozen,
        24 => LoginError::CookiesDisabled,
        71 => LoginError::Banned,
        10005 => LoginError::SecondVerificationRequired,
        code => LoginError::Other {
            code,
            message: cb.message.clone(),
        },
    })
}

/// The state of a QR code (protocol §3.8 table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrState {
    /// 66: not scanned yet.
    Waiting,
    /// 67: scanned, waiting for the confirmation on the phone.
    Scanned,
    /// 65: expired; fetch a new `ptqrshow`.
    Expired,
    /// 0: confirmed; visit `next_url`.
    Confirmed(LoginOk),
    /// Anything else: failure.
    Failed(LoginError),
}

/// Maps a `/ptqrlogin` `ptuiCB` to a [`QrState`].
pub fn qr_state(cb: &PtuiCb) -> QrState {
    match cb.code {
        66 => QrState::Waiting,
        67 => QrState::Scanned,
        65 => QrState::Expired,
        _ => match login_outcome(cb) {
            Ok(ok) => QrState::Confirmed(ok),
            Err(e) => QrState::Failed(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_vc_two_field_captures() {
        // Captures §1 (W-early).
        let c = parse_check_vc(
            b"ptui_checkVC('1','9ed32e3f644d968809e8cbeaaf2cce42de62dfee12c14b74');",
        )
        .unwrap();
        assert_eq!(
            c.outcome,
            CheckOutcome::CaptchaRequired {
                cap_cd: "9ed32e3f644d968809e8cbeaaf2cce42de62dfee12c14b74".into()
            }
        );
        assert_eq!((c.salt, c.fields), (None, 2));
        let c = parse_check_vc(b"ptui_checkVC('0','!LOB');").unwrap();
        assert_eq!(
            c.outcome,
            CheckOutcome::NoCaptcha {
                verify_code: "!LOB".into()
            }
        );
    }

    #[test]
    fn check_vc_three_field_captures() {
        // Captures §3 and §5: the salt is the QQ number as u64 big-endian (protocol §3.3).
        let c = parse_check_vc(br"ptui_checkVC('1','4GJSgm18Bw-8yw5JGKpSOXH-0idqvaCU','\x00\x00\x00\x00\xa5\x13\xed\x18');").unwrap();
        assert!(matches!(c.outcome, CheckOutcome::CaptchaRequired { .. }));
        assert_eq!(u64::from_be_bytes(c.salt.unwrap()), 2769546520);
        let c = parse_check_vc(br"ptui_checkVC('0','!PTH','\x00\x00\x00\x00\x64\x74\x8b\x05');")
            .unwrap();
        assert_eq!(
            c.outcome,
            CheckOutcome::NoCaptcha {
                verify_code: "!PTH".into()
            }
        );
        assert_eq!(u64::from_be_bytes(c.salt.unwrap()), 1685359365);
        assert_eq!(c.fields, 3);
    }

    #[test]
    fn check_vc_five_field_examples() {
        // Protocol §3.3's 2015 examples.
        let c = parse_check_vc(br"ptui_checkVC('0','!ZDP','\x96\x00\xb9\xd6\xcf\x87\xae\xf4','34bfca26f1d14b3ab7f93c0deeb782dfc5e723bc055952acf969ebf7d1c4','1');").unwrap();
        assert_eq!(
            c.salt,
            Some([0x96, 0x00, 0xb9, 0xd6, 0xcf, 0x87, 0xae, 0xf4])
        );
        assert_eq!(
            c.pt_verifysession.as_ref().map(|s| s.expose().len()),
            Some(60)
        );
        assert_eq!(c.rand_salt.as_deref(), Some("1"));
        let c = parse_check_vc(br"ptui_checkVC('1','bk9gaJlbRSmYU-nOXKxvPaAxjzPHr99tjldA-NhvvyRe2YxlAt94yA**','\x00\x00\x00\x00\x95\x1a\x82\x5c','','0');").unwrap();
        assert!(matches!(c.outcome, CheckOutcome::CaptchaRequired { .. }));
        assert_eq!(c.pt_verifysession, None, "empty when a captcha is needed");
        assert_eq!(c.fields, 5);
    }

    #[test]
    fn check_vc_refuses_bad_shapes() {
        for bad in [
            &br"ptui_checkVC('0');"[..],
            br"ptui_checkVC('0','!A','\x00');",
            br"ptui_checkVC('2','!ABC');",
            br"ptui_checkVC('0','!A','1','2');",
            b"<html>502</html>",
        ] {
            let e = parse_check_vc(bad).unwrap_err();
            assert!(e.is_malformed(), "{e}");
            assert!(e.to_string().starts_with("ptui_checkVC reply"));
        }
    }

    #[test]
    fn ptuicb_codes_of_the_captures_map_to_typed_errors() {
        // Captures §7, §9, §11, §13.
        let table: &[(&[u8], Result<&str, LoginError>)] = &[
            ("ptuiCB('7','0','','0','很遗憾，网络连接出现异常，请您稍后再试。(2220884626)', '123774072');".as_bytes(), Err(LoginError::BadParameters)),
            ("ptuiCB('4','0','','0','您输入的验证码不正确，请重新输入。', '123774072');".as_bytes(), Err(LoginError::WrongCaptcha)),
            ("ptuiCB('24','0','','0','很遗憾，网络连接出现异常，请您检查是否禁用cookies。(3972006392)', '123774072');".as_bytes(), Err(LoginError::CookiesDisabled)),
            ("ptuiCB('4','2','','0','页面过期，请重试。*', '123774072');".as_bytes(), Err(LoginError::PageExpired)),
            ("ptuiCB('0','0','link','0','登录成功！', '呼吸 (糗百)');".as_bytes(), Ok("link")),
            ("ptuiCB('3','0','','0','您输入的帐号或密码不正确，请重新输入。', '2735534596');".as_bytes(), Err(LoginError::WrongPassword)),
            ("ptuiCB('0','0','http://web.qq.com/loginproxy.html?login2qq=1&webqq_type=10','0','登录成功！', 'Felix Yan');".as_bytes(), Ok("http://web.qq.com/loginproxy.html?login2qq=1&webqq_type=10")),
            ("ptuiCB('0','0','http://ptlogin4.web2.qq.com/check_sig?pttype=1&uin=<qq>&service=login&nodirect=0&ptsigx=<隐藏>&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html%3Flogin2qq%3D1%26webqq_type%3D10&f_url=&ptlang=2052&ptredirect=100&aid=501004106&daid=164&j_later=0&low_login_hour=0&regmaster=0&pt_login_type=1&pt_aid=0&pt_aaid=0&pt_light=0','0','登录成功！', '<昵称>');".as_bytes(), Ok("http://ptlogin4.web2.qq.com/check_sig?pttype=1&uin=<qq>&service=login&nodirect=0&ptsigx=<隐藏>&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html%3Flogin2qq%3D1%26webqq_type%3D10&f_url=&ptlang=2052&ptredirect=100&aid=501004106&daid=164&j_later=0&low_login_hour=0&regmaster=0&pt_login_type=1&pt_aid=0&pt_aaid=0&pt_light=0")),
            ("ptuiCB('71','0','','0','您的帐号由于异常禁止登录，请联系客服。(2009081021)', 'QQNUMBER');".as_bytes(), Err(LoginError::Banned)),
            (b"ptuiCB('0','0','http://aq.qq.com/cn2/abnormal','0','x', 'n');", Err(LoginError::Abnormal { url: "http://aq.qq.com/cn2/abnormal".into() })),
            (b"ptuiCB('12345','0','','0','odd', 'n');", Err(LoginError::Other { code: 12345, message: "odd".into() })),
        ];
        for (body, want) in table {
            let cb = parse_ptui_cb(body).unwrap();
            let got = login_outcome(&cb).map(|ok| ok.next_url.expose().to_string());
            assert_eq!(
                got,
                want.clone().map(String::from),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let ok = login_outcome(
            &parse_ptui_cb("ptuiCB('0','0','link','0','登录成功！', '呼吸 (糗百)');".as_bytes())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(ok.nick, "呼吸 (糗百)");
        assert!(LoginError::Busy.is_retryable());
        assert!(LoginError::WrongCaptcha.is_restart_at_check());
        assert!(LoginError::Banned.is_fatal());
    }

    #[test]
    fn ptqrlogin_capture_and_states() {
        // Captures §15, reassembled as its note says (UTF-8, CRLF at the end).
        let body = "ptuiCB('0','0','http://ptlogin4.web2.qq.com/check_sig?pttype=1&uin=949417747&service=ptqrlogin&nodirect=0&ptsigx=858faebe7a504ee45f1da35dae67c678879eb614a33f2b10294c5e4ef006a2330edb1ebd9f7dad962f4635ba9df4a322a8b526e488ebe94b7b02b8c95a4941af&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html%3Flogin2qq%3D1%26webqq_type%3D10&f_url=&ptlang=2052&ptredirect=100&aid=501004106&daid=164&j_later=0&low_login_hour=0&regmaster=0&pt_login_type=3&pt_aid=0&pt_aaid=16&pt_light=0&pt_3rd_aid=0','0','登录成功！', '小萌姬');\r\n";
        match qr_state(&parse_ptui_cb(body.as_bytes()).unwrap()) {
            QrState::Confirmed(ok) => {
                assert!(
                    ok.next_url
                        .expose()
                        .starts_with("http://ptlogin4.web2.qq.com/check_sig?")
                );
                assert!(ok.next_url.expose().ends_with("pt_3rd_aid=0"));
                assert_eq!(ok.nick, "小萌姬");
            }
            other => panic!("{other:?}"),
        }
        let st = |code: &str| {
            qr_state(
                &parse_ptui_cb(format!("ptuiCB('{code}','0','','0','m', '');").as_bytes()).unwrap(),
            )
        };
        assert_eq!(st("66"), QrState::Waiting);
        assert_eq!(st("67"), QrState::Scanned);
        assert_eq!(st("65"), QrState::Expired);
        assert!(matches!(
            st("10006"),
            QrState::Failed(LoginError::Other { code: 10006, .. })
        ));
    }

    #[test]
    fn pt4_auth_reply_yields_the_check_sig_url_or_nothing() {
        let ok = b"ptui_qlogin_CB('0', 'https://ptlogin4.web2.qq.com/check_sig?pttype=2&uin=1&service=jump', '')";
        assert_eq!(
            parse_pt4_auth(ok).as_deref(),
            Some("https://ptlogin4.web2.qq.com/check_sig?pttype=2&uin=1&service=jump")
        );
        for bad in [
            &b"ptui_qlogin_CB('1', '', '')"[..],
            b"<html>",
            b"x y('0','http://a/check_sig')",
            b"(",
            b"",
        ] {
            assert_eq!(
                parse_pt4_auth(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn login_sig_is_scraped_or_absent() {
        let html = br#"<script>var g_pt_version="10040", g_login_sig=encodeURIComponent("abc*DEF-1");</script>"#;
        assert_eq!(parse_login_sig(html).as_deref(), Some("abc*DEF-1"));
        assert_eq!(parse_login_sig(b"<html>no sig since 2015-04</html>"), None);
    }
}
