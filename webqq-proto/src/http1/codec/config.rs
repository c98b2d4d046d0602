//! Decoder limits and leniency switches, in one place.

/// Default limit on the bytes of a response head (status line + fields).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Default limit on the number of header fields in a head or trailer section.
pub const MAX_HEADERS: usize = 100;
/// Default limit on a response body (after content decoding too).
pub const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;
/// Default limit on the bytes of one chunk-size line, extensions included.
pub const MAX_CHUNK_LINE_BYTES: usize = 4 * 1024;
/// Default limit on the bytes of a chunked trailer section.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// Size limits. Past any of them the decoder returns a [`DecodeError`](super::DecodeError)
/// for which `is_limit()` is true; it never grows a buffer without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the head (status line and header fields, terminating empty line included).
    pub max_head_bytes: usize,
    /// Number of header fields in a head, and in a trailer section.
    pub max_headers: usize,
    /// Bytes of body, counted after transfer decoding (and after content decoding).
    pub max_body_bytes: u64,
    /// Bytes of one chunk-size line, chunk extensions included.
    pub max_chunk_line_bytes: usize,
    /// Bytes of the trailer section of a chunked body.
    pub max_trailer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: MAX_HEAD_BYTES,
            max_headers: MAX_HEADERS,
            max_body_bytes: MAX_BODY_BYTES,
            max_chunk_line_bytes: MAX_CHUNK_LINE_BYTES,
            max_trailer_bytes: MAX_TRAILER_BYTES,
        }
    }
}

/// Leniency switches for response syntax that RFC 9112 forbids or lets a recipient refuse.
/// Each is off by default unless a real server needed it; its doc says which and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Leniency {
    /// Unfold obs-fold (a field line continued on the next line starting with SP/HTAB),
    /// replacing each fold with SP as RFC 9112 §5.2 tells a user agent to.
    pub obs_fold: bool,
    /// Accept whitespace between a field name and its colon (RFC 9112 §5.1 forbids it).
    pub spaces_before_colon: bool,
    /// Accept a bare LF as a line terminator in the head (RFC 9112 §2.2 MAY).
    pub bare_lf: bool,
    /// Accept several spaces between the parts of the status line.
    pub multiple_spaces_in_status_line: bool,
    /// Skip empty lines (CRLF) before the status line (RFC 9112 §2.2 robustness).
    pub empty_lines_before_status: bool,
}

/// Everything that configures a [`ResponseDecoder`](super::ResponseDecoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecoderConfig {
    /// Size limits.
    pub limits: Limits,
    /// Syntax leniency.
    pub leniency: Leniency,
}
