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
//! - [`triggers`]: the pure decisions behind the flow triggers (review polling, webhook subscriptions).
//! - [`error`]: the one error type and its stable codes.
//! - [`body`]: strict JSON intake of request bodies and checks against Apple's request schemas.
//! - [`anyrequest`]: any request of Apple's spec, checked against the spec pack.
//!
//! The items most callers need are re-exported at the crate root, in the spirit of jsonwebtoken's
//! small surface: [`PrivateKey`], [`TokenOptions`], [`mint_token`], [`TokenMinter`],
//! [`inspect_token`], and with the `gateway` feature [`plan_request`] and [`shape_response`].
//! Helpers that only the crate's own modules and tests use are crate-private or hidden from the
//! documentation.
//!
//! Features: `gateway` (planner and shaper), `inspect` (token inspection) and `fast-sign` (p256's
//! precomputed tables) make the full module and are on by default. Without any, the crate is the
//! signer alone ([`key`], [`token`], [`error`]): the `asc-connector-wasm/signer` entry.

#[cfg(feature = "anyrequest")]
pub mod anyrequest;
mod b64;
#[cfg(feature = "gateway")]
pub mod body;
pub mod error;
#[cfg(feature = "inspect")]
pub mod inspect;
pub mod key;
#[cfg(feature = "gateway")]
pub mod operations;
#[cfg(feature = "gateway")]
pub mod shape;
pub mod token;
#[cfg(feature = "gateway")]
pub mod triggers;
#[cfg(feature = "gateway")]
pub mod write;

/// The JavaScript bindings (wasm32 only). Public so the wasm-bindgen tests can call them.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;

pub use error::{Detail, Error, ErrorCode, Result};
#[cfg(feature = "inspect")]
pub use inspect::{inspect_token, Inspection};
pub use key::PrivateKey;
#[cfg(feature = "gateway")]
pub use operations::{plan_request, Plan};
#[cfg(feature = "gateway")]
pub use shape::{shape_response, ShapeContext, Shaped};
pub use token::{mint_token, KeyType, TokenMinter, TokenOptions};
