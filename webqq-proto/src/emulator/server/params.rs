//! Request parameters: the query string, the form body, and the `r` JSON (protocol §1.2:
//! `r=<JSON>` as a form field, or in the query for GETs such as Mojo's group list).
use serde_json::Value;

use crate::emulator::http::Request;

/// Everything a CGI may read from a request.
#[derive(Debug, Default)]
pub(crate) struct Params {
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    /// The `r` JSON object, when present and valid.
    pub r: Option<Value>,
}

impl Params {
    /// Parses the query, a form body, and `r`.
    pub(crate) fn from_request(req: &Request) -> Self {
        let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
            .into_owned()
            .collect();
        let form: Vec<(String, String)> = if req.body.is_empty() {
            Vec::new()
        } else {
            form_urlencoded::parse(&req.body).into_owned().collect()
        };
        let r_text = form
            .iter()
            .chain(query.iter())
            .find(|(k, _)| k == "r")
            .map(|(_, v)| v.trim().to_string());
        let r = r_text
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .filter(Value::is_object);
        Params { query, form, r }
    }

    /// A parameter from `r`, then the form, then the query; numbers are given as text and
    /// JSON `null` counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.r.as_ref().and_then(|r| r.get(name)) {
            match v {
                Value::String(s) => return Some(s.clone()),
                Value::Number(n) => return Some(n.to_string()),
                // `r` is authoritative: `"psessionid":null` with a form field `psessionid=null`
                // beside it ([W] login2, protocol §3.10) means none.
                _ => return None,
            }
        }
        self.form
            .iter()
            .chain(self.query.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// A parameter that is present, not empty and not the text `null`.
    pub(crate) fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|s| !s.is_empty() && s != "null")
    }

    /// A numeric parameter (as number or digits).
    pub(crate) fn number(&self, name: &str) -> Option<u64> {
        self.get(name).and_then(|s| s.trim().parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::http::RequestParser;
    use bytes::BytesMut;

    fn request(raw: &str) -> Request {
        let mut buf = BytesMut::from(raw);
        RequestParser::default().parse(&mut buf).unwrap().unwrap()
    }

    #[test]
    fn r_json_comes_from_the_form_body_or_the_query() {
        // Protocol §6.1 [W] 2012 poll body with the extra form fields of §1.2.
        let body = "r=%7B%22clientid%22%3A%2212345678%22%2C%22psessionid%22%3A%22abc%22%2C%22key%22%3A0%2C%22ids%22%3A%5B%5D%7D&clientid=12345678&psessionid=abc";
        let raw = format!(
            "POST /channel/poll2 HTTP/1.1\r\nHost: d.web2.qq.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let p = Params::from_request(&request(&raw));
        assert_eq!(p.get("psessionid").as_deref(), Some("abc"));
        assert_eq!(p.number("clientid"), Some(12345678));
        assert_eq!(p.number("key"), Some(0));
        // Protocol §1.2: Mojo sends get_group_name_list_mask2 as GET with r in the query.
        let raw = "GET /api/get_group_name_list_mask2?r=%7B%22hash%22%3A%2200C8003300CA00F0%22%2C%22vfwebqq%22%3A%228c17%22%7D HTTP/1.1\r\nHost: s.web2.qq.com\r\n\r\n";
        let p = Params::from_request(&request(raw));
        assert_eq!(p.get("hash").as_deref(), Some("00C8003300CA00F0"));
        assert_eq!(p.get("vfwebqq").as_deref(), Some("8c17"));
    }

    #[test]
    fn a_trailing_crlf_after_r_is_tolerated_and_null_is_absent() {
        // Protocol §1.2: `mc` terminates the poll body with \r\n; [W] login2 sends psessionid null.
        let body = "r=%7B%22psessionid%22%3Anull%2C%22status%22%3A%22online%22%7D\r\n";
        let raw = format!(
            "POST /channel/login2 HTTP/1.1\r\nHost: d.web2.qq.com\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let p = Params::from_request(&request(&raw));
        assert_eq!(p.get("status").as_deref(), Some("online"));
        assert_eq!(p.get("psessionid"), None);
    }
}
