//! Request builders, one per endpoint: URL, query or `r=` body, Referer, Origin and
//! User-Agent as the profile's tables say (protocol §1.2, §1.4, §3, §5, §6.1, §7.1, §8).
//!
//! Pure functions: inputs are the profile and the values the endpoint needs; the output is an
//! `http::Request<Bytes>` for the engine. Cookies are not set here: the engine's jar adds them.

use bytes::Bytes;
use http::{HeaderValue, Request, header};
use serde_json::{Value, json};

use super::hash::ListHash;
use super::login_decode::CheckVc;
use super::profile::{Endpoint, Method, PollBody, Profile};

/// What every request shares: the era, the browser identity and the channel ids.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The era.
    pub profile: &'a Profile,
    /// A desktop browser User-Agent (protocol §1.4: a missing UA causes 100101/100000).
    pub user_agent: &'a str,
    /// `clientid`.
    pub clientid: u64,
    /// `psessionid` (empty before login2).
    pub psessionid: &'a str,
    /// `vfwebqq` (empty before getvfwebqq/login2).
    pub vfwebqq: &'a str,
    /// The `t=` cache buster (protocol §1.2: never validated; from the seeded RNG here).
    pub t: u64,
}

fn query_string(pairs: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn build(
    ctx: &Ctx<'_>,
    method: Method,
    url: &str,
    referer: &'static str,
    origin: Option<&'static str>,
    body: Option<String>,
) -> Request<Bytes> {
    // The held poll request lives as long as the poll (minutes, in every idle session):
    // the profile's fixed values are shared rather than copied, and the body is cut to
    // its length (a form serializer leaves up to half its buffer unused).
    let mut b = Request::builder()
        .method(match method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
        })
        .uri(url)
        .header(header::USER_AGENT, ctx.user_agent)
        .header(header::ACCEPT, HeaderValue::from_static("*/*"))
        .header(header::REFERER, HeaderValue::from_static(referer));
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, HeaderValue::from_static(o));
    }
    if body.is_some() {
        b = b.header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
    }
    let body = body
        .map(|s| Bytes::from(s.into_boxed_str().into_boxed_bytes()))
        .unwrap_or_default();
    // The URL comes from the profile tables or a server-given check_sig URL that
    // `check_sig` validated; on the impossible failure an empty GET to the same host
    // keeps the core panic-free and fails at the engine with a clear error.
    match b.body(()) {
        Ok(r) => r.map(|()| body),
        Err(_) => {
            let mut r = Request::new(body);
            *r.uri_mut() = http::Uri::from_static("http://invalid.invalid/");
            r
        }
    }
}

/// A GET of `endpoint` with `query`.
fn get(ctx: &Ctx<'_>, endpoint: Endpoint, query: &[(&str, String)]) -> Request<Bytes> {
    let url = format!("{}?{}", ctx.profile.url(endpoint), query_string(query));
    build(
        ctx,
        Method::Get,
        &url,
        ctx.profile.referer(endpoint),
        None,
        None,
    )
}

/// A POST of `endpoint` with `r=<JSON>` (protocol §1.2); \[W\] shapes add `clientid` and
/// `psessionid` form fields when `w_extra` is set.
fn post_r(ctx: &Ctx<'_>, endpoint: Endpoint, r: &Value, w_extra: bool) -> Request<Bytes> {
    let mut form = vec![("r", r.to_string())];
    if w_extra && ctx.profile.poll_body.is_webqq() {
        form.push(("clientid", ctx.clientid.to_string()));
        let ps = if ctx.psessionid.is_empty() {
            "null".to_string()
        } else {
            ctx.psessionid.to_string()
        };
        form.push(("psessionid", ps));
    }
    build(
        ctx,
        Method::Post,
        &ctx.profile.url(endpoint),
        ctx.profile.referer(endpoint),
        Some(ctx.profile.origin(endpoint.route().host)),
        Some(query_string(&form)),
    )
}

/// `clientid` as the era sends it inside `r`: a string in \[W\], a number in \[S\] (§3.10).
fn clientid_json(ctx: &Ctx<'_>) -> Value {
    if ctx.profile.poll_body.is_webqq() {
        Value::String(ctx.clientid.to_string())
    } else {
        json!(ctx.clientid)
    }
}

