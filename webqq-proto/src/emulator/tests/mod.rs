//! Tests of the whole emulator through its sans-IO interface, with a scripted client.
mod channel;
mod contacts;
mod control;
mod decoders;
mod faults;
mod http_layer;
mod login;
mod scale;
mod with_client;
mod with_session;

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use super::{ConnId, Emulator, EmulatorConfig, Event, Input, Output, Profile};
use crate::webqq::hash::{ListHash, hash33};
use crate::webqq::password::{PasswordMd5, encode_password};

/// A parsed response.
#[derive(Debug, Clone)]
pub(super) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn set_cookies(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| {
                v.split(';')
                    .next()?
                    .split_once('=')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            })
            .collect()
    }
}

/// Parses one response from the front of `buf`; `None` when incomplete.
pub(super) fn parse_response(buf: &mut Vec<u8>) -> Option<Resp> {
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut r = httparse::Response::new(&mut fields);
    let head_len = match r.parse(buf).expect("valid response head") {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return None,
    };
    let headers: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let status = r.code.unwrap_or(0);
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().expect("numeric Content-Length"))
        .expect("every emulator response has Content-Length");
    if buf.len() < head_len + len {
        return None;
    }
    let mut body: Vec<u8> = buf[head_len..head_len + len].to_vec();
    buf.drain(..head_len + len);
    if headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("content-encoding") && v == "gzip")
    {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .expect("valid gzip");
        body = out;
    }
    Some(Resp {
        status,
        headers,
        body,
    })
}

/// An emulator with a scripted client: one cookie jar, virtual time.
pub(super) struct Harness {
    pub emu: Emulator,
    pub now: Instant,
    pub jar: HashMap<String, String>,
    next_conn: u64,
    /// Bytes written per connection and not yet parsed.
    pub written: HashMap<ConnId, Vec<u8>>,
    pub closed: Vec<ConnId>,
    pub events: Vec<Event>,
    pub extra_headers: Vec<(String, String)>,
}

impl Harness {
    /// The demo world without its chatter (tests decide who speaks when).
    pub fn new(profile: Profile) -> Self {
        let mut cfg = EmulatorConfig::demo(profile);
        cfg.world.chatter_interval_ms = 0;
        Harness::with(cfg)
    }

    pub fn with(config: EmulatorConfig) -> Self {
        let now = Instant::now();
        Harness {
            emu: Emulator::new(config, now).expect("valid world"),
            now,
            jar: HashMap::new(),
            next_conn: 0,
            written: HashMap::new(),
            closed: Vec::new(),
            events: Vec::new(),
            extra_headers: vec![
                (
                    "User-Agent".into(),
                    "Mozilla/5.0 (X11; Linux x86_64) Chrome/49.0".into(),
                ),
                (
                    "Referer".into(),
                    "http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2".into(),
                ),
            ],
        }
    }

    /// Drains outputs until the timeout; returns it.
    pub fn drain(&mut self) -> Instant {
        loop {
            match self.emu.poll_output() {
                Output::Write { conn, bytes } => self
                    .written
                    .entry(conn)
                    .or_default()
                    .extend_from_slice(&bytes),
                Output::Close { conn } => self.closed.push(conn),
                Output::Event(e) => self.events.push(e),
                Output::Timeout(at) => return at,
            }
        }
    }

    pub fn open(&mut self) -> ConnId {
        self.next_conn += 1;
        let conn = ConnId(self.next_conn);
        self.emu.handle_input(self.now, Input::Accepted { conn });
        self.drain();
        conn
    }

    pub fn feed(&mut self, conn: ConnId, bytes: &[u8]) {
        self.emu.handle_input(
            self.now,
            Input::Data {
                conn,
                bytes: Bytes::copy_from_slice(bytes),
            },
        );
        self.drain();
    }

