//! Access tokens and event signatures (OneBot v11 communication/authorization).
use hmac::{KeyInit, Mac};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// A token is configured and none was given: HTTP 401.
    Missing,
    /// The token given is not the configured one: HTTP 403.
    Wrong,
}

impl AuthError {
    /// The HTTP status the spec gives for it.
    pub fn status(self) -> u16 {
        match self {
            AuthError::Missing => 401,
            AuthError::Wrong => 403,
        }
    }
}

/// Checks a request's credentials: `Authorization: Bearer <t>` (or `Token <t>`, which older
/// CQHTTP clients send) or the `access_token` query parameter.
pub fn check(
    expected: Option<&str>,
    authorization: Option<&str>,
    query_token: Option<&str>,
) -> Result<(), AuthError> {
    let Some(expected) = expected.filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let given = authorization
        .and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
                .then(|| token.trim())
        })
        .or(query_token);
    match given {
        None => Err(AuthError::Missing),
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(AuthError::Wrong),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `X-Signature` value of an event body: `sha1=` and the hex HMAC-SHA1 of the body keyed
/// by the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = Some("s3cret");
        let cases = [
            (None, None, None, Ok(())),
            (t, Some("Bearer s3cret"), None, Ok(())),
            (t, Some("Token s3cret"), None, Ok(())),
            (t, None, Some("s3cret"), Ok(())),
            (t, None, None, Err(AuthError::Missing)),
            (t, Some("Bearer nope"), None, Err(AuthError::Wrong)),
            (t, None, Some("nope"), Err(AuthError::Wrong)),
        ];
        for (expected, header, query, want) in cases {
            assert_eq!(check(expected, header, query), want, "{header:?} {query:?}");
        }
    }

    #[test]
    fn signature_is_hmac_sha1_hex() {
        // RFC 2202 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }
}
