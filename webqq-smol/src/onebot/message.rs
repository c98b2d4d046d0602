//! OneBot v11 messages ⇄ WebQQ content: CQ-code strings and segment arrays.
//!
//! OneBot carries a message either as a string with CQ codes (`[CQ:face,id=14]`) or as an
//! array of `{type, data}` segments. WebQQ content has text, built-in faces and received
//! images only (protocol §6.6, §7.2), so outgoing `text`, `face` and `at` (as `@name ` text, the
//! way the web client wrote it) convert; anything else is refused by name rather than dropped.
use serde_json::{Map, Value, json};
use webqq_proto::webqq::content::{Message, Segment};

/// Most segments accepted in one outgoing message (a request body is already size-capped;
/// this bounds the work per message).
pub const MAX_OUT_SEGMENTS: usize = 512;

/// Why an outgoing OneBot message cannot become WebQQ content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// The `message` field is neither a string, a segment nor an array of segments.
    Shape(&'static str),
    /// A segment type WebQQ cannot send (`image`: no upload in the protocol, `record` …).
    Unsupported(String),
    /// A segment's data is missing or invalid.
    BadData {
        /// The segment type.
        kind: String,
        /// What was wrong.
        what: &'static str,
    },
    /// More than [`MAX_OUT_SEGMENTS`] segments.
    TooLong,
}

impl std::fmt::Display for MessageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageError::Shape(w) => write!(f, "message: {w}"),
            MessageError::Unsupported(k) => {
                write!(f, "message segment `{k}` cannot be sent over WebQQ")
            }
            MessageError::BadData { kind, what } => write!(f, "message segment `{kind}`: {what}"),
            MessageError::TooLong => write!(f, "message has more than {MAX_OUT_SEGMENTS} segments"),
        }
    }
}

impl std::error::Error for MessageError {}

