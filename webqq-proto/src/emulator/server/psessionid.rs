//! The psessionid: lowercase hex of an Erlang external term (protocol §2.1):
//! `{Pid, Uin, Skey, Vfwebqq}` with the pid's node `connserver_webqq@10.x.y.z`.

/// Erlang external term format version byte.
const VERSION: u8 = 0x83;
/// SMALL_TUPLE_EXT.
const SMALL_TUPLE: u8 = 0x68;
/// PID_EXT.
const PID: u8 = 0x67;
/// ATOM_EXT (2-byte length).
const ATOM: u8 = 0x64;
/// INTEGER_EXT (i32 big-endian).
const INTEGER: u8 = 0x62;
/// SMALL_BIG_EXT.
const SMALL_BIG: u8 = 0x6e;
/// BINARY_EXT.
const BINARY: u8 = 0x6d;
/// Uins below this are INTEGER_EXT, above SMALL_BIG_EXT (protocol §2.1: "used when uin < 2^27").
const SMALL_INT_LIMIT: u64 = 1 << 27;

/// The parts of a psessionid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PsessionParts<'a> {
    /// Connection-server node, e.g. `connserver_webqq@10.133.41.84`.
    pub node: &'a str,
    /// Pid id, serial, creation.
    pub pid: (u32, u32, u8),
    /// The own uin (QQ number).
    pub uin: u64,
    /// The skey cookie.
    pub skey: &'a str,
    /// The vfwebqq, as its 80 hex characters (40 raw bytes).
    pub vfwebqq_hex: &'a str,
}

/// Encodes a psessionid per protocol §2.1.
pub(crate) fn encode(p: &PsessionParts<'_>) -> String {
    let mut out = vec![VERSION, SMALL_TUPLE, 4, PID, ATOM];
    out.extend_from_slice(&(p.node.len() as u16).to_be_bytes());
    out.extend_from_slice(p.node.as_bytes());
    out.extend_from_slice(&p.pid.0.to_be_bytes());
    out.extend_from_slice(&p.pid.1.to_be_bytes());
    out.push(p.pid.2);
    if p.uin < SMALL_INT_LIMIT {
        out.push(INTEGER);
        out.extend_from_slice(&(p.uin as u32).to_be_bytes());
    } else {
        out.extend_from_slice(&[SMALL_BIG, 4, 0]);
        out.extend_from_slice(&(p.uin as u32).to_le_bytes());
    }
    out.push(BINARY);
    out.extend_from_slice(&(p.skey.len() as u32).to_be_bytes());
    out.extend_from_slice(p.skey.as_bytes());
    let vf = decode_hex(p.vfwebqq_hex);
    out.push(BINARY);
    out.extend_from_slice(&(vf.len() as u32).to_be_bytes());
    out.extend_from_slice(&vf);
    crate::emulator::rng::hex_lower(&out)
}

fn decode_hex(s: &str) -> Vec<u8> {
    s.as_bytes()
        .chunks(2)
        .filter_map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_captured_psessionids_of_protocol_2_1() {
        // webqq-captures.md #19, first login2 reply (uin 1421032531 ≥ 2^27: SMALL_BIG_EXT).
        let vf = "e7ce7913336ad0d28de9cdb9b46a57e4a6127161e35b87d09486001870226ec1fca4c2ba31c025c7";
        let got = encode(&PsessionParts {
            node: "connserver_webqq@10.133.41.202",
            pid: (0x6b29, 0x1544, 1),
            uin: 1421032531,
            skey: "@FgMFRXQ6I",
            vfwebqq_hex: vf,
        });
        assert_eq!(
            got,
            "8368046764001e636f6e6e7365727665725f77656271714031302e3133332e34312e32303200006b2900001544016e0400533cb3546d0000000a4046674d4652585136496d00000028e7ce7913336ad0d28de9cdb9b46a57e4a6127161e35b87d09486001870226ec1fca4c2ba31c025c7"
        );
        assert!(
            got.ends_with(vf),
            "the last 80 hex characters are the vfwebqq"
        );
    }

    #[test]
    fn small_uins_use_integer_ext() {
        let got = encode(&PsessionParts {
            node: "connserver_webqq@10.133.41.84",
            pid: (1, 2, 3),
            uin: 34836589,
            skey: "@qfIlnYon0",
            vfwebqq_hex: "00",
        });
        assert!(
            got.starts_with("8368046764001d636f6e6e7365727665725f776562717140"),
            "prefix of protocol §2.1"
        );
        assert!(
            got.contains("620213906d6d0000000a"),
            "INTEGER_EXT uin then the skey binary"
        );
    }
}
