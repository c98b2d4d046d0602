//! Era profiles (protocol §11.1): which hosts, referers, login flow, password scheme, list
//! hash, poll body and idle shape, and send-reply shape a session speaks.
//!
//! Everything that differs between eras is data here; the request builders and the session
//! read these tables instead of branching on dates.

use std::time::Duration;

use super::hash::ListHash;
use super::password::PasswordScheme;

/// The five supported eras (protocol §11.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileId {
    /// WebQQ 2013: password (scheme B), appid 1003903, `login_sig`, 3-field checkVC.
    W2013,
    /// WebQQ 2014: as 2013 plus `daid=164` and the `check_sig` step; hash on both lists.
    W2014,
    /// SmartQQ 2015: password (scheme C, 5-field checkVC) or QR, `getvfwebqq`, `d1.web2`.
    S2015,
    /// SmartQQ 2016: QR only, the `get_online_buddies2` gate, idle poll = 504.
    S2016,
    /// SmartQQ 2018: QR with `ptqrtoken`, https only, idle `{"retcode":0,"retmsg":"ok",…}`.
    S2018,
}

/// A virtual host role; each profile maps roles to real origins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostRole {
    /// `ui.ptlogin2.qq.com` / `xui.ptlogin2.qq.com`: the login page.
    LoginUi,
    /// `/check` (`check.ptlogin2.qq.com` over http, or `ssl.ptlogin2.qq.com`).
    Check,
    /// `ssl.ptlogin2.qq.com`: `/login`, `/ptqrshow`, `/ptqrlogin`.
    PtLogin,
    /// The captcha image service.
    Captcha,
    /// `s.web2.qq.com`: the "static" `/api/*` CGIs.
    Static,
    /// `d.web2.qq.com` \[W\] / `d1.web2.qq.com` \[S\]: the `/channel/*` CGIs.
    Dynamic,
    /// `web.qq.com`: the \[W\] `get_msg_tip` heartbeat.
    MsgTip,
}

/// How the session logs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoginFlow {
    /// Password only (protocol §3.1 \[W\]).
    Password,
    /// Password when one is configured, else QR (protocol §3.1 \[S15\]).
    PasswordOrQr,
    /// QR code only (protocol §3.1 \[S\], after 2015-10).
    QrOnly,
}

/// The JSON shapes of `login2`, `poll2` and the channel CGIs (protocol §3.10, §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PollBody {
    /// \[W\] 2012–2013: `{"clientid":"<cid>","psessionid":…,"key":0,"ids":[]}` plus
    /// `clientid`/`psessionid` form fields.
    WKeyIds,
    /// \[W\] 2014: `{"ptwebqq":…,"clientid":"<cid>","psessionid":…,"key":""}`.
    WPtwebqq,
    /// \[S\]: `{"ptwebqq":…,"clientid":53999199,"psessionid":…,"key":""}` and only `r`.
    Smart,
}

impl PollBody {
    /// \[W\] shapes send `clientid` as a JSON string and add it (and `psessionid`) as extra
    /// form fields (protocol §1.2); \[S\] sends a number and only `r`.
    pub fn is_webqq(self) -> bool {
        !matches!(self, PollBody::Smart)
    }
}

/// What an idle poll looks like in this era (protocol §6.2); all of them are handled in every
/// profile, this says which one the emulator produces and which one is "normal".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdleShape {
    /// `{"retcode":102,"errmsg":""}`.
    Retcode102,
    /// The front proxy answers `504 Gateway Time-out` after ~60 s.
    GatewayTimeout504,
    /// `{"retcode":0,"retmsg":"ok","errmsg":"error"}` (2018).
    RetcodeZeroNoResult,
}

/// The success reply of `send_*_msg2` (protocol §7.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendReplyShape {
    /// `{"retcode":0,"result":"ok"}`.
    RetcodeOk,
    /// `{"errCode":0,"msg":"send ok"}` (2015-12 … 2017-09).
    ErrCodeSendOk,
}