    /// Moves virtual time forward by `ms`, firing every deadline on the way.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + Duration::from_millis(ms);
        loop {
            let next = self.drain();
            if next > end {
                break;
            }
            self.now = next.max(self.now);
            self.emu.handle_input(self.now, Input::Time);
        }
        self.now = end;
        self.emu.handle_input(self.now, Input::Time);
        self.drain();
    }

    /// The next complete response written on `conn`, storing its cookies.
    pub fn take_response(&mut self, conn: ConnId) -> Option<Resp> {
        let buf = self.written.entry(conn).or_default();
        let resp = parse_response(buf)?;
        for (n, v) in resp.set_cookies() {
            self.jar.insert(n, v);
        }
        Some(resp)
    }

    /// The wire bytes of a request to `url` with the jar's cookies.
    pub fn raw_request(&self, method: &str, url: &str, body: Option<&str>) -> Vec<u8> {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let (host, target) = rest
            .find('/')
            .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
        for (n, v) in &self.extra_headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !self.jar.is_empty() {
            let mut cookies: Vec<String> =
                self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
            cookies.sort();
            req.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        } else {
            req.push_str("\r\n");
        }
        req.into_bytes()
    }

    /// Sends a request on a new connection; the response if one came at once (and then the
    /// connection is closed, as a browser's would be eventually).
    pub fn try_request(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&str>,
    ) -> (ConnId, Option<Resp>) {
        let conn = self.open();
        let raw = self.raw_request(method, url, body);
        self.feed(conn, &raw);
        let resp = self.take_response(conn);
        if resp.is_some() && self.written.get(&conn).is_some_and(Vec::is_empty) {
            self.written.remove(&conn);
            self.emu.handle_input(self.now, Input::Eof { conn });
            self.drain();
        }
        (conn, resp)
    }

    pub fn get(&mut self, url: &str) -> Resp {
        self.try_request("GET", url, None)
            .1
            .unwrap_or_else(|| panic!("no response to GET {url}"))
    }

    /// POST `r=<json>` (form-encoded).
    pub fn post_r(&mut self, url: &str, r: &Value) -> Resp {
        let body = format!(
            "r={}",
            form_urlencoded::byte_serialize(r.to_string().as_bytes()).collect::<String>()
        );
        self.try_request("POST", url, Some(&body))
            .1
            .unwrap_or_else(|| panic!("no response to POST {url}"))
    }

    /// POST `r=<json>` that may be held (a poll): returns the connection.
    pub fn start_poll(&mut self, url: &str, r: &Value) -> (ConnId, Option<Resp>) {
        let body = format!(
            "r={}",
            form_urlencoded::byte_serialize(r.to_string().as_bytes()).collect::<String>()
        );
        self.try_request("POST", url, Some(&body))
    }
}

/// What a logged-in client knows.
#[derive(Debug, Clone)]
pub(super) struct Login {
    pub psessionid: String,
    pub vfwebqq: String,
    pub clientid: Value,
    pub profile: Profile,
}

impl Login {
    pub fn d(&self) -> &'static str {
        if self.profile.is_webqq() {
            "http://d.web2.qq.com"
        } else {
            "http://d1.web2.qq.com"
        }
    }
}

/// Decodes `ptuiCB('a','b',…)` / `ptui_checkVC(…)` arguments.
pub(super) fn js_args(text: &str) -> Vec<String> {
    let inner = &text[text.find('(').expect("a call") + 1..text.rfind(')').expect("a call")];
    inner
        .split(',')
        .map(|a| a.trim().trim_matches('\'').to_string())
        .collect()
}

/// Decodes the `\xNN` salt of ptui_checkVC.
pub(super) fn salt_of(arg: &str) -> [u8; 8] {
    let bytes: Vec<u8> = arg
        .split("\\x")
        .filter(|s| !s.is_empty())
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    bytes.try_into().expect("8 bytes")
}

impl Harness {
    /// The password login of protocol §3.1 up to the ptuiCB answer.
    pub fn password_ptlogin(&mut self, qq: u64, password: &str) -> Vec<String> {
        let profile = self.profile();
        let check = self.get(&format!(
            "http://check.ptlogin2.qq.com/check?uin={qq}&appid={}&login_sig=sig&r=0.5",
            profile.appid()
        ));
        let args = js_args(&check.text());
        let vc = if args[0] == "1" {
            self.get(&format!(
                "http://captcha.qq.com/getimage?aid=1003903&uin={qq}&r=0.1"
            ));
            self.emu.captcha_answer(qq).expect("captcha issued")
        } else {
            args[1].clone()
        };
        let scheme = profile.password_scheme().expect("password login");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let p = encode_password(
            scheme,
            &PasswordMd5::from_password(password),
            &salt_of(&args[2]),
            &vc,
            &mut rng,
        );
        let url = format!(
            "https://ssl.ptlogin2.qq.com/login?u={qq}&p={p}&verifycode={vc}&webqq_type=10&remember_uin=1&login2qq=1&aid={}&u1=http%3A%2F%2Fweb2.qq.com%2Floginproxy.html%3Flogin2qq%3D1%26webqq_type%3D10&h=1&ptredirect=0&ptlang=2052&daid=164&from_ui=1&pttype=1&dumy=&fp=loginerroralert&action=2-11-7438&mibao_css=m_webqq&t=1&g=1&js_type=0&js_ver=10040&login_sig=sig&pt_randsalt={}&pt_vcode_v1=0&pt_verifysession_v1={}",
            profile.appid(),
            args.get(4).map_or("0", String::as_str),
            args.get(3).map_or("", String::as_str),
        );
        js_args(&self.get(&url).text())
    }

    pub fn profile(&self) -> Profile {
        self.emu.server.profile_id()
    }

