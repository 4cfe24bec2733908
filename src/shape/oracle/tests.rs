//! Differential tests: the scanner (`shape/parse.rs` + `shape/records.rs`) against the previous
//! serde implementation (the oracle) on the fixtures, every truncation of a real answer, slots of
//! a JSON:API skeleton filled with tricky values (escapes, surrogates, numbers at the edge of
//! `f64`, nesting at and around every limit), random documents, and random mutations of all of
//! these. Status and body must be byte-identical, whether the answer is records or an error.
#![allow(clippy::unwrap_used)]

use crate::shape::{shape_with, ShapeContext, Shaped};

/// The contexts each input is shaped with (a list with a query, a list without, and a write
/// whose unreadable 2xx answers get a note).
fn contexts() -> Vec<ShapeContext> {
    let base = ShapeContext {
        operation_id: "ListApps".into(),
        base_url: "https://gw.example.com".into(),
        path: "/v1/apps".into(),
        query: "limit=2".into(),
        upstream_origin: "https://api.appstoreconnect.apple.com".into(),
        raw: false,
        outcome_hint: String::new(),
    };
    vec![
        base.clone(),
        ShapeContext {
            query: String::new(),
            operation_id: "GetApp".into(),
            ..base.clone()
        },
        ShapeContext {
            outcome_hint: "read it back".into(),
            ..base
        },
    ]
}

/// Compares both implementations on `body`; returns how many comparisons were made.
fn same(body: &str, contexts: &[ShapeContext]) -> usize {
    for ctx in contexts {
        let new: Shaped = shape_with(ctx, 200, body, crate::shape::shape_records);
        let old: Shaped = shape_with(ctx, 200, body, super::shape_records);
        assert!(
            new == old,
            "the scanner and the oracle disagree\ninput: {:?}\nscanner: {} {}\noracle:  {} {}",
            body.chars().take(2000).collect::<String>(),
            new.status,
            new.body,
            old.status,
            old.body
        );
    }
    contexts.len()
}

/// Bytes to text as the gateway gets it (invalid UTF-8 never reaches the shaper).
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fixture of tests/fixtures/, compiled in (the core, tests included, opens no files).
fn fixture(name: &str) -> String {
    let text = match name {
        "list.json" => include_str!("../../../tests/fixtures/list.json"),
        "list_inc.json" => include_str!("../../../tests/fixtures/list_inc.json"),
        "one.json" => include_str!("../../../tests/fixtures/one.json"),
        "list.shaped.json" => include_str!("../../../tests/fixtures/list.shaped.json"),
        "list_inc.shaped.json" => include_str!("../../../tests/fixtures/list_inc.shaped.json"),
        "one.shaped.json" => include_str!("../../../tests/fixtures/one.shaped.json"),
        other => panic!("no fixture {other}"),
    };
    text.to_owned()
}

const FIXTURES: [&str; 6] = [
    "list.json",
    "list_inc.json",
    "one.json",
    "list.shaped.json",
    "list_inc.shaped.json",
    "one.shaped.json",
];

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'t>(&mut self, items: &[&'t str]) -> &'t str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

