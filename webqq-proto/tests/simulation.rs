//! Deterministic simulation of the whole client against a scripted WebQQ server over a
//! faulty virtual network (issue 7). `SIM_SEEDS=N` runs N seeds (default below);
//! `SIM_SEED=S` replays one with a trace of every input and output.
mod sim;

use std::time::Instant;

use sim::Tally;
use sim::scenario::{generate, run};

/// Seeds of a default `cargo test` run.
const DEFAULT_SEEDS: u64 = 1000;

#[test]
fn simulation_seeds() {
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
                if replay {
                    println!("seed {seed} passed: {scenario:?}");
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
