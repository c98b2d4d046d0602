//! The `p` parameter of `/login`: password schemes A, B and C (protocol §3.5).
//!
//! All three start from `md5raw(password)` (protocol §3.5.2: "the scheme starts from `h1`"),
//! so the account keeps only that digest, in [`PasswordMd5`], whose `Debug` is redacted.

use std::fmt;

use base64::Engine as _;
use md5::{Digest, Md5};
use num_bigint::BigUint;
use rand_core::RngCore;

use super::qqtea;

/// The ptlogin RSA public key modulus, 1024 bits, exponent 3 (protocol §3.5.3).
const RSA_MODULUS_HEX: &str = "F20CE00BAE5361F8FA3AE9CEFA495362FF7DA1BA628F64A347F0A8C012BF0B254A30CD92ABFFE7A6EE0DC424CB6166F8819EFA5BCCB20EDFB4AD02E412CCF579B1CA711D55B8B0B3AEB60153D5E0693A2A86F3167D7847A0CB8B00004716A9095D9BADC977CBB804DBDCBA6029A9710869A453F27DFDDF83C016D928B3CBF4C7";
const RSA_EXPONENT: u32 = 3;
/// The RSA block length in bytes (1024-bit modulus).
const RSA_BLOCK_LEN: usize = 128;
/// Draws of a PKCS#1 padding byte before giving up on a non-zero value (an RNG that keeps
/// answering zero must not hang the core).
const MAX_NONZERO_DRAWS: usize = 16;

/// `md5raw(password)`: everything a scheme needs. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordMd5([u8; 16]);

impl PasswordMd5 {
    /// Hashes a clear-text password.
    pub fn from_password(password: &str) -> Self {
        PasswordMd5(md5(password.as_bytes()))
    }

    /// Takes a stored hex MD5 digest (32 hex digits, any case); `None` if it is not one.
    pub fn from_md5_hex(hex: &str) -> Option<Self> {
        let bytes = decode_hex(hex)?;
        Some(PasswordMd5(bytes.try_into().ok()?))
    }

    /// The digest bytes.
    pub fn digest(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for PasswordMd5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordMd5(<redacted>)")
    }
}

/// Which `p` encoding the login page of an era used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PasswordScheme {
    /// Scheme A, triple MD5 (protocol §3.5.1; \[W-early\], 2-field `ptui_checkVC`).
    TripleMd5,
    /// Scheme B, salted MD5 (protocol §3.5.2; \[W\] 2012–2014).
    SaltedMd5,
    /// Scheme C, RSA + QQ-TEA (protocol §3.5.3; 2015 on).
    RsaTea,
}

/// Computes `p` for `scheme`. `salt` is arg 3 of `ptui_checkVC` (ignored by scheme A);
/// `vc` is the verify code or typed captcha (upper-cased here); `rng` is drawn only by
/// scheme C.
pub fn encode_password(
    scheme: PasswordScheme,
    password: &PasswordMd5,
    salt: &[u8; 8],
    vc: &str,
    rng: &mut impl RngCore,
) -> String {
    match scheme {
        PasswordScheme::TripleMd5 => scheme_a(password, vc),
        PasswordScheme::SaltedMd5 => scheme_b(password, salt, vc),
        PasswordScheme::RsaTea => scheme_c(password, salt, vc, rng),
    }
}

fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Protocol §3.5.1: `p = HEX(md5raw(HEX(md5raw(md5raw(md5raw(password)))) + VC))`.
pub fn scheme_a(password: &PasswordMd5, vc: &str) -> String {
    let h3 = md5(&md5(password.digest()));
    let mut input = upper_hex(&h3).into_bytes();
    input.extend_from_slice(vc.to_ascii_uppercase().as_bytes());
    upper_hex(&md5(&input))
}

/// Protocol §3.5.2: `h2 = HEX(md5raw(h1 + salt))`, `p = HEX(md5raw(h2 + VC))`.
pub fn scheme_b(password: &PasswordMd5, salt: &[u8; 8], vc: &str) -> String {
    let mut input = upper_hex(&salted_key(password, salt)).into_bytes();
    input.extend_from_slice(vc.to_ascii_uppercase().as_bytes());
    upper_hex(&md5(&input))
}

