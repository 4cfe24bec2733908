//! Executions per second of each fuzz target's function on its seeds and deterministic mutations
//! of them, without libFuzzer's instrumentation (an upper bound for `make fuzz`, and a profiling
//! harness: `perf record cargo run --release --example throughput -- planner 10`).
//! Usage: `cargo run --release --example throughput -- [target] [seconds]`.

use asc_connector_fuzz::{generated_seeds, key_parser, mutate, planner, shaper, Rng};
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let only = args.next();
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let targets: [(&str, fn(&[u8])); 3] = [
        ("key_parser", key_parser),
        ("planner", planner),
        ("shaper", shaper),
    ];
    for (name, run) in targets {
        if only.as_deref().is_some_and(|o| o != name && o != "all") {
            continue;
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("seeds")
            .join(name);
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        seeds.extend(generated_seeds(name));
        let mut rng = Rng::new(0x7468_726f);
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let started = Instant::now();
        let mut runs = 0u64;
        while Instant::now() < deadline {
            for _ in 0..64 {
                let seed = &seeds[(runs as usize) % seeds.len()];
                let other = &seeds[rng.below(seeds.len())];
                run(&mutate(seed, other, &mut rng));
                runs += 1;
            }
        }
        let rate = runs as f64 / started.elapsed().as_secs_f64();
        println!("{name}: {runs} executions, {rate:.0}/s");
    }
}
