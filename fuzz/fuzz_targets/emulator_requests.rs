//! Fuzzes the whole emulator (webqq-proto feature `emulator`) with arbitrary client bytes on
//! several connections, time passing in between, and its request parser alone.
//!
//! Input: byte 0 picks the profile, byte 1 the config (seed, strict switches, chatter), byte 2
//! a split point; then a script of operations on four connection slots until the input ends:
//! `0 k` accept, `1 k len_lo len_hi bytes…` data, `2 k` EOF, `3 n` time passes (n × 250 ms),
//! `4` time jumps to the emulator's deadline.
//!
//! Invariants:
//! - writes and closes only for accepted, open connections, each closed at most once;
//! - what the emulator wrote on a connection decodes, with the client's own response decoder
//!   (`http1::codec`), as whole responses, one per request at most (+1 for a refusal), with
//!   nothing after a response that ends the connection;
//! - the request parser gives the same requests and error however the bytes are split (as fed,
//!   all at once, or cut at byte 2's point);
//! - after every connection ended, no connection is left.
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Version};
use libfuzzer_sys::fuzz_target;
use webqq_fuzz::Script;
use webqq_proto::emulator::http::{RequestError, RequestParser};
use webqq_proto::emulator::{ConnId, Emulator, EmulatorConfig, Input, Output, Profile, Strictness};
use webqq_proto::http1::codec::{DecoderConfig, decode_all};

const PROFILES: [Profile; 5] = [
    Profile::W2013,
    Profile::W2014,
    Profile::S2015,
    Profile::S2016,
    Profile::S2018,
];
const SLOTS: usize = 4;
/// Outputs of one input beyond which the emulator is producing without bound.
const MAX_OUTPUTS_PER_INPUT: usize = 100_000;

/// One client connection as the fuzzer sees it.
#[derive(Default)]
struct Conn {
    /// Client bytes, in the pieces they were fed.
    pieces: Vec<Vec<u8>>,
    /// Bytes the emulator wrote.
    written: Vec<u8>,
    /// The client sent EOF.
    client_done: bool,
    /// The emulator closed it.
    closed: bool,
}

type Parsed = (Method, String, String, Version, HeaderMap, Bytes);

/// Every request in `pieces`, then the error that stopped the parser (EOF included).
fn parse_all<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    eof: bool,
) -> (Vec<Parsed>, Option<RequestError>) {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(r)) => out.push((r.method, r.path, r.query, r.version, r.headers, r.body)),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    let error = if eof { parser.eof(&buf).err() } else { None };
    (out, error)
}

struct Driver {
    /// `FUZZ_TRACE=1` prints every input and output (to read a crash's replay).
    trace: bool,
    emu: Emulator,
    now: Instant,
    deadline: Instant,
    next_id: u64,
    slots: [Option<ConnId>; SLOTS],
    conns: HashMap<ConnId, Conn>,
}

impl Driver {
    fn input(&mut self, input: Input) {
        if self.trace {
            eprintln!("-> {input:?}");
        }
        self.emu.handle_input(self.now, input);
        for _ in 0..MAX_OUTPUTS_PER_INPUT {
            let output = self.emu.poll_output();
            if self.trace {
                eprintln!("  <- {output:?}");
            }
            match output {
                Output::Write { conn, bytes } => {
                    let c = self
                        .conns
                        .get_mut(&conn)
                        .expect("write to an unknown connection");
                    assert!(!c.closed, "write after close on {conn:?}");
                    c.written.extend_from_slice(&bytes);
                }
                Output::Close { conn } => {
                    let c = self
                        .conns
                        .get_mut(&conn)
                        .expect("close of an unknown connection");
                    assert!(!c.closed, "{conn:?} closed twice");
                    c.closed = true;
                }
                Output::Event(_) => {}
                Output::Timeout(at) => {
                    self.deadline = at;
                    let open = self.conns.values().filter(|c| !c.closed && !c.client_done);
                    assert!(self.emu.connection_count() <= open.count());
                    return;
                }
            }
        }
        panic!("outputs without bound");
    }

