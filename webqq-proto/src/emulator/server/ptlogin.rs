//! The ptlogin2 side (protocol §3): login page, /check, captcha, /login with the password
//! schemes, the QR state machine, check_sig, and getvfwebqq.

use http::StatusCode;
use serde_json::json;

use super::{Server, WebLogin, ok};
use crate::emulator::faults::FaultAction;
use crate::emulator::http::{Request, Response, SetCookie};
use crate::emulator::pages;
use crate::emulator::rng::ALNUM;
use crate::webqq::hash::time33;
use crate::webqq::password::{PasswordMd5, PasswordScheme, scheme_a, scheme_b, verify_scheme_c};

use super::params::Params;

/// Verify codes are `!` + 3 characters from this set (protocol §3.3).
const VC_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Captcha answers are 4 letters (protocol §3.4: "a 4-character code").
const CAPTCHA_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

/// What /check issued to an account (protocol §11.2 "Per login attempt").
#[derive(Debug, Clone)]
pub(crate) struct CheckState {
    /// The 8-byte salt (the QQ number, big-endian).
    pub salt: [u8; 8],
    /// The verify code `/login` must carry: `!XYZ`, or the captcha's answer.
    pub vc: String,
    /// A captcha was demanded.
    pub captcha: bool,
    /// The `ptvfsession` / `verifysession` token /login must replay (cookie or
    /// `pt_verifysession_v1`, protocol §3.3, §3.4).
    pub verifysession: String,
}

/// `ptuiCB('<code>','<sub>','<url>','0','<message>', '<nick>');` (protocol §3.6).
pub(super) fn ptui_cb(code: u32, sub: u32, url: &str, message: &str, nick: &str) -> Response {
    Response::js(format!(
        "ptuiCB('{code}','{sub}','{url}','0','{message}', '{nick}');\r\n"
    ))
}

/// The message of a ptuiCB code (protocol §3.6 table; §3.8 for QR codes).
pub(super) fn ptui_message(code: u32) -> &'static str {
    match code {
        0 => "登录成功！",
        1 => "系统繁忙，请稍后重试。",
        3 => "您输入的帐号或密码不正确，请重新输入。",
        4 => "您输入的验证码不正确，请重新输入。",
        7 => "很遗憾，网络连接出现异常，请您稍后再试。(2220884626)",
        19 => "您的帐号暂时无法登录，请点击这里恢复正常使用。",
        24 => "很遗憾，网络连接出现异常，请您检查是否禁用cookies。(3972006392)",
        65 => "二维码已失效。(4294049910)",
        66 => "二维码未失效。(1640598402)",
        67 => "二维码认证中。(1006495463)",
        71 => "您的帐号由于异常禁止登录，请联系客服。(2009081021)",
        _ => "登录失败，请稍后再试。",
    }
}

/// The `uin` cookie value: `o` + the QQ number zero-padded to 10 digits (protocol §1.5).
pub(crate) fn uin_cookie(qq: u64) -> String {
    format!("o{qq:010}")
}

fn salt_of(qq: u64) -> [u8; 8] {
    qq.to_be_bytes()
}

fn js_escaped(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\x{b:02x}")).collect()
}

impl Server {
    pub(super) fn login_page(&mut self) -> Response {
        let sig = self.rng.chars(64, ALNUM);
        Response::ok(
            crate::emulator::http::HTML,
            pages::login_page(&sig, self.profile.appid()),
        )
        .with_cookie(SetCookie::new("pt_login_sig", sig, "ptlogin2.qq.com"))
    }

