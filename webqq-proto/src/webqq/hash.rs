//! The list hash of `get_user_friends2` / `get_group_name_list_mask2` in its four historical
//! variants, and the small string hashes of ptlogin (protocol §4).
//!
//! Every function is total: any `uin` and any `ptwebqq` (even empty, which the 2018 servers saw,
//! protocol §4.8) give a result, and none can loop forever or panic.

use std::fmt::Write as _;

/// Which list-hash function the server accepts (protocol §4.7: Tencent switched several times).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListHash {
    /// The oldest one, from `eqq.all.js` (protocol §4.2; `lwqq` hashN). 8 hex chars.
    Digits,
    /// `ptwebqq + "password error"` XOR the repeated uin (protocol §4.3; `lwqq` hashO).
    PwErr,
    /// XOR folding of ptwebqq interleaved with `uin ^ "ECOK"` (protocol §4.4; `lwqq` hashP),
    /// the one of the official SmartQQ script.
    EcOk,
    /// Counters of an instrumented quicksort of ptwebqq (protocol §4.5; `lwqq` hashQ).
    QSort,
}

impl ListHash {
    /// Every variant, in the order a client that does not know the era would try them
    /// (newest-lived first; `lwqq` tries all four until the server stops answering 50).
    pub const ALL: [ListHash; 4] = [
        ListHash::EcOk,
        ListHash::PwErr,
        ListHash::QSort,
        ListHash::Digits,
    ];

    /// The hash of `uin` (the own QQ number from login2) and the current `ptwebqq` cookie.
    pub fn compute(self, uin: u64, ptwebqq: &str) -> String {
        match self {
            ListHash::Digits => hash_digits(uin, ptwebqq),
            ListHash::PwErr => hash_pwerr(uin, ptwebqq),
            ListHash::EcOk => hash_ecok(uin, ptwebqq),
            ListHash::QSort => hash_qsort(uin, ptwebqq),
        }
    }
}

fn upper_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// Protocol §4.2. "Implement `E(i) = 0` for `i >= L` to match the browser": the JS reads
/// past the end of the string and `NaN | x` is `x`.
pub fn hash_digits(uin: u64, ptwebqq: &str) -> String {
    let e = ptwebqq.as_bytes();
    let len = e.len();
    let byte_at = |i: usize| u32::from(e.get(i).copied().unwrap_or(0));
    let mut k: u32 = 0xFFFF_FFFF;
    if len == 0 {
        return upper_hex(&k.to_be_bytes());
    }
    let mut b = 0usize;
    for d in uin.to_string().bytes().map(|c| usize::from(c - b'0')) {
        b = (b + d) % len;
        let mut f: u32 = 0;
        if b + 4 > len {
            let g = 4 + b - len;
            for h in 0..4 {
                let v = if h < g {
                    byte_at(b + h)
                } else {
                    byte_at(h - g)
                };
                f |= v << (8 * (3 - h));
            }
        } else {
            for h in 0..4 {
                f |= byte_at(b + h) << (8 * (3 - h));
            }
        }
        k ^= f;
    }
    upper_hex(&k.to_be_bytes())
}

/// Protocol §4.3: `a = ptwebqq + "password error"`, `s` = uin repeated to `len(a)`,
/// result = HEX(s XOR a).
pub fn hash_pwerr(uin: u64, ptwebqq: &str) -> String {
    let a: Vec<u8> = ptwebqq.bytes().chain(*b"password error").collect();
    let uin_digits = uin.to_string();
    let out: Vec<u8> = a
        .iter()
        .zip(uin_digits.bytes().cycle())
        .map(|(x, s)| x ^ s)
        .collect();
    upper_hex(&out)
}

/// Protocol §4.4: `a[i % 4] ^= ch`; `d = uin bytes ^ "ECOK"`; interleave `a0 d0 a1 d1 …`.
pub fn hash_ecok(uin: u64, ptwebqq: &str) -> String {
    let mut a = [0u8; 4];
    for (i, ch) in ptwebqq.bytes().enumerate() {
        a[i % 4] ^= ch;
    }
    // Only `& 0xFF` of each shift is used, so the low 32 bits are all that matter (§4.4).
    let n = (uin & 0xFFFF_FFFF) as u32;
    let d = n.to_be_bytes();
    let ecok = *b"ECOK";
    let mut out = [0u8; 8];
    for i in 0..4 {
        out[2 * i] = a[i];
        out[2 * i + 1] = d[i] ^ ecok[i];
    }
    upper_hex(&out)
}

/// Protocol §4.5: the four counters of an iterative quicksort over the ptwebqq bytes,
/// seeded with the uin's bytes. `r[3]` is `r0 ^ r1 ^ r2 ^ (r3 + 1)` (JS precedence).
pub fn hash_qsort(uin: u64, ptwebqq: &str) -> String {
    let n = (uin & 0xFFFF_FFFF) as u32;
    let mut r = n.to_be_bytes();
    let mut j: Vec<u8> = ptwebqq.bytes().collect();
    if j.is_empty() {
        return upper_hex(&r);
    }
    // Each popped range pushes two strictly smaller ones, so the stack holds at most
    // about 2·len entries and the loop terminates.
    let mut stack: Vec<(isize, isize)> = vec![(0, j.len() as isize - 1)];
    while let Some((mut s, mut e)) = stack.pop() {
        if s >= e || s < 0 || e >= j.len() as isize {
            continue;
        }
        if s + 1 == e {
            if j[s as usize] > j[e as usize] {
                j.swap(s as usize, e as usize);
            }
            continue;
        }
        let (l, big_j, f) = (s, e, j[s as usize]);
        while s < e {
            while s < e && j[e as usize] >= f {
                e -= 1;
                r[0] = r[0].wrapping_add(3);
            }
            if s < e {
                j[s as usize] = j[e as usize];
                s += 1;
                r[1] = r[1].wrapping_mul(13).wrapping_add(43);
            }
            while s < e && j[s as usize] <= f {
                s += 1;
                r[2] = r[2].wrapping_sub(3);
            }
            if s < e {
                j[e as usize] = j[s as usize];
                e -= 1;
                r[3] = r[0] ^ r[1] ^ r[2] ^ r[3].wrapping_add(1);
            }
        }
        j[s as usize] = f;
        stack.push((l, s - 1));
        stack.push((s + 1, big_j));
    }
    upper_hex(&r)
}