/// `md5raw(h1 + salt)`: scheme B's inner hash and scheme C's TEA key.
fn salted_key(password: &PasswordMd5, salt: &[u8; 8]) -> [u8; 16] {
    let mut input = password.digest().to_vec();
    input.extend_from_slice(salt);
    md5(&input)
}

fn random_byte(rng: &mut impl RngCore) -> u8 {
    let mut b = [0u8; 1];
    rng.fill_bytes(&mut b);
    b[0]
}

/// RSA PKCS#1 v1.5 type 2 of `h1` with the ptlogin key, as lowercase hex the way the JS
/// BigInteger prints it: leading zero bytes vanish and one `0` is prefixed only when the
/// length is odd (protocol §3.5.3).
fn rsa_hex(h1: &[u8; 16], rng: &mut impl RngCore) -> String {
    let mut block = Vec::with_capacity(RSA_BLOCK_LEN);
    block.extend_from_slice(&[0x00, 0x02]);
    for _ in 0..RSA_BLOCK_LEN - 3 - h1.len() {
        let byte = (0..MAX_NONZERO_DRAWS)
            .map(|_| random_byte(rng))
            .find(|&b| b != 0)
            .unwrap_or(1);
        block.push(byte);
    }
    block.push(0);
    block.extend_from_slice(h1);
    let modulus = BigUint::parse_bytes(RSA_MODULUS_HEX.as_bytes(), 16).unwrap_or_default();
    let c = BigUint::from_bytes_be(&block).modpow(&BigUint::from(RSA_EXPONENT), &modulus);
    let mut hex = c.to_str_radix(16);
    if hex.len() % 2 == 1 {
        hex.insert(0, '0');
    }
    hex
}

/// The plaintext of scheme C before TEA, as hex (protocol §3.5.3):
/// `len16(rsa) | rsa | salt | len16(VC) | upper(VC)`.
fn scheme_c_plain_hex(rsa: &str, salt: &[u8; 8], vc: &str) -> String {
    let vc = vc.to_ascii_uppercase();
    let mut s = format!("{:04x}{rsa}", rsa.len() / 2);
    for b in salt {
        s.push_str(&format!("{b:02x}"));
    }
    s.push_str(&format!("{:04x}", vc.len()));
    for b in vc.bytes() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Base64 with ptlogin's URL-safe substitutions `/`→`-`, `+`→`*`, `=`→`_` (protocol §3.5.3).
fn ptlogin_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '/' => '-',
            '+' => '*',
            '=' => '_',
            c => c,
        })
        .collect()
}

fn ptlogin_base64_decode(s: &str) -> Option<Vec<u8>> {
    let standard: String = s
        .chars()
        .map(|c| match c {
            '-' => '/',
            '*' => '+',
            '_' => '=',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(standard)
        .ok()
}

/// Protocol §3.5.3, scheme C. Random bytes: first the 109 RSA padding bytes, then the
/// QQ-TEA header bytes, all from `rng`.
pub fn scheme_c(
    password: &PasswordMd5,
    salt: &[u8; 8],
    vc: &str,
    rng: &mut impl RngCore,
) -> String {
    let rsa = rsa_hex(password.digest(), rng);
    let plain = decode_hex(&scheme_c_plain_hex(&rsa, salt, vc)).unwrap_or_default();
    let key = salted_key(password, salt);
    ptlogin_base64(&qqtea::encrypt(&plain, &key, rng))
}

/// Why a scheme-C `p` did not verify (the emulator's check of protocol §3.5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheckError {
    /// Not ptlogin base64, or the TEA layer did not decrypt: a wrong password
    /// (the server answers `ptuiCB('3',…)`).
    WrongPassword,
    /// The plaintext is not `len | rsa | salt | len | vc`.
    Malformed,
    /// The embedded salt is not the one issued.
    SaltMismatch,
    /// The embedded verify code differs (case-insensitive): `ptuiCB('4',…)`.
    WrongVerifyCode,
}

impl PasswordCheckError {
    /// True when the password itself was wrong (as opposed to the captcha or the format).
    pub fn is_wrong_password(&self) -> bool {
        matches!(self, PasswordCheckError::WrongPassword)
    }

    /// True when only the verify code was wrong.
    pub fn is_wrong_verify_code(&self) -> bool {
        matches!(self, PasswordCheckError::WrongVerifyCode)
    }
}

impl fmt::Display for PasswordCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PasswordCheckError::WrongPassword => {
                "scheme C p: TEA layer does not decrypt (wrong password)"
            }
            PasswordCheckError::Malformed => "scheme C p: plaintext is not len|rsa|salt|len|vc",
            PasswordCheckError::SaltMismatch => "scheme C p: salt differs from the one issued",
            PasswordCheckError::WrongVerifyCode => "scheme C p: verify code differs",
        })
    }
}

