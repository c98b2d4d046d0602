//! Era profiles (protocol §11.1): what differs between the servers of 2013 and of 2018.
use serde::{Deserialize, Serialize};

use crate::webqq::password::PasswordScheme;

/// Which era of the servers the emulator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// WebQQ 2013: password login (scheme B), 3-field checkVC, poll idle 102, appid 1003903.
    W2013,
    /// WebQQ 2014: + daid 164 and check_sig.
    W2014,
    /// SmartQQ 2015: password (scheme C, 5-field checkVC) or QR; getvfwebqq.
    S2015,
    /// SmartQQ 2016: QR only, registration gate, idle poll = 504 page, `errCode` send reply.
    S2016,
    /// SmartQQ 2018: QR + ptqrtoken, idle poll `{"retcode":0,"retmsg":"ok","errmsg":"error"}`.
    #[default]
    S2018,
}

/// What an idle poll ends with when the hold time passes (protocol §6.2, §11.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdlePoll {
    /// `{"retcode":102,"errmsg":""}`.
    Retcode102,
    /// The front proxy's `504 Gateway Time-out` page.
    GatewayTimeout,
    /// `{"retcode":0,"retmsg":"ok","errmsg":"error"}`.
    OkError,
}

impl Profile {
    /// All profiles, oldest first.
    pub const ALL: [Profile; 5] = [
        Profile::W2013,
        Profile::W2014,
        Profile::S2015,
        Profile::S2016,
        Profile::S2018,
    ];

    /// The name used on the command line and in JSON (`w2013` …).
    pub fn name(self) -> &'static str {
        match self {
            Profile::W2013 => "w2013",
            Profile::W2014 => "w2014",
            Profile::S2015 => "s2015",
            Profile::S2016 => "s2016",
            Profile::S2018 => "s2018",
        }
    }

    /// The profile named `name`.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// WebQQ (web2.qq.com) rather than SmartQQ.
    pub fn is_webqq(self) -> bool {
        matches!(self, Profile::W2013 | Profile::W2014)
    }

    /// The password scheme, or `None` when password login is gone (QR only, from 2015-10).
    pub fn password_scheme(self) -> Option<PasswordScheme> {
        match self {
            Profile::W2013 | Profile::W2014 => Some(PasswordScheme::SaltedMd5),
            Profile::S2015 => Some(PasswordScheme::RsaTea),
            Profile::S2016 | Profile::S2018 => None,
        }
    }

    /// QR login exists (SmartQQ).
    pub fn has_qr(self) -> bool {
        !self.is_webqq()
    }

    /// The `ptui_checkVC` call has 5 arguments (2015) rather than 3 (protocol §3.3).
    pub fn check_has_five_args(self) -> bool {
        self == Profile::S2015
    }

    /// `ptwebqq` is set by check_sig ([S]) rather than by /login ([W]) (protocol §1.5).
    pub fn ptwebqq_at_check_sig(self) -> bool {
        !self.is_webqq()
    }

    /// /login answers with a check_sig URL (from mid-2013) rather than the u1 page.
    pub fn login_uses_check_sig(self) -> bool {
        self != Profile::W2013
    }

    /// The idle poll reply.
    pub fn idle_poll(self) -> IdlePoll {
        match self {
            Profile::W2013 | Profile::W2014 | Profile::S2015 => IdlePoll::Retcode102,
            Profile::S2016 => IdlePoll::GatewayTimeout,
            Profile::S2018 => IdlePoll::OkError,
        }
    }

    /// Send success is `{"errCode":0,"msg":"send ok"}` (2015-12 … 2017-09, protocol §7.6).
    pub fn send_ok_is_errcode(self) -> bool {
        self == Profile::S2016
    }

    /// Own group and discussion messages come back in poll (2017-05+, protocol §6.5).
    pub fn echoes_own_messages(self) -> bool {
        self == Profile::S2018
    }

    /// poll2 answers carry `Connection: close` (the one header capture, a 2017-10 poll reply,
    /// protocol §1.3 and §10: "that front end did not keep poll connections alive at all").
    pub fn poll_closes_connection(self) -> bool {
        self == Profile::S2018
    }

    /// `group_code` in group messages equals the gid ([S] captures, protocol §6.5).
    pub fn group_code_is_gid(self) -> bool {
        !self.is_webqq()
    }

    /// The appid of the login page.
    pub fn appid(self) -> &'static str {
        if self.is_webqq() {
            "1003903"
        } else {
            "501004106"
        }
    }

    /// The host of the channel CGIs clients are sent to.
    pub fn channel_host(self) -> &'static str {
        if self.is_webqq() {
            "d.web2.qq.com"
        } else {
            "d1.web2.qq.com"
        }
    }

    /// The page check_sig redirects to.
    pub fn s_url(self) -> &'static str {
        if self.is_webqq() {
            "http://web.qq.com/loginproxy.html?login2qq=1&webqq_type=10"
        } else {
            "http://w.qq.com/proxy.html?login2qq=1&webqq_type=10"
        }
    }
}

/// The client's profile of the same era.
impl From<Profile> for crate::webqq::profile::ProfileId {
    fn from(p: Profile) -> Self {
        use crate::webqq::profile::ProfileId as P;
        match p {
            Profile::W2013 => P::W2013,
            Profile::W2014 => P::W2014,
            Profile::S2015 => P::S2015,
            Profile::S2016 => P::S2016,
            Profile::S2018 => P::S2018,
        }
    }
}

/// The emulator profile of the client's era.
impl From<crate::webqq::profile::ProfileId> for Profile {
    fn from(p: crate::webqq::profile::ProfileId) -> Self {
        use crate::webqq::profile::ProfileId as P;
        match p {
            P::W2013 => Profile::W2013,
            P::W2014 => Profile::W2014,
            P::S2015 => Profile::S2015,
            P::S2016 => Profile::S2016,
            P::S2018 => Profile::S2018,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_client_profiles_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_name(p.name()), Some(p));
            assert_eq!(Profile::from(crate::webqq::profile::ProfileId::from(p)), p);
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
        assert_eq!(Profile::from_name("w2099"), None);
    }
}
