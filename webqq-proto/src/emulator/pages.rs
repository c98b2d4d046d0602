//! Fixed bodies: the front proxy's HTML error pages (protocol §10 "Error pages": HTML, not
//! JSON), the login and proxy pages, and placeholder images.
use http::StatusCode;

use super::http::{Response, reason_phrase};

/// The HTML error page of the front proxy for `status` (nginx's layout).
pub fn error_page(status: StatusCode) -> Response {
    let title = format!("{} {}", status.as_u16(), reason_phrase(status));
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body bgcolor=\"white\">\r\n\
         <center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    Response::html(status, body)
}

/// The ptlogin UI page with the variables clients scrape (protocol §3.2).
pub fn login_page(login_sig: &str, appid: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>QQ帐号登录</title>\
         <script type=\"text/javascript\">var g_login_sig=encodeURIComponent(\"{login_sig}\");\
         var g_pt_version=encodeURIComponent(\"10040\");var g_appid=encodeURIComponent(\"{appid}\");\
         var g_daid=encodeURIComponent(\"164\");var g_style=5;var g_mibao_css=encodeURIComponent(\"m_webqq\");\
         </script></head><body></body></html>"
    )
}

/// The `proxy.html` page the login chain ends on (protocol §3.7).
pub const PROXY_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\
<script type=\"text/javascript\">document.domain=\"qq.com\";</script></body></html>";

/// A 1×1 grey PNG, standing in for the QR code (protocol §3.8: any token will do).
pub const QR_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0x68, 0x00, 0x00, 0x00,
    0x82, 0x00, 0x81, 0xdd, 0x43, 0x6a, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// A JPEG placeholder for the captcha image (protocol §3.4); the answer is told through the
/// control API and [`Event::CaptchaIssued`](super::Event::CaptchaIssued), not drawn.
pub const CAPTCHA_JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff,
    0xd9,
];
