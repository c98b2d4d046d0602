//! Message content: the received `content` array (protocol §6.6), the double-encoded string
//! sent (protocol §7.2), the face table (protocol §6.7) and the length split (protocol §7.7).

use serde_json::{Value, json};

/// Protocol §7.7: "about 720 UTF-8 bytes … per message".
pub const MAX_MESSAGE_BYTES: usize = 720;
/// Protocol §7.7: split "at the last whitespace between byte 620 and 720".
pub const SPLIT_WHITESPACE_FROM: usize = 620;
/// Segments kept from one received content array; the rest is dropped into one
/// [`Segment::Unknown`] marker so a hostile array cannot grow a message without bound
/// beyond what the body size limit already allows.
pub const MAX_SEGMENTS: usize = 4096;

/// The sender's font (element 0 of a received array, the last element of a sent one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Font {
    /// Family, e.g. `宋体`.
    pub name: String,
    /// Point size.
    pub size: u32,
    /// Six hex digits without `#`.
    pub color: String,
    /// `[bold, italic, underline]`.
    pub style: [u8; 3],
}

impl Default for Font {
    /// The font every studied client sends (protocol §7.1 examples).
    fn default() -> Self {
        Font {
            name: "宋体".into(),
            size: 10,
            color: "000000".into(),
            style: [0, 0, 0],
        }
    }
}

impl Font {
    fn from_value(v: &Value) -> Font {
        let d = Font::default();
        let size = match v.get("size") {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        let mut style = [0u8; 3];
        if let Some(arr) = v.get("style").and_then(Value::as_array) {
            for (slot, x) in style.iter_mut().zip(arr) {
                *slot = u8::from(x.as_i64().unwrap_or(0) != 0);
            }
        }
        Font {
            name: v
                .get("name")
                .and_then(Value::as_str)
                .map_or(d.name, str::to_string),
            size: size.unwrap_or(d.size),
            color: v
                .get("color")
                .and_then(Value::as_str)
                .map_or(d.color, str::to_string),
            style,
        }
    }

    fn to_value(&self) -> Value {
        json!(["font", {"name": self.name, "size": self.size, "style": self.style, "color": self.color}])
    }
}

/// One piece of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Text.
    Text(String),
    /// A built-in face by server id (protocol §6.7).
    Face(u32),
    /// A custom image (`cface`): the raw element, to download via `get_group_pic`/`get_cface2`.
    CustomFace(Value),
    /// An offline picture in a buddy message (`offpic`), raw element.
    OffPic(Value),
    /// Any other element, kept raw.
    Unknown(Value),
}

/// A received or outgoing message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// The sender's font, if the array had one.
    pub font: Option<Font>,
    /// The pieces, in order.
    pub segments: Vec<Segment>,
}

impl Message {
    /// A message of plain text, with `[微笑]`-style face names turned into faces
    /// (protocol §7.2).
    pub fn text(text: &str) -> Message {
        Message {
            font: None,
            segments: parse_face_names(text),
        }
    }

    /// Decodes a received `content` array (protocol §6.6). Never fails: elements that are
    /// not understood are kept as [`Segment::Unknown`].
    pub fn from_content(content: &Value) -> Message {
        let mut msg = Message::default();
        let Some(items) = content.as_array() else {
            msg.segments.push(Segment::Unknown(content.clone()));
            return msg;
        };
        for item in items.iter().take(MAX_SEGMENTS) {
            let seg = match item {
                Value::String(s) => Segment::Text(s.replace('\r', "\n")),
                Value::Array(a) => match a.first().and_then(Value::as_str) {
                    Some("font") if msg.font.is_none() => {
                        msg.font = Some(Font::from_value(a.get(1).unwrap_or(&Value::Null)));
                        continue;
                    }
                    Some("face") => match a.get(1).and_then(Value::as_u64) {
                        Some(id) => Segment::Face(u32::try_from(id).unwrap_or(u32::MAX)),
                        None => Segment::Unknown(item.clone()),
                    },
                    Some("cface") => Segment::CustomFace(item.clone()),
                    Some("offpic") => Segment::OffPic(item.clone()),
                    _ => Segment::Unknown(item.clone()),
                },
                other => Segment::Unknown(other.clone()),
            };
            msg.segments.push(seg);
        }
        if items.len() > MAX_SEGMENTS {
            msg.segments.push(Segment::Unknown(Value::String(format!(
                "{} more elements dropped",
                items.len() - MAX_SEGMENTS
            ))));
        }
        // §6.6: "a trailing space after the last text piece (`"hii "` in captures, trim it)".
        if let Some(Segment::Text(t)) = msg.segments.last_mut() {
            if t.ends_with(' ') {
                t.pop();
            }
        }
        msg
    }

