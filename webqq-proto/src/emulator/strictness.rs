//! Validation switches (protocol §11.3). The default is lenient: every check off, so any
//! client that speaks the protocol roughly right gets through. [`Strictness::strict`] turns
//! on everything the real servers of a profile are known to have checked.
use serde::{Deserialize, Serialize};

use super::profile::Profile;

/// What to do with a send that reuses a `msg_id` (protocol §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReusedMsgId {
    /// Answer success but deliver nothing.
    Drop,
    /// Answer 1202 and deliver nothing.
    Retcode1202,
}

/// A token bucket on sends (protocol §7.7 emulator advice).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SendRate {
    /// One token comes back every this many milliseconds.
    pub interval_ms: u64,
    /// Bucket size.
    pub burst: u32,
    /// Probability that a message refused with 1202 is delivered anyway.
    #[serde(default)]
    pub delivered: f64,
}

/// A maximum message length (protocol §7.7: ~720 UTF-8 bytes; no real code was captured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxMessage {
    /// Most UTF-8 bytes of text.
    pub bytes: usize,
    /// The retcode answered when it is exceeded.
    pub retcode: i64,
}

/// The validation switches of protocol §11.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Strictness {
    /// Referer present and on qq.com for CGIs, else 100001 (S) / 100101 (W).
    pub referer: bool,
    /// User-Agent present, else the same.
    pub user_agent: bool,
    /// `ptwebqq`, `skey` and `uin` cookies present on login2 and poll2, else 103 / 108.
    pub cookies: bool,
    /// `vfwebqq` matches the session's, else 100001.
    pub vfwebqq: bool,
    /// List `hash` correct for the profile's variant, else 50.
    pub hash: bool,
    /// `login_sig` present on /check and /login (w2013/w2014), else `ptuiCB('7',…)`.
    pub login_sig: bool,
    /// `ptqrtoken` = hash33(qrsig) on ptqrlogin (s2018), else HTTP 403.
    pub ptqrtoken: bool,
    /// poll2 answers 103 until get_online_buddies2 was called (s2016+, protocol §3.1).
    pub registration: bool,
    /// login2 on d.web2.qq.com under a SmartQQ profile answers HTTP 403 (protocol §3.10).
    pub login2_host: bool,
    /// `clientid` must match the login2 one, else 122 `wrong web client3`.
    pub clientid: bool,
    /// Reused outgoing `msg_id`s.
    pub reused_msg_id: Option<ReusedMsgId>,
    /// Send rate limit.
    pub send_rate: Option<SendRate>,
    /// Message length limit.
    pub max_message: Option<MaxMessage>,
    /// A gid passed where a group code is expected answers `{"retcode":6}`.
    pub gid_as_code: bool,
}

impl Strictness {
    /// Every check off (the default).
    pub fn lenient() -> Self {
        Strictness::default()
    }

    /// Every check the real servers of `profile` are known to have made.
    pub fn strict(profile: Profile) -> Self {
        Strictness {
            referer: true,
            user_agent: true,
            cookies: true,
            vfwebqq: true,
            hash: true,
            login_sig: profile.is_webqq(),
            ptqrtoken: profile == Profile::S2018,
            registration: matches!(profile, Profile::S2016 | Profile::S2018),
            login2_host: matches!(profile, Profile::S2016 | Profile::S2018),
            clientid: true,
            reused_msg_id: Some(ReusedMsgId::Drop),
            send_rate: None,
            max_message: None,
            gid_as_code: true,
        }
    }
}
