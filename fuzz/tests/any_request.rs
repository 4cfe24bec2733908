//! Smoke pass of the `any_request` fuzz logic: seeds built here (valid and broken requests and
//! bodies) and deterministic byte mutations of them.

#[path = "../src/any_request.rs"]
mod logic;

#[test]
fn any_request_smoke() {
    let seeds: Vec<Vec<u8>> = vec![
        br#"{"method":"GET","path":"/v1/apps","query":{"limit":5}}"#.to_vec(),
        br#"{"method":"POST","path":"/v1/betaTesters","body":{"data":{"type":"betaTesters","attributes":{"email":"a@b.co"}}}}"#.to_vec(),
        br#"{"method":"DELETE","path":"/v1/betaGroups/1/relationships/betaTesters","body":{"data":[{"type":"betaTesters","id":"2"}]}}"#.to_vec(),
        br#"{"data":{"type":"customerReviewResponses","attributes":{"responseBody":"x"},"relationships":{"review":{"data":{"type":"customerReviews","id":"1"}}}}}"#.to_vec(),
        br#"{"a":1,"a":2}"#.to_vec(),
        b"\xEF\xBB\xBF{}".to_vec(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
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
            logic::any_request(&input);
        }
        for _ in 0..300 {
            let mut input = seed.clone();
            for _ in 0..=(next() % 4) {
                if input.is_empty() {
                    break;
                }
                let at = (next() % input.len() as u64) as usize;
                match next() % 3 {
                    0 => input[at] = next() as u8,
                    1 => {
                        input.remove(at);
                    }
                    _ => input.insert(at, b"{}[],:\"\\"[(next() % 8) as usize]),
                }
            }
            input.insert(0, next() as u8);
            logic::any_request(&input);
        }
    }
}