/// Protocol §3.2: the login page (scraped for `login_sig`).
pub fn login_page(ctx: &Ctx<'_>) -> Request<Bytes> {
    build(
        ctx,
        Method::Get,
        ctx.profile.login_page,
        ctx.profile.login_page,
        None,
        None,
    )
}

/// Protocol §3.3: `/check?uin=…&appid=…&u1=…&login_sig=…&js_ver=…&r=…` (the \[S15\]
/// `pt_tea=1` is added for scheme C).
pub fn check(ctx: &Ctx<'_>, qq: u64, login_sig: &str, r: f64) -> Request<Bytes> {
    let p = ctx.profile;
    let mut q = vec![
        ("uin", qq.to_string()),
        ("appid", p.appid.to_string()),
        ("js_ver", p.js_ver.to_string()),
        ("js_type", "0".into()),
        ("login_sig", login_sig.to_string()),
        ("u1", p.u1.to_string()),
        ("r", format!("{r:.16}")),
    ];
    if p.password_scheme == Some(super::password::PasswordScheme::RsaTea) {
        q.insert(0, ("pt_tea", "1".into()));
    }
    get(ctx, Endpoint::Check, &q)
}

/// Protocol §3.4: the captcha image.
pub fn captcha(ctx: &Ctx<'_>, qq: u64, cap_cd: &str, r: f64) -> Request<Bytes> {
    let mut q = vec![
        ("aid", ctx.profile.appid.to_string()),
        ("r", format!("{r:.16}")),
        ("uin", qq.to_string()),
    ];
    if !cap_cd.is_empty() {
        q.push(("cap_cd", cap_cd.to_string()));
    }
    get(ctx, Endpoint::Captcha, &q)
}

/// The password-specific values of `/login`.
pub struct LoginParams<'a> {
    /// QQ number.
    pub qq: u64,
    /// The encoded password.
    pub p: &'a str,
    /// Verify code or typed captcha.
    pub verifycode: &'a str,
    /// `login_sig` (may be empty).
    pub login_sig: &'a str,
    /// The `/check` reply.
    pub check: &'a CheckVc,
    /// The `verifysession` cookie after a captcha (protocol §3.4: also `pt_verifysession_v1`).
    pub verifysession: Option<&'a str>,
    /// UI telemetry `action=<a>-<b>-<ms>`, any value.
    pub action_ms: u64,
}

/// Protocol §3.6: `/login` with the table's parameters.
pub fn login(ctx: &Ctx<'_>, lp: &LoginParams<'_>) -> Request<Bytes> {
    let p = ctx.profile;
    let mut q = vec![
        ("u", lp.qq.to_string()),
        ("p", lp.p.to_string()),
        ("verifycode", lp.verifycode.to_string()),
        ("webqq_type", "10".into()),
        ("remember_uin", "1".into()),
        ("login2qq", "1".into()),
        ("aid", p.appid.to_string()),
        ("u1", p.u1.to_string()),
        ("h", "1".into()),
        ("ptredirect", "0".into()),
        ("ptlang", "2052".into()),
        ("from_ui", "1".into()),
        ("pttype", "1".into()),
        ("dumy", String::new()),
        ("fp", "loginerroralert".into()),
        ("action", format!("0-23-{}", lp.action_ms)),
        ("mibao_css", "m_webqq".into()),
        ("t", "1".into()),
        ("g", "1".into()),
        ("js_type", "0".into()),
        ("js_ver", p.js_ver.to_string()),
        ("login_sig", lp.login_sig.to_string()),
        ("pt_uistyle", "5".into()),
    ];
    if p.daid {
        q.push(("daid", "164".into()));
    }
    if lp.check.fields == 5 {
        let vs = lp
            .verifysession
            .map(str::to_string)
            .or_else(|| {
                lp.check
                    .pt_verifysession
                    .as_ref()
                    .map(|s| s.expose().to_string())
            })
            .unwrap_or_default();
        q.push((
            "pt_randsalt",
            lp.check.rand_salt.clone().unwrap_or_default(),
        ));
        q.push(("pt_vcode_v1", "0".into()));
        q.push(("pt_verifysession_v1", vs));
    }
    get(ctx, Endpoint::Login, &q)
}