    /// A plain-text view: text as is, faces as `[name]` (`[表情]` for unknown ids), images
    /// as `[图片]` (protocol §6.6 "decoding recipe", §6.7).
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Face(id) => {
                    out.push('[');
                    out.push_str(face_name(*id).unwrap_or("表情"));
                    out.push(']');
                }
                Segment::CustomFace(_) | Segment::OffPic(_) => out.push_str("[图片]"),
                Segment::Unknown(_) => {}
            }
        }
        out
    }

    /// The double-encoded `content` string of a send (protocol §7.2): a JSON array of the
    /// segments with the font **last**; at least one string (`lwqq`: "the server seems to
    /// need at least one string"). Images and unknown segments are not sendable and are
    /// rendered as their plain-text placeholder.
    pub fn encode_for_send(&self) -> String {
        let mut items: Vec<Value> = Vec::with_capacity(self.segments.len() + 2);
        let mut has_text = false;
        for seg in &self.segments {
            match seg {
                Segment::Text(t) => {
                    has_text = true;
                    items.push(Value::String(t.clone()));
                }
                Segment::Face(id) => items.push(json!(["face", id])),
                Segment::CustomFace(_) | Segment::OffPic(_) => {
                    has_text = true;
                    items.push(Value::String("[图片]".into()));
                }
                Segment::Unknown(_) => {}
            }
        }
        if !has_text {
            items.push(Value::String("\n".into()));
        }
        items.push(self.font.clone().unwrap_or_default().to_value());
        Value::Array(items).to_string()
    }
}

/// Server face id ↔ name (protocol §6.7, the official `FACE_TEXT_MAP` plus `qqbot`'s later ids).
const FACES: &[(u32, &str)] = &[
    (0, "惊讶"),
    (1, "撇嘴"),
    (2, "色"),
    (3, "发呆"),
    (4, "得意"),
    (5, "流泪"),
    (6, "害羞"),
    (7, "闭嘴"),
    (8, "睡"),
    (9, "大哭"),
    (10, "尴尬"),
    (11, "发怒"),
    (12, "调皮"),
    (13, "呲牙"),
    (14, "微笑"),
    (21, "飞吻"),
    (23, "跳跳"),
    (25, "发抖"),
    (26, "怄火"),
    (27, "爱情"),
    (29, "足球"),
    (32, "西瓜"),
    (33, "玫瑰"),
    (34, "凋谢"),
    (36, "爱心"),
    (37, "心碎"),
    (38, "蛋糕"),
    (39, "礼物"),
    (42, "太阳"),
    (45, "月亮"),
    (46, "强"),
    (47, "弱"),
    (50, "难过"),
    (51, "酷"),
    (53, "抓狂"),
    (54, "吐"),
    (55, "惊恐"),
    (56, "流汗"),
    (57, "憨笑"),
    (58, "大兵"),
    (59, "猪头"),
    (62, "拥抱"),
    (63, "咖啡"),
    (64, "饭"),
    (71, "握手"),
    (72, "便便"),
    (73, "偷笑"),
    (74, "可爱"),
    (75, "白眼"),
    (76, "傲慢"),
    (77, "饥饿"),
    (78, "困"),
    (79, "奋斗"),
    (80, "咒骂"),
    (81, "疑问"),
    (82, "嘘"),
    (83, "晕"),
    (84, "折磨"),
    (85, "衰"),
    (86, "骷髅"),
    (87, "敲打"),
    (88, "再见"),
    (90, "雾"),
    (91, "闪电"),
    (92, "炸弹"),
    (93, "刀"),
    (94, "女人"),
    (95, "胜利"),
    (96, "冷汗"),
    (97, "擦汗"),
    (98, "抠鼻"),
    (99, "鼓掌"),
    (100, "糗大了"),
    (101, "坏笑"),
    (102, "左哼哼"),
    (103, "右哼哼"),
    (104, "哈欠"),
    (105, "鄙视"),
    (106, "委屈"),
    (107, "快哭了"),
    (108, "阴险"),
    (109, "亲亲"),
    (110, "吓"),
    (111, "可怜"),
    (112, "菜刀"),
    (113, "啤酒"),
    (114, "篮球"),
    (115, "乒乓"),
    (116, "示爱"),
    (117, "瓢虫"),
    (118, "抱拳"),
    (119, "勾引"),
    (120, "拳头"),
    (121, "差劲"),
    (122, "爱你"),
    (123, "NO"),
    (124, "OK"),
    (125, "转圈"),
    (126, "磕头"),
    (127, "回头"),
    (128, "跳绳"),
    (129, "挥手"),
    (130, "激动"),
    (131, "街舞"),
    (132, "献吻"),
    (133, "左太极"),
    (134, "右太极"),
    (135, "招财猫"),
    (136, "双喜"),
    (137, "鞭炮"),
    (138, "灯笼"),
    (139, "发财"),
    (140, "K歌"),
    (141, "购物"),
    (142, "邮件"),
    (143, "帅"),
    (144, "喝彩"),
    (145, "祈祷"),
    (146, "爆筋"),
    (147, "棒棒糖"),
    (148, "喝奶"),
    (149, "下面"),
    (150, "香蕉"),
    (151, "飞机"),
    (152, "开车"),
    (153, "左车头"),
    (154, "车厢"),
    (155, "右车头"),
    (156, "多云"),
    (157, "下雨"),
    (158, "钞票"),
    (159, "熊猫"),
    (160, "灯泡"),
    (161, "风车"),
    (162, "闹钟"),
    (163, "打伞"),
    (164, "彩球"),
    (165, "钻戒"),
    (166, "沙发"),
    (167, "纸巾"),
    (168, "药"),
    (169, "手枪"),
    (170, "青蛙"),
    (171, "粥"),
    (172, "眨眼睛"),
    (173, "泪奔"),
    (174, "无奈"),
    (175, "卖萌"),
    (176, "小纠结"),
    (177, "喷血"),
    (178, "斜眼笑"),
    (179, "doge"),
    (180, "惊喜"),
    (181, "骚扰"),
    (182, "笑哭"),
    (183, "我最美"),
    (184, "河蟹"),
    (185, "羊驼"),
    (187, "幽灵"),
    (188, "蛋"),
    (189, "马赛克"),
    (190, "菊花"),
    (191, "肥皂"),
    (192, "红包"),
    (193, "大笑"),
    (194, "不开心"),
    (195, "啊"),
    (196, "恐慌"),
    (197, "冷漠"),
    (198, "呃"),
    (199, "好棒"),
    (200, "拜托"),
    (201, "点赞"),
    (202, "无聊"),
    (203, "托脸"),
    (204, "吃"),
    (205, "送花"),
    (206, "害怕"),
    (207, "花痴"),
    (208, "小样儿"),
    (209, "脸红"),
    (210, "飙泪"),
    (211, "我不看"),
    (212, "托腮"),
];