/// Values where the two readers could part: escapes, surrogates, control characters, numbers at
/// the edge of `f64`, malformed literals and numbers.
const TRICKY: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-0",
    "1",
    "-1",
    "12",
    "1.5",
    "1e5",
    "1E+2",
    "1e-2",
    "1e999",
    "-1e999",
    "1e-999",
    "0e999999999999999999999",
    "1e99999999999999999999",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "17976931348623157e292",
    "179769313486231580000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.0",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "-",
    "01",
    "-01",
    "1.",
    ".5",
    "1e",
    "1e+",
    "+1",
    "0x10",
    "NaN",
    "Infinity",
    "tru",
    "nul",
    "fals",
    "truex",
    "\"\"",
    "\"plain\"",
    "\"apps\"",
    "\"123456\"",
    "\"a\\\"b\"",
    "\"a\\\\b\"",
    "\"a\\/b\"",
    "\"\\b\\f\\n\\r\\t\"",
    "\"\\u0000\"",
    "\"\\u001f\\u007f\"",
    "\"\\u00e9\"",
    "\"\\u00E9\"",
    "\"\\uD83D\\uDE00\"",
    "\"\\uD800\"",
    "\"\\uDC00\"",
    "\"\\uD800\\u0041\"",
    "\"\\uD800\\uD800\"",
    "\"\\uD800x\"",
    "\"\\uD800\\n\"",
    "\"\\uD800\\\"",
    "\"\\uDBFF\\uDFFF\"",
    "\"\\u12\"",
    "\"\\u12G4\"",
    "\"\\x\"",
    "\"\\'\"",
    "\"tab\there\"",
    "\"nl\nhere\"",
    "\"\u{1}\"",
    "\"\u{7f}\"",
    "\"é ✓ 😀\"",
    "\"unterminated",
    "\"id\"",
    "\"type\"",
    "\"attributeId\"",
    "\"appStoreUrl\"",
    "\"https://api.appstoreconnect.apple.com/v1/apps?cursor=abc&limit=2\"",
    "\"https://evil.example.com/v1/apps?cursor=abc\"",
    "{\"href\":\"https://api.appstoreconnect.apple.com/v1/apps?cursor=x\"}",
    "[]",
    "{}",
    "[1,]",
    "{\"a\":1,}",
    "[,1]",
    "{,}",
    "{\"a\" 1}",
    "{\"a\":}",
    "{1:2}",
    "[1 2]",
    "[",
    "{",
    "]",
    "}",
    "",
    " ",
    "{\"paging\":{\"total\":5}}",
    "{\"paging\":{\"total\":5.0}}",
    "{\"paging\":{\"total\":-5}}",
    "{\"next\":null}",
    "{\"next\":\"/v1/apps?cursor=a\"}",
    "{\"next\":\"/v1/apps?cursor=a\",\"next\":null}",
    "{\"id\":\"1\",\"type\":\"apps\"}",
    "{\"id\":\"1\",\"type\":\"apps\",\"id\":\"2\"}",
    "{\"type\":\"apps\",\"id\":\"1\",\"meta\":{\"x\":1e999}}",
    "[{\"id\":\"1\",\"type\":\"apps\"},{\"id\":\"v\",\"type\":\"appStoreVersions\"},null,7]",
    // Errors on and just after line breaks (serde_json counts lines at `\n`, columns in bytes,
    // and reports some errors one past the offending byte, others where it stopped).
    "\"\\\n\"",
    "\"\\u12\n4\"",
    "\"\\u\n\n\n\n\"",
    "\"a\r\nb\"",
    "-\n",
    "-\n1",
    "1e\n",
    "1e+\n5",
    "1.\n5",
    "0\n1",
    "01\n",
    "tru\ne",
    "t\nrue",
    "nul\n",
    "\n\n-",
    "[1,\n]",
    "[1\n\n2]",
    "{\"a\"\n:\n}",
    "{\"a\"\n\n1}",
    "{\n\n}x",
    "\r\n\t[\r\n1\r\n]\r\n",
    // Objects of strings only, the shape the scanner skips on a fast path (`links`), and every
    // way out of that path: escapes, control characters, whitespace, other values, cut-offs.
    "{\"self\":\"https://a/v1/apps/1/relationships/x\",\"related\":\"https://a/v1/apps/1/x\"}",
    "{\"self\":\"a\"}",
    "{\"\":\"\"}",
    "{\"a\":\"b\",\"a\":\"c\"}",
    "{\"self\":\"a\",\"related\":\"b\"",
    "{\"self\":\"a\",\"related\":\"b",
    "{\"self\":\"a\",\"related\":",
    "{\"self\":\"a\",",
    "{\"self\":\"a\",}",
    "{\"self\":\"a\"]",
    "{\"self\":\"a\"}}",
    "{\"self\":\"a\\\"b\",\"related\":\"c\"}",
    "{\"s\\u0065lf\":\"a\"}",
    "{\"self\":\"\\uD800\"}",
    "{\"self\":\"a\u{1}b\"}",
    "{\"self\":\"a\nb\"}",
    "{\"self\":1,\"related\":\"b\"}",
    "{\"self\":\"a\",\"related\":null}",
    "{\"self\":\"a\",\"related\":{\"href\":\"b\"}}",
    "{\"self\" :\"a\"}",
    "{\"self\": \"a\"}",
    "{ \"self\":\"a\"}",
    "{\"self\":\"a\" }",
    "{\"self\":\"a\", \"related\":\"b\"}",
    "{\"self\":\"0123456789abcdef0123456789abcdef\u{7f}é😀\"}",
];

/// `[` nested `n` deep.
fn arrays(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

/// `{"a":` nested `n` deep around `1`.
fn objects(n: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))
}

