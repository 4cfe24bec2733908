//! # asc-connector
//!
//! The policy core of the App Store Connect connector: it turns an Apple private key into
//! short-lived ES256 tokens, checks requests against Apple's parameters before they are sent, and
//! turns Apple's JSON:API answers into flat records a low-code flow designer can show.
//!
//! The core is pure: no I/O, no clock and no randomness. Time comes in as seconds since 1970, so
//! every behaviour is deterministic and tested natively. `src/wasm.rs` is the only file that knows
//! about JavaScript; it is compiled for `wasm32` only.
//!
//! Modules:
//! - [`key`]: read the private key from whatever shape people paste it in.
//! - [`token`]: mint and cache tokens.
//! - [`inspect`]: explain why a token breaks Apple's rules (decodes without trusting it).
//! - [`operations`]: the operation table and the request planner.
//! - [`shape`]: JSON:API answers to flat records, Apple errors to one error shape.
//! - [`error`]: the one error type and its stable codes.
//!
//! Features: `gateway` (planner and shaper), `inspect` (token inspection) and `fast-sign` (p256's
//! precomputed tables) make the full module and are on by default. Without any, the crate is the
//! signer alone ([`key`], [`token`], [`error`]): the `asc-connector-wasm/signer` entry.

mod b64;
pub mod error;
#[cfg(feature = "inspect")]
pub mod inspect;
pub mod key;
#[cfg(feature = "gateway")]
pub mod operations;
#[cfg(feature = "gateway")]
pub mod shape;
pub mod token;

/// The JavaScript bindings (wasm32 only). Public so the wasm-bindgen tests can call them.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;

pub use error::{Detail, Error, ErrorCode, Result};