/// Protocol §3.7: the server-given check_sig URL, used verbatim. `None` unless it is an
/// absolute http(s) URL on a qq.com host (a hostile reply must not point the client
/// elsewhere with its cookies).
pub fn check_sig(ctx: &Ctx<'_>, url: &str) -> Option<Request<Bytes>> {
    let uri: http::Uri = url.parse().ok()?;
    let host = uri.host()?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = host == "qq.com" || host.ends_with(".qq.com");
    if !(scheme_ok && host_ok) {
        return None;
    }
    Some(build(
        ctx,
        Method::Get,
        url,
        ctx.profile.login_page,
        None,
        None,
    ))
}

/// Protocol §3.8: `ptqrshow`.
pub fn qr_show(ctx: &Ctx<'_>, t: f64) -> Request<Bytes> {
    let mut q = vec![
        ("appid", ctx.profile.appid.to_string()),
        ("e", "0".into()),
        ("l", "M".into()),
        ("s", "5".into()),
        ("d", "72".into()),
        ("v", "4".into()),
        ("t", format!("{t:.16}")),
    ];
    if ctx.profile.daid {
        q.push(("daid", "164".into()));
    }
    get(ctx, Endpoint::QrShow, &q)
}

/// Protocol §3.8: `ptqrlogin` (with `ptqrtoken` where the profile needs it).
pub fn qr_login(ctx: &Ctx<'_>, ptqrtoken: Option<u32>, action_ms: u64) -> Request<Bytes> {
    let p = ctx.profile;
    let mut q = Vec::with_capacity(24);
    if let Some(tok) = ptqrtoken {
        q.push(("ptqrtoken", tok.to_string()));
    }
    q.extend([
        ("webqq_type", "10".to_string()),
        ("remember_uin", "1".into()),
        ("login2qq", "1".into()),
        ("aid", p.appid.to_string()),
        ("u1", p.u1.to_string()),
        ("ptredirect", "0".into()),
        ("ptlang", "2052".into()),
        ("daid", "164".into()),
        ("from_ui", "1".into()),
        ("pttype", "1".into()),
        ("dumy", String::new()),
        ("fp", "loginerroralert".into()),
        ("action", format!("0-0-{action_ms}")),
        ("mibao_css", "m_webqq".into()),
        ("t", "undefined".into()),
        ("g", "1".into()),
        ("js_type", "0".into()),
        ("js_ver", p.js_ver.to_string()),
        ("login_sig", String::new()),
        ("pt_randsalt", "0".into()),
    ]);
    get(ctx, Endpoint::QrLogin, &q)
}

/// Protocol §3.9: `getvfwebqq?ptwebqq=…&clientid=…&psessionid=&t=…`.
pub fn getvfwebqq(ctx: &Ctx<'_>, ptwebqq: &str) -> Request<Bytes> {
    get(
        ctx,
        Endpoint::GetVfwebqq,
        &[
            ("ptwebqq", ptwebqq.to_string()),
            ("clientid", ctx.clientid.to_string()),
            ("psessionid", String::new()),
            ("t", ctx.t.to_string()),
        ],
    )
}

/// Protocol §3.10: login2, or relink when `relink` (the current psessionid is sent).
pub fn login2(ctx: &Ctx<'_>, ptwebqq: &str, status: &str, relink: bool) -> Request<Bytes> {
    let ps = if relink { ctx.psessionid } else { "" };
    let r = if ctx.profile.poll_body.is_webqq() {
        // [W]: `{"status":…,"ptwebqq":…,"passwd_sig":"","clientid":"<cid>","psessionid":null}`.
        json!({
            "status": status,
            "ptwebqq": ptwebqq,
            "passwd_sig": "",
            "clientid": clientid_json(ctx),
            "psessionid": if relink { json!(ps) } else { Value::Null },
        })
    } else if relink {
        // [S] official sendReLink: `{"ptwebqq","clientid","psessionid","key":"","state"}`.
        json!({"ptwebqq": ptwebqq, "clientid": clientid_json(ctx), "psessionid": ps, "key": "", "state": status})
    } else {
        json!({"ptwebqq": ptwebqq, "clientid": clientid_json(ctx), "psessionid": "", "status": status})
    };
    post_r(ctx, Endpoint::Login2, &r, true)
}

