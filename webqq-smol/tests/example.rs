//! The embedding example is compiled and run by the tests.
#[path = "../examples/echo_bot.rs"]
mod echo_bot;

#[test]
fn the_echo_bot_example_logs_in_and_echoes() {
    echo_bot::main().unwrap();
}
