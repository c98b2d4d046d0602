//! The JSON envelope of the `s.web2` / `d.web2` CGIs and the serde models of their results
//! (protocol §1.3, §3.9, §3.10, §5).
//!
//! Fields the clients of every era read are typed; everything else is optional with a
//! default, because the eras added and dropped fields freely. The models also serialize,
//! so an emulator can produce bodies of the same shape.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::error::{DecodeError, DecodeErrorKind, check_size};
use super::secret::Secret;

/// The outer object every CGI answers (protocol §1.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// `retcode`, or `errCode` for the 2015–2017 send shape; `None` if neither is present.
    pub retcode: Option<i64>,
    /// `result`, when present.
    pub result: Option<Value>,
    /// The whole object, for fields like `p` of retcode 116.
    pub raw: Value,
}

/// Parses the envelope. Anything that is not a JSON object is an error.
pub fn parse_envelope(what: &'static str, body: &[u8]) -> Result<Envelope, DecodeError> {
    check_size(what, body)?;
    let raw: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(what, DecodeErrorKind::Json(e.to_string())))?;
    let obj = raw
        .as_object()
        .ok_or_else(|| DecodeError::new(what, DecodeErrorKind::Json("not a JSON object".into())))?;
    let retcode = obj
        .get("retcode")
        .or_else(|| obj.get("errCode"))
        .and_then(as_i64_lenient);
    let result = obj.get("result").cloned();
    Ok(Envelope {
        retcode,
        result,
        raw,
    })
}

fn as_i64_lenient(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// Parses the envelope, requires `retcode` 0, and deserializes `result` as `T`.
pub fn decode_result<T: DeserializeOwned>(
    what: &'static str,
    body: &[u8],
) -> Result<T, DecodeError> {
    let env = parse_envelope(what, body)?;
    match env.retcode {
        Some(0) => {}
        Some(r) => return Err(DecodeError::new(what, DecodeErrorKind::Retcode(r))),
        None => {
            return Err(DecodeError::new(
                what,
                DecodeErrorKind::Json("no retcode".into()),
            ));
        }
    }
    let result = env.result.unwrap_or(Value::Null);
    serde_json::from_value(result)
        .map_err(|e| DecodeError::new(what, DecodeErrorKind::Json(e.to_string())))
}

/// Ids arrive as numbers, sometimes as numeric strings (and masked or empty strings in
/// captures); a non-numeric string becomes 0 rather than failing the whole list.
pub(crate) fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().map(|f| f as u64))
            .unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

/// Unescapes the HTML entities nicknames and marknames may carry (protocol §5.1).
pub fn html_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // Entities are short; look for the `;` among the next few characters only.
        let Some((end, _)) = rest.char_indices().take(12).find(|&(_, c)| c == ';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ---- login ---------------------------------------------------------------------------

/// `getvfwebqq` result (protocol §3.9).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct VfwebqqResult {
    /// The anti-CSRF token.
    pub vfwebqq: Secret,
}

/// `login2` (and relink) result (protocol §3.10).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Login2Result {
    /// The own QQ number.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Client public IP as u32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cip: Option<u64>,
    /// Connection-server slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Connection-server port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u64>,
    /// Initial status string.
    #[serde(default)]
    pub status: String,
    /// \[W\] the vfwebqq to use; \[S\] to ignore (protocol §3.10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vfwebqq: Option<Secret>,
    /// The channel session id.
    pub psessionid: Secret,
    /// Relink may hand back a new ptwebqq (`mojo` copies it, protocol §3.10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptwebqq: Option<Secret>,
}

// ---- contacts ------------------------------------------------------------------------

/// `get_user_friends2` result (protocol §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct FriendsResult {
    /// Memberships: uin → category index.
    pub friends: Vec<FriendEntry>,
    /// Nick and avatar per uin.
    pub info: Vec<FriendInfo>,
    /// Remark names.
    pub marknames: Vec<MarkName>,
    /// Friend categories (index 0 usually absent).
    pub categories: Vec<Category>,
    /// VIP state.
    pub vipinfo: Vec<VipInfo>,
}

/// One entry of `friends`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct FriendEntry {
    /// Per-login friend uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Category index.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub categories: u64,
    /// Unexplained bitfield.
    #[serde(default)]
    pub flag: i64,
}