    /// `/check` (protocol §3.3): 3 arguments [W], 5 arguments [S15].
    pub(super) fn check(&mut self, _req: &Request, params: &Params) -> Response {
        let qq = params.number("uin").unwrap_or(0);
        let captcha = self.world.account(qq).is_some_and(|a| a.captcha);
        // 2015: without a captcha the salt is random and arg 5 says so (protocol §3.3).
        let rand_salt = self.profile.check_has_five_args() && !captcha;
        let salt = if rand_salt {
            let b = self.rng.bytes(8);
            std::array::from_fn(|i| b[i])
        } else {
            salt_of(qq)
        };
        let token = if captcha {
            self.rng.chars(56, ALNUM)
        } else {
            format!("!{}", self.rng.chars(3, VC_ALPHABET))
        };
        let verifysession = if captcha {
            String::new()
        } else {
            self.rng.hex(64)
        };
        if self.world.account(qq).is_some() {
            let vc = if captcha {
                String::new()
            } else {
                token.clone()
            };
            self.checks.insert(
                qq,
                CheckState {
                    salt,
                    vc,
                    captcha,
                    verifysession: verifysession.clone(),
                },
            );
        }
        let flag = u8::from(captcha);
        let body = if self.profile.check_has_five_args() {
            let rand_salt = u8::from(rand_salt);
            format!(
                "ptui_checkVC('{flag}','{token}','{}','{verifysession}','{rand_salt}');\r\n",
                js_escaped(&salt)
            )
        } else {
            format!(
                "ptui_checkVC('{flag}','{token}','{}');\r\n",
                js_escaped(&salt)
            )
        };
        let mut resp = Response::js(body).with_cookie(SetCookie::new("ptisp", "ctc", "qq.com"));
        if !captcha {
            resp = resp.with_cookie(SetCookie::new(
                "ptvfsession",
                verifysession,
                "ptlogin2.qq.com",
            ));
        }
        resp.with_cookie(SetCookie::new("confirmuin", "0", "ptlogin2.qq.com"))
    }

    /// The captcha image (protocol §3.4): a new answer per image.
    pub(super) fn get_image(&mut self, params: &Params) -> Response {
        let qq = params.number("uin").unwrap_or(0);
        let answer = self.rng.chars(4, CAPTCHA_ALPHABET);
        let verifysession = self.rng.hex(64);
        if let Some(check) = self.checks.get_mut(&qq) {
            check.vc = answer.clone();
            check.captcha = true;
            check.verifysession = verifysession.clone();
            self.events
                .push(crate::emulator::Event::CaptchaIssued { qq, answer });
        }
        Response::ok("image/jpeg", pages::CAPTCHA_JPEG).with_cookie(SetCookie::new(
            "verifysession",
            verifysession,
            "qq.com",
        ))
    }

    /// `/login` (protocol §3.6).
    pub(super) fn login(
        &mut self,
        req: &Request,
        params: &Params,
        forced: Option<FaultAction>,
    ) -> Response {
        let qq = params.number("u").unwrap_or(0);
        let qq_text = qq.to_string();
        let fail = |code: u32| ptui_cb(code, 0, "", ptui_message(code), &qq_text);
        match forced {
            Some(FaultAction::LoginCode { code }) => return fail(code),
            Some(FaultAction::Abnormal) => {
                let url = format!(
                    "http://aq.qq.com/cn2/login_limit/login_limit_index?uin={qq}&abnormal=1"
                );
                return ptui_cb(0, 0, &url, ptui_message(0), &qq_text);
            }
            _ => {}
        }
        if self.strict.login_sig && params.non_empty("login_sig").is_none() {
            return fail(7);
        }
        let Some(scheme) = self.profile.password_scheme() else {
            // From 2015-10 SmartQQ had no password login (protocol §0.3).
            return fail(7);
        };
        let Some(account) = self.world.account(qq) else {
            return fail(3);
        };
        let Some(check) = self.checks.get(&qq).cloned() else {
            // No /check before: "page expired, try again" (protocol §3.6, code 4 sub 2).
            return ptui_cb(4, 2, "", "页面过期，请重试。*", &qq_text);
        };
        // Protocol §3.6 code 24: the check's cookie did not come back ("cookies disabled").
        let replayed = [
            params.get("pt_verifysession_v1"),
            req.cookie("verifysession"),
            req.cookie("ptvfsession"),
        ]
        .into_iter()
        .flatten()
        .any(|v| !v.is_empty() && v == check.verifysession);
        if self.strict.cookies && !replayed {
            return fail(24);
        }
        let typed = params.get("verifycode").unwrap_or_default();
        if !typed.eq_ignore_ascii_case(&check.vc) {
            return fail(4);
        }
        let p = params.get("p").unwrap_or_default();
        let password = PasswordMd5::from_password(&account.password);
        let verdict = match scheme {
            PasswordScheme::TripleMd5 => {
                if scheme_a(&password, &check.vc).eq_ignore_ascii_case(&p) {
                    Ok(())
                } else {
                    Err(3)
                }
            }
            PasswordScheme::SaltedMd5 => {
                if scheme_b(&password, &check.salt, &check.vc).eq_ignore_ascii_case(&p) {
                    Ok(())
                } else {
                    Err(3)
                }
            }
            PasswordScheme::RsaTea => verify_scheme_c(&p, &password, &check.salt, &check.vc)
                .map_err(|e| if e.is_wrong_verify_code() { 4 } else { 3 }),
        };
        if let Err(code) = verdict {
            return fail(code);
        }
        self.checks.remove(&qq);
        let nick = account.nick.clone();
        let login = self.mint_login(qq);
        let mut resp = if self.profile.login_uses_check_sig() {
            let url = self.check_sig_url(qq, login.ptsigx.as_deref().unwrap_or(""), false);
            ptui_cb(0, 0, &url, ptui_message(0), &nick)
        } else {
            let u1 = params
                .non_empty("u1")
                .unwrap_or_else(|| self.profile.s_url().to_string());
            ptui_cb(0, 0, &u1, ptui_message(0), &nick)
        };
        if !self.profile.ptwebqq_at_check_sig() {
            resp = resp.with_cookie(SetCookie::new("ptwebqq", login.ptwebqq.clone(), "qq.com"));
        }
        self.login_cookies(resp, qq, &login)
    }

