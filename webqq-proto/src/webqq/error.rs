//! The decoding error shared by every endpoint family.

use std::fmt;

/// Largest body any decoder looks at; a longer one is refused before parsing, so a hostile
/// server cannot make the core parse megabytes of JSON.
pub const MAX_DECODE_BODY: usize = 4 * 1024 * 1024;

/// A reply that could not be decoded. Says which endpoint and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The endpoint (or decoder) whose reply this was, e.g. `"ptui_checkVC"`, `"poll2"`.
    pub what: &'static str,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// What was wrong with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// Longer than [`MAX_DECODE_BODY`].
    TooLarge(usize),
    /// Not the JavaScript callback expected (`ptui_checkVC(...)`, `ptuiCB(...)`).
    NotJsCall,
    /// The callback has the wrong number or shape of arguments.
    BadArguments(String),
    /// Not JSON, or JSON of the wrong shape (serde's message).
    Json(String),
    /// A JSON envelope whose `retcode` is not 0 where a result was required.
    Retcode(i64),
    /// An HTTP status other than 200 where a body was required.
    Status(u16),
}

impl DecodeError {
    pub(crate) fn new(what: &'static str, kind: DecodeErrorKind) -> Self {
        DecodeError { what, kind }
    }

    /// True when the server answered with a non-zero `retcode`.
    pub fn is_retcode(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::Retcode(_))
    }

    /// The non-zero `retcode`, if that is what this is.
    pub fn retcode(&self) -> Option<i64> {
        match self.kind {
            DecodeErrorKind::Retcode(r) => Some(r),
            _ => None,
        }
    }

    /// True when the body was not parseable at all (JSON or JS syntax, size).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self.kind,
            DecodeErrorKind::TooLarge(_)
                | DecodeErrorKind::NotJsCall
                | DecodeErrorKind::BadArguments(_)
                | DecodeErrorKind::Json(_)
        )
    }

    /// True for an unexpected HTTP status.
    pub fn is_status(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::Status(_))
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} reply: ", self.what)?;
        match &self.kind {
            DecodeErrorKind::TooLarge(n) => {
                write!(f, "body of {n} bytes exceeds {MAX_DECODE_BODY}")
            }
            DecodeErrorKind::NotJsCall => f.write_str("not the expected JavaScript callback"),
            DecodeErrorKind::BadArguments(m) => write!(f, "bad callback arguments: {m}"),
            DecodeErrorKind::Json(m) => write!(f, "bad JSON: {m}"),
            DecodeErrorKind::Retcode(r) => write!(f, "retcode {r}"),
            DecodeErrorKind::Status(s) => write!(f, "HTTP status {s}"),
        }
    }
}

impl std::error::Error for DecodeError {}

pub(crate) fn check_size(what: &'static str, body: &[u8]) -> Result<(), DecodeError> {
    if body.len() > MAX_DECODE_BODY {
        return Err(DecodeError::new(
            what,
            DecodeErrorKind::TooLarge(body.len()),
        ));
    }
    Ok(())
}
