//! The cookie jar: `cookie_store` applies the domain, path, secure and expiry rules
//! (RFC 6265); this wrapper feeds it `Set-Cookie` fields, renders `Cookie` headers, and
//! saves and restores it as JSON so a session can be resumed.
//!
//! Note: expiry is wall-clock time by nature (`Expires` is a date), and `cookie_store` reads
//! the system clock to compare; this is the one clock read under webqq-proto, inside that crate.
use std::fmt;

use cookie_store::CookieStore;
use http::{HeaderMap, HeaderValue, header};
use url::Url;

/// Cookies received from servers.
#[derive(Default)]
pub struct CookieJar {
    store: CookieStore,
}

/// A jar could not be saved or loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieJarError(String);

impl fmt::Display for CookieJarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cookie jar JSON: {}", self.0)
    }
}

impl std::error::Error for CookieJarError {}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Stores every `Set-Cookie` field of a response to `url`. A field the rules refuse (bad
    /// syntax, foreign domain) is skipped: it is the server's mistake, not the request's.
    pub fn store_response(&mut self, url: &Url, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            if let Ok(s) = value.to_str() {
                let _ = self.store.parse(s, url);
            }
        }
    }

    /// The `Cookie` field for a request to `url`, or `None` when no cookie applies.
    pub fn request_header(&self, url: &Url) -> Option<HeaderValue> {
        let mut out = String::new();
        for (name, value) in self.store.get_request_values(url) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        if out.is_empty() {
            None
        } else {
            HeaderValue::from_str(&out).ok()
        }
    }

    /// The value of cookie `name` stored for `domain` and `path`, if unexpired.
    pub fn get(&self, domain: &str, path: &str, name: &str) -> Option<&str> {
        self.store.get(domain, path, name).map(|c| c.value())
    }

    /// Number of unexpired cookies.
    pub fn len(&self) -> usize {
        self.store.iter_unexpired().count()
    }

    /// True when no unexpired cookie is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any cookie is stored, expired or not (cheap: no expiry check).
    pub(crate) fn holds_any(&self) -> bool {
        self.store.iter_any().next().is_some()
    }

    /// The jar as JSON, session cookies included (a resumed WebQQ session needs them).
    pub fn to_json(&self) -> Result<String, CookieJarError> {
        let mut out = Vec::new();
        cookie_store::serde::json::save_incl_expired_and_nonpersistent(&self.store, &mut out)
            .map_err(|e| CookieJarError(e.to_string()))?;
        String::from_utf8(out).map_err(|e| CookieJarError(e.to_string()))
    }

    /// A jar from [`to_json`](Self::to_json) output; expired cookies are dropped.
    pub fn from_json(json: &str) -> Result<Self, CookieJarError> {
        let store = cookie_store::serde::json::load(json.as_bytes())
            .map_err(|e| CookieJarError(e.to_string()))?;
        Ok(CookieJar { store })
    }
}

impl fmt::Debug for CookieJar {
    /// Cookie values are secrets (session keys): only the count is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieJar")
            .field("cookies", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn domain_path_secure_rules() {
        let mut jar = CookieJar::new();
        let login: Url = "http://ptlogin2.qq.com/login".parse().unwrap();
        jar.store_response(
            &login,
            &set(&[
                "skey=@abc; Domain=qq.com; Path=/",
                "only_pt=1; Path=/login",
                "sec=1; Secure; Domain=qq.com; Path=/",
                "evil=1; Domain=example.com",
            ]),
        );
        let cases = [
            ("http://d.web2.qq.com/channel", Some("skey=@abc")),
            ("https://d.web2.qq.com/channel", Some("skey=@abc; sec=1")),
            (
                "http://ptlogin2.qq.com/login/x",
                Some("skey=@abc; only_pt=1"),
            ),
            ("http://example.com/", None),
        ];
        for (url, want) in cases {
            let got = jar.request_header(&url.parse().unwrap());
            let mut got: Vec<String> = got
                .map(|v| v.to_str().unwrap().split("; ").map(String::from).collect())
                .unwrap_or_default();
            got.sort();
            let mut want: Vec<String> = want
                .map(|w| w.split("; ").map(String::from).collect())
                .unwrap_or_default();
            want.sort();
            assert_eq!(got, want, "{url}");
        }
    }

    #[test]
    fn expired_cookie_removes_and_json_round_trip_keeps_session_cookies() {
        let mut jar = CookieJar::new();
        let url: Url = "http://w.qq.com/".parse().unwrap();
        jar.store_response(&url, &set(&["a=s3cr3t", "b=2; Max-Age=3600", "c=3"]));
        jar.store_response(&url, &set(&["c=gone; Max-Age=0"]));
        assert_eq!(jar.len(), 2);
        let json = jar.to_json().unwrap();
        let back = CookieJar::from_json(&json).unwrap();
        assert_eq!(back.get("w.qq.com", "/", "a"), Some("s3cr3t"));
        assert_eq!(back.get("w.qq.com", "/", "b"), Some("2"));
        assert_eq!(back.get("w.qq.com", "/", "c"), None);
        assert!(!format!("{back:?}").contains("s3cr3t"));
        assert!(CookieJar::from_json("not json").is_err());
    }
}