    /// The cookies of a successful /login or ptqrlogin (protocol §1.5).
    pub(super) fn login_cookies(&mut self, resp: Response, qq: u64, login: &WebLogin) -> Response {
        let uin = uin_cookie(qq);
        resp.with_cookie(SetCookie::new("skey", login.skey.clone(), "qq.com"))
            .with_cookie(SetCookie::new("uin", uin.clone(), "qq.com"))
            .with_cookie(SetCookie::new("pt2gguin", uin.clone(), "qq.com"))
            .with_cookie(SetCookie::new("ptcz", self.rng.hex(64), "qq.com"))
            .with_cookie(SetCookie::new("RK", self.rng.chars(10, ALNUM), "qq.com"))
            .with_cookie(SetCookie::new("superuin", uin, "ptlogin2.qq.com"))
            .with_cookie(SetCookie::new(
                "superkey",
                self.rng.chars(40, ALNUM),
                "ptlogin2.qq.com",
            ))
            .with_cookie(SetCookie::new(
                "supertoken",
                login.supertoken.clone(),
                "ptlogin2.qq.com",
            ))
            .with_cookie(SetCookie::new(
                "pt_recent_uins",
                self.rng.hex(64),
                "ptlogin2.qq.com",
            ))
    }

    /// A new authenticated web login of `qq`, replacing the previous one.
    pub(super) fn mint_login(&mut self, qq: u64) -> WebLogin {
        let fresh_token = self.rng.range(1, 4_000_000_000).to_string();
        let mut supertoken = fresh_token;
        if let Some(old) = self.logins.remove(&qq) {
            // The supertoken outlives web logins (protocol §3.11).
            supertoken = old.supertoken.clone();
            self.login_tokens.remove(&old.ptwebqq);
            self.login_tokens.remove(&old.skey);
            if let Some(sig) = &old.ptsigx {
                self.login_tokens.remove(sig);
            }
        }
        let login = WebLogin {
            ptwebqq: self.rng.hex(64),
            skey: format!("@{}", self.rng.chars(9, ALNUM)),
            vfwebqq: None,
            supertoken,
            ptsigx: self
                .profile
                .login_uses_check_sig()
                .then(|| self.rng.hex(128)),
        };
        self.login_tokens.insert(login.ptwebqq.clone(), qq);
        self.login_tokens.insert(login.skey.clone(), qq);
        if let Some(sig) = &login.ptsigx {
            self.login_tokens.insert(sig.clone(), qq);
        }
        self.logins.insert(qq, login.clone());
        login
    }

    /// The check_sig URL (protocol §3.7); `qr`: after a QR login.
    pub(super) fn check_sig_url(&self, qq: u64, sig: &str, qr: bool) -> String {
        let sig_name = if self.profile.is_webqq() {
            "ptsig"
        } else {
            "ptsigx"
        };
        let s_url =
            form_urlencoded::byte_serialize(self.profile.s_url().as_bytes()).collect::<String>();
        let (service, login_type, aaid) = if qr {
            ("ptqrlogin", 3, 16)
        } else {
            ("login", 1, 0)
        };
        format!(
            "http://ptlogin4.web2.qq.com/check_sig?pttype=1&uin={qq}&service={service}&nodirect=0&{sig_name}={sig}\
             &s_url={s_url}&f_url=&ptlang=2052&ptredirect=100&aid={}&daid=164&j_later=0&low_login_hour=0\
             &regmaster=0&pt_login_type={login_type}&pt_aid=0&pt_aaid={aaid}&pt_light=0",
            self.profile.appid()
        )
    }