/// Longest face name in characters; `[...]` longer than this is never a face.
const MAX_FACE_NAME_CHARS: usize = 20;

/// The name of a server face id.
pub fn face_name(id: u32) -> Option<&'static str> {
    FACES.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// The server id of a face name (without brackets).
pub fn face_id(name: &str) -> Option<u32> {
    FACES.iter().find(|(_, n)| *n == name).map(|(i, _)| *i)
}

/// Splits text on `[name]` tokens naming a known face (protocol §7.2: the official script
/// maps known names to `["face", id]`, everything else stays text).
pub fn parse_face_names(text: &str) -> Vec<Segment> {
    let mut segs = Vec::new();
    let mut buf = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        buf.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let face = after
            .char_indices()
            .take(MAX_FACE_NAME_CHARS + 1)
            .find(|&(_, c)| c == ']')
            .and_then(|(close, _)| Some((face_id(&after[..close])?, close)));
        match face {
            Some((id, close)) => {
                if !buf.is_empty() {
                    segs.push(Segment::Text(std::mem::take(&mut buf)));
                }
                segs.push(Segment::Face(id));
                rest = &after[close + 1..];
            }
            None => {
                buf.push('[');
                rest = after;
            }
        }
    }
    buf.push_str(rest);
    if !buf.is_empty() {
        segs.push(Segment::Text(buf));
    }
    segs
}

