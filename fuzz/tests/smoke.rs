//! The fuzz smoke pass: every target over its committed seeds and the seeds it makes at run time
//! (the key parser's throwaway keys), plus deterministic mutations of them (`cd fuzz && cargo
//! test`). Set `FUZZ_SMOKE_RUNS` to change the mutations per target.

use asc_connector_fuzz::{generated_seeds, key_parser, mutate, planner, shaper, Rng};
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
    let mut seeds: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    seeds.extend(generated_seeds(target));
    assert!(seeds.len() >= 3, "too few seeds for {target}");
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

/// The key seeds made at run time really are the shapes they stand for, so the fuzzer starts from
/// every branch of the key reader (a fresh random scalar each run; nothing is committed).
#[test]
fn generated_key_seeds_reach_every_branch() {
    use asc_connector::key::PrivateKey;
    let seeds = generated_seeds("key_parser");
    let outcome = |i: usize| match PrivateKey::parse(&String::from_utf8_lossy(&seeds[i])) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.code.as_str().to_owned(),
    };
    let expected = [
        "ok",                 // PKCS#8 PEM as Apple ships it
        "KEY_INVALID",        // embedded public key of another scalar
        "KEY_INVALID",        // zero scalar
        "KEY_INVALID",        // scalar above the curve order
        "ok",                 // literal \n
        "ok",                 // one line, quoted
        "KEY_INVALID",        // SEC1 with a point of another scalar
        "ok",                 // bare base64 body
        "ok",                 // base64 of the whole file
        "KEY_TRUNCATED",      // CRLF, cut in half
        "KEY_RSA",            // RSA label
        "KEY_IS_PUBLIC",      // public key label
        "KEY_IS_CERTIFICATE", // certificate label
        "KEY_ENCRYPTED",      // encrypted label
    ];
    assert_eq!(seeds.len(), expected.len());
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(outcome(i), *want, "generated key seed {i}");
    }
    assert!(generated_seeds("planner").is_empty());
}