/// How `clientid` is chosen (protocol §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientIdRule {
    /// \[W\] a random 8-digit number (from the session seed).
    Random8,
    /// \[S\] the official constant.
    Fixed(u64),
}

/// The \[W\] heartbeat `get_msg_tip` (protocol §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Heartbeat {
    /// Period between calls (`twqq`, `wqc`: 60 s).
    pub every: Duration,
    /// Client timeout of one call.
    pub timeout: Duration,
}

/// One era's parameters. Obtain with [`Profile::get`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Which era.
    pub id: ProfileId,
    /// ptlogin `appid` / `aid`.
    pub appid: u64,
    /// Login flows offered.
    pub login_flow: LoginFlow,
    /// The `p` encoding for password login (`None`: no password login).
    pub password_scheme: Option<PasswordScheme>,
    /// `daid=164` on ptlogin requests (from mid-2013, protocol §0.3).
    pub daid: bool,
    /// Whether the `ptuiCB` URL is a `check_sig` to visit (protocol §3.7; \[W-early\] it is
    /// just the proxy page and `ptwebqq` is already set).
    pub check_sig: bool,
    /// `ptqrtoken = hash33(qrsig)` on `ptqrlogin` (protocol §3.8, from 2017-02).
    pub ptqrtoken: bool,
    /// `getvfwebqq` before `login2` (protocol §3.9); otherwise `vfwebqq` comes from login2.
    pub getvfwebqq: bool,
    /// Poll answers 103 until `get_online_buddies2` was called (protocol §3.1, 2016-04).
    pub online_buddies_gate: bool,
    /// List hash for `get_user_friends2`.
    pub friends_hash: ListHash,
    /// List hash for `get_group_name_list_mask2` (`None`: not sent, before 2014-06).
    pub groups_hash: Option<ListHash>,
    /// Body shapes of the channel CGIs.
    pub poll_body: PollBody,
    /// The idle poll reply of the era.
    pub idle: IdleShape,
    /// Send success reply shape.
    pub send_reply: SendReplyShape,
    /// `clientid` rule.
    pub clientid: ClientIdRule,
    /// Whether own messages from other devices are echoed into poll (protocol §6.5, 2017-05).
    pub echoes_own_messages: bool,
    /// Whether `get_friend_uin2` still answers (disabled 2017-04, protocol §5.6).
    pub friend_uin2: bool,
    /// Whether friend requests can be answered (`allow_and_add2`, `deny_added_request2`):
    /// protocol §5.12 lists them among the \[W\] CGIs, and no SmartQQ client calls them.
    pub friend_requests: bool,
    /// \[W\] heartbeat.
    pub heartbeat: Option<Heartbeat>,
    /// Client timeout for one poll; above the server hold (protocol §6.2: official 120 s,
    /// `lwqq` 75 s).
    pub poll_timeout: Duration,
    /// `js_ver` sent to ptlogin.
    pub js_ver: &'static str,
    /// Origins by role: `(role, "scheme://host")`.
    hosts: &'static [(HostRole, &'static str)],
    /// Referer by role (protocol §1.4).
    referers: &'static [(HostRole, &'static str)],
    /// The login page URL (also the Referer of every ptlogin request, protocol §3.2).
    pub login_page: &'static str,
    /// `u1` of `/check`, `/login` and `/ptqrlogin`.
    pub u1: &'static str,
}

