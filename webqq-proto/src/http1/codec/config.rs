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
/// All are off by default: no WebQQ server is recorded sending any of these forms (the one
/// captured reply, protocol §1.3, is well-formed), and each one widens what an attacker on the
/// path can smuggle past a strict reader. Turn one on only for a server known to need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Leniency {
    /// Unfold obs-fold (a field line continued on the next line starting with SP/HTAB),
    /// replacing each line break of the fold with SP as RFC 9112 §5.2 tells a user agent to.
    /// Off: rejected like llhttp and hyper do; h11 and Go unfold.
    pub obs_fold: bool,
    /// Accept whitespace between a field name and its colon (RFC 9112 §5.1 forbids it).
    /// Off: rejected like llhttp, h11 and hyper do.
    pub spaces_before_colon: bool,
    /// Accept a bare LF as a line terminator in the head and the trailer section
    /// (RFC 9112 §2.2 MAY). Chunk-size lines and the CRLF after chunk data always need CRLF,
    /// as in every parser surveyed. Off: llhttp's strict mode also refuses it.
    pub bare_lf: bool,
    /// Accept several spaces between the parts of the status line (Go accepts them).
    pub multiple_spaces_in_status_line: bool,
    /// Skip empty lines (CRLF or LF) before the status line (RFC 9112 §2.2 robustness; llhttp
    /// and hyper skip them). They count towards the head-bytes limit.
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