/// Splits text longer than [`MAX_MESSAGE_BYTES`] (protocol §7.7): at the last whitespace
/// between byte 620 and 720 (the whitespace stays with the first part), else at the last
/// character boundary at or before byte 720. Concatenating the parts gives the input back.
pub fn split_text(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.len() > MAX_MESSAGE_BYTES {
        let ws_cut = rest
            .char_indices()
            .filter(|&(i, c)| {
                c.is_whitespace()
                    && i >= SPLIT_WHITESPACE_FROM
                    && i + c.len_utf8() <= MAX_MESSAGE_BYTES
            })
            .map(|(i, c)| i + c.len_utf8())
            .next_back();
        let cut = ws_cut.unwrap_or_else(|| {
            (1..=MAX_MESSAGE_BYTES)
                .rev()
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(MAX_MESSAGE_BYTES)
        });
        let (head, tail) = rest.split_at(cut);
        parts.push(head);
        rest = tail;
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_of(body: &str) -> Value {
        let v: Value = serde_json::from_str(body).unwrap();
        v["result"][0]["value"]["content"].clone()
    }

    #[test]
    fn decodes_captured_contents() {
        // Captures §45: text with a trailing space; an old-style buddy cface.
        let m = Message::from_content(&content_of(
            r#"{"retcode":0,"result":[{"poll_type":"message","value":{"msg_id":32013,"from_uin":3593648688,"to_uin":112482900,"msg_id2":720289,"msg_type":9,"reply_ip":178848427,"time":1344348822,"content":[["font",{"size":8,"color":"000000","style":[0,0,0],"name":"Tahoma"}],"a "]}}]}"#,
        ));
        assert_eq!(m.plain_text(), "a");
        assert_eq!(m.font.as_ref().unwrap().name, "Tahoma");
        assert_eq!(m.font.as_ref().unwrap().size, 8);
        let m = Message::from_content(&content_of(
            r#"{"retcode":0,"result":[{"poll_type":"message","value":{"msg_id":32011,"from_uin":3593648688,"to_uin":0,"msg_id2":684018,"msg_type":9,"reply_ip":178848396,"time":1344348771,"content":[["font",{"size":8,"color":"000000","style":[0,0,0],"name":"Tahoma"}],["cface","3063CA4039580D8F477560ABC6673F8D.jpg",""]," "]}}]}"#,
        ));
        assert!(matches!(m.segments[0], Segment::CustomFace(_)));
        assert_eq!(m.plain_text(), "[图片]");
        // Captures §49: text, face 1 (撇嘴), text.
        let m = Message::from_content(&serde_json::from_str(
            r#"[["font",{"size":9,"color":"000000","style":[0,0,0],"name":"Tahoma"}],"2\u8F7D3 ",["face",1]," "]"#,
        ).unwrap());
        assert_eq!(m.segments[1], Segment::Face(1));
        assert_eq!(m.plain_text(), "2载3 [撇嘴]");
        // Captures §47: the new-style emoji arrives as text and stays text.
        let m = Message::from_content(&serde_json::from_str(
            r#"[["font",{"size":12,"color":"000000","style":[0,0,0],"name":"\u5FAE\u8F6F\u96C5\u9ED1"}],"[\u50BB\u7B11]\u0001 "]"#,
        ).unwrap());
        assert_eq!(m.plain_text(), "[傻笑]\u{1}");
    }

    #[test]
    fn unknown_elements_are_kept_raw() {
        let m = Message::from_content(&json!([
            ["font", {}],
            ["video", 1],
            42,
            ["face", "x"],
            "ok\r"
        ]));
        assert_eq!(m.segments.len(), 4);
        assert!(matches!(m.segments[0], Segment::Unknown(_)));
        assert!(matches!(m.segments[1], Segment::Unknown(_)));
        assert!(matches!(m.segments[2], Segment::Unknown(_)));
        assert_eq!(
            m.segments[3],
            Segment::Text("ok\n".into()),
            "\\r is a line break (§6.6)"
        );
        assert_eq!(
            Message::from_content(&json!("not an array")).segments.len(),
            1
        );
    }

    #[test]
    fn encodes_like_the_official_client() {
        // §7.1 [S] example: `["hello",["font",{...}]]`, font last.
        let enc = Message::text("hello").encode_for_send();
        let v: Value = serde_json::from_str(&enc).unwrap();
        assert_eq!(v[0], "hello");
        assert_eq!(v[1][0], "font");
        assert_eq!(v[1][1]["name"], "宋体");
        assert_eq!(v[1][1]["size"], 10);
        // Faces by name; a faces-only message gets a "\n" string.
        let v: Value = serde_json::from_str(&Message::text("[微笑]").encode_for_send()).unwrap();
        assert_eq!(
            v,
            json!([["face", 14], "\n", ["font", {"name":"宋体","size":10,"style":[0,0,0],"color":"000000"}]])
        );
    }

    #[test]
    fn face_names_table() {
        assert_eq!(face_id("微笑"), Some(14));
        assert_eq!(face_name(212), Some("托腮"));
        assert_eq!(face_name(15), None);
        let segs = parse_face_names("a[微笑]b[不是表情][OK][");
        assert_eq!(
            segs,
            vec![
                Segment::Text("a".into()),
                Segment::Face(14),
                Segment::Text("b[不是表情]".into()),
                Segment::Face(124),
                Segment::Text("[".into()),
            ]
        );
    }

    #[test]
    fn split_rule_of_section_7_7() {
        assert_eq!(split_text("short"), vec!["short"]);
        assert_eq!(split_text(""), vec![""]);
        // A space at byte 650 is within [620, 720]: cut after it.
        let text = format!("{} {}", "a".repeat(650), "b".repeat(300));
        let parts = split_text(&text);
        assert_eq!(parts[0].len(), 651);
        assert_eq!(parts.concat(), text);
        // Whitespace only before 620: cut at a character boundary ≤ 720.
        let text = format!("{} {}", "a".repeat(100), "你".repeat(400));
        let parts = split_text(&text);
        assert!(parts.iter().all(|p| p.len() <= MAX_MESSAGE_BYTES));
        assert_eq!(parts.concat(), text);
        assert!(parts[0].len() > 717);
    }
}
