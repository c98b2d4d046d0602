//! The session's view of the cookies the protocol names (protocol §1.5).
//!
//! The engine owns the real jar and sends cookies; the session only needs to *read* a few
//! values (ptwebqq for bodies and hashes, qrsig for ptqrtoken, uin/superuin for the QQ
//! number, verifysession after a captcha). It learns them from the `Set-Cookie` headers of
//! the responses it is handed (check_sig is fetched without following redirects so its 302
//! is among them) and from its own writes, which it also sends to the jar.

use std::collections::BTreeMap;
use std::fmt;

use http::HeaderMap;

use super::super::secret::Secret;

/// The cookies the session reads, with the domain each lives on (protocol §1.5, §10).
const TRACKED: &[(&str, &str)] = &[
    ("ptwebqq", "qq.com"),
    ("skey", "qq.com"),
    ("uin", "qq.com"),
    ("ptcz", "qq.com"),
    ("verifysession", "qq.com"),
    ("superuin", "ptlogin2.qq.com"),
    ("supertoken", "ptlogin2.qq.com"),
    ("qrsig", "ptlogin2.qq.com"),
    ("pt_login_sig", "ptlogin2.qq.com"),
    ("ptvfsession", "ptlogin2.qq.com"),
    ("p_skey", "web2.qq.com"),
    ("p_uin", "web2.qq.com"),
    ("pt4_token", "web2.qq.com"),
];

/// Longest cookie value kept; longer ones are ignored (protocol values are < 200 chars).
const MAX_COOKIE_VALUE: usize = 4096;

/// The domain the protocol puts a tracked cookie on.
pub fn domain_of(name: &str) -> Option<&'static str> {
    TRACKED.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
}

/// Values of the tracked cookies. `Debug` shows names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CookieView {
    values: BTreeMap<&'static str, Secret>,
}

impl fmt::Debug for CookieView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl CookieView {
    /// Reads every `Set-Cookie` of a response; an empty value deletes.
    pub fn absorb(&mut self, headers: &HeaderMap) {
        for v in headers.get_all(http::header::SET_COOKIE) {
            let Ok(s) = v.to_str() else { continue };
            let pair = s.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            self.set(name.trim(), value.trim());
        }
    }

    /// Sets (or, with an empty value, removes) a tracked cookie; others are ignored.
    pub fn set(&mut self, name: &str, value: &str) {
        let Some(&(key, _)) = TRACKED.iter().find(|(n, _)| *n == name) else {
            return;
        };
        if value.is_empty() {
            self.values.remove(key);
        } else if value.len() <= MAX_COOKIE_VALUE {
            self.values.insert(key, Secret::new(value));
        }
    }

    /// A tracked cookie's value.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.values.get(name)
    }

    /// The value or the empty string.
    pub fn value(&self, name: &str) -> &str {
        self.get(name).map_or("", Secret::expose)
    }

    /// The QQ number from `uin` or `superuin` (`o0294717557` → 294717557, protocol §3.8).
    pub fn qq_number(&self) -> Option<u64> {
        ["uin", "superuin"].iter().find_map(|n| {
            let v = self.get(n)?.expose();
            v.strip_prefix('o').unwrap_or(v).parse().ok()
        })
    }

    /// Every tracked cookie as `(name, domain, value)`, for export.
    pub fn entries(&self) -> Vec<(String, &'static str, Secret)> {
        self.values
            .iter()
            .map(|(n, v)| (n.to_string(), domain_of(n).unwrap_or("qq.com"), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tracked_set_cookies_only() {
        let mut h = HeaderMap::new();
        for c in [
            "ptwebqq=abc123; PATH=/; DOMAIN=qq.com;",
            "uin=o0294717557; PATH=/; DOMAIN=qq.com;",
            "pgv_pvid=1; path=/",
            "skey=; PATH=/",
            "broken",
        ] {
            h.append(http::header::SET_COOKIE, c.parse().unwrap());
        }
        let mut v = CookieView::default();
        v.set("skey", "@old");
        v.absorb(&h);
        assert_eq!(v.value("ptwebqq"), "abc123");
        assert_eq!(v.qq_number(), Some(294717557));
        assert!(v.get("pgv_pvid").is_none());
        assert!(v.get("skey").is_none(), "an empty value deletes");
        assert!(!format!("{v:?}").contains("abc123"));
    }
}