const W_LOGIN_PAGE: &str = "https://ui.ptlogin2.qq.com/cgi-bin/login?daid=164&target=self&style=5&mibao_css=m_webqq&appid=1003903&enable_qlogin=0&no_verifyimg=1&s_url=http%3A%2F%2Fweb2.qq.com%2Floginproxy.html&f_url=loginerroralert&strong_login=1&login_state=10&t=20130723001";
const S_LOGIN_PAGE: &str = "https://ui.ptlogin2.qq.com/cgi-bin/login?daid=164&target=self&style=16&mibao_css=m_webqq&appid=501004106&enable_qlogin=0&no_verifyimg=1&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html&f_url=loginerroralert&strong_login=1&login_state=10&t=20131024001";
const S16_LOGIN_PAGE: &str = "https://xui.ptlogin2.qq.com/cgi-bin/xlogin?daid=164&target=self&style=40&pt_disable_pwd=1&mibao_css=m_webqq&appid=501004106&enable_qlogin=0&no_verifyimg=1&s_url=http%3A%2F%2Fw.qq.com%2Fproxy.html&f_url=loginerroralert&strong_login=1&login_state=10&t=20131024001";

const W_U1: &str = "http://web2.qq.com/loginproxy.html?login2qq=1&webqq_type=10";
const S_U1: &str = "http://w.qq.com/proxy.html?login2qq=1&webqq_type=10";

const W_HOSTS: &[(HostRole, &str)] = &[
    (HostRole::LoginUi, "https://ui.ptlogin2.qq.com"),
    (HostRole::Check, "http://check.ptlogin2.qq.com"),
    (HostRole::PtLogin, "https://ssl.ptlogin2.qq.com"),
    (HostRole::Captcha, "http://captcha.qq.com"),
    (HostRole::Static, "http://s.web2.qq.com"),
    (HostRole::Dynamic, "http://d.web2.qq.com"),
    (HostRole::MsgTip, "http://web.qq.com"),
];
const S15_HOSTS: &[(HostRole, &str)] = &[
    (HostRole::LoginUi, "https://ui.ptlogin2.qq.com"),
    (HostRole::Check, "https://ssl.ptlogin2.qq.com"),
    (HostRole::PtLogin, "https://ssl.ptlogin2.qq.com"),
    (HostRole::Captcha, "https://ssl.captcha.qq.com"),
    (HostRole::Static, "http://s.web2.qq.com"),
    (HostRole::Dynamic, "http://d1.web2.qq.com"),
    (HostRole::MsgTip, "http://web.qq.com"),
];
const S16_HOSTS: &[(HostRole, &str)] = &[
    (HostRole::LoginUi, "https://xui.ptlogin2.qq.com"),
    (HostRole::Check, "https://ssl.ptlogin2.qq.com"),
    (HostRole::PtLogin, "https://ssl.ptlogin2.qq.com"),
    (HostRole::Captcha, "https://ssl.captcha.qq.com"),
    (HostRole::Static, "http://s.web2.qq.com"),
    (HostRole::Dynamic, "https://d1.web2.qq.com"),
    (HostRole::MsgTip, "http://web.qq.com"),
];
const S18_HOSTS: &[(HostRole, &str)] = &[
    (HostRole::LoginUi, "https://xui.ptlogin2.qq.com"),
    (HostRole::Check, "https://ssl.ptlogin2.qq.com"),
    (HostRole::PtLogin, "https://ssl.ptlogin2.qq.com"),
    (HostRole::Captcha, "https://ssl.captcha.qq.com"),
    (HostRole::Static, "https://s.web2.qq.com"),
    (HostRole::Dynamic, "https://d1.web2.qq.com"),
    (HostRole::MsgTip, "https://web.qq.com"),
];

const W_REFERERS: &[(HostRole, &str)] = &[
    (
        HostRole::Static,
        "http://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1",
    ),
    (
        HostRole::Dynamic,
        "http://d.web2.qq.com/proxy.html?v=20130916001&callback=1&id=2",
    ),
    (HostRole::MsgTip, "http://web2.qq.com/webqq.html"),
];
const S_REFERERS: &[(HostRole, &str)] = &[
    (
        HostRole::Static,
        "http://s.web2.qq.com/proxy.html?v=20130916001&callback=1&id=1",
    ),
    (
        HostRole::Dynamic,
        "http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2",
    ),
    (HostRole::MsgTip, "http://w.qq.com/"),
];

