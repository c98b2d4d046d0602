//! The emulator as a simulation server side (cargo feature `emulator`).
use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use webqq_proto::emulator::{self, Emulator};
use webqq_proto::http1::ConnId;

use super::{PollAnswer, Server, ServerOut};

/// The bot's account in the demo world.
pub const BOT: u64 = 10001;

/// The emulator as a simulation server side; the "phone" confirms QR codes as they are
/// shown, and the captcha answers are kept for the "user".
pub struct EmuServer {
    /// The emulator.
    pub emu: Emulator,
    /// The answer of the last captcha image served.
    pub captcha: Option<String>,
    /// Every poll answer with events the emulator wrote, from its `PollAnswered` events.
    pub answers: Vec<PollAnswer>,
    /// Bytes written per connection so far.
    written: HashMap<u64, u64>,
    /// A `PollAnswered` waiting for the write it announces.
    announced: HashMap<u64, (Vec<String>, bool)>,
}

impl EmuServer {
    /// Wraps an emulator.
    pub fn new(emu: Emulator) -> Self {
        EmuServer {
            emu,
            captcha: None,
            answers: Vec::new(),
            written: HashMap::new(),
            announced: HashMap::new(),
        }
    }
}

impl Server for EmuServer {
    fn accepted(&mut self, now: Instant, conn: u64) {
        let conn = emulator::ConnId(conn);
        self.emu
            .handle_input(now, emulator::Input::Accepted { conn });
    }
    fn data(&mut self, now: Instant, conn: u64, bytes: &[u8]) {
        let conn = emulator::ConnId(conn);
        let bytes = Bytes::copy_from_slice(bytes);
        self.emu
            .handle_input(now, emulator::Input::Data { conn, bytes });
    }
    fn eof(&mut self, now: Instant, conn: u64) {
        let conn = emulator::ConnId(conn);
        self.emu.handle_input(now, emulator::Input::Eof { conn });
    }
    fn time(&mut self, now: Instant) {
        self.emu.handle_input(now, emulator::Input::Time);
    }
    fn poll(&mut self) -> ServerOut {
        loop {
            match self.emu.poll_output() {
                emulator::Output::Write { conn, bytes } => {
                    let end = self.written.entry(conn.0).or_default();
                    *end += bytes.len() as u64;
                    if let Some((texts, whole)) = self.announced.remove(&conn.0) {
                        self.answers.push(PollAnswer {
                            conn: ConnId(conn.0),
                            end: *end,
                            texts,
                            whole,
                        });
                    }
                    return ServerOut::Write(conn.0, bytes);
                }
                emulator::Output::Close { conn } => return ServerOut::Close(conn.0),
                emulator::Output::Timeout(at) => return ServerOut::Timeout(at),
                emulator::Output::Event(emulator::Event::PollAnswered {
                    conn,
                    messages,
                    complete,
                    ..
                }) => {
                    let texts = messages.into_iter().map(|m| m.text).collect();
                    self.announced.insert(conn.0, (texts, complete));
                }
                emulator::Output::Event(emulator::Event::QrShown { qrsig }) => {
                    self.emu.qr_scan(Some(&qrsig)).unwrap();
                    self.emu.qr_confirm(Some(&qrsig), BOT).unwrap();
                }
                emulator::Output::Event(emulator::Event::CaptchaIssued { answer, .. }) => {
                    self.captcha = Some(answer);
                }
                emulator::Output::Event(_) => {}
            }
        }
    }
}
