//! The fuzz smoke pass: every target over its committed seeds plus deterministic mutations of
//! them (`cd fuzz && cargo test`). Set `FUZZ_SMOKE_RUNS` to change the mutations per target.

use asc_connector_fuzz::{key_parser, mutate, planner, shaper, Rng};
use std::path::Path;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(seeds.len() >= 3, "too few seeds in {}", dir.display());
    seeds
}

fn runs() -> usize {
    std::env::var("FUZZ_SMOKE_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000)
}

fn smoke(target: &str, run: fn(&[u8])) {
    let seeds = seeds(target);
    for s in &seeds {
        run(s);
    }
    let mut rng = Rng::new(0x5eed_0000 ^ target.len() as u64);
    for i in 0..runs() {
        let seed = &seeds[i % seeds.len()];
        let other = &seeds[rng.below(seeds.len())];
        let input = mutate(seed, other, &mut rng);
        run(&input);
    }
}

#[test]
fn key_parser_smoke() {
    smoke("key_parser", key_parser);
}

#[test]
fn planner_smoke() {
    smoke("planner", planner);
}

#[test]
fn shaper_smoke() {
    smoke("shaper", shaper);
}