/// Protocol §6.2: official \[S\] client 120 s; \[W\] clients 60–90 s. Both above the holds seen.
const POLL_TIMEOUT_S: Duration = Duration::from_secs(120);
const POLL_TIMEOUT_W: Duration = Duration::from_secs(90);
/// Protocol §8.1: `twqq`/`wqc` call get_msg_tip every 60 s.
const W_HEARTBEAT: Heartbeat = Heartbeat {
    every: Duration::from_secs(60),
    timeout: Duration::from_secs(10),
};
/// The official \[S\] `clientid` (protocol §2).
pub const SMARTQQ_CLIENTID: u64 = 53_999_199;

static W2013: Profile = W2013_BASE;

static W2014: Profile = Profile {
    id: ProfileId::W2014,
    daid: true,
    check_sig: true,
    // §4.7: PWERR from 2014-06-14, now also required for the group list.
    friends_hash: ListHash::PwErr,
    groups_hash: Some(ListHash::PwErr),
    poll_body: PollBody::WPtwebqq,
    ..W2013_BASE
};

/// The W2013 row; a `const` so that later rows can start from it with `..`.
const W2013_BASE: Profile = Profile {
    id: ProfileId::W2013,
    appid: 1_003_903,
    login_flow: LoginFlow::Password,
    password_scheme: Some(PasswordScheme::SaltedMd5),
    daid: false,
    check_sig: false,
    ptqrtoken: false,
    getvfwebqq: false,
    online_buddies_gate: false,
    // §4.7: ECOK from 2013-07-17 (the era of login_sig), none on the group list until 2014-06.
    friends_hash: ListHash::EcOk,
    groups_hash: None,
    poll_body: PollBody::WKeyIds,
    idle: IdleShape::Retcode102,
    send_reply: SendReplyShape::RetcodeOk,
    clientid: ClientIdRule::Random8,
    echoes_own_messages: false,
    friend_uin2: true,
    friend_requests: true,
    heartbeat: Some(W_HEARTBEAT),
    poll_timeout: POLL_TIMEOUT_W,
    js_ver: "10040",
    hosts: W_HOSTS,
    referers: W_REFERERS,
    login_page: W_LOGIN_PAGE,
    u1: W_U1,
};

const S2015_BASE: Profile = Profile {
    id: ProfileId::S2015,
    appid: 501_004_106,
    login_flow: LoginFlow::PasswordOrQr,
    password_scheme: Some(PasswordScheme::RsaTea),
    daid: true,
    check_sig: true,
    ptqrtoken: false,
    getvfwebqq: true,
    online_buddies_gate: false,
    friends_hash: ListHash::EcOk,
    groups_hash: Some(ListHash::EcOk),
    poll_body: PollBody::Smart,
    idle: IdleShape::Retcode102,
    send_reply: SendReplyShape::RetcodeOk,
    clientid: ClientIdRule::Fixed(SMARTQQ_CLIENTID),
    echoes_own_messages: false,
    friend_uin2: true,
    friend_requests: false,
    heartbeat: None,
    poll_timeout: POLL_TIMEOUT_S,
    js_ver: "10120",
    hosts: S15_HOSTS,
    referers: S_REFERERS,
    login_page: S_LOGIN_PAGE,
    u1: S_U1,
};

static S2015: Profile = S2015_BASE;

static S2016: Profile = Profile {
    id: ProfileId::S2016,
    login_flow: LoginFlow::QrOnly,
    password_scheme: None,
    online_buddies_gate: true,
    idle: IdleShape::GatewayTimeout504,
    send_reply: SendReplyShape::ErrCodeSendOk,
    js_ver: "10141",
    hosts: S16_HOSTS,
    login_page: S16_LOGIN_PAGE,
    ..S2015_BASE
};