/// A JSON:API skeleton with one slot (`@`) for a value or key.
const SKELETONS: &[&str] = &[
    "@",
    " @ ",
    "\u{feff}@",
    "@ x",
    "{\"data\":@}",
    "{\"data\":[@]}",
    "{\"data\":[@,{\"id\":\"1\",\"type\":\"apps\"}]}",
    "{\"data\":[{\"id\":\"1\",\"type\":\"apps\"},@]}",
    "{\"data\":{\"id\":\"1\",\"type\":\"apps\",\"attributes\":@}}",
    "{\"data\":{\"id\":\"1\",\"type\":\"apps\",\"attributes\":{\"name\":@,\"id\":@}}}",
    "{\"data\":{\"id\":\"1\",\"type\":\"apps\",\"attributes\":{\"name\":1,\"name\":@}}}",
    "{\"data\":[{\"id\":@,\"type\":@}]}",
    "{\"data\":[{\"id\":@,\"type\":\"apps\"}]}",
    "{\"data\":[{\"id\":\"1\",\"type\":@}]}",
    "{\"data\":[],\"links\":@}",
    "{\"data\":[],\"links\":{\"self\":@,\"next\":@}}",
    "{\"data\":[],\"meta\":@}",
    "{\"data\":[],\"meta\":{\"paging\":{\"total\":@,\"limit\":2}}}",
    "{\"data\":[],\"included\":@}",
    "{\"data\":[],\"included\":[@]}",
    "{\"data\":[{\"id\":\"1\",\"type\":\"apps\",\"relationships\":{\"v\":{\"data\":[{\"type\":\"v\",\"id\":\"2\"}]}}}],\"included\":[@,{\"type\":\"v\",\"id\":\"2\",\"attributes\":{\"s\":@}}]}",
    "{\"data\":{\"id\":\"1\",\"relationships\":@}}",
    "{\"data\":{\"id\":\"1\",\"relationships\":{\"r\":@}}}",
    "{\"data\":{\"id\":\"1\",\"relationships\":{\"r\":{\"links\":@,\"data\":@}}}}",
    "{\"data\":{\"id\":\"1\",\"relationships\":{\"r\":{\"data\":[@]}}}}",
    "{\"data\":{\"id\":\"1\",\"relationships\":{\"r\":{\"data\":{\"id\":@,\"type\":\"x\",\"meta\":@}}}}}",
    "{\"unknown\":@,\"data\":[]}",
    "{\"data\":[{\"id\":\"1\",\"links\":@}]}",
    "{@:1,\"data\":[]}",
    "{@:[],\"data\":{}}",
    "{\"data\":{\"attributes\":{@:1}}}",
    "{\"data\":{\"relationships\":{@:{\"data\":null}}}}",
    "{\"data\":{\"relationships\":{\"r\":{@:null}}}}",
    "{\"data\":{\"relationships\":{\"r\":{\"data\":{@:\"1\"}}}}}",
    "{\"data\":[],\"links\":{@:\"/v1/apps?cursor=a\"}}",
    "{\"data\":[],\"unknown\":{@:1}}",
    "{\"data\":@,\"data\":[]}",
    "{\"data\":[],\"data\":@}",
];

/// Fills every `@` of `skeleton` with `value`.
fn fill(skeleton: &str, value: &str) -> String {
    skeleton.replace('@', value)
}

#[test]
fn fixtures_and_their_truncations_shape_the_same() {
    let contexts = contexts();
    let mut n = 0;
    for name in FIXTURES {
        n += same(&fixture(name), &contexts);
    }
    // Every cut of a real answer (a body cut off in transit).
    let one = fixture("one.json");
    for cut in 0..=one.len() {
        if let Some(prefix) = one.get(..cut) {
            n += same(prefix, &contexts[..1]);
        }
    }
    eprintln!("fixtures and truncations: {n} comparisons");
}

#[test]
fn skeleton_slots_with_tricky_values_shape_the_same() {
    let contexts = contexts();
    let mut values: Vec<String> = TRICKY.iter().map(|v| (*v).to_owned()).collect();
    // Nesting at and around every limit: serde_json's 128 levels (the document counts), the
    // attribute limit of 124, and deep values where nothing is counted.
    for n in [1, 2, 100, 122, 123, 124, 125, 126, 127, 128, 129, 200, 1000] {
        values.push(arrays(n));
        values.push(objects(n));
        values.push(format!("{}1e999{}", "[".repeat(n), "]".repeat(n)));
        values.push(format!("{}\"\\uD800\"{}", "[".repeat(n), "]".repeat(n)));
        values.push(format!("{}x{}", "[".repeat(n), "]".repeat(n)));
        values.push("[".repeat(n));
    }
    let mut n = 0;
    for skeleton in SKELETONS {
        for value in &values {
            n += same(&fill(skeleton, value), &contexts);
        }
    }
    // Two different values in the skeletons with two slots.
    let mut rng = Rng(0x5eed_0001);
    for _ in 0..20_000 {
        let skeleton = rng.pick(SKELETONS);
        let body = skeleton
            .split('@')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part.to_owned()
                } else {
                    format!("{}{part}", rng.pick(TRICKY))
                }
            })
            .collect::<String>();
        n += same(&body, &contexts[..1]);
    }
    eprintln!("skeleton slots: {n} comparisons");
}