/// One entry of `info`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct FriendInfo {
    /// Per-login uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Nickname (may hold HTML entities).
    #[serde(default)]
    pub nick: String,
    /// Avatar id.
    #[serde(default)]
    pub face: i64,
    /// Unexplained bitfield.
    #[serde(default)]
    pub flag: i64,
}

/// One entry of `marknames`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MarkName {
    /// Per-login uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// The remark name.
    #[serde(default)]
    pub markname: String,
}

/// A friend category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Category {
    /// Index referenced by `friends[].categories`.
    #[serde(deserialize_with = "lenient_u64")]
    pub index: u64,
    /// Sort key.
    #[serde(default)]
    pub sort: i64,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// VIP state of a uin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct VipInfo {
    /// The uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub u: u64,
    /// 1 when VIP.
    #[serde(default)]
    pub is_vip: i64,
    /// VIP level.
    #[serde(default)]
    pub vip_level: i64,
}

/// `get_group_name_list_mask2` result (protocol §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct GroupsResult {
    /// Groups.
    pub gnamelist: Vec<GroupName>,
    /// Receive settings (gid 1000 = global).
    pub gmasklist: Vec<GroupMask>,
    /// Remark names (`uin` = gid).
    pub gmarklist: Vec<MarkName>,
}

/// One group of `gnamelist`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupName {
    /// Group uin used in messages and sends.
    #[serde(deserialize_with = "lenient_u64")]
    pub gid: u64,
    /// Group code for `get_group_info_ext2`.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub code: u64,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Property bitfield.
    #[serde(default)]
    pub flag: i64,
}

/// One entry of `gmasklist`: 0 receive, 1 no notification, 2 block (protocol §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupMask {
    /// Group uin (1000 = all groups).
    #[serde(deserialize_with = "lenient_u64")]
    pub gid: u64,
    /// The mask.
    #[serde(default)]
    pub mask: i64,
}

/// `get_group_info_ext2` result (protocol §5.3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupInfoResult {
    /// Group properties and the member list.
    pub ginfo: GroupInfo,
    /// Member profiles.
    #[serde(default)]
    pub minfo: Vec<MemberInfo>,
    /// Online members.
    #[serde(default)]
    pub stats: Vec<MemberStat>,
    /// Business cards.
    #[serde(default)]
    pub cards: Vec<MemberCard>,
    /// VIP states.
    #[serde(default)]
    pub vipinfo: Vec<VipInfo>,
}

/// `ginfo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupInfo {
    /// Group uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub gid: u64,
    /// Group code.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub code: u64,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Owner member uin.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub owner: u64,
    /// Memo.
    #[serde(default)]
    pub memo: String,
    /// Creation time (unix s).
    #[serde(default)]
    pub createtime: i64,
    /// Members with their flags.
    #[serde(default)]
    pub members: Vec<GroupMemberFlag>,
}

/// One member of `ginfo.members`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupMemberFlag {
    /// Member uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub muin: u64,
    /// Bit 0 = administrator (protocol §5.3).
    #[serde(default)]
    pub mflag: i64,
}

/// One member profile of `minfo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MemberInfo {
    /// Member uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Nickname.
    #[serde(default)]
    pub nick: String,
    /// `male`, `female` or `unknown`.
    #[serde(default)]
    pub gender: String,
    /// Country.
    #[serde(default)]
    pub country: String,
    /// Province.
    #[serde(default)]
    pub province: String,
    /// City.
    #[serde(default)]
    pub city: String,
}

/// One online member of `stats`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MemberStat {
    /// Member uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Numeric status (protocol §5.13).
    #[serde(default)]
    pub stat: i64,
    /// Client type.
    #[serde(default)]
    pub client_type: i64,
}

/// One business card of `cards`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MemberCard {
    /// Member uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub muin: u64,
    /// The card name.
    #[serde(default)]
    pub card: String,
}

/// `get_discus_list` result (protocol §5.4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DiscussionsResult {
    /// Discussions.
    pub dnamelist: Vec<DiscussionName>,
}

/// One discussion.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DiscussionName {
    /// Discussion id.
    #[serde(deserialize_with = "lenient_u64")]
    pub did: u64,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// `get_discu_info` result (protocol §5.5).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DiscussionInfoResult {
    /// Properties and members.
    pub info: DiscussionInfo,
    /// Online members.
    #[serde(default)]
    pub mem_status: Vec<OnlineBuddy>,
    /// Member nicks.
    #[serde(default)]
    pub mem_info: Vec<DiscussionMemberNick>,
}