/// Protocol §5.1: the friend list with its hash.
pub fn friends(ctx: &Ctx<'_>, uin: u64, ptwebqq: &str, hash: ListHash) -> Request<Bytes> {
    let h = hash.compute(uin, ptwebqq);
    let r = if ctx.profile.poll_body.is_webqq() {
        json!({"h": "hello", "hash": h, "vfwebqq": ctx.vfwebqq})
    } else {
        json!({"vfwebqq": ctx.vfwebqq, "hash": h})
    };
    post_r(ctx, Endpoint::Friends, &r, false)
}

/// Protocol §5.2: the group list (hash only from 2014-06).
pub fn groups(ctx: &Ctx<'_>, uin: u64, ptwebqq: &str, hash: Option<ListHash>) -> Request<Bytes> {
    let r = match hash {
        Some(h) => json!({"vfwebqq": ctx.vfwebqq, "hash": h.compute(uin, ptwebqq)}),
        None => json!({"vfwebqq": ctx.vfwebqq}),
    };
    post_r(ctx, Endpoint::Groups, &r, false)
}

/// Protocol §5.3: group detail and members by group **code**.
pub fn group_info(ctx: &Ctx<'_>, gcode: u64) -> Request<Bytes> {
    get(
        ctx,
        Endpoint::GroupInfo,
        &[
            ("gcode", gcode.to_string()),
            ("vfwebqq", ctx.vfwebqq.to_string()),
            ("t", ctx.t.to_string()),
        ],
    )
}

fn channel_query(ctx: &Ctx<'_>) -> Vec<(&'static str, String)> {
    vec![
        ("clientid", ctx.clientid.to_string()),
        ("psessionid", ctx.psessionid.to_string()),
        ("vfwebqq", ctx.vfwebqq.to_string()),
        ("t", ctx.t.to_string()),
    ]
}

/// Protocol §5.4: the discussion list.
pub fn discussions(ctx: &Ctx<'_>) -> Request<Bytes> {
    get(ctx, Endpoint::Discussions, &channel_query(ctx))
}

/// Protocol §5.5: discussion detail.
pub fn discussion_info(ctx: &Ctx<'_>, did: u64) -> Request<Bytes> {
    let mut q = vec![("did", did.to_string())];
    q.extend(channel_query(ctx));
    get(ctx, Endpoint::DiscussionInfo, &q)
}

/// Protocol §5.10: presence snapshot (mandatory before poll in \[S\], §3.1).
pub fn online_buddies(ctx: &Ctx<'_>) -> Request<Bytes> {
    get(ctx, Endpoint::OnlineBuddies, &channel_query(ctx))
}

/// Protocol §5.11: recent conversations (the official client polls after it returns).
pub fn recent_list(ctx: &Ctx<'_>) -> Request<Bytes> {
    let r = json!({"vfwebqq": ctx.vfwebqq, "clientid": clientid_json(ctx), "psessionid": ctx.psessionid});
    post_r(ctx, Endpoint::RecentList, &r, false)
}

/// Protocol §5.9: own profile.
pub fn self_info(ctx: &Ctx<'_>) -> Request<Bytes> {
    get(ctx, Endpoint::SelfInfo, &[("t", ctx.t.to_string())])
}

/// Protocol §5.6: uin → QQ number (`type=1`).
pub fn friend_uin2(ctx: &Ctx<'_>, uin: u64) -> Request<Bytes> {
    get(
        ctx,
        Endpoint::FriendUin2,
        &[
            ("tuin", uin.to_string()),
            ("type", "1".into()),
            ("vfwebqq", ctx.vfwebqq.to_string()),
            ("t", ctx.t.to_string()),
        ],
    )
}

/// Protocol §6.1: the poll body of the era.
pub fn poll(ctx: &Ctx<'_>, ptwebqq: &str) -> Request<Bytes> {
    let r = match ctx.profile.poll_body {
        PollBody::WKeyIds => {
            json!({"clientid": clientid_json(ctx), "psessionid": ctx.psessionid, "key": 0, "ids": []})
        }
        PollBody::WPtwebqq | PollBody::Smart => {
            json!({"ptwebqq": ptwebqq, "clientid": clientid_json(ctx), "psessionid": ctx.psessionid, "key": ""})
        }
    };
    post_r(ctx, Endpoint::Poll, &r, true)
}

