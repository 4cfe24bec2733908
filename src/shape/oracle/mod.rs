//! The previous success-path shaper (serde visitors in, serde `Serialize` out), kept only as the
//! oracle of the hand-written scanner and writer that replaced it: the differential tests
//! (`tests.rs`) and the fuzz target `shaper` compare the two on every input. It is compiled for
//! tests and under cargo-fuzz only, never into the library or the wasm module.

mod parse;
mod records;
#[cfg(test)]
mod tests;

use super::upstream_error::{bad_response, describe_unparsable, strip_bom};
use super::{error_response, next_link_for, ShapeContext, Shaped};
use crate::error::{Error, ErrorCode};
use parse::{Data, Item, Top};
use serde_json::Value;

/// A serialization failure (cannot happen for these types; answered as INTERNAL, never a panic).
fn internal() -> Shaped {
    error_response(&Error::new(
        ErrorCode::Internal,
        "the gateway could not write the shaped response",
    ))
}

/// Success answers shaped into records, exactly as the shaper did before the scanner.
pub(crate) fn shape_records(ctx: &ShapeContext, status: u16, body: &str) -> Shaped {
    let body = strip_bom(body);
    let doc = match serde_json::from_str::<Top<'_>>(body) {
        Ok(Top::Doc(doc)) => doc,
        Ok(Top::NotObject(kind)) => {
            return bad_response(&format!("JSON that is {kind}, not a JSON:API document"))
        }
        Err(e) => return bad_response(&describe_unparsable(body, &e)),
    };
    let index = records::index(&doc.included);
    let out = match &doc.data {
        Data::Missing => return bad_response("JSON without a data member"),
        Data::Other(kind) => {
            return bad_response(&format!(
                "JSON whose data member is {kind}, not a resource or a list"
            ))
        }
        Data::One(res) => serde_json::to_string(&records::flatten(res, Some(&index))),
        Data::Many(items) => {
            let mut value = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Item::Res(res) => value.push(records::flatten(res, Some(&index))),
                    Item::NotObject(kind) => {
                        return bad_response(&format!(
                            "JSON whose data item {i} is {kind}, not a resource object"
                        ))
                    }
                }
            }
            let next_link = match next_link_for(ctx, doc.links.as_ref()) {
                Ok(link) => link,
                Err(refused) => return refused,
            };
            let total = doc
                .meta
                .as_ref()
                .and_then(|m| m.get("paging"))
                .and_then(|p| p.get("total"))
                .and_then(Value::as_u64);
            serde_json::to_string(&records::List {
                value,
                next_link,
                total,
            })
        }
    };
    match out {
        Ok(body) => Shaped { status, body },
        Err(_) => internal(),
    }
}
