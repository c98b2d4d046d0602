//! Routing by `Host` and path, like the real virtual hosts (protocol §1.1). Every host is served
//! on both schemes (protocol §1.1 "An emulator should serve both schemes on all hosts"); the
//! scheme is the adapter's business. `/_emulator/…` is the control API on every host.

/// What a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Endpoint {
    // ptlogin2 (protocol §3)
    LoginPage,
    XLoginPage,
    Ver,
    Check,
    GetImage,
    Login,
    PtQrShow,
    PtQrLogin,
    Pt4Auth,
    CheckSig,
    DeepLogout,
    /// `proxy.html` / `loginproxy.html` pages the login redirects to.
    ProxyPage,
    // s.web2 (protocol §3.9, §5)
    GetVfWebqq,
    GetUserFriends2,
    GetGroupNameListMask2,
    GetGroupInfoExt2,
    GetDiscusList,
    GetFriendUin2,
    GetFriendInfo2,
    GetStrangerInfo2,
    GetSingleLongNick2,
    GetSelfInfo2,
    GetQqLevel2,
    ChangeMarkName2,
    ModifyFriendGroup,
    DeleteFriend,
    SetLongNick2,
    AllowAndAdd2,
    AllowAddedRequest2,
    DenyAddedRequest2,
    GetSelfBusinessCard2,
    QuitGroup2,
    // d.web2 / d1.web2 (protocol §3.10, §5, §6, §7, §8)
    Login2,
    Poll2,
    SendBuddyMsg2,
    SendQunMsg2,
    SendDiscuMsg2,
    SendSessMsg2,
    GetOnlineBuddies2,
    GetRecentList2,
    GetDiscuInfo,
    ChangeStatus2,
    Logout2,
    GetC2cMsgSig2,
    GetGfaceSig2,
    QuitDiscu,
    InputNotify2,
    Shake2,
    // web.qq.com heartbeat (protocol §8.1)
    GetMsgTip,
    /// The control API; the string is the path after `/_emulator/`.
    Control,
}

impl Endpoint {
    /// The CGI's name as fault rules and events spell it (the last path segment).
    pub fn name(self) -> &'static str {
        ROUTES
            .iter()
            .find(|r| r.2 == self)
            .map(|r| r.1.rsplit('/').next().unwrap_or(r.1))
            .unwrap_or("_emulator")
    }

    fn hosts(self) -> &'static [&'static str] {
        ROUTES.iter().find(|r| r.2 == self).map_or(&[], |r| r.0)
    }

    /// A channel CGI of d.web2 / d1.web2 (`{"retcode":N,"errmsg":…}` envelopes).
    pub fn is_channel(self) -> bool {
        self.hosts() == D
    }

    /// A list CGI of s.web2 (bare `{"retcode":N}` errors in the captures).
    pub fn is_static(self) -> bool {
        self.hosts() == S
    }

    /// A CGI that answers JSON envelopes (protocol §1.3), rather than JS callbacks or pages.
    pub fn is_json_cgi(self) -> bool {
        self.is_channel() || self.is_static() || self == Endpoint::GetMsgTip
    }
}

const PTLOGIN_CHECK: &[&str] = &["check.ptlogin2.qq.com", "ssl.ptlogin2.qq.com"];
const PTLOGIN_SSL: &[&str] = &["ssl.ptlogin2.qq.com"];
const PTLOGIN_LOGIN: &[&str] = &["ssl.ptlogin2.qq.com", "ptlogin2.qq.com"];
const UI: &[&str] = &["ui.ptlogin2.qq.com"];
const XUI: &[&str] = &["xui.ptlogin2.qq.com"];
const CAPTCHA: &[&str] = &["captcha.qq.com", "ssl.captcha.qq.com"];
const CHECK_SIG: &[&str] = &["ptlogin4.web2.qq.com"];
const DEEP_LOGOUT: &[&str] = &["ptlogin2.qq.com"];
const S: &[&str] = &["s.web2.qq.com"];
/// `w.qq.com/d/channel/…` is served too (protocol §1.1); see [`route`].
const D: &[&str] = &["d.web2.qq.com", "d1.web2.qq.com"];
const TIP: &[&str] = &["web.qq.com", "web2.qq.com", "webqq.qq.com"];
const PROXY: &[&str] = &[
    "w.qq.com",
    "web.qq.com",
    "web2.qq.com",
    "www.qq.com",
    "s.web2.qq.com",
    "d.web2.qq.com",
    "d1.web2.qq.com",
];

