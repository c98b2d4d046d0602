//! Driving a [`ResponseDecoder`] over a whole connection's bytes, arriving in any pieces, and
//! collecting complete responses. Tests, the fuzz target and examples use it; an engine that
//! streams bodies drives the decoder itself.
use bytes::BytesMut;
use http::{HeaderMap, Method};

use super::{DecodeError, DecodeEvent, DecoderConfig, ResponseDecoder, ResponseHead};

/// One complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Interim (1xx) heads received before the final one.
    pub interim: Vec<ResponseHead>,
    /// The final head.
    pub head: ResponseHead,
    /// The body, transfer coding removed.
    pub body: Vec<u8>,
    /// Trailer fields of a chunked body.
    pub trailers: HeaderMap,
}

/// What [`decode_all`] found in a connection's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The responses completed, in order.
    pub messages: Vec<Message>,
    /// The error that ended decoding, if any.
    pub error: Option<DecodeError>,
    /// Bytes after the last response when decoding stopped because that response ended the
    /// connection's HTTP life (`keep_alive` false); empty after an error.
    pub rest: Vec<u8>,
}

/// Decodes the responses in `pieces` (one connection's bytes, in the pieces they arrived in),
/// the i-th answering a request with method `methods[i]` (the last method repeats; `GET` when
/// `methods` is empty). With `eof`, the connection is then treated as closed. Decoding stops
/// at the first error or after a response that does not keep the connection alive.
///
/// For the same bytes and `eof`, the result is the same however the bytes are split.
pub fn decode_all<'a>(
    config: DecoderConfig,
    methods: &[Method],
    pieces: impl IntoIterator<Item = &'a [u8]>,
    eof: bool,
) -> Decoded {
    let method_for = |i: usize| {
        methods
            .get(i)
            .or(methods.last())
            .cloned()
            .unwrap_or(Method::GET)
    };
    let mut run = Run {
        decoder: ResponseDecoder::new(config, method_for(0)),
        buf: BytesMut::new(),
        out: Decoded {
            messages: Vec::new(),
            error: None,
            rest: Vec::new(),
        },
        current: Partial::default(),
        stopped: false,
    };
    for piece in pieces {
        run.buf.extend_from_slice(piece);
        if !run.stopped {
            run.drain(false, &method_for);
        }
    }
    if eof && !run.stopped {
        run.drain(true, &method_for);
    }
    if run.out.error.is_none() && run.stopped {
        run.out.rest = run.buf.to_vec();
    }
    run.out
}

#[derive(Default)]
struct Partial {
    interim: Vec<ResponseHead>,
    head: Option<ResponseHead>,
    body: Vec<u8>,
}

struct Run {
    decoder: ResponseDecoder,
    buf: BytesMut,
    out: Decoded,
    current: Partial,
    stopped: bool,
}

impl Run {
    fn drain(&mut self, at_eof: bool, method_for: &dyn Fn(usize) -> Method) {
        loop {
            let event = if at_eof {
                self.decoder.decode_eof(&mut self.buf)
            } else {
                self.decoder.decode(&mut self.buf)
            };
            match event {
                Err(e) => {
                    self.out.error = Some(e);
                    self.stopped = true;
                    return;
                }
                Ok(None) => return,
                Ok(Some(DecodeEvent::Interim(head))) => self.current.interim.push(head),
                Ok(Some(DecodeEvent::Head(head))) => self.current.head = Some(head),
                Ok(Some(DecodeEvent::Data(data))) => self.current.body.extend_from_slice(&data),
                Ok(Some(DecodeEvent::End { trailers })) => {
                    let done = std::mem::take(&mut self.current);
                    let Some(head) = done.head else {
                        // The decoder ends a response only after its head; never panic anyway.
                        self.out.error = Some(DecodeError::Protocol(
                            "response ended before its head".into(),
                        ));
                        self.stopped = true;
                        return;
                    };
                    let keep_alive = head.framing.keep_alive;
                    self.out.messages.push(Message {
                        interim: done.interim,
                        head,
                        body: done.body,
                        trailers,
                    });
                    if !keep_alive {
                        self.stopped = true;
                        return;
                    }
                    self.decoder.reset_for(method_for(self.out.messages.len()));
                }
            }
        }
    }
}
