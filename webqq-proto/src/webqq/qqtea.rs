//! QQ-TEA: TEA (16 rounds) in the "OICQ" chained mode used by password scheme C
//! (protocol §3.5.3).

use rand_core::RngCore;

const DELTA: u32 = 0x9E37_79B9;
const ROUNDS: u32 = 16;
/// Zero bytes appended to the plaintext before encryption (protocol §3.5.3: "plain + 7 zero bytes").
const ZERO_TAIL: usize = 7;

fn key_words(key: &[u8; 16]) -> [u32; 4] {
    let w = |i: usize| u32::from_be_bytes([key[i], key[i + 1], key[i + 2], key[i + 3]]);
    [w(0), w(4), w(8), w(12)]
}

fn split(block: u64) -> (u32, u32) {
    ((block >> 32) as u32, block as u32)
}

fn join(v0: u32, v1: u32) -> u64 {
    (u64::from(v0) << 32) | u64::from(v1)
}

fn tea_encrypt_block(block: u64, k: &[u32; 4]) -> u64 {
    let (mut v0, mut v1) = split(block);
    let mut sum: u32 = 0;
    for _ in 0..ROUNDS {
        sum = sum.wrapping_add(DELTA);
        v0 = v0.wrapping_add(
            (v1 << 4).wrapping_add(k[0]) ^ v1.wrapping_add(sum) ^ (v1 >> 5).wrapping_add(k[1]),
        );
        v1 = v1.wrapping_add(
            (v0 << 4).wrapping_add(k[2]) ^ v0.wrapping_add(sum) ^ (v0 >> 5).wrapping_add(k[3]),
        );
    }
    join(v0, v1)
}

fn tea_decrypt_block(block: u64, k: &[u32; 4]) -> u64 {
    let (mut v0, mut v1) = split(block);
    let mut sum: u32 = DELTA.wrapping_mul(ROUNDS);
    for _ in 0..ROUNDS {
        v1 = v1.wrapping_sub(
            (v0 << 4).wrapping_add(k[2]) ^ v0.wrapping_add(sum) ^ (v0 >> 5).wrapping_add(k[3]),
        );
        v0 = v0.wrapping_sub(
            (v1 << 4).wrapping_add(k[0]) ^ v1.wrapping_add(sum) ^ (v1 >> 5).wrapping_add(k[1]),
        );
        sum = sum.wrapping_sub(DELTA);
    }
    join(v0, v1)
}

fn random_byte(rng: &mut impl RngCore) -> u8 {
    let mut b = [0u8; 1];
    rng.fill_bytes(&mut b);
    b[0]
}

/// Encrypts `plain` with `key`. Random bytes are drawn from `rng` in the order of the
/// original JS: the header byte, then `n` fill bytes, then 2 salt bytes.
pub fn encrypt(plain: &[u8], key: &[u8; 16], rng: &mut impl RngCore) -> Vec<u8> {
    // Protocol §3.5.3: `n = (len(plain) + 10) % 8; if n != 0 { n = 8 - n }`.
    let mut n = (plain.len() + 10) % 8;
    if n != 0 {
        n = 8 - n;
    }
    let mut stream = Vec::with_capacity(1 + n + 2 + plain.len() + ZERO_TAIL);
    stream.push((random_byte(rng) & 0xF8) | n as u8);
    for _ in 0..n + 2 {
        stream.push(random_byte(rng));
    }
    stream.extend_from_slice(plain);
    stream.extend_from_slice(&[0; ZERO_TAIL]);
    debug_assert_eq!(stream.len() % 8, 0);

    let k = key_words(key);
    let (mut prev_c, mut prev_x) = (0u64, 0u64);
    let mut out = Vec::with_capacity(stream.len());
    for chunk in stream.chunks_exact(8) {
        let p = u64::from_be_bytes(chunk.try_into().unwrap_or([0; 8]));
        let x = p ^ prev_c;
        let c = tea_encrypt_block(x, &k) ^ prev_x;
        out.extend_from_slice(&c.to_be_bytes());
        prev_c = c;
        prev_x = x;
    }
    out
}

/// Why a QQ-TEA ciphertext was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeaError {
    /// The length is not a positive multiple of 8 bytes, or too short for header and tail.
    BadLength(usize),
    /// The decrypted header or zero tail is wrong: the key does not match.
    BadPadding,
}

impl std::fmt::Display for TeaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TeaError::BadLength(n) => {
                write!(f, "QQ-TEA ciphertext of {n} bytes is not a valid length")
            }
            TeaError::BadPadding => f.write_str("QQ-TEA padding check failed (wrong key)"),
        }
    }
}

impl std::error::Error for TeaError {}

/// Decrypts a QQ-TEA ciphertext (the emulator's side of protocol §3.5.3):
/// `Xᵢ = TEA_dec(Cᵢ ⊕ Xᵢ₋₁)`, `Pᵢ = Xᵢ ⊕ Cᵢ₋₁`; strips the header and checks the zero tail.
pub fn decrypt(cipher: &[u8], key: &[u8; 16]) -> Result<Vec<u8>, TeaError> {
    if cipher.is_empty() || cipher.len() % 8 != 0 || cipher.len() < 16 {
        return Err(TeaError::BadLength(cipher.len()));
    }
    let k = key_words(key);
    let (mut prev_c, mut prev_x) = (0u64, 0u64);
    let mut stream = Vec::with_capacity(cipher.len());
    for chunk in cipher.chunks_exact(8) {
        let c = u64::from_be_bytes(chunk.try_into().unwrap_or([0; 8]));
        let x = tea_decrypt_block(c ^ prev_x, &k);
        stream.extend_from_slice(&(x ^ prev_c).to_be_bytes());
        prev_c = c;
        prev_x = x;
    }
    let head = 1 + usize::from(stream[0] & 7) + 2;
    if head + ZERO_TAIL > stream.len() {
        return Err(TeaError::BadPadding);
    }
    let (body, tail) = stream.split_at(stream.len() - ZERO_TAIL);
    if tail.iter().any(|&b| b != 0) {
        return Err(TeaError::BadPadding);
    }
    Ok(body[head..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    #[test]
    fn round_trips_every_length() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let key = *b"0123456789abcdef";
        for len in 0..40 {
            let plain: Vec<u8> = (0..len as u8).collect();
            let c = encrypt(&plain, &key, &mut rng);
            assert_eq!(c.len() % 8, 0);
            assert_eq!(decrypt(&c, &key).unwrap(), plain, "len {len}");
        }
    }

    #[test]
    fn wrong_key_is_refused_not_garbage() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let c = encrypt(
            b"hello world, this is long enough",
            b"0123456789abcdef",
            &mut rng,
        );
        assert_eq!(decrypt(&c, b"fedcba9876543210"), Err(TeaError::BadPadding));
        assert_eq!(
            decrypt(&c[..7], b"0123456789abcdef"),
            Err(TeaError::BadLength(7))
        );
    }
}
