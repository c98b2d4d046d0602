//! The whole client against the emulator over a faulty virtual network, every profile and
//! login path, seeded (issue 7). `SIM_SEEDS=N` runs N seeds; `SIM_SEED=S` replays one with
//! a trace.
#![cfg(feature = "emulator")]

mod sim;

use std::time::Instant;

use sim::Tally;
use sim::emu_scenario::{generate, run};

/// Seeds of a default `cargo test` run.
const DEFAULT_SEEDS: u64 = 500;

#[test]
fn simulation_against_the_emulator() {
    let (seeds, replay) = sim::seeds(DEFAULT_SEEDS);
    let started = Instant::now();
    let mut total = Tally::default();
    let mut failures = Vec::new();
    for &seed in &seeds {
        let scenario = generate(seed);
        // A panic (in the client, or a livelock caught by the harness) is a failure of
        // this seed like any other: it is reported with the seed.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&scenario, replay)))
                .unwrap_or_else(|p| {
                    let what = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Err(format!(
                        "seed {seed}: panicked: {what}\nscenario: {scenario:?}"
                    ))
                });
        match outcome {
            Ok(report) => {
                for (k, v) in report.tally.0 {
                    total.add(k, v);
                }
            }
            Err(e) => {
                if replay {
                    println!("{e}");
                }
                failures.push((seed, e));
                if failures.len() >= 3 {
                    break;
                }
            }
        }
    }
    println!(
        "{} seeds in {:.1?} ({:.0} seeds/s); totals: {:?}",
        seeds.len(),
        started.elapsed(),
        seeds.len() as f64 / started.elapsed().as_secs_f64(),
        total.0
    );
    if let Some((seed, e)) = failures.first() {
        panic!("{} failing seed(s), first {seed}:\n{e}", failures.len());
    }
}