/// Where a message goes (protocol §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A friend by uin (`send_buddy_msg2`).
    Friend(u64),
    /// A group by gid (`send_qun_msg2`).
    Group(u64),
    /// A discussion by did (`send_discu_msg2`).
    Discussion(u64),
    /// A temporary session with a member (`send_sess_msg2`).
    Session {
        /// Member uin.
        to_uin: u64,
        /// The group (gid) or discussion (did) the member is in.
        via: SessionVia,
    },
}

/// Through what a temporary session is opened (`service_type` 0 / 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionVia {
    /// Through a group (gid), `service_type` 0.
    Group(u64),
    /// Through a discussion (did), `service_type` 1.
    Discussion(u64),
}

impl SessionVia {
    /// `(id, service_type)` for `get_c2cmsg_sig2` and `send_sess_msg2`.
    pub fn id_and_service(self) -> (u64, u8) {
        match self {
            SessionVia::Group(g) => (g, 0),
            SessionVia::Discussion(d) => (d, 1),
        }
    }
}

/// Protocol §7.4: the temporary-session signature.
pub fn c2c_sig(ctx: &Ctx<'_>, to_uin: u64, via: SessionVia) -> Request<Bytes> {
    let (id, service) = via.id_and_service();
    let mut q = vec![
        ("id", id.to_string()),
        ("to_uin", to_uin.to_string()),
        ("service_type", service.to_string()),
    ];
    q.extend(channel_query(ctx));
    get(ctx, Endpoint::C2cMsgSig, &q)
}

/// Protocol §7.1: one send. `content` is the double-encoded string of
/// [`super::content::Message::encode_for_send`]; `group_sig` only for sessions.
pub fn send(
    ctx: &Ctx<'_>,
    target: Target,
    content: &str,
    msg_id: u64,
    face: i64,
    group_sig: Option<&str>,
) -> Request<Bytes> {
    let cid = clientid_json(ctx);
    let ps = ctx.psessionid;
    let (endpoint, r) = match target {
        Target::Friend(to) => (
            Endpoint::SendBuddy,
            json!({"to": to, "face": face, "content": content, "msg_id": msg_id, "clientid": cid, "psessionid": ps}),
        ),
        Target::Group(gid) => (
            Endpoint::SendGroup,
            json!({"group_uin": gid, "face": face, "content": content, "msg_id": msg_id, "clientid": cid, "psessionid": ps}),
        ),
        Target::Discussion(did) => (
            Endpoint::SendDiscussion,
            json!({"did": did, "face": face, "content": content, "msg_id": msg_id, "clientid": cid, "psessionid": ps}),
        ),
        Target::Session { to_uin, via } => (
            Endpoint::SendSession,
            json!({"to": to_uin, "group_sig": group_sig.unwrap_or_default(), "face": face, "content": content,
                   "msg_id": msg_id, "service_type": via.id_and_service().1, "clientid": cid, "psessionid": ps}),
        ),
    };
    post_r(ctx, endpoint, &r, true)
}

/// How to answer a friend request (`system_message` `verify_required`, protocol §6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FriendRequestAnswer {
    /// Accept and add the requester back (`allow_and_add2`).
    Accept {
        /// Remark name for the new friend (`mname`); empty: none.
        markname: String,
        /// Friend category index (`gid`; 0 = the default category).
        category: u64,
    },
    /// Refuse (`deny_added_request2`).
    Deny {
        /// The reason shown to the requester (`msg`).
        reason: String,
    },
}

/// Protocol §5.12: `allow_and_add2` `r={"account":<qq>,"gid":0,"mname":"<markname>","vfwebqq":…}`
/// or `deny_added_request2` `r={"account":<qq>,"vfwebqq":…,"msg":"<reason>"}`, both POSTed to
/// s.web2 with only `r` (they are not channel CGIs).
pub fn answer_friend_request(
    ctx: &Ctx<'_>,
    account: u64,
    answer: &FriendRequestAnswer,
) -> Request<Bytes> {
    match answer {
        FriendRequestAnswer::Accept { markname, category } => post_r(
            ctx,
            Endpoint::AllowAndAdd2,
            &json!({"account": account, "gid": category, "mname": markname, "vfwebqq": ctx.vfwebqq}),
            false,
        ),
        FriendRequestAnswer::Deny { reason } => post_r(
            ctx,
            Endpoint::DenyAddedRequest2,
            &json!({"account": account, "vfwebqq": ctx.vfwebqq, "msg": reason}),
            false,
        ),
    }
}

