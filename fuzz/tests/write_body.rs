//! Smoke pass of the `write_body` fuzz logic: the committed seeds (valid and broken flat and raw
//! bodies of every write) under every mode byte, and deterministic byte mutations of them.

#[path = "../src/write_body.rs"]
mod logic;

#[test]
fn write_body_smoke() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/write_body");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("seeds/write_body")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 5);
    let runs: usize = std::env::var("FUZZ_SMOKE_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in &seeds {
        for mode in 0..=255u8 {
            let mut input = vec![mode];
            input.extend_from_slice(seed);
            logic::write_body(&input);
        }
    }
    for i in 0..runs {
        let mut input = seeds[i % seeds.len()].clone();
        input.insert(0, next() as u8);
        for _ in 0..=(next() % 4) {
            let at = (next() % input.len() as u64) as usize;
            match next() % 3 {
                0 => input[at] = next() as u8,
                1 => {
                    input.remove(at);
                    if input.is_empty() {
                        input.push(0);
                    }
                }
                _ => input.insert(at, next() as u8),
            }
        }
        logic::write_body(&input);
    }
}
