//! Collects a response body: a body that arrives in one piece is kept as that `Bytes`
//! (no copy); only a body in several pieces is copied into one buffer.
use bytes::{Bytes, BytesMut};

#[derive(Debug, Default)]
pub(crate) struct BodyBuf {
    first: Bytes,
    rest: BytesMut,
}

impl BodyBuf {
    pub(crate) fn push(&mut self, piece: Bytes) {
        if piece.is_empty() {
            return;
        }
        if self.first.is_empty() && self.rest.is_empty() {
            self.first = piece;
            return;
        }
        if self.rest.is_empty() {
            self.rest
                .extend_from_slice(&std::mem::take(&mut self.first));
        }
        self.rest.extend_from_slice(&piece);
    }

    pub(crate) fn finish(self) -> Bytes {
        if self.rest.is_empty() {
            self.first
        } else {
            self.rest.freeze()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_piece_is_not_copied_and_pieces_concatenate() {
        let piece = Bytes::from_static(b"whole");
        let mut one = BodyBuf::default();
        one.push(piece.clone());
        let out = one.finish();
        assert_eq!(out.as_ptr(), piece.as_ptr());
        let mut many = BodyBuf::default();
        for p in ["a", "", "bc", "d"] {
            many.push(Bytes::from_static(p.as_bytes()));
        }
        assert_eq!(many.finish().as_ref(), b"abcd");
        assert!(BodyBuf::default().finish().is_empty());
    }
}