/// CQ escaping of text (`&`, `[`, `]`), and of parameter values when `param` (also `,`).
pub fn escape(text: &str, param: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            ',' if param => out.push_str("&#44;"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape`] (either kind).
pub fn unescape(text: &str) -> String {
    text.replace("&#91;", "[")
        .replace("&#93;", "]")
        .replace("&#44;", ",")
        .replace("&amp;", "&")
}

/// Parses a CQ-code string into segments. With `auto_escape` the whole string is text.
/// A `[CQ:` without its closing `]` is text, as is anything not of the form `[CQ:type,k=v]`.
pub fn parse_cq(s: &str, auto_escape: bool) -> Vec<Value> {
    if auto_escape {
        return vec![text_segment(s)];
    }
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("[CQ:") {
        let Some(len) = rest[start..].find(']') else {
            break;
        };
        let code = &rest[start + 4..start + len];
        let mut parts = code.split(',');
        let kind = parts.next().unwrap_or("");
        if kind.is_empty() {
            break;
        }
        if start > 0 {
            out.push(text_segment(&unescape(&rest[..start])));
        }
        let mut data = Map::new();
        for p in parts {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            data.insert(k.to_string(), Value::String(unescape(v)));
        }
        out.push(json!({"type": kind, "data": data}));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(text_segment(&unescape(rest)));
    }
    out
}

/// Renders segments as a CQ-code string.
pub fn to_cq(segments: &[Value]) -> String {
    let mut out = String::new();
    for seg in segments {
        let kind = seg["type"].as_str().unwrap_or("");
        let data = seg["data"].as_object();
        if kind == "text" {
            out.push_str(&escape(seg["data"]["text"].as_str().unwrap_or(""), false));
            continue;
        }
        out.push_str("[CQ:");
        out.push_str(kind);
        for (k, v) in data.into_iter().flatten() {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push(',');
            out.push_str(k);
            out.push('=');
            out.push_str(&escape(&v, true));
        }
        out.push(']');
    }
    out
}

fn text_segment(text: &str) -> Value {
    json!({"type": "text", "data": {"text": text}})
}

/// The segments of an action's `message` parameter (string, one segment or an array).
pub fn segments_of(message: &Value, auto_escape: bool) -> Result<Vec<Value>, MessageError> {
    let segs = match message {
        Value::String(s) => parse_cq(s, auto_escape),
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![message.clone()],
        _ => return Err(MessageError::Shape("expected a string or segments")),
    };
    if segs.len() > MAX_OUT_SEGMENTS {
        return Err(MessageError::TooLong);
    }
    Ok(segs)
}

/// Converts outgoing segments to WebQQ content. `at_name` gives the display name for an
/// `at` segment's `qq` (a OneBot user id, or `all`).
pub fn to_webqq(
    segments: &[Value],
    at_name: impl Fn(&str) -> Option<String>,
) -> Result<Message, MessageError> {
    let mut text = String::new();
    let mut msg = Message::default();
    let flush = |text: &mut String, msg: &mut Message| {
        if !text.is_empty() {
            msg.segments.push(Segment::Text(std::mem::take(text)));
        }
    };
    for seg in segments {
        let kind = seg["type"]
            .as_str()
            .ok_or(MessageError::Shape("segment without a type"))?;
        let field = |name: &str| match &seg["data"][name] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let bad = |what| MessageError::BadData {
            kind: kind.to_string(),
            what,
        };
        match kind {
            "text" => text.push_str(&field("text").ok_or_else(|| bad("no text"))?),
            "face" => {
                let id = field("id")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("id is not a number"))?;
                flush(&mut text, &mut msg);
                msg.segments.push(Segment::Face(id));
            }
            "at" => {
                let qq = field("qq").ok_or_else(|| bad("no qq"))?;
                let name = if qq == "all" {
                    "全体成员".to_string()
                } else {
                    at_name(&qq).ok_or_else(|| bad("qq is not a member here"))?
                };
                text.push('@');
                text.push_str(&name);
                text.push(' ');
            }
            other => return Err(MessageError::Unsupported(other.to_string())),
        }
    }
    flush(&mut text, &mut msg);
    if msg.segments.is_empty() {
        return Err(MessageError::Shape("empty message"));
    }
    Ok(msg)
}

/// Converts received WebQQ content to segments: text, faces, and images as placeholders that
/// carry the WebQQ element's fields (`file`, and the raw element under `webqq`).
pub fn from_webqq(message: &Message) -> Vec<Value> {
    let mut out = Vec::new();
    for seg in &message.segments {
        out.push(match seg {
            Segment::Text(t) => text_segment(t),
            Segment::Face(id) => json!({"type": "face", "data": {"id": id.to_string()}}),
            Segment::CustomFace(raw) | Segment::OffPic(raw) => {
                json!({"type": "image", "data": {"file": image_file(raw), "webqq": raw}})
            }
            Segment::Unknown(_) => continue,
        });
    }
    out
}

/// The file name in a `cface` (`["cface", {"name": …}]` or `["cface", "group", "x.jpg"]`) or
/// `offpic` (`["offpic", {"file_path": …}]`) element.
fn image_file(raw: &Value) -> String {
    let items = raw.as_array().map(Vec::as_slice).unwrap_or(&[]);
    for item in items.iter().skip(1) {
        match item {
            Value::Object(o) => {
                for key in ["name", "file_path", "file"] {
                    if let Some(s) = o.get(key).and_then(Value::as_str) {
                        return s.to_string();
                    }
                }
            }
            Value::String(s) if s.contains('.') => return s.clone(),
            _ => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cq_codes_parse_with_escapes() {
        // OneBot message/string: `&amp;` `&#91;` `&#93;` in text, plus `&#44;` in values.
        let cases: &[(&str, Value)] = &[
            ("hi", json!([{"type":"text","data":{"text":"hi"}}])),
            (
                "a&#91;b&#93;&amp;",
                json!([{"type":"text","data":{"text":"a[b]&"}}]),
            ),
            (
                "x[CQ:face,id=14]y",
                json!([{"type":"text","data":{"text":"x"}},{"type":"face","data":{"id":"14"}},{"type":"text","data":{"text":"y"}}]),
            ),
            (
                "[CQ:at,qq=1&#44;2]",
                json!([{"type":"at","data":{"qq":"1,2"}}]),
            ),
            (
                "[CQ:face,id=1",
                json!([{"type":"text","data":{"text":"[CQ:face,id=1"}}]),
            ),
        ];
        for (s, want) in cases {
            assert_eq!(Value::Array(parse_cq(s, false)), *want, "{s}");
        }
        assert_eq!(
            parse_cq("[CQ:face,id=1]", true),
            vec![text_segment("[CQ:face,id=1]")]
        );
    }

    #[test]
    fn cq_round_trips() {
        for s in [
            "a&#91;b",
            "[CQ:face,id=14]x&amp;",
            "[CQ:image,file=a&#44;b.jpg]",
        ] {
            assert_eq!(to_cq(&parse_cq(s, false)), s);
        }
    }

    #[test]
    fn outgoing_segments_become_content() {
        let segs = parse_cq("hi [CQ:at,qq=7][CQ:face,id=14]", false);
        let msg = to_webqq(&segs, |qq| (qq == "7").then(|| "Bob".to_string())).unwrap();
        assert_eq!(
            msg.segments,
            vec![Segment::Text("hi @Bob ".into()), Segment::Face(14)]
        );
        let err = to_webqq(&parse_cq("[CQ:image,file=x.jpg]", false), |_| None).unwrap_err();
        assert_eq!(err, MessageError::Unsupported("image".into()));
        assert!(to_webqq(&parse_cq("[CQ:at,qq=8]", false), |_| None).is_err());
        assert!(to_webqq(&[], |_| None).is_err());
    }

    #[test]
    fn received_images_are_placeholders_with_the_file() {
        let msg = Message::from_content(&json!([["font", {}], ["cface", {"name": "a.jpg"}], "x"]));
        let segs = from_webqq(&msg);
        assert_eq!(segs[0]["type"], "image");
        assert_eq!(segs[0]["data"]["file"], "a.jpg");
        assert_eq!(to_cq(&segs[1..]), "x");
    }
}