static S2018: Profile = Profile {
    id: ProfileId::S2018,
    login_flow: LoginFlow::QrOnly,
    password_scheme: None,
    ptqrtoken: true,
    online_buddies_gate: true,
    idle: IdleShape::RetcodeZeroNoResult,
    send_reply: SendReplyShape::RetcodeOk,
    echoes_own_messages: true,
    friend_uin2: false,
    js_ver: "10233",
    hosts: S18_HOSTS,
    login_page: S16_LOGIN_PAGE,
    ..S2015_BASE
};

impl Profile {
    /// The table row of `id`.
    pub fn get(id: ProfileId) -> &'static Profile {
        match id {
            ProfileId::W2013 => &W2013,
            ProfileId::W2014 => &W2014,
            ProfileId::S2015 => &S2015,
            ProfileId::S2016 => &S2016,
            ProfileId::S2018 => &S2018,
        }
    }

    /// Every profile, oldest first.
    pub fn all() -> [&'static Profile; 5] {
        [&W2013, &W2014, &S2015, &S2016, &S2018]
    }

    /// `scheme://host` of a role.
    pub fn origin(&self, role: HostRole) -> &'static str {
        self.hosts
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, o)| *o)
            .unwrap_or("http://s.web2.qq.com")
    }

    /// The full URL (without query) of an endpoint in this era.
    pub fn url(&self, endpoint: Endpoint) -> String {
        let route = endpoint.route();
        format!("{}{}", self.origin(route.host), route.path)
    }

    /// The Referer for an endpoint (protocol §1.4): the proxy page of its host, the login
    /// page for ptlogin and captcha requests.
    pub fn referer(&self, endpoint: Endpoint) -> &'static str {
        let role = endpoint.route().host;
        self.referers
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, u)| *u)
            .unwrap_or(self.login_page)
    }

    /// True for the SmartQQ eras.
    pub fn is_smartqq(&self) -> bool {
        matches!(
            self.id,
            ProfileId::S2015 | ProfileId::S2016 | ProfileId::S2018
        )
    }
}

/// HTTP method of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET with a query string.
    Get,
    /// POST with `application/x-www-form-urlencoded` `r=<JSON>`.
    Post,
}

/// Where an endpoint lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    /// Host role (mapped to an origin by the profile).
    pub host: HostRole,
    /// Path.
    pub path: &'static str,
    /// Method.
    pub method: Method,
}

/// Every endpoint the session calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Login page (`login_sig`, protocol §3.2).
    LoginPage,
    /// `/check` (protocol §3.3).
    Check,
    /// Captcha image (protocol §3.4).
    Captcha,
    /// `/login` (protocol §3.6).
    Login,
    /// QR image (protocol §3.8).
    QrShow,
    /// QR state poll (protocol §3.8).
    QrLogin,
    /// `getvfwebqq` (protocol §3.9).
    GetVfwebqq,
    /// `login2` and relink (protocol §3.10).
    Login2,
    /// Friend list (protocol §5.1).
    Friends,
    /// Group list (protocol §5.2).
    Groups,
    /// Group detail and members (protocol §5.3).
    GroupInfo,
    /// Discussion list (protocol §5.4).
    Discussions,
    /// Discussion detail (protocol §5.5).
    DiscussionInfo,
    /// uin → QQ number (protocol §5.6).
    FriendUin2,
    /// Own profile (protocol §5.9).
    SelfInfo,
    /// Presence snapshot (protocol §5.10).
    OnlineBuddies,
    /// Recent conversations (protocol §5.11).
    RecentList,
    /// Long poll (protocol §6).
    Poll,
    /// Friend message (protocol §7.1).
    SendBuddy,
    /// Group message (protocol §7.1).
    SendGroup,
    /// Discussion message (protocol §7.1).
    SendDiscussion,
    /// Temporary-session message (protocol §7.1).
    SendSession,
    /// Temporary-session signature (protocol §7.4).
    C2cMsgSig,
    /// \[W\] heartbeat (protocol §8.1).
    MsgTip,
    /// \[W\] logout (protocol §8.4).
    Logout,
    /// Quick re-login with the saved `supertoken` (protocol §3.11).
    Pt4Auth,
    /// Accept a friend request and add the requester back (protocol §5.12).
    AllowAndAdd2,
    /// Refuse a friend request (protocol §5.12).
    DenyAddedRequest2,
}