/// `info` of a discussion.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DiscussionInfo {
    /// Discussion id.
    #[serde(deserialize_with = "lenient_u64")]
    pub did: u64,
    /// Owner uin.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub discu_owner: u64,
    /// Name.
    #[serde(default)]
    pub discu_name: String,
    /// Membership version.
    #[serde(default)]
    pub info_seq: i64,
    /// Members with their real QQ numbers.
    #[serde(default)]
    pub mem_list: Vec<DiscussionMember>,
}

/// One member of `mem_list`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DiscussionMember {
    /// Member uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub mem_uin: u64,
    /// Real QQ number.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub ruin: u64,
}

/// One entry of `mem_info`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DiscussionMemberNick {
    /// Member uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Nickname.
    #[serde(default)]
    pub nick: String,
}

/// `get_online_buddies2` entry, also `mem_status` (protocol §5.10).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct OnlineBuddy {
    /// Uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Status string (protocol §5.13).
    #[serde(default)]
    pub status: String,
    /// Client type.
    #[serde(default)]
    pub client_type: i64,
}

/// `get_self_info2` result (protocol §5.9); only what the session uses is typed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SelfInfo {
    /// Own uin.
    #[serde(deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// Own QQ number.
    #[serde(deserialize_with = "lenient_u64")]
    pub account: u64,
    /// Nickname.
    pub nick: String,
    /// Avatar id (the `face` of outgoing messages, protocol §7.1).
    pub face: i64,
    /// Signature.
    pub lnick: String,
}

/// `get_friend_uin2` result (protocol §5.6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct FriendUin2 {
    /// The uin asked about.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub uin: u64,
    /// The QQ (or group) number.
    #[serde(deserialize_with = "lenient_u64")]
    pub account: u64,
}

