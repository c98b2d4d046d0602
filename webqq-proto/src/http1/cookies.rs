//! The cookie jar: `cookie_store`'s `Cookie` parses a `Set-Cookie` field and applies the
//! domain, path, secure and expiry rules (RFC 6265); this jar keeps those cookies in one
//! exactly sized list, renders `Cookie` headers, and saves and restores itself as
//! `cookie_store`'s JSON so a session can be resumed.
//!
//! Why not `cookie_store::CookieStore` itself: it indexes cookies by domain, path and name in
//! three levels of hash maps, and each map keeps a few empty slots of a 250-byte cookie, so a
//! logged-in session's twenty cookies took 8.6 KB in it; a WebQQ session holds a few dozen
//! cookies at most, where a scan of a list costs less than the maps' lookups did.
//!
//! Note: expiry is wall-clock time by nature (`Expires` is a date), and `cookie_store` reads
//! the system clock to compare; this is the one clock read under webqq-proto, inside that crate.
use std::convert::Infallible;
use std::fmt;

use cookie_store::{Cookie, CookieStore};
use http::{HeaderMap, HeaderValue, header};
use url::Url;

/// Cookies a jar holds at most; a new one beyond is ignored (a WebQQ login sets about 20).
pub const MAX_COOKIES: usize = 256;

/// Cookies received from servers.
#[derive(Default)]
pub struct CookieJar {
    /// Stored cookies, each once per (domain, path, name); expired ones are dropped when a
    /// response replaces them.
    cookies: Vec<Cookie<'static>>,
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

/// Whether `a` and `b` are the same cookie slot: RFC 6265 §5.3 step 11 (same name, domain
/// and path).
fn same_slot(a: &Cookie<'_>, b: &Cookie<'_>) -> bool {
    a.name() == b.name()
        && a.domain.as_cow() == b.domain.as_cow()
        && AsRef::<str>::as_ref(&a.path) == AsRef::<str>::as_ref(&b.path)
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Stores every `Set-Cookie` field of a response to `url`. A field the rules refuse (bad
    /// syntax, foreign domain) is skipped: it is the server's mistake, not the request's.
    pub fn store_response(&mut self, url: &Url, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            if let Ok(s) = value.to_str()
                && let Ok(cookie) = Cookie::parse(s, url)
            {
                self.insert(cookie.into_owned(), url);
            }
        }
    }

    /// RFC 6265 §5.3 steps 11–12, as `cookie_store`'s own store applies them: a cookie
    /// replaces the one of the same slot; an expired one only removes it.
    fn insert(&mut self, cookie: Cookie<'static>, url: &Url) {
        if !cookie.domain.matches(url) {
            return;
        }
        let old = self.cookies.iter().position(|c| same_slot(c, &cookie));
        match (old, cookie.is_expired()) {
            (Some(i), true) => {
                self.cookies.swap_remove(i);
                self.cookies.shrink_to_fit();
            }
            (Some(i), false) => self.cookies[i] = cookie,
            (None, true) => {}
            (None, false) if self.cookies.len() >= MAX_COOKIES => {}
            (None, false) => {
                // Exactly sized: cookies arrive a few at a time, during a login, and are
                // then kept for the session's life.
                self.cookies.reserve_exact(1);
                self.cookies.push(cookie);
            }
        }
    }

    /// The unexpired cookies that apply to a request to `url`.
    fn matching<'a>(&'a self, url: &'a Url) -> impl Iterator<Item = &'a Cookie<'static>> {
        self.cookies
            .iter()
            .filter(move |c| !c.is_expired() && c.matches(url))
    }