impl std::error::Error for PasswordCheckError {}

/// Verifies a scheme-C `p` the way an emulator must (protocol §3.5.3 "Emulator
/// verification"): any RSA length prefix is accepted; salt and VC must match.
pub fn verify_scheme_c(
    p: &str,
    password: &PasswordMd5,
    salt: &[u8; 8],
    vc: &str,
) -> Result<(), PasswordCheckError> {
    let cipher = ptlogin_base64_decode(p).ok_or(PasswordCheckError::WrongPassword)?;
    let plain = qqtea::decrypt(&cipher, &salted_key(password, salt))
        .map_err(|_| PasswordCheckError::WrongPassword)?;
    let take_len = |at: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes([
            *plain.get(at)?,
            *plain.get(at + 1)?,
        ])))
    };
    let rsa_len = take_len(0).ok_or(PasswordCheckError::Malformed)?;
    let salt_at = 2 + rsa_len;
    let got_salt = plain
        .get(salt_at..salt_at + 8)
        .ok_or(PasswordCheckError::Malformed)?;
    let vc_len = take_len(salt_at + 8).ok_or(PasswordCheckError::Malformed)?;
    let vc_at = salt_at + 10;
    let got_vc = plain
        .get(vc_at..vc_at + vc_len)
        .ok_or(PasswordCheckError::Malformed)?;
    if vc_at + vc_len != plain.len() {
        return Err(PasswordCheckError::Malformed);
    }
    if got_salt != salt {
        return Err(PasswordCheckError::SaltMismatch);
    }
    if !got_vc.eq_ignore_ascii_case(vc.as_bytes()) {
        return Err(PasswordCheckError::WrongVerifyCode);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    const SALT_123456789: [u8; 8] = [0, 0, 0, 0, 0x07, 0x5b, 0xcd, 0x15];

    /// The RNG of §3.5.3's deterministic vector: the first 109 bytes (RSA padding) are
    /// `0x5A`, every later byte (TEA) is `0x78`.
    struct ScriptedRng {
        drawn: usize,
    }

    impl RngCore for ScriptedRng {
        fn next_u32(&mut self) -> u32 {
            let mut b = [0u8; 4];
            self.fill_bytes(&mut b);
            u32::from_le_bytes(b)
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.next_u32())
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            for b in dst {
                *b = if self.drawn < 109 { 0x5A } else { 0x78 };
                self.drawn += 1;
            }
        }
    }

    #[test]
    fn scheme_a_matches_section_3_5_1_vector() {
        let pw = PasswordMd5::from_password("password");
        assert_eq!(
            upper_hex(&md5(&md5(pw.digest()))),
            "89792A37233E3116D2C373CFAF34EE33"
        );
        assert_eq!(scheme_a(&pw, "!ABC"), "56B8A475DD3DCD878092C369CBB866F6");
    }

    #[test]
    fn scheme_b_matches_section_3_5_2_vector() {
        let pw = PasswordMd5::from_password("password");
        assert_eq!(
            scheme_b(&pw, &SALT_123456789, "!ABC"),
            "D99655066462DD9DCB074A56C4B0D4E4"
        );
        // The typed code is upper-cased when hashed (protocol §3.4).
        assert_eq!(
            scheme_b(&pw, &SALT_123456789, "!abc"),
            "D99655066462DD9DCB074A56C4B0D4E4"
        );
    }

    #[test]
    fn scheme_c_matches_section_3_5_3_vector() {
        let pw = PasswordMd5::from_password("password");
        assert_eq!(
            upper_hex(&salted_key(&pw, &SALT_123456789)),
            "3D4AA0E2ED8DBF4A92006503B6C5144E"
        );
        let rsa = rsa_hex(pw.digest(), &mut ScriptedRng { drawn: 0 });
        assert_eq!(
            rsa,
            "3f735972f45b5f307bd00f7265bfeb2df8c717e66ebc06e12613260186f676d25b63e68d1d4756047b070a2002bd3a3f3ad95e48196e748af63692d77b0c096a92aede3aa36c2a551bac324eedd6c1bec2360574158be135fa5ea99827e93ccd6552e5fd2703fb6867d097ffd21921a18f9a85608ed2e1baabeafbb53bd12a02"
        );
        assert!(
            scheme_c_plain_hex(&rsa, &SALT_123456789, "!ABC")
                .ends_with("3bd12a0200000000075bcd15000421414243")
        );
        let p = scheme_c(&pw, &SALT_123456789, "!ABC", &mut ScriptedRng { drawn: 0 });
        assert_eq!(
            p,
            "xRS7ab-t8IMFgl6dz56L39v4Cizjj*owh74FkHuz9CMJXDBs7jO0umO7Xc6Bm-8sGuUkGUoup8AMxEiqr1VLHyB55jGo0p4OVGe7RvgR7zDmqe8Atud5JGIBkPo7LzTi2qYOlmK3pMkrRy8GX2raQ2zw4gT5IECN7jNgF6Um62GUnEflF840c2Nf1XPphGKYUIBR-JqaECVOxr2ZWtH3aQ__"
        );
        let p = scheme_c(&pw, &SALT_123456789, "abcd", &mut ScriptedRng { drawn: 0 });
        assert_eq!(p.len(), 216);
        assert!(
            p.ends_with("F840c2Nf1XPphGKYdPUQYjpKfY-UdNnTJTdbHg__"),
            "{p}"
        );
    }

    #[test]
    fn scheme_c_verifies_and_tells_what_was_wrong() {
        let pw = PasswordMd5::from_password("password");
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let p = encode_password(
            PasswordScheme::RsaTea,
            &pw,
            &SALT_123456789,
            "!xyz",
            &mut rng,
        );
        assert_eq!(verify_scheme_c(&p, &pw, &SALT_123456789, "!XYZ"), Ok(()));
        let wrong = PasswordMd5::from_password("passw0rd");
        assert!(
            verify_scheme_c(&p, &wrong, &SALT_123456789, "!XYZ")
                .unwrap_err()
                .is_wrong_password()
        );
        assert!(
            verify_scheme_c(&p, &pw, &SALT_123456789, "!XYQ")
                .unwrap_err()
                .is_wrong_verify_code()
        );
        assert_eq!(
            verify_scheme_c(&p, &pw, &[9; 8], "!XYZ"),
            Err(PasswordCheckError::WrongPassword),
            "a different salt gives a different TEA key"
        );
        assert_eq!(
            verify_scheme_c("!!not base64", &pw, &SALT_123456789, "!XYZ"),
            Err(PasswordCheckError::WrongPassword)
        );
    }

    #[test]
    fn md5_hex_import_and_redacted_debug() {
        let pw = PasswordMd5::from_password("password");
        let hex = "5f4dcc3b5aa765d61d8327deb882cf99";
        assert_eq!(PasswordMd5::from_md5_hex(hex), Some(pw.clone()));
        assert_eq!(PasswordMd5::from_md5_hex("5f4d"), None);
        assert_eq!(PasswordMd5::from_md5_hex("zz"), None);
        assert!(!format!("{pw:?}").contains("5f4d"));
    }
}