    /// `pt4_auth` (protocol §3.11): a still-valid supertoken gets a check_sig URL without a
    /// new password or scan.
    pub(super) fn pt4_auth(&mut self, req: &Request, params: &Params) -> Response {
        let qq = req
            .cookie("superuin")
            .and_then(|u| u.trim_start_matches('o').parse::<u64>().ok());
        let token = req.cookie("supertoken").unwrap_or_default();
        let valid = qq
            .and_then(|qq| self.logins.get(&qq).map(|l| (qq, l)))
            .filter(|(_, l)| l.supertoken == token)
            .filter(|_| params.number("auth_token") == Some(u64::from(time33(&token))))
            .map(|(qq, _)| qq);
        let Some(qq) = valid else {
            return Response::js("ptui_auth_CB('1','');\r\n");
        };
        let login = self.mint_login(qq);
        let url = self.check_sig_url(qq, login.ptsigx.as_deref().unwrap_or(""), false);
        Response::js(format!("ptui_auth_CB('0','{url}');\r\n"))
    }

    /// `check_sig` (protocol §3.7): 302 to the proxy page with the web2 cookies; [S] also
    /// `ptwebqq`.
    pub(super) fn check_sig(&mut self, params: &Params) -> Response {
        let sig = params
            .non_empty("ptsigx")
            .or_else(|| params.non_empty("ptsig"))
            .unwrap_or_default();
        let Some(&qq) = self.login_tokens.get(&sig) else {
            return pages::error_page(StatusCode::FORBIDDEN);
        };
        let Some(login) = self.logins.get_mut(&qq) else {
            return pages::error_page(StatusCode::FORBIDDEN);
        };
        login.ptsigx = None;
        let login = login.clone();
        self.login_tokens.remove(&sig);
        let mut resp = Response::redirect(self.profile.s_url())
            .with_cookie(SetCookie::new(
                "p_skey",
                self.rng.chars(44, ALNUM),
                "web2.qq.com",
            ))
            .with_cookie(SetCookie::new("p_uin", uin_cookie(qq), "web2.qq.com"))
            .with_cookie(SetCookie::new(
                "pt4_token",
                self.rng.chars(44, ALNUM),
                "web2.qq.com",
            ));
        if self.profile.ptwebqq_at_check_sig() {
            resp = resp.with_cookie(SetCookie::new("ptwebqq", login.ptwebqq, "qq.com"));
        }
        resp
    }

    /// The account of the web login a request carries: `ptwebqq` parameter, then the
    /// `ptwebqq` and `skey` cookies.
    pub(super) fn login_of(&self, req: &Request, params: &Params) -> Option<u64> {
        [
            params.non_empty("ptwebqq"),
            req.cookie("ptwebqq"),
            req.cookie("skey"),
        ]
        .into_iter()
        .flatten()
        .find_map(|t| self.login_tokens.get(&t).copied())
    }

    /// `getvfwebqq` (protocol §3.9).
    pub(super) fn getvfwebqq(&mut self, req: &Request, params: &Params) -> Response {
        let Some(qq) = self.login_of(req, params) else {
            return Response::json(&json!({"retcode":100001}));
        };
        let live_vf = self
            .live
            .get(&qq)
            .and_then(|sid| self.sessions.get(sid))
            .filter(|s| self.logins.get(&qq).is_some_and(|l| l.ptwebqq == s.ptwebqq))
            .map(|s| s.vfwebqq.clone());
        let vf = match live_vf {
            Some(v) => v,
            None => {
                let fresh = self.rng.hex(80);
                let Some(login) = self.logins.get_mut(&qq) else {
                    return Response::json(&json!({"retcode":100001}));
                };
                login.vfwebqq.get_or_insert(fresh).clone()
            }
        };
        ok(json!({ "vfwebqq": vf }))
    }
}
