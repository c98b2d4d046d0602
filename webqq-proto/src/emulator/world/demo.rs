//! The numbers of the built-in demo world ([`World::demo`](super::World::demo)), named once so
//! the tests, the examples and the CLI demo that drive it do not repeat them.

/// The bot account (password `password`).
pub const BOT: u64 = 10001;
/// Alice: the bot's friend, owner of [`GROUP`].
pub const ALICE: u64 = 10002;
/// Bob: the bot's friend, a member of [`GROUP`].
pub const BOB: u64 = 10003;
/// Carol: the bot's friend, owner of [`DISCUSSION`].
pub const CAROL: u64 = 10004;
/// The demo group's number.
pub const GROUP: u64 = 200001;
/// The demo discussion's id.
pub const DISCUSSION: u64 = 1;
