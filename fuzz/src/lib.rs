//! What the fuzz targets share: reading a fuzzer's input as a script of choices.

/// A fuzzer's input read front to back; past its end every read gives zeros / nothing, so a
/// target never has to check lengths.
pub struct Script<'a>(pub &'a [u8]);

impl<'a> Script<'a> {
    /// The next byte (0 once the input is used up).
    pub fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }

    /// The next `n` bytes, or what is left.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }

    /// A body: two length bytes (little-endian), then that many bytes (or what is left).
    pub fn body(&mut self) -> &'a [u8] {
        let n = usize::from(u16::from_le_bytes([self.byte(), self.byte()]));
        self.bytes(n)
    }

    /// Whether the input is used up.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
