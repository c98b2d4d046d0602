//! Following redirects: which method and body the next hop gets, and where it goes.
use http::{Method, StatusCode};
use url::Url;

/// The method of the request that follows a redirect with `status`, and whether it keeps the
/// body; `None` when `status` is not a followed redirect.
///
/// RFC 9110 §15.4: 301 and 302 let a user agent change POST to GET and clients do; 303 means
/// "GET (or HEAD) the other resource"; 307 and 308 forbid changing the method. So 301/302/303
/// become GET without a body (HEAD stays HEAD) and 307/308 keep method and body (issue 3).
pub fn redirect_method(status: StatusCode, method: &Method) -> Option<(Method, bool)> {
    match status.as_u16() {
        301..=303 if *method == Method::HEAD => Some((Method::HEAD, false)),
        301..=303 => Some((Method::GET, false)),
        307 | 308 => Some((method.clone(), true)),
        _ => None,
    }
}

/// Resolves a `Location` value against the URL it came from; only http and https targets.
pub(crate) fn resolve_location(base: &Url, location: &str) -> Result<Url, String> {
    let url = base
        .join(location)
        .map_err(|e| format!("Location {location:?}: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "Location {location:?}: scheme {other} is not http(s)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_method_table() {
        let cases = [
            (301, Method::POST, Some((Method::GET, false))),
            (302, Method::POST, Some((Method::GET, false))),
            (303, Method::PUT, Some((Method::GET, false))),
            (302, Method::HEAD, Some((Method::HEAD, false))),
            (307, Method::POST, Some((Method::POST, true))),
            (308, Method::PUT, Some((Method::PUT, true))),
            (304, Method::GET, None),
            (200, Method::GET, None),
        ];
        for (status, method, want) in cases {
            assert_eq!(
                redirect_method(StatusCode::from_u16(status).unwrap(), &method),
                want,
                "{status} {method}"
            );
        }
    }

    #[test]
    fn location_resolution() {
        let base: Url = "http://a.qq.com/x/y?z".parse().unwrap();
        assert_eq!(
            resolve_location(&base, "/b").unwrap().as_str(),
            "http://a.qq.com/b"
        );
        assert_eq!(
            resolve_location(&base, "c").unwrap().as_str(),
            "http://a.qq.com/x/c"
        );
        assert_eq!(
            resolve_location(&base, "https://b.qq.com/")
                .unwrap()
                .as_str(),
            "https://b.qq.com/"
        );
        assert!(resolve_location(&base, "ftp://b.qq.com/").is_err());
    }
}