    /// QR login of protocol §3.8 up to the ptuiCB answer.
    pub fn qr_ptlogin(&mut self, qq: u64) -> Vec<String> {
        let show = self
            .get("https://ssl.ptlogin2.qq.com/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=0.1");
        assert_eq!(show.header("content-type"), Some("image/png"));
        let qrsig = self.jar.get("qrsig").cloned().expect("qrsig cookie");
        let url = format!(
            "https://ssl.ptlogin2.qq.com/ptqrlogin?ptqrtoken={}&webqq_type=10&remember_uin=1&login2qq=1&aid=501004106&u1=http%3A%2F%2Fw.qq.com%2Fproxy.html%3Flogin2qq%3D1%26webqq_type%3D10&ptredirect=0&ptlang=2052&daid=164&from_ui=1&pttype=1&dumy=&fp=loginerroralert&action=0-0-1000&mibao_css=m_webqq&t=undefined&g=1&js_type=0&js_ver=10141&login_sig=&pt_randsalt=0",
            hash33(&qrsig)
        );
        assert_eq!(js_args(&self.get(&url).text())[0], "66");
        self.emu.qr_scan(None).unwrap();
        assert_eq!(js_args(&self.get(&url).text())[0], "67");
        self.emu.qr_confirm(None, qq).unwrap();
        js_args(&self.get(&url).text())
    }

    /// Everything after ptuiCB('0'): check_sig, getvfwebqq ([S]), login2, get_online_buddies2.
    pub fn finish_login(&mut self, qq: u64, cb: &[String]) -> Login {
        assert_eq!(cb[0], "0", "login failed: {cb:?}");
        let profile = self.profile();
        if cb[2].contains("check_sig") {
            let r = self.get(&cb[2]);
            assert_eq!(r.status, 302);
        }
        let ptwebqq = self.jar.get("ptwebqq").cloned().expect("ptwebqq cookie");
        let clientid: Value = if profile.is_webqq() {
            Value::String("12345678".into())
        } else {
            Value::from(53999199)
        };
        let mut vf_s = None;
        if !profile.is_webqq() {
            let r = self.get(&format!("http://s.web2.qq.com/api/getvfwebqq?ptwebqq={ptwebqq}&clientid=53999199&psessionid=&t=0.1"));
            vf_s = Some(r.json()["result"]["vfwebqq"].as_str().unwrap().to_string());
        }
        let d = if profile.is_webqq() {
            "http://d.web2.qq.com"
        } else {
            "http://d1.web2.qq.com"
        };
        let r = self.post_r(
            &format!("{d}/channel/login2"),
            &serde_json::json!({"ptwebqq": ptwebqq, "clientid": clientid, "psessionid": "", "status": "online"}),
        );
        let j = r.json();
        assert_eq!(j["retcode"], 0, "{j}");
        assert_eq!(j["result"]["uin"], qq, "own uin = QQ number");
        let login = Login {
            psessionid: j["result"]["psessionid"].as_str().unwrap().to_string(),
            vfwebqq: vf_s.unwrap_or_else(|| j["result"]["vfwebqq"].as_str().unwrap().to_string()),
            clientid,
            profile,
        };
        let online = self.get(&format!(
            "{d}/channel/get_online_buddies2?vfwebqq={}&clientid={}&psessionid={}&t=0.1",
            login.vfwebqq,
            login
                .clientid
                .as_str()
                .map_or_else(|| login.clientid.to_string(), String::from),
            login.psessionid
        ));
        assert_eq!(online.json()["retcode"], 0);
        login
    }

    /// A full login of `qq` with password `password` or by QR, whichever the profile has.
    pub fn login(&mut self, qq: u64) -> Login {
        let cb = if self.profile().password_scheme().is_some() {
            self.password_ptlogin(qq, "password")
        } else {
            self.qr_ptlogin(qq)
        };
        self.finish_login(qq, &cb)
    }

    /// Starts a poll of `login` (expected to be held).
    pub fn poll(&mut self, login: &Login) -> (ConnId, Option<Resp>) {
        let r = serde_json::json!({"ptwebqq": self.jar.get("ptwebqq"), "clientid": login.clientid, "psessionid": login.psessionid, "key": ""});
        self.start_poll(&format!("{}/channel/poll2", login.d()), &r)
    }

    /// The list hash the profile wants for the current ptwebqq.
    pub fn list_hash(&self, qq: u64) -> String {
        let ptwebqq = self.jar.get("ptwebqq").cloned().unwrap_or_default();
        let variant = match self.profile() {
            Profile::W2013 | Profile::W2014 => ListHash::PwErr,
            _ => ListHash::EcOk,
        };
        variant.compute(qq, &ptwebqq)
    }
}

use rand_core::SeedableRng;

/// The keys of a JSON object, sorted (to compare reply shapes with the captures).
pub(super) fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

/// Asserts that `got` has the same keys and JSON value types as `capture`, recursively into
/// objects and the first element of arrays (values may differ).
pub(super) fn assert_same_shape(got: &Value, capture: &Value, path: &str) {
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    assert_eq!(
        kind(got),
        kind(capture),
        "type of {path}: got {got}, capture {capture}"
    );
    match (got, capture) {
        (Value::Object(g), Value::Object(c)) => {
            assert_eq!(keys(got), keys(capture), "keys of {path}");
            for (k, cv) in c {
                assert_same_shape(&g[k], cv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(c)) if !g.is_empty() && !c.is_empty() => {
            assert_same_shape(&g[0], &c[0], &format!("{path}[0]"));
        }
        _ => {}
    }
}
