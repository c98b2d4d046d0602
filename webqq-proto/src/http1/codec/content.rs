//! `Content-Encoding: gzip | deflate` decoding (RFC 9110 §8.4.1), held to the body limit: the
//! inflater writes into a sink that refuses to grow past the limit, so a zip bomb is a
//! [`DecodeError::Limit`], never an out-of-memory.
use std::io::{self, Write};

use bytes::{Bytes, BytesMut};
use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

use super::DecodeError;

/// Decodes a body's content coding piece by piece.
pub struct ContentDecoder {
    inflater: Inflater,
}

impl std::fmt::Debug for ContentDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let coding = match &self.inflater {
            Inflater::Gzip(_) => "gzip",
            Inflater::DeflateUndecided { .. } => "deflate",
            Inflater::Zlib(_) => "deflate (zlib)",
            Inflater::RawDeflate(_) => "deflate (raw)",
        };
        f.debug_struct("ContentDecoder")
            .field("coding", &coding)
            .finish()
    }
}

enum Inflater {
    Gzip(GzDecoder<LimitedSink>),
    /// `deflate` means the zlib format (RFC 9110 §8.4.1.2), but some servers send raw
    /// deflate; the first two bytes tell which, so they wait here.
    DeflateUndecided {
        first: Vec<u8>,
        sink: LimitedSink,
    },
    Zlib(ZlibDecoder<LimitedSink>),
    RawDeflate(DeflateDecoder<LimitedSink>),
}

/// The decoded bytes, refusing to hold more than `max` in total over the whole body.
#[derive(Default)]
struct LimitedSink {
    out: BytesMut,
    total: u64,
    max: u64,
    exceeded: bool,
}

impl Write for LimitedSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.total + data.len() as u64 > self.max {
            self.exceeded = true;
            return Err(io::Error::other("decoded body exceeds the limit"));
        }
        self.total += data.len() as u64;
        self.out.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ContentDecoder {
    /// A decoder for the `Content-Encoding` value `coding` (`gzip`, `x-gzip`, `deflate`, any
    /// case), or `Ok(None)` for `identity` or an empty value. Decoded output is held to
    /// `max_bytes` in total. Any other coding (or a list of several) is a protocol error:
    /// we only ever advertise gzip and deflate.
    pub fn new(coding: &str, max_bytes: u64) -> Result<Option<Self>, DecodeError> {
        let sink = LimitedSink {
            out: BytesMut::new(),
            total: 0,
            max: max_bytes,
            exceeded: false,
        };
        let coding = coding.trim_matches([' ', '\t']);
        let inflater = if coding.is_empty() || coding.eq_ignore_ascii_case("identity") {
            return Ok(None);
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            // RFC 9110 §8.4.1.3: "A recipient SHOULD consider "x-gzip" to be equivalent to
            // "gzip"."
            Inflater::Gzip(GzDecoder::new(sink))
        } else if coding.eq_ignore_ascii_case("deflate") {
            Inflater::DeflateUndecided {
                first: Vec::with_capacity(2),
                sink,
            }
        } else {
            return Err(DecodeError::Protocol(format!(
                "unsupported Content-Encoding {coding:?}"
            )));
        };
        Ok(Some(ContentDecoder { inflater }))
    }

    /// Decodes a piece of the encoded body; returns the decoded bytes it produced (maybe none).
    pub fn push(&mut self, mut data: &[u8]) -> Result<Bytes, DecodeError> {
        if let Inflater::DeflateUndecided { first, sink } = &mut self.inflater {
            let take = data.len().min(2 - first.len());
            first.extend_from_slice(&data[..take]);
            data = &data[take..];
            if first.len() < 2 {
                return Ok(Bytes::new());
            }
            let head = std::mem::take(first);
            let sink = std::mem::take(sink);
            self.inflater = if is_zlib_header(&head) {
                Inflater::Zlib(ZlibDecoder::new(sink))
            } else {
                Inflater::RawDeflate(DeflateDecoder::new(sink))
            };
            let written = self.write_all(&head);
            self.check(written)?;
        }
        let written = self.write_all(data);
        self.check(written)?;
        Ok(self.sink().out.split().freeze())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.inflater {
            Inflater::Gzip(d) => d.write_all(data),
            Inflater::Zlib(d) => d.write_all(data),
            Inflater::RawDeflate(d) => d.write_all(data),
            // `push` decides the format before writing anything.
            Inflater::DeflateUndecided { first, .. } => {
                first.extend_from_slice(data);
                Ok(())
            }
        }
    }

    /// Ends the body; an encoded stream cut short is an error. Returns the last decoded bytes.
    pub fn finish(&mut self) -> Result<Bytes, DecodeError> {
        let finished = match &mut self.inflater {
            Inflater::Gzip(d) => d.try_finish(),
            Inflater::Zlib(d) => d.try_finish(),
            Inflater::RawDeflate(d) => d.try_finish(),
            Inflater::DeflateUndecided { .. } => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "deflate stream too short",
            )),
        };
        self.check(finished)?;
        Ok(self.sink().out.split().freeze())
    }

    fn sink(&mut self) -> &mut LimitedSink {
        match &mut self.inflater {
            Inflater::Gzip(d) => d.get_mut(),
            Inflater::Zlib(d) => d.get_mut(),
            Inflater::RawDeflate(d) => d.get_mut(),
            Inflater::DeflateUndecided { sink, .. } => sink,
        }
    }

    fn check(&mut self, result: io::Result<()>) -> Result<(), DecodeError> {
        let sink = self.sink();
        match result {
            Ok(()) => Ok(()),
            Err(_) if sink.exceeded => Err(DecodeError::Limit {
                what: "decoded body bytes",
                limit: sink.max,
            }),
            Err(e) => Err(DecodeError::Protocol(format!(
                "corrupt {:?} body: {e}",
                match &self.inflater {
                    Inflater::Gzip(_) => "gzip",
                    _ => "deflate",
                }
            ))),
        }
    }
}

