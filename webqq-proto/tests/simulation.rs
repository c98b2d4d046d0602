//! Deterministic simulation of the whole client against a scripted WebQQ server over a
//! faulty virtual network (issue 7). `SIM_SEEDS=N` runs N seeds (default below);
//! `SIM_SEED=S` replays one with a trace of every input and output.
mod sim;

use sim::scenario::{generate, run};

/// Seeds of a default `cargo test` run.
const DEFAULT_SEEDS: u64 = 1000;

#[test]
fn simulation_seeds() {
    sim::run_seeds(DEFAULT_SEEDS, generate, run);
}
