//! Placeholder until the codec lands; see the codec issue.
fn main() {}
