//! The whole client against the emulator over a faulty virtual network, every profile and
//! login path, seeded (issue 7). `SIM_SEEDS=N` runs N seeds; `SIM_SEED=S` replays one with
//! a trace.
#![cfg(feature = "emulator")]

mod sim;

use sim::emu_scenario::{generate, run};

/// Seeds of a default `cargo test` run.
const DEFAULT_SEEDS: u64 = 500;

#[test]
fn simulation_against_the_emulator() {
    sim::run_seeds(DEFAULT_SEEDS, generate, run);
}