/// The endpoint table: host role, path and method of every CGI.
const ROUTES: &[(Endpoint, HostRole, &str, Method)] = &[
    (
        Endpoint::LoginPage,
        HostRole::LoginUi,
        "/cgi-bin/login",
        Method::Get,
    ),
    (Endpoint::Check, HostRole::Check, "/check", Method::Get),
    (
        Endpoint::Captcha,
        HostRole::Captcha,
        "/getimage",
        Method::Get,
    ),
    (Endpoint::Login, HostRole::PtLogin, "/login", Method::Get),
    (
        Endpoint::QrShow,
        HostRole::PtLogin,
        "/ptqrshow",
        Method::Get,
    ),
    (
        Endpoint::QrLogin,
        HostRole::PtLogin,
        "/ptqrlogin",
        Method::Get,
    ),
    (
        Endpoint::GetVfwebqq,
        HostRole::Static,
        "/api/getvfwebqq",
        Method::Get,
    ),
    (
        Endpoint::Login2,
        HostRole::Dynamic,
        "/channel/login2",
        Method::Post,
    ),
    (
        Endpoint::Friends,
        HostRole::Static,
        "/api/get_user_friends2",
        Method::Post,
    ),
    (
        Endpoint::Groups,
        HostRole::Static,
        "/api/get_group_name_list_mask2",
        Method::Post,
    ),
    (
        Endpoint::GroupInfo,
        HostRole::Static,
        "/api/get_group_info_ext2",
        Method::Get,
    ),
    (
        Endpoint::Discussions,
        HostRole::Static,
        "/api/get_discus_list",
        Method::Get,
    ),
    (
        Endpoint::DiscussionInfo,
        HostRole::Dynamic,
        "/channel/get_discu_info",
        Method::Get,
    ),
    (
        Endpoint::FriendUin2,
        HostRole::Static,
        "/api/get_friend_uin2",
        Method::Get,
    ),
    (
        Endpoint::SelfInfo,
        HostRole::Static,
        "/api/get_self_info2",
        Method::Get,
    ),
    (
        Endpoint::OnlineBuddies,
        HostRole::Dynamic,
        "/channel/get_online_buddies2",
        Method::Get,
    ),
    (
        Endpoint::RecentList,
        HostRole::Dynamic,
        "/channel/get_recent_list2",
        Method::Post,
    ),
    (
        Endpoint::Poll,
        HostRole::Dynamic,
        "/channel/poll2",
        Method::Post,
    ),
    (
        Endpoint::SendBuddy,
        HostRole::Dynamic,
        "/channel/send_buddy_msg2",
        Method::Post,
    ),
    (
        Endpoint::SendGroup,
        HostRole::Dynamic,
        "/channel/send_qun_msg2",
        Method::Post,
    ),
    (
        Endpoint::SendDiscussion,
        HostRole::Dynamic,
        "/channel/send_discu_msg2",
        Method::Post,
    ),
    (
        Endpoint::SendSession,
        HostRole::Dynamic,
        "/channel/send_sess_msg2",
        Method::Post,
    ),
    (
        Endpoint::C2cMsgSig,
        HostRole::Dynamic,
        "/channel/get_c2cmsg_sig2",
        Method::Get,
    ),
    (
        Endpoint::MsgTip,
        HostRole::MsgTip,
        "/web2/get_msg_tip",
        Method::Get,
    ),
    (
        Endpoint::Logout,
        HostRole::Dynamic,
        "/channel/logout2",
        Method::Get,
    ),
    (
        Endpoint::Pt4Auth,
        HostRole::PtLogin,
        "/pt4_auth",
        Method::Get,
    ),
    (
        Endpoint::AllowAndAdd2,
        HostRole::Static,
        "/api/allow_and_add2",
        Method::Post,
    ),
    (
        Endpoint::DenyAddedRequest2,
        HostRole::Static,
        "/api/deny_added_request2",
        Method::Post,
    ),
];