    fn step(&mut self, script: &mut Script<'_>) {
        let op = script.byte() % 5;
        let slot = usize::from(script.byte()) % SLOTS;
        match op {
            0 => {
                if self.slots[slot].is_some_and(|c| !self.conns[&c].closed) {
                    return;
                }
                self.next_id += 1;
                let conn = ConnId(self.next_id);
                self.slots[slot] = Some(conn);
                self.conns.insert(conn, Conn::default());
                self.input(Input::Accepted { conn });
            }
            1 => {
                let bytes = script.body();
                let Some(conn) = self.slots[slot] else { return };
                let c = self.conns.get_mut(&conn).unwrap();
                if c.closed || c.client_done {
                    return;
                }
                c.pieces.push(bytes.to_vec());
                self.input(Input::Data {
                    conn,
                    bytes: Bytes::copy_from_slice(bytes),
                });
            }
            2 => {
                let Some(conn) = self.slots[slot].take() else {
                    return;
                };
                let c = self.conns.get_mut(&conn).unwrap();
                if c.closed || c.client_done {
                    return;
                }
                c.client_done = true;
                self.input(Input::Eof { conn });
            }
            3 => {
                self.now += Duration::from_millis(250) * u32::from(script.byte());
                self.input(Input::Time);
            }
            _ => {
                self.now = self.now.max(self.deadline);
                self.input(Input::Time);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut script = Script(data);
    let (profile, config, cut) = (script.byte(), script.byte(), script.byte());
    let profile = PROFILES[usize::from(profile) % PROFILES.len()];
    let mut cfg = EmulatorConfig::demo(profile);
    cfg.seed = u64::from(config >> 2);
    if config & 1 != 0 {
        cfg.strictness = Strictness::strict(profile);
    }
    if config & 2 == 0 {
        cfg.world.chatter_interval_ms = 0;
    }
    let now = Instant::now();
    let mut d = Driver {
        trace: std::env::var_os("FUZZ_TRACE").is_some(),
        emu: Emulator::new(cfg, now).expect("the demo world is valid"),
        now,
        deadline: now,
        next_id: 0,
        slots: [None; SLOTS],
        conns: HashMap::new(),
    };
    let mut steps = 0;
    while !script.is_empty() && steps < 1_000 {
        d.step(&mut script);
        steps += 1;
    }
    for slot in 0..SLOTS {
        if let Some(conn) = d.slots[slot].take()
            && !d.conns[&conn].closed
        {
            d.conns.get_mut(&conn).unwrap().client_done = true;
            d.input(Input::Eof { conn });
        }
    }
    d.now += Duration::from_secs(3600);
    d.input(Input::Time);
    assert_eq!(
        d.emu.connection_count(),
        0,
        "connections left after every one ended"
    );

    for (id, c) in &d.conns {
        // The parser alone: the same requests and error in every split.
        let as_fed = parse_all(c.pieces.iter().map(Vec::as_slice), true);
        let all: Vec<u8> = c.pieces.concat();
        let at = usize::from(cut) * all.len() / 255;
        assert_eq!(
            parse_all([&all[..]], true),
            as_fed,
            "{id:?}: whole vs as fed"
        );
        assert_eq!(
            parse_all([&all[..at], &all[at..]], true),
            as_fed,
            "{id:?}: cut at {at} vs as fed"
        );

        // What the emulator wrote: whole responses, read by the client's decoder.
        let (requests, error) = as_fed;
        // A refusal is answered like a GET (a body follows its head).
        let methods: Vec<Method> = requests
            .iter()
            .map(|r| r.0.clone())
            .chain([Method::GET])
            .collect();
        // A `100 Continue` may be the last thing written when the client ended the connection
        // in the middle of that request's body: no final response is owed then.
        let cut_short = error.as_ref().is_some_and(RequestError::is_incomplete);
        let written = match c.written.strip_suffix(b"HTTP/1.1 100 Continue\r\n\r\n") {
            Some(before) if cut_short => before,
            _ => &c.written[..],
        };
        let decoded = decode_all(DecoderConfig::default(), &methods, [written], true);
        assert_eq!(
            decoded.error, None,
            "{id:?}: the emulator wrote an undecodable response"
        );
        assert!(
            decoded.rest.is_empty(),
            "{id:?}: bytes after a closing response"
        );
        let most = requests.len() + usize::from(error.is_some());
        assert!(
            decoded.messages.len() <= most,
            "{id:?}: {} responses to {} requests",
            decoded.messages.len(),
            requests.len()
        );
    }
});