/// Protocol §3.11: `pt4_auth?daid=164&appid=…&auth_token=time33(supertoken)`.
pub fn pt4_auth(ctx: &Ctx<'_>, supertoken: &str) -> Request<Bytes> {
    get(
        ctx,
        Endpoint::Pt4Auth,
        &[
            ("daid", "164".into()),
            ("appid", ctx.profile.appid.to_string()),
            ("auth_token", super::hash::time33(supertoken).to_string()),
        ],
    )
}

/// Protocol §3.11: the client appends these to the check_sig URL `pt4_auth` hands back.
pub fn quick_check_sig_url(url: &str, profile: &Profile) -> String {
    format!(
        "{url}&regmaster=&aid={}&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html",
        profile.appid
    )
}

/// Protocol §8.1: the \[W\] heartbeat.
pub fn msg_tip(ctx: &Ctx<'_>, rc: u64) -> Request<Bytes> {
    get(
        ctx,
        Endpoint::MsgTip,
        &[
            ("uin", String::new()),
            ("tp", "1".into()),
            ("id", "0".into()),
            ("retype", "1".into()),
            ("rc", rc.to_string()),
            ("lv", "3".into()),
            ("t", ctx.t.to_string()),
        ],
    )
}

/// Protocol §8.4: \[W\] `logout2`.
pub fn logout(ctx: &Ctx<'_>) -> Request<Bytes> {
    get(
        ctx,
        Endpoint::Logout,
        &[
            ("ids", String::new()),
            ("clientid", ctx.clientid.to_string()),
            ("psessionid", ctx.psessionid.to_string()),
            ("t", ctx.t.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webqq::profile::ProfileId;

    fn ctx(p: ProfileId) -> Ctx<'static> {
        Ctx {
            profile: Profile::get(p),
            user_agent: "Mozilla/5.0",
            clientid: if p == ProfileId::W2013 {
                12345678
            } else {
                53999199
            },
            psessionid: "8368ps",
            vfwebqq: "vf",
            t: 7,
        }
    }

    fn form_r(req: &Request<Bytes>) -> Value {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(req.body()).into_owned().collect();
        let r = &pairs.iter().find(|(k, _)| k == "r").unwrap().1;
        serde_json::from_str(r).unwrap()
    }

    #[test]
    fn poll_bodies_per_era() {
        // §6.1 table.
        let w13 = poll(&ctx(ProfileId::W2013), "pt");
        assert_eq!(
            form_r(&w13),
            json!({"clientid":"12345678","psessionid":"8368ps","key":0,"ids":[]})
        );
        let body = std::str::from_utf8(w13.body()).unwrap();
        assert!(
            body.contains("&clientid=12345678&psessionid=8368ps"),
            "{body}"
        );
        let s = poll(&ctx(ProfileId::S2016), "pt");
        assert_eq!(
            form_r(&s),
            json!({"ptwebqq":"pt","clientid":53999199,"psessionid":"8368ps","key":""})
        );
        assert!(
            !std::str::from_utf8(s.body()).unwrap().contains("&clientid"),
            "[S] sends only r"
        );
        assert_eq!(s.uri().to_string(), "https://d1.web2.qq.com/channel/poll2");
        assert_eq!(
            s.headers()[header::REFERER],
            "http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2"
        );
        assert_eq!(s.headers()[header::ORIGIN], "https://d1.web2.qq.com");
        assert_eq!(s.method(), http::Method::POST);
    }

    #[test]
    fn login2_and_relink_bodies() {
        let w = login2(&ctx(ProfileId::W2014), "pt", "online", false);
        assert_eq!(
            form_r(&w),
            json!({"status":"online","ptwebqq":"pt","passwd_sig":"","clientid":"53999199","psessionid":null})
        );
        let s = login2(&ctx(ProfileId::S2018), "pt", "online", false);
        assert_eq!(
            form_r(&s),
            json!({"ptwebqq":"pt","clientid":53999199,"psessionid":"","status":"online"})
        );
        let relink = login2(&ctx(ProfileId::S2018), "pt", "online", true);
        assert_eq!(
            form_r(&relink),
            json!({"ptwebqq":"pt","clientid":53999199,"psessionid":"8368ps","key":"","state":"online"})
        );
    }

    #[test]
    fn friends_hash_and_send_bodies() {
        let c = ctx(ProfileId::S2016);
        let r = form_r(&friends(
            &c,
            34836589,
            "598b31cd002c96d5e34a74f23b2e4b097462e718f80d6c82cefff275457e1d5e",
            ListHash::EcOk,
        ));
        assert_eq!(r, json!({"vfwebqq":"vf","hash":"5847575001DF5026"}));
        let r = form_r(&send(&c, Target::Group(42), "[\"x\"]", 91310002, 522, None));
        assert_eq!(r["group_uin"], 42);
        assert_eq!(r["content"], "[\"x\"]");
        assert_eq!(r["msg_id"], 91310002);
        let r = form_r(&send(
            &c,
            Target::Session {
                to_uin: 5,
                via: SessionVia::Discussion(9),
            },
            "c",
            1,
            0,
            Some("sig"),
        ));
        assert_eq!(
            (r["group_sig"].as_str(), r["service_type"].as_u64()),
            (Some("sig"), Some(1))
        );
    }

    #[test]
    fn friend_request_answers() {
        // §5.12: allow_and_add2 `r={"account","gid","mname","vfwebqq"}`,
        // deny_added_request2 `r={"account","vfwebqq","msg"}`; s.web2, POST, `r` only.
        let c = ctx(ProfileId::W2013);
        let accept = FriendRequestAnswer::Accept {
            markname: "Dave".into(),
            category: 2,
        };
        let deny = FriendRequestAnswer::Deny {
            reason: "who?".into(),
        };
        let table = [
            (
                &accept,
                "http://s.web2.qq.com/api/allow_and_add2",
                json!({"account": 10005, "gid": 2, "mname": "Dave", "vfwebqq": "vf"}),
            ),
            (
                &deny,
                "http://s.web2.qq.com/api/deny_added_request2",
                json!({"account": 10005, "vfwebqq": "vf", "msg": "who?"}),
            ),
        ];
        for (answer, url, r) in table {
            let req = answer_friend_request(&c, 10005, answer);
            assert_eq!(req.method(), http::Method::POST, "{answer:?}");
            assert_eq!(req.uri().to_string(), url);
            assert_eq!(form_r(&req), r);
            let body = std::str::from_utf8(req.body()).unwrap();
            assert!(!body.contains("clientid="), "only r: {body}");
            assert_eq!(
                req.headers()[header::REFERER],
                "http://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1"
            );
        }
    }

    #[test]
    fn check_sig_urls_are_confined_to_qq_com() {
        let c = ctx(ProfileId::S2018);
        assert!(check_sig(&c, "http://ptlogin4.web2.qq.com/check_sig?pttype=1&uin=1").is_some());
        for bad in [
            "http://evil.example/check_sig",
            "javascript:alert(1)",
            "link",
            "http://qq.com.evil.example/",
            "",
        ] {
            assert!(check_sig(&c, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn check_and_login_queries() {
        let c = ctx(ProfileId::S2015);
        let req = check(&c, 123456789, "", 0.5);
        let q = req.uri().query().unwrap();
        assert!(
            q.starts_with("pt_tea=1&uin=123456789&appid=501004106"),
            "{q}"
        );
        assert!(
            req.uri()
                .to_string()
                .starts_with("https://ssl.ptlogin2.qq.com/check?")
        );
        let cvc = crate::webqq::login_decode::parse_check_vc(
            br"ptui_checkVC('0','!ZDP','\x96\x00\xb9\xd6\xcf\x87\xae\xf4','34bf','1');",
        )
        .unwrap();
        let req = login(
            &c,
            &LoginParams {
                qq: 1,
                p: "P*",
                verifycode: "!ZDP",
                login_sig: "",
                check: &cvc,
                verifysession: None,
                action_ms: 9,
            },
        );
        let q: Vec<(String, String)> =
            form_urlencoded::parse(req.uri().query().unwrap().as_bytes())
                .into_owned()
                .collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("p"), Some("P*"));
        assert_eq!(get("pt_verifysession_v1"), Some("34bf"));
        assert_eq!(get("pt_randsalt"), Some("1"));
        assert_eq!(get("daid"), Some("164"));
        assert_eq!(req.headers()[header::REFERER], c.profile.login_page);
    }
}