/// JS `charCodeAt` walks UTF-16 code units; the inputs are ASCII cookies in practice.
fn times33(init: u32, s: &str) -> u32 {
    s.encode_utf16()
        .fold(init, |e, c| e.wrapping_mul(33).wrapping_add(u32::from(c)))
}

/// ptlogin `hash33` (protocol §4.6): `e = 0; e = e*33 + c (mod 2³²)`, then `& 0x7FFFFFFF`.
/// `ptqrtoken = hash33(qrsig)`.
pub fn hash33(s: &str) -> u32 {
    times33(0, s) & 0x7FFF_FFFF
}

/// `bkn` / `g_tk` (protocol §4.6): like [`hash33`] but starting at 5381; input is `skey`.
pub fn bkn(skey: &str) -> u32 {
    times33(5381, skey) & 0x7FFF_FFFF
}

/// `time33` (protocol §4.6): `e = e*33 + c (mod 2³²)` with no final mask;
/// `pt4_auth?auth_token=time33(supertoken)`, logout `pt4_hkey=time33(skey)`.
pub fn time33(s: &str) -> u32 {
    times33(0, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Protocol §4.8, the real request of pidgin-lwqq issue #341 plus the computed rows.
    const LWQQ_PTWEBQQ: &str = "598b31cd002c96d5e34a74f23b2e4b097462e718f80d6c82cefff275457e1d5e";
    const ROW1_PTWEBQQ: &str = "636683b80e7b0b46e26cc6b07c33432a4ab692e52f96e105d4d06fabd0735986";
    const ROW2_PTWEBQQ: &str = "a4ec01b0b6b4f5ff9f35c6df5d4a6ba0b1c1e1bd6f3d6d8e0a9a8e0d1c1c1c1c";

    #[test]
    fn list_hashes_match_section_4_8_vectors() {
        // (uin, ptwebqq, DIGITS, ECOK, QSORT)
        let rows = [
            (
                34836589,
                LWQQ_PTWEBQQ,
                "A6A9AAFF",
                "5847575001DF5026",
                "9F7C5581",
            ),
            (
                2769546520,
                ROW1_PTWEBQQ,
                "AFABA5F8",
                "52E00C5006A20C53",
                "822BA632",
            ),
            (
                123456789,
                ROW2_PTWEBQQ,
                "CF98CFCC",
                "034256180282525E",
                "2664BF23",
            ),
        ];
        for (uin, pt, digits, ecok, qsort) in rows {
            assert_eq!(ListHash::Digits.compute(uin, pt), digits, "DIGITS {uin}");
            assert_eq!(ListHash::EcOk.compute(uin, pt), ecok, "ECOK {uin}");
            assert_eq!(ListHash::QSort.compute(uin, pt), qsort, "QSORT {uin}");
        }
    }

    #[test]
    fn pwerr_matches_real_lwqq_request_and_vectors() {
        let rows = [
            (
                34836589,
                LWQQ_PTWEBQQ,
                "060D005105045B5D03040A500F035C0C56070C5201015E0B00560A560257080004000E0153020901550C08570056000B50515E5550070F0C07010F5607510D5C43554B40415A4A5D13514A415947",
            ),
            (
                2769546520,
                ROW1_PTWEBQQ,
                "0404000F0D07540D02550555065B010253070453510154090257050606030056025857020F07570500510F0F5005060056045607005F545652050503070E0E0F45554546455F4053165C47465947",
            ),
            (
                123456789,
                ROW2_PTWEBQQ,
                "50065657050755085B07500752005051015F020750025150025C0D500451550554065B08540351500350045C0F550A5604540F56005C015602570455065B08524252474641584A5D115741465A44",
            ),
        ];
        for (uin, pt, want) in rows {
            assert_eq!(ListHash::PwErr.compute(uin, pt), want, "PWERR {uin}");
            assert_eq!(want.len(), 156);
        }
    }

    #[test]
    fn ecok_of_empty_ptwebqq_matches_2018_mojo_request() {
        // Protocol §4.8: `005400D20047003E` = ECOK(294717557, "").
        assert_eq!(hash_ecok(294717557, ""), "005400D20047003E");
    }

    #[test]
    fn small_hashes_match_section_4_8_vectors() {
        assert_eq!(
            hash33("hJ9GvNx*oIvLjP5I5dQ19KPa3zwxNI62eALLO*g2JLbKPYsZIRsnbJIxNe74NzQQ"),
            1178303247
        );
        assert_eq!(bkn("@SoxMZ1bd4"), 1016657201);
        assert_eq!(time33("@SoxMZ1bd4"), 116069868);
    }

    #[test]
    fn every_variant_is_total_on_odd_inputs() {
        for v in ListHash::ALL {
            for pt in ["", "a", "ab", "abc", "zzzzzzzzzzzzzzzzzzzzzzzzzzz"] {
                for uin in [0, 1, 10, u64::MAX] {
                    assert!(!v.compute(uin, pt).is_empty());
                }
            }
        }
    }
}