type Route = (&'static [&'static str], &'static str, Endpoint);

/// The routing table: hosts, path, endpoint.
const ROUTES: &[Route] = &[
    (UI, "/cgi-bin/login", Endpoint::LoginPage),
    (UI, "/cgi-bin/ver", Endpoint::Ver),
    (XUI, "/cgi-bin/xlogin", Endpoint::XLoginPage),
    (PTLOGIN_CHECK, "/check", Endpoint::Check),
    (CAPTCHA, "/getimage", Endpoint::GetImage),
    (PTLOGIN_LOGIN, "/login", Endpoint::Login),
    (PTLOGIN_SSL, "/ptqrshow", Endpoint::PtQrShow),
    (PTLOGIN_SSL, "/ptqrlogin", Endpoint::PtQrLogin),
    (PTLOGIN_SSL, "/pt4_auth", Endpoint::Pt4Auth),
    (CHECK_SIG, "/check_sig", Endpoint::CheckSig),
    (DEEP_LOGOUT, "/logout", Endpoint::DeepLogout),
    (PROXY, "/proxy.html", Endpoint::ProxyPage),
    (PROXY, "/loginproxy.html", Endpoint::ProxyPage),
    (PROXY, "/cfproxy.html", Endpoint::ProxyPage),
    (S, "/api/getvfwebqq", Endpoint::GetVfWebqq),
    (S, "/api/get_user_friends2", Endpoint::GetUserFriends2),
    (
        S,
        "/api/get_group_name_list_mask2",
        Endpoint::GetGroupNameListMask2,
    ),
    (S, "/api/get_group_info_ext2", Endpoint::GetGroupInfoExt2),
    (S, "/api/get_discus_list", Endpoint::GetDiscusList),
    (S, "/api/get_friend_uin2", Endpoint::GetFriendUin2),
    (S, "/api/get_friend_info2", Endpoint::GetFriendInfo2),
    (S, "/api/get_stranger_info2", Endpoint::GetStrangerInfo2),
    (
        S,
        "/api/get_single_long_nick2",
        Endpoint::GetSingleLongNick2,
    ),
    (S, "/api/get_self_info2", Endpoint::GetSelfInfo2),
    (S, "/api/get_qq_level2", Endpoint::GetQqLevel2),
    (S, "/api/change_mark_name2", Endpoint::ChangeMarkName2),
    (S, "/api/modify_friend_group", Endpoint::ModifyFriendGroup),
    (S, "/api/delete_friend", Endpoint::DeleteFriend),
    (S, "/api/set_long_nick2", Endpoint::SetLongNick2),
    (S, "/api/allow_and_add2", Endpoint::AllowAndAdd2),
    (S, "/api/allow_added_request2", Endpoint::AllowAddedRequest2),
    (S, "/api/deny_added_request2", Endpoint::DenyAddedRequest2),
    (
        S,
        "/api/get_self_business_card2",
        Endpoint::GetSelfBusinessCard2,
    ),
    (S, "/api/quit_group2", Endpoint::QuitGroup2),
    (D, "/channel/login2", Endpoint::Login2),
    (D, "/channel/poll2", Endpoint::Poll2),
    (D, "/channel/send_buddy_msg2", Endpoint::SendBuddyMsg2),
    (D, "/channel/send_qun_msg2", Endpoint::SendQunMsg2),
    (D, "/channel/send_discu_msg2", Endpoint::SendDiscuMsg2),
    (D, "/channel/send_sess_msg2", Endpoint::SendSessMsg2),
    (
        D,
        "/channel/get_online_buddies2",
        Endpoint::GetOnlineBuddies2,
    ),
    (D, "/channel/get_recent_list2", Endpoint::GetRecentList2),
    (D, "/channel/get_discu_info", Endpoint::GetDiscuInfo),
    (D, "/channel/change_status2", Endpoint::ChangeStatus2),
    (D, "/channel/logout2", Endpoint::Logout2),
    (D, "/channel/get_c2cmsg_sig2", Endpoint::GetC2cMsgSig2),
    (D, "/channel/get_gface_sig2", Endpoint::GetGfaceSig2),
    (D, "/channel/quit_discu", Endpoint::QuitDiscu),
    (D, "/channel/input_notify2", Endpoint::InputNotify2),
    (D, "/channel/shake2", Endpoint::Shake2),
    (TIP, "/web2/get_msg_tip", Endpoint::GetMsgTip),
];

