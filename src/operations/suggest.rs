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

/// The candidate nearest to `input`, if any is near enough.
pub(crate) fn nearest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    // Very long inputs are never typos of our short names; skip the work.
    if input.chars().count() > 80 {
        return None;
    }
    let limit = tolerance(input.chars().count());
    let folded: Vec<char> = input.to_lowercase().chars().collect();
    let mut candidate: Vec<char> = Vec::new();
    let mut rows = Rows::default();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        candidate.clear();
        if c.is_ascii() {
            candidate.extend(c.chars().map(|ch| ch.to_ascii_lowercase()));
        } else {
            candidate.extend(c.to_lowercase().chars());
        }
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
    }
}