    /// The `Cookie` field for a request to `url`, or `None` when no cookie applies.
    pub fn request_header(&self, url: &Url) -> Option<HeaderValue> {
        let mut out = String::new();
        for cookie in self.matching(url) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(cookie.name());
            out.push('=');
            out.push_str(cookie.value());
        }
        if out.is_empty() {
            None
        } else {
            HeaderValue::from_str(&out).ok()
        }
    }

    /// The value of cookie `name` stored for `domain` and `path`, if unexpired.
    pub fn get(&self, domain: &str, path: &str, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|c| {
                c.name() == name
                    && c.domain.as_cow().as_deref() == Some(domain)
                    && AsRef::<str>::as_ref(&c.path) == path
            })
            .filter(|c| !c.is_expired())
            .map(|c| c.value())
    }

    /// Number of unexpired cookies.
    pub fn len(&self) -> usize {
        self.cookies.iter().filter(|c| !c.is_expired()).count()
    }

    /// True when no unexpired cookie is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any cookie is stored, expired or not (cheap: no expiry check).
    pub(crate) fn holds_any(&self) -> bool {
        !self.cookies.is_empty()
    }

    /// The jar as JSON, session cookies included (a resumed WebQQ session needs them).
    pub fn to_json(&self) -> Result<String, CookieJarError> {
        let store =
            CookieStore::from_cookies(self.cookies.iter().cloned().map(Ok::<_, Infallible>), true)
                .unwrap_or_else(|never| match never {});
        let mut out = Vec::new();
        cookie_store::serde::json::save_incl_expired_and_nonpersistent(&store, &mut out)
            .map_err(|e| CookieJarError(e.to_string()))?;
        String::from_utf8(out).map_err(|e| CookieJarError(e.to_string()))
    }

    /// A jar from [`to_json`](Self::to_json) output; expired cookies are dropped.
    pub fn from_json(json: &str) -> Result<Self, CookieJarError> {
        let store = cookie_store::serde::json::load(json.as_bytes())
            .map_err(|e| CookieJarError(e.to_string()))?;
        let mut cookies: Vec<Cookie<'static>> =
            store.iter_unexpired().take(MAX_COOKIES).cloned().collect();
        cookies.shrink_to_fit();
        Ok(CookieJar { cookies })
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

    /// The rules are `cookie_store`'s: the same fields give the same `Cookie` header as its
    /// own `CookieStore` for every URL, replacements and removals included.
    #[test]
    fn same_cookies_as_cookie_store() {
        let steps: [(&str, &[&str]); 4] = [
            (
                "http://ptlogin2.qq.com/login",
                &[
                    "skey=@a; Domain=qq.com; Path=/",
                    "superuin=o1; Domain=ptlogin2.qq.com; Path=/",
                    "host_only=1",
                    "deep=1; Path=/cgi-bin",
                    "sec=1; Secure; Domain=qq.com",
                    "evil=1; Domain=example.com",
                ],
            ),
            (
                "http://d1.web2.qq.com/channel/login2",
                &[
                    "p_skey=x; Domain=web2.qq.com; Path=/",
                    "skey=@b; Domain=qq.com; Path=/",
                ],
            ),
            (
                "http://ptlogin2.qq.com/x",
                &[
                    "host_only=; Max-Age=0",
                    "superuin=o2; Domain=ptlogin2.qq.com; Path=/",
                ],
            ),
            ("http://w.qq.com/", &["skey=@c; Domain=web2.qq.com"]),
        ];
        let urls = [
            "http://d1.web2.qq.com/channel/poll2",
            "https://d1.web2.qq.com/channel/poll2",
            "http://ptlogin2.qq.com/cgi-bin/x",
            "http://ptlogin2.qq.com/",
            "http://s.web2.qq.com/api/get_user_friends2",
            "http://qq.com/",
            "http://example.com/",
        ];
        let mut jar = CookieJar::new();
        let mut store = CookieStore::default();
        let sorted = |v: Vec<String>| {
            let mut v = v;
            v.sort();
            v
        };
        for (from, fields) in steps {
            let from: Url = from.parse().unwrap();
            jar.store_response(&from, &set(fields));
            for f in fields {
                let _ = store.parse(f, &from);
            }
            for url in urls {
                let url: Url = url.parse().unwrap();
                let got = jar
                    .request_header(&url)
                    .map(|v| v.to_str().unwrap().split("; ").map(String::from).collect())
                    .unwrap_or_default();
                let want = store
                    .get_request_values(&url)
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect();
                assert_eq!(sorted(got), sorted(want), "{url} after {from}");
            }
        }
        assert_eq!(jar.len(), store.iter_unexpired().count());
        assert_eq!(jar.get("qq.com", "/", "skey"), Some("@b"));
        assert_eq!(jar.get("ptlogin2.qq.com", "/", "superuin"), Some("o2"));
        assert_eq!(jar.get("ptlogin2.qq.com", "/", "host_only"), None);
        assert_eq!(jar.cookies.capacity(), jar.cookies.len(), "exactly sized");
    }

    #[test]
    fn new_cookies_beyond_the_limit_are_ignored() {
        let mut jar = CookieJar::new();
        let url: Url = "http://w.qq.com/".parse().unwrap();
        let fields: Vec<String> = (0..MAX_COOKIES + 10).map(|i| format!("c{i}=1")).collect();
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        jar.store_response(&url, &set(&fields));
        assert_eq!(jar.len(), MAX_COOKIES);
        jar.store_response(&url, &set(&["c0=2"]));
        assert_eq!(
            jar.get("w.qq.com", "/", "c0"),
            Some("2"),
            "replacing still works"
        );
    }
}