/// Every (host, path) the emulator serves, for tests that visit them all.
#[cfg(test)]
pub(crate) fn all_routes() -> Vec<(&'static str, &'static str)> {
    ROUTES
        .iter()
        .flat_map(|(hosts, path, _)| hosts.iter().map(move |h| (*h, *path)))
        .collect()
}

/// The endpoint for `host` (lower-case, no port) and `path`, or `None` (→ the 404 page).
pub fn route(host: &str, path: &str) -> Option<Endpoint> {
    if path.starts_with("/_emulator/") {
        return Some(Endpoint::Control);
    }
    // The SmartQQ page also reached the channel CGIs as w.qq.com/d/channel/… (protocol §1.1).
    let (host, path) = match (host, path.strip_prefix("/d")) {
        ("w.qq.com", Some(rest)) if rest.starts_with("/channel/") => ("d1.web2.qq.com", rest),
        _ => (host, path),
    };
    ROUTES
        .iter()
        .find(|(hosts, p, _)| *p == path && hosts.contains(&host))
        .map(|r| r.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_virtual_hosts_of_protocol_1_1() {
        // (host, path, expected)
        let table: &[(&str, &str, Option<Endpoint>)] = &[
            ("check.ptlogin2.qq.com", "/check", Some(Endpoint::Check)),
            ("ssl.ptlogin2.qq.com", "/check", Some(Endpoint::Check)),
            ("ssl.ptlogin2.qq.com", "/login", Some(Endpoint::Login)),
            ("ptlogin2.qq.com", "/login", Some(Endpoint::Login)),
            ("ssl.ptlogin2.qq.com", "/ptqrshow", Some(Endpoint::PtQrShow)),
            ("d.web2.qq.com", "/channel/poll2", Some(Endpoint::Poll2)),
            ("d1.web2.qq.com", "/channel/poll2", Some(Endpoint::Poll2)),
            ("w.qq.com", "/d/channel/poll2", Some(Endpoint::Poll2)),
            (
                "s.web2.qq.com",
                "/api/get_user_friends2",
                Some(Endpoint::GetUserFriends2),
            ),
            (
                "ptlogin4.web2.qq.com",
                "/check_sig",
                Some(Endpoint::CheckSig),
            ),
            (
                "web2.qq.com",
                "/web2/get_msg_tip",
                Some(Endpoint::GetMsgTip),
            ),
            ("anything", "/_emulator/say", Some(Endpoint::Control)),
            // The channel CGIs do not exist on the static host and vice versa.
            ("s.web2.qq.com", "/channel/poll2", None),
            ("d.web2.qq.com", "/api/get_user_friends2", None),
            ("check.ptlogin2.qq.com", "/ptqrshow", None),
            ("d.web2.qq.com", "/nothing", None),
        ];
        for (host, path, want) in table {
            assert_eq!(route(host, path), *want, "{host}{path}");
        }
    }

    #[test]
    fn endpoint_names_are_the_cgi_names() {
        assert_eq!(Endpoint::Poll2.name(), "poll2");
        assert_eq!(Endpoint::SendQunMsg2.name(), "send_qun_msg2");
        assert_eq!(Endpoint::GetVfWebqq.name(), "getvfwebqq");
        assert!(Endpoint::Poll2.is_json_cgi());
        assert!(!Endpoint::Login.is_json_cgi());
        assert!(Endpoint::Login2.is_channel() && !Endpoint::Login2.is_static());
        assert!(Endpoint::GetVfWebqq.is_static() && !Endpoint::GetVfWebqq.is_channel());
    }
}