/// RFC 1950 §2.2: a zlib stream starts with CMF (method 8 = deflate, window ≤ 32K) and FLG,
/// such that CMF·256 + FLG is a multiple of 31.
fn is_zlib_header(head: &[u8]) -> bool {
    let (cmf, flg) = (head[0], head[1]);
    cmf & 0x0F == 8 && cmf >> 4 <= 7 && (u16::from(cmf) * 256 + u16::from(flg)) % 31 == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Decodes `encoded` fed in pieces of `piece` bytes.
    fn decode(
        coding: &str,
        encoded: &[u8],
        piece: usize,
        max: u64,
    ) -> Result<Vec<u8>, DecodeError> {
        let mut d = ContentDecoder::new(coding, max)?.expect("a coding");
        let mut out = Vec::new();
        for part in encoded.chunks(piece.max(1)) {
            out.extend_from_slice(&d.push(part)?);
        }
        out.extend_from_slice(&d.finish()?);
        Ok(out)
    }

    const TEXT: &[u8] =
        br#"{"retcode":0,"result":[{"poll_type":"message","value":{"content":["hi"]}}]}"#;

    #[test]
    fn gzip_zlib_and_raw_deflate_decode_in_any_piece_size() {
        for (coding, encoded) in [
            ("gzip", gzip(TEXT)),
            ("x-gzip", gzip(TEXT)),
            ("GZIP", gzip(TEXT)),
            ("deflate", zlib(TEXT)),
            ("deflate", raw_deflate(TEXT)),
        ] {
            for piece in [1, 2, 3, 7, encoded.len()] {
                assert_eq!(
                    decode(coding, &encoded, piece, 1 << 20).unwrap(),
                    TEXT,
                    "{coding} {piece}"
                );
            }
        }
    }

    #[test]
    fn identity_needs_no_decoder_and_unknown_codings_are_refused() {
        assert!(ContentDecoder::new("identity", 10).unwrap().is_none());
        assert!(ContentDecoder::new("", 10).unwrap().is_none());
        for coding in ["br", "gzip, gzip", "compress"] {
            assert!(
                ContentDecoder::new(coding, 10).unwrap_err().is_protocol(),
                "{coding}"
            );
        }
    }

    #[test]
    fn a_zip_bomb_is_a_limit_error() {
        let bomb = gzip(&vec![0u8; 8 << 20]);
        assert!(bomb.len() < 64 << 10);
        let err = decode("gzip", &bomb, bomb.len(), 1 << 20).unwrap_err();
        assert!(err.is_limit(), "{err}");
        // Exactly at the limit is fine.
        assert_eq!(
            decode("gzip", &gzip(&[7; 1000]), 100, 1000).unwrap(),
            vec![7; 1000]
        );
    }

    #[test]
    fn truncated_or_corrupt_streams_are_protocol_errors() {
        let g = gzip(TEXT);
        for cut in [1, 10, g.len() / 2, g.len() - 1] {
            let err = decode("gzip", &g[..cut], 5, 1 << 20).unwrap_err();
            assert!(err.is_protocol(), "cut at {cut}: {err}");
        }
        let mut corrupt = g.clone();
        let crc_at = corrupt.len() - 8;
        corrupt[crc_at] ^= 0xFF;
        assert!(
            decode("gzip", &corrupt, 5, 1 << 20)
                .unwrap_err()
                .is_protocol()
        );
        assert!(
            decode("deflate", b"\x78", 5, 1 << 20)
                .unwrap_err()
                .is_protocol()
        );
    }
}