/// `get_c2cmsg_sig2` result (protocol §7.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct C2cMsgSig {
    /// The signature; empty = not allowed.
    #[serde(default)]
    pub value: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login2_captures() {
        // Captures §19.
        let body = br#"{"retcode":0,"result":{"uin":1421032531,"cip":2013211875,"index":1060,"port":43415,"status":"online","vfwebqq":"e7ce7913336ad0d28de9cdb9b46a57e4a6127161e35b87d09486001870226ec1fca4c2ba31c025c7","psessionid":"8368046764001e636f6e6e7365727665725f77656271714031302e3133332e34312e32303200006b2900001544016e0400533cb3546d0000000a4046674d4652585136496d00000028e7ce7913336ad0d28de9cdb9b46a57e4a6127161e35b87d09486001870226ec1fca4c2ba31c025c7","user_state":0,"f":0}}"#;
        let r: Login2Result = decode_result("login2", body).unwrap();
        assert_eq!(r.uin, 1421032531);
        // §2.1: in [W] the last 80 hex chars of psessionid are the vfwebqq.
        assert!(
            r.psessionid
                .expose()
                .ends_with(r.vfwebqq.as_ref().unwrap().expose())
        );
        assert!(
            !format!("{r:?}").contains("e7ce79"),
            "secrets redacted in Debug"
        );
        let body = br#"{"retcode":0,"result":{"uin":2501542492,"cip":3396791469,"index":1075,"port":49648,"status":"online","vfwebqq":"8e6abfdb20f9436be07e652397a1197553f49fabd3e67fc88ad7ee4de763f337e120fdf7036176c9","psessionid":"8368046764001d636f6e6e7365727665725f77656271714031302e3133392e372e31363000003bce00000f8a026e04005c821a956d0000000a407646664c41737a42416d000000288e6abfdb20f9436be07e652397a1197553f49fabd3e67fc88ad7ee4de763f337e120fdf7036176c9","user_state":0,"f":0}}"#;
        assert_eq!(
            decode_result::<Login2Result>("login2", body).unwrap().uin,
            2501542492
        );
    }

    #[test]
    fn retcode_6_with_a_vfwebqq_is_still_an_error() {
        // Captures §23: a half-broken session; the result must not be trusted.
        let e = decode_result::<VfwebqqResult>(
            "getvfwebqq",
            br#"{"retcode":6,"result":{"vfwebqq":"aca0a384c4031c5f575c4febc2d8ab1383065d81e522583e9fbf53f4066edb8dcd95bae1d2dfb098"}}"#,
        )
        .unwrap_err();
        assert_eq!(e.retcode(), Some(6));
        assert_eq!(
            decode_result::<FriendsResult>("get_user_friends2", br#"{"retcode":6}"#)
                .unwrap_err()
                .retcode(),
            Some(6),
            "captures §33"
        );
        let ok: VfwebqqResult = decode_result(
            "getvfwebqq",
            br#"{"retcode":0,"result":{"vfwebqq":"ab12"}}"#,
        )
        .unwrap();
        assert_eq!(ok.vfwebqq.expose(), "ab12");
    }

    #[test]
    fn friends_capture() {
        // Captures §25 (only `result` published; wrapped in the envelope here).
        let result = r#"{
        "categories": [{"index": 1,"name": "Acquaintances","sort": 1},{"index": 2,"name": "Family","sort": 2}],
        "friends": [{"categories": 0,"flag": 0,"uin": 2440652742}],
        "info": [{"face": 0,"flag": 25707010,"nick": "\u547c\u5438 (\u7cd7\u767e)","uin": 2440652742}],
        "marknames": [],
        "vipinfo": [{"is_vip": 0,"u": 2440652742,"vip_level": 0}]
}"#;
        let body = format!(r#"{{"retcode":0,"result":{result}}}"#);
        let f: FriendsResult = decode_result("get_user_friends2", body.as_bytes()).unwrap();
        assert_eq!(f.categories.len(), 2);
        assert_eq!(f.friends[0].uin, 2440652742);
        assert_eq!(f.info[0].nick, "呼吸 (糗百)");
        assert_eq!(f.vipinfo[0].u, 2440652742);
    }

    #[test]
    fn groups_capture() {
        // Captures §27.
        let body = br#"{"retcode":0,"result":{
"gmasklist":[],
"gnamelist":[
 {"flag":17825793,"name":"EGE...C/C++............","gid":3772225519,"code":1713443374},
 {"flag":1,"name":"............","gid":2698833507,"code":3968641865}
],
"gmarklist":[{"uin":2698833507,"markname":".................."}]}}"#;
        let g: GroupsResult = decode_result("get_group_name_list_mask2", body).unwrap();
        assert_eq!(g.gnamelist.len(), 2);
        assert_eq!(
            (g.gnamelist[0].gid, g.gnamelist[0].code),
            (3772225519, 1713443374)
        );
        assert_eq!(g.gmarklist[0].uin, 2698833507);
    }

    #[test]
    fn group_info_capture() {
        // Captures §31, with the comma the note says is missing in the source restored
        // (the raw block is not JSON, and the decoder must say so).
        let raw = r#"{"retcode":0,
"result":{
"stats":[{"client_type":1,"uin":56360327,"stat":10},{"client_type":41,"uin":909998471,"stat":10}],
"minfo":[
  {"nick":"evildoer","province":"......","gender":"male","uin":56360327,"country":"......","city":"......"},
  {"nick":"evil...doer","province":"......","gender":"male","uin":909998471,"country":"......","city":"......"}
  {"nick":"glrapl","province":"","gender":"female","uin":1259717843,"country":"","city":""}],
"ginfo":
  {"face":0,"memo":"","class":10026,"fingermemo":"","code":3968641865,"createtime":1339647698,"flag":1,
   "level":0,"name":"............","gid":2698833507,"owner":909998471,
   "members":[{"muin":56360327,"mflag":0},{"muin":909998471,"mflag":0}],
   "option":2},
"cards":[{"muin":3777107595,"card":""},{"muin":3437728033,"card":":FooTearth"}],
"vipinfo":[{"vip_level":0,"u":56360327,"is_vip":0},{"vip_level":0,"u":909998471,"is_vip":0}]}}"#;
        let e =
            decode_result::<GroupInfoResult>("get_group_info_ext2", raw.as_bytes()).unwrap_err();
        assert!(e.is_malformed());
        let fixed = raw.replace("\"city\":\"......\"}\n  {", "\"city\":\"......\"},\n  {");
        let g: GroupInfoResult = decode_result("get_group_info_ext2", fixed.as_bytes()).unwrap();
        assert_eq!(g.minfo.len(), 3);
        assert_eq!(g.ginfo.owner, 909998471);
        assert_eq!(g.ginfo.members.len(), 2);
        assert_eq!(g.cards[1].card, ":FooTearth");
        assert_eq!(g.stats[1].client_type, 41);
    }

    #[test]
    fn discussion_info_capture() {
        // Captures §35.
        let body = br#"{"retcode":0,"result":{"info":{"did":2006892653,"discu_owner":1657605740,"discu_name":"good day","info_seq":2,"mem_list":[{"mem_uin":1960624993,"ruin":21984709},{"mem_uin":1657605740,"ruin":123774072},{"mem_uin":2769546520,"ruin":2769546520}]},"mem_status":[{"uin":1657605740,"status":"online","client_type":1},{"uin":2769546520,"status":"online","client_type":41}],"mem_info":[{"uin":1960624993,"nick":"21984709"},{"uin":1657605740,"nick":"\u547C\u5438 (\u7CD7\u767E)"},{"uin":2769546520,"nick":"qqbot"}]}}"#;
        let d: DiscussionInfoResult = decode_result("get_discu_info", body).unwrap();
        assert_eq!(d.info.mem_list[1].ruin, 123774072);
        assert_eq!(d.mem_info[1].nick, "呼吸 (糗百)");
        assert_eq!(d.mem_status[0].status, "online");
    }

    #[test]
    fn small_contact_replies() {
        // Protocol §5.4, §5.6, §5.10 bodies.
        let d: DiscussionsResult = decode_result(
            "get_discus_list",
            br#"{"retcode":0,"result":{"dnamelist":[{"name":"good day","did":2006892653}]}}"#,
        )
        .unwrap();
        assert_eq!(d.dnamelist[0].did, 2006892653);
        let u: FriendUin2 = decode_result(
            "get_friend_uin2",
            br#"{"retcode":0,"result":{"uiuin":"","account":2489288370,"uin":10077914}}"#,
        )
        .unwrap();
        assert_eq!((u.uin, u.account), (10077914, 2489288370));
        let o: Vec<OnlineBuddy> = decode_result(
            "get_online_buddies2",
            br#"{"retcode":0,"result":[{"uin":1100872453,"status":"online","client_type":21}]}"#,
        )
        .unwrap();
        assert_eq!(o[0].client_type, 21);
        let s: SelfInfo = decode_result(
            "get_self_info2",
            br#"{"retcode":0,"result":{"uin":123,"account":123,"nick":"me","face":522,"lnick":"","birthday":{"year":1990}}}"#,
        )
        .unwrap();
        assert_eq!(s.face, 522);
    }

    #[test]
    fn models_serialize_to_what_they_parse() {
        let body =
            br#"{"retcode":0,"result":{"uin":7,"status":"online","vfwebqq":"v","psessionid":"p"}}"#;
        let r: Login2Result = decode_result("login2", body).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["psessionid"], "p");
        assert!(v.get("cip").is_none(), "absent options are not written");
        let again: Login2Result = serde_json::from_value(v).unwrap();
        assert_eq!(again, r);
    }

    #[test]
    fn envelope_reads_errcode_and_string_retcodes() {
        let e = parse_envelope("send", br#"{"errCode":0,"msg":"send ok"}"#).unwrap();
        assert_eq!(e.retcode, Some(0));
        let e = parse_envelope("x", br#"{"retcode":"103"}"#).unwrap();
        assert_eq!(e.retcode, Some(103));
        assert!(parse_envelope("x", b"[1,2]").unwrap_err().is_malformed());
        assert!(
            parse_envelope("x", b"<html>502 Bad Gateway</html>")
                .unwrap_err()
                .is_malformed()
        );
    }

    #[test]
    fn html_entities_in_names() {
        let table = [
            ("a &amp; b", "a & b"),
            ("&lt;x&gt;", "<x>"),
            ("it&#39;s", "it's"),
            ("&#x4F60;", "你"),
            ("no entity & here", "no entity & here"),
            ("&unknown;", "&unknown;"),
            ("&", "&"),
            ("&你好你好你好你好你好你好;", "&你好你好你好你好你好你好;"),
        ];
        for (input, want) in table {
            assert_eq!(html_unescape(input), want, "{input}");
        }
    }
}
