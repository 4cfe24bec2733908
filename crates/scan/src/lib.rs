//! The hot path of asc-connector's response shaper: a single-pass scanner for Apple's JSON:API
//! success documents ([`parse`]) and the writer of flat records ([`records`]).
//!
//! Used only by `asc-connector`'s `shape` module, which owns the shaper's contract (see its module
//! documentation); this crate exists so that the scanner can be compiled for speed while the rest
//! of the crate is compiled for size. Pure: no I/O, no clock, no randomness.

pub mod parse;
pub mod records;
