//! Values that must never reach a log: passwords, cookies, session keys.
//! Their `Debug` shows only that a value is there and how long it is.

use std::fmt;

/// A secret string (a cookie value, `ptwebqq`, `skey`, `psessionid`, `vfwebqq` …).
/// `Debug` is redacted; read the value with [`Secret::expose`] where the protocol needs it.
#[derive(Clone, Default, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for building a request. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.0.len())
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("@SoxMZ1bd4");
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(!shown.contains("SoxMZ"), "{shown}");
        assert_eq!(s.expose(), "@SoxMZ1bd4");
    }
}