/// Keys that mean something somewhere in a document, spelled plainly and with escapes.
const KEYS: &[&str] = &[
    "data",
    "included",
    "links",
    "meta",
    "id",
    "type",
    "attributes",
    "relationships",
    "next",
    "self",
    "paging",
    "total",
    "href",
    "name",
    "appStoreUrl",
    "attributeId",
    "attributeType",
    "nameRelationship",
    "idRelationship",
    "x",
    "d\\u0061ta",
    "\\u0069d",
    "n\\u0061me",
    "a\\nb",
    "\\uD83D\\uDE00",
    "q\\\"",
];

/// A random JSON value of roughly JSON:API shape (`budget` limits its size).
fn random_value(rng: &mut Rng, budget: &mut usize, depth: usize) -> String {
    *budget = budget.saturating_sub(1);
    let choice = if *budget == 0 || depth > 8 {
        0
    } else {
        rng.below(10)
    };
    match choice {
        0..=3 => match rng.below(4) {
            0 => rng.pick(TRICKY).to_owned(),
            1 => format!("\"{}\"", rng.pick(KEYS)),
            2 => rng
                .pick(&["\"apps\"", "\"appStoreVersions\"", "\"v\""])
                .to_owned(),
            _ => rng
                .pick(&["\"1\"", "\"2\"", "\"123\"", "null", "7"])
                .to_owned(),
        },
        4..=5 => {
            let len = rng.below(4);
            let items: Vec<String> = (0..len)
                .map(|_| random_value(rng, budget, depth + 1))
                .collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let len = rng.below(6);
            let members: Vec<String> = (0..len)
                .map(|_| {
                    format!(
                        "\"{}\":{}",
                        rng.pick(KEYS),
                        random_value(rng, budget, depth + 1)
                    )
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

/// Byte strings that matter to a JSON reader, for mutations.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    " ",
    "\n",
    "\\",
    "\\u",
    "\\uD800",
    "\\uDC00",
    "\\u0041",
    "\\n",
    "null",
    "true",
    "-",
    "0",
    "1e999",
    ".",
    "e",
    "\u{1}",
    "\t",
    "\u{feff}",
    "é",
    "data",
    "id",
    "type",
    "attributes",
    "relationships",
    "links",
    "meta",
    "included",
    "next",
    "\"data\":",
    "\"id\":",
    "\"type\":",
];

/// One random mutation of `input` (byte flips, token insertions, deletions, duplications,
/// truncation).
fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = out.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 | 2 => {
                let i = rng.below(len + 1);
                let t = rng.pick(TOKENS);
                out.splice(i..i, t.bytes());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                out.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let chunk = out[i..i + n].to_vec();
                let at = rng.below(len + 1);
                out.splice(at..at, chunk);
            }
            _ => {
                let n = rng.below(len + 1);
                out.truncate(n);
            }
        }
    }
    out
}

#[test]
fn random_documents_and_mutations_shape_the_same() {
    let contexts = contexts();
    let mut rng = Rng(0x5eed_0002);
    let mut n = 0;
    let mut seeds: Vec<String> = Vec::new();
    for _ in 0..3000 {
        let mut budget = 40;
        let body = random_value(&mut rng, &mut budget, 0);
        n += same(&body, &contexts[..1]);
        seeds.push(body);
    }
    // Documents that always have the skeleton, so the resource readers are reached.
    for _ in 0..3000 {
        let mut budget = 30;
        let item = random_value(&mut rng, &mut budget, 2);
        let attrs = random_value(&mut rng, &mut budget, 3);
        let rels = random_value(&mut rng, &mut budget, 3);
        let body = format!(
            "{{\"data\":[{{\"id\":\"1\",\"type\":\"apps\",\"attributes\":{attrs},\"relationships\":{{\"r\":{{\"data\":{item}}},\"s\":{rels}}}}}],\"included\":[{item}],\"links\":{{\"next\":\"/v1/apps?cursor=c\"}},\"meta\":{{\"paging\":{{\"total\":3}}}}}}"
        );
        n += same(&body, &contexts);
        seeds.push(body);
    }
    let one = fixture("one.json");
    seeds.push(one);
    for _ in 0..50_000 {
        let seed = &seeds[rng.below(seeds.len())];
        let body = text(&mutate(seed.as_bytes(), &mut rng));
        n += same(&body, &contexts[..1]);
    }
    // Mutations of the big fixtures (fewer: each is 25 to 40 KB).
    let big = [fixture("list.json"), fixture("list_inc.json")];
    for _ in 0..600 {
        let seed = &big[rng.below(big.len())];
        let body = text(&mutate(seed.as_bytes(), &mut rng));
        n += same(&body, &contexts[..1]);
    }
    eprintln!("random documents and mutations: {n} comparisons");
}