impl Endpoint {
    /// Host role, path and method from the endpoint table.
    pub fn route(self) -> Route {
        ROUTES
            .iter()
            .find(|(e, ..)| *e == self)
            .map(|&(_, host, path, method)| Route { host, path, method })
            .unwrap_or(Route {
                host: HostRole::Static,
                path: "/",
                method: Method::Get,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_has_a_route() {
        let all = [
            Endpoint::LoginPage,
            Endpoint::Check,
            Endpoint::Captcha,
            Endpoint::Login,
            Endpoint::QrShow,
            Endpoint::QrLogin,
            Endpoint::GetVfwebqq,
            Endpoint::Login2,
            Endpoint::Friends,
            Endpoint::Groups,
            Endpoint::GroupInfo,
            Endpoint::Discussions,
            Endpoint::DiscussionInfo,
            Endpoint::FriendUin2,
            Endpoint::SelfInfo,
            Endpoint::OnlineBuddies,
            Endpoint::RecentList,
            Endpoint::Poll,
            Endpoint::SendBuddy,
            Endpoint::SendGroup,
            Endpoint::SendDiscussion,
            Endpoint::SendSession,
            Endpoint::C2cMsgSig,
            Endpoint::MsgTip,
            Endpoint::Logout,
            Endpoint::Pt4Auth,
            Endpoint::AllowAndAdd2,
            Endpoint::DenyAddedRequest2,
        ];
        for e in all {
            assert!(ROUTES.iter().any(|(r, ..)| *r == e), "{e:?} missing");
        }
        assert_eq!(ROUTES.len(), all.len());
    }

    #[test]
    fn eras_pick_their_hosts_and_rules() {
        // §3.10: SmartQQ login2 must go to d1.web2 (d.web2 answers 403 from 2015-12).
        assert_eq!(
            Profile::get(ProfileId::S2016).url(Endpoint::Login2),
            "https://d1.web2.qq.com/channel/login2"
        );
        assert_eq!(
            Profile::get(ProfileId::W2013).url(Endpoint::Login2),
            "http://d.web2.qq.com/channel/login2"
        );
        // §1.1: plain-http s.web2 failed in 2018-12.
        assert!(
            Profile::get(ProfileId::S2018)
                .url(Endpoint::Friends)
                .starts_with("https://s.web2.qq.com")
        );
        for p in Profile::all() {
            for h in [
                HostRole::LoginUi,
                HostRole::Check,
                HostRole::PtLogin,
                HostRole::Captcha,
                HostRole::Static,
                HostRole::Dynamic,
                HostRole::MsgTip,
            ] {
                assert!(
                    p.hosts.iter().any(|(r, _)| *r == h),
                    "{:?} lacks {h:?}",
                    p.id
                );
            }
            // §8.1: the heartbeat is a [W] thing; §2: [S] clientid is the constant.
            assert_eq!(p.heartbeat.is_some(), !p.is_smartqq());
            assert_eq!(
                p.clientid == ClientIdRule::Fixed(SMARTQQ_CLIENTID),
                p.is_smartqq()
            );
            assert_eq!(
                p.password_scheme.is_none(),
                p.login_flow == LoginFlow::QrOnly
            );
            assert_eq!(
                p.referer(Endpoint::Login),
                p.login_page,
                "ptlogin requests use the login page as Referer (§3.2)"
            );
        }
        assert_eq!(
            Profile::get(ProfileId::S2015).referer(Endpoint::Poll),
            "http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2"
        );
        assert!(Profile::get(ProfileId::S2016).online_buddies_gate);
        assert!(Profile::get(ProfileId::S2018).ptqrtoken);
    }
}
