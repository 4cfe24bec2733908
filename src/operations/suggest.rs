//! "Did you mean …?" hints: the nearest known name or value to what a caller typed.
//!
//! A case-insensitive exact match wins; otherwise the candidate with the smallest edit distance,
//! if that distance is small for the length of the word (so `foo` suggests nothing, while
//! `filter[bundleid]` suggests `filter[bundleId]`). Ties go to the earlier candidate, so hints are
//! deterministic.

/// Levenshtein distance over characters, bounded: stops early and returns `limit + 1` once every
/// path exceeds `limit`.
#[cfg(any(test, feature = "anyrequest"))]
pub(crate) fn distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    bounded_distance(&a, &b, limit, &mut Rows::default())
}

/// The two rows of the distance table, reused across candidates: [`nearest`] compares one input
/// with hundreds of names, and allocating per comparison made it the planner's main cost (and
/// the fuzz target's: ~600 executions/s under the address sanitizer, RELIABILITY.md).
#[derive(Default)]
struct Rows {
    prev: Vec<usize>,
    cur: Vec<usize>,
}

fn bounded_distance(a: &[char], b: &[char], limit: usize, rows: &mut Rows) -> usize {
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let Rows { prev, cur } = rows;
    prev.clear();
    prev.extend(0..=b.len());
    cur.clear();
    cur.resize(b.len() + 1, 0);
    for (i, ca) in a.iter().enumerate() {
        let mut row_min = i + 1;
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX) + usize::from(ca != cb);
            let del = prev
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            let v = sub.min(del).min(ins);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = v;
            }
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(prev, cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The largest distance still worth suggesting for a word of `len` characters.
fn tolerance(len: usize) -> usize {
    match len {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    }
}

/// `input` folded for comparing with candidates: ASCII letters lower-cased, the two other
/// characters whose Unicode lower case is ASCII mapped as `str::to_lowercase` maps them (KELVIN
/// SIGN to `k`, `İ` to `i` + U+0307), every other character kept.
///
/// The candidates (Apple's parameter names, enum values and field names) are ASCII, and against
/// ASCII this gives exactly the distances full Unicode lower-casing gives: a non-ASCII character
/// differs from every candidate character whichever one it is, and only `İ` changes the count.
/// Full lower-casing would add core's case tables (~14 KB) to the wasm module.
fn fold(input: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(input.len());
    for ch in input.chars() {
        match ch {
            '\u{212A}' => out.push('k'),
            '\u{130}' => out.extend(['i', '\u{307}']),
            _ => out.push(ch.to_ascii_lowercase()),
        }
    }
    out
}

/// The candidate nearest to `input`, if any is near enough. Candidates are compared ASCII
/// case-insensitively (see [`fold`]).
pub(crate) fn nearest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    // Very long inputs are never typos of our short names; skip the work.
    if input.chars().count() > 80 {
        return None;
    }
    let limit = tolerance(input.chars().count());
    let folded = fold(input);
    let mut candidate: Vec<char> = Vec::new();
    let mut rows = Rows::default();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        candidate.clear();
        candidate.extend(c.chars().map(|ch| ch.to_ascii_lowercase()));
        if candidate == folded {
            return Some(c);
        }
        let d = bounded_distance(&folded, &candidate, limit, &mut rows);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting", 5), 3);
        assert_eq!(distance("", "abc", 5), 3);
        assert_eq!(distance("abc", "abc", 0), 0);
        assert_eq!(distance("abcdef", "uvwxyz", 2), 3);
    }

    #[test]
    fn suggestions() {
        let names = ["filter[name]", "filter[bundleId]", "limit", "include"];
        assert_eq!(nearest("filter[bundleid]", names), Some("filter[bundleId]"));
        assert_eq!(nearest("limt", names), Some("limit"));
        assert_eq!(nearest("includes", names), Some("include"));
        assert_eq!(nearest("foo", names), None);
        assert_eq!(nearest("ios", ["IOS", "MAC_OS"]), Some("IOS"));
        assert_eq!(nearest("\u{212A}IND", ["kind", "find"]), Some("kind"));
    }

    /// Against ASCII candidates, [`fold`] gives the suggestions full Unicode lower-casing gives.
    #[test]
    fn same_suggestions_as_unicode_lowercase() {
        fn unicode_nearest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
            let folded: Vec<char> = input.to_lowercase().chars().collect();
            let limit = tolerance(input.chars().count());
            let mut best: Option<(usize, &'a str)> = None;
            for c in candidates {
                let cand: Vec<char> = c.to_lowercase().chars().collect();
                if cand == folded {
                    return Some(c);
                }
                let d = bounded_distance(&folded, &cand, limit, &mut Rows::default());
                if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, c));
                }
            }
            best.map(|(_, c)| c)
        }
        let candidates = [
            "filter[bundleId]",
            "limit",
            "include",
            "IOS",
            "MAC_OS",
            "kind",
            "sort",
            "fields[apps]",
            "isInternalGroup",
            "ki",
            "i",
            "li",
            "ik",
        ];
        let odd = [
            '\u{212A}', '\u{130}', '\u{131}', 'É', 'é', 'ß', 'Σ', 'ς', 'ﬁ', 'K', 'I', '\u{307}',
        ];
        let mut inputs: Vec<String> = Vec::new();
        for c in candidates {
            for (i, _) in c.char_indices() {
                for o in odd {
                    // Replace, insert and append an odd character at every position.
                    let mut s = c.to_owned();
                    s.insert(i, o);
                    inputs.push(s.clone());
                    s.remove(i + o.len_utf8());
                    inputs.push(s);
                    inputs.push(format!("{c}{o}"));
                    inputs.push(c.to_uppercase());
                }
            }
        }
        for input in &inputs {
            assert_eq!(
                nearest(input, candidates),
                unicode_nearest(input, &candidates),
                "{input}"
            );
        }
    }
}
