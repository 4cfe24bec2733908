//! The spec pack in memory: operations, their query parameters and request schemas, and an index of
//! path templates by segment count and leading literal segments so that routing a path is a hash
//! lookup and a few comparisons.
//!
//! Query parameters are stored as `crate::operations::Parameter` so that their values are checked by
//! the same code as the named operations. That type holds `&'static str`, so the strings of the
//! parameters (names and enum values, about 60 KB) are leaked: parse a pack once per process (the
//! wasm module keeps the first one it is given).

use crate::body::{NodeId, Schemas};
use crate::error::{Error, ErrorCode, Result};
use crate::operations::{Parameter, ParameterType};
use serde_json::Value;

/// The pack format this reader understands.
pub const PACK_FORMAT: u64 = 1;

/// One query parameter of the pack.
#[derive(Debug, Clone, Copy)]
pub struct PackParam {
    /// The parameter, in the operation table's type.
    pub param: &'static Parameter,
    /// Apple marks it required.
    pub required: bool,
    /// One string value (`type: string`), not a comma-separated list.
    pub single: bool,
}

/// One operation of Apple's spec.
#[derive(Debug, Clone)]
pub struct PackOperation {
    /// `GET`, `POST`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// Apple's operationId.
    pub apple_id: String,
    /// The index of its path template.
    pub template: usize,
    /// Its query parameters (indices into the pack's parameters).
    pub params: Vec<usize>,
    /// The root node of its request-body schema, if it takes a body.
    pub body: Option<NodeId>,
}

/// Apple's spec, compacted: see the module doc and `tools/gen-spec-pack.mjs`.
#[derive(Debug)]
pub struct SpecPack {
    spec: String,
    schemas: Schemas,
    params: Vec<PackParam>,
    ops: Vec<PackOperation>,
    /// Template path and the operations on it.
    templates: Vec<(String, Vec<usize>)>,
    /// Segment count and first two segments of each template (routing compares them first).
    keys: Vec<(usize, String, String)>,
}

fn bad(message: &str) -> Error {
    Error::new(
        ErrorCode::SpecPackInvalid,
        format!(
            "the spec pack is not usable: {message} (regenerate it with tools/gen-spec-pack.mjs)"
        ),
    )
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

impl SpecPack {
    /// Reads a pack from its text (the string exported by `spec-pack.mjs`).
    ///
    /// # Errors
    /// `SPEC_PACK_INVALID` when the text is not a pack of [`PACK_FORMAT`].
    pub fn parse(text: &str) -> Result<SpecPack> {
        let v: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        if v.get("format").and_then(Value::as_u64) != Some(PACK_FORMAT) {
            return Err(bad("format is not 1"));
        }
        let schemas = Schemas::from_pack(&v)?;
        let list = |k: &str| v.get(k).and_then(Value::as_array).ok_or_else(|| bad(k));
        // Each list as one comma-separated string, as the operation table stores them; `None`
        // when a value is empty or holds a comma (no parameter may use such a list).
        let enums: Vec<Option<&'static str>> = list("enums")?
            .iter()
            .map(|e| {
                let items: Vec<&str> = e
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let ok = items.iter().all(|v| !v.is_empty() && !v.contains(','));
                ok.then(|| leak(&items.join(",")))
            })
            .collect();
        let mut params = Vec::new();
        for row in list("params")? {
            let cell = |i: usize| row.get(i).unwrap_or(&Value::Null);
            let ty = cell(1).as_str().unwrap_or("");
            let flags = cell(4).as_u64().unwrap_or(0);
            let values = match usize::try_from(cell(2).as_i64().unwrap_or(-1))
                .ok()
                .and_then(|e| enums.get(e).copied())
            {
                Some(Some(list)) => list,
                Some(None) => return Err(bad("parameter enum value (empty or with a comma)")),
                None => "",
            };
            let param = Parameter {
                name: leak(cell(0).as_str().ok_or_else(|| bad("parameter name"))?),
                ty: match ty {
                    "i" => ParameterType::Integer,
                    "b" => ParameterType::Boolean,
                    "a" | "s" => ParameterType::Array,
                    _ => return Err(bad("parameter type")),
                },
                values,
                minimum: (ty == "i").then_some(1),
                maximum: cell(3).as_i64().filter(|&m| m >= 0),
                deprecated: flags & 1 != 0,
                replacement: None,
                description: "",
            };
            params.push(PackParam {
                param: Box::leak(Box::new(param)),
                required: flags & 2 != 0,
                single: ty == "s",
            });
        }
        let mut ops = Vec::new();
        let mut templates: Vec<(String, Vec<usize>)> = Vec::new();
        for row in list("ops")? {
            let cell = |i: usize| row.get(i).unwrap_or(&Value::Null);
            let method = match cell(0).as_str() {
                Some("GET") => "GET",
                Some("POST") => "POST",
                Some("PATCH") => "PATCH",
                Some("DELETE") => "DELETE",
                _ => return Err(bad("operation method")),
            };
            let path = cell(1).as_str().ok_or_else(|| bad("operation path"))?;
            // The generator writes the operations of one path next to each other.
            if templates.last().is_none_or(|(p, _)| p != path) {
                templates.push((path.to_owned(), Vec::new()));
            }
            let t = templates.len() - 1;
            let op_params = cell(3)
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .filter_map(|n| usize::try_from(n).ok())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            if op_params.iter().any(|&p| p >= params.len()) {
                return Err(bad("operation parameter index"));
            }
            let body = usize::try_from(cell(4).as_i64().unwrap_or(-1)).ok();
            if body.is_some_and(|b| schemas.node(b).is_none()) {
                return Err(bad("operation body index"));
            }
            if let Some((_, list)) = templates.get_mut(t) {
                list.push(ops.len());
            }
            ops.push(PackOperation {
                method,
                apple_id: cell(2).as_str().unwrap_or("").to_owned(),
                template: t,
                params: op_params,
                body,
            });
        }
        let keys = templates
            .iter()
            .map(|(p, _)| {
                let mut segs = p.trim_start_matches('/').split('/');
                let s0 = segs.next().unwrap_or("").to_owned();
                let s1 = segs.next().unwrap_or("").to_owned();
                (p.matches('/').count(), s0, s1)
            })
            .collect();
        Ok(SpecPack {
            spec: v
                .get("spec")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            schemas,
            params,
            ops,
            templates,
            keys,
        })
    }

    /// Apple's spec version the pack was made from, e.g. `4.4.1`.
    #[must_use]
    pub fn spec_version(&self) -> &str {
        &self.spec
    }

    /// The request schemas (for `crate::body`).
    #[must_use]
    pub fn schemas(&self) -> &Schemas {
        &self.schemas
    }

    /// Every operation, in Apple's order.
    #[must_use]
    pub fn operations(&self) -> &[PackOperation] {
        &self.ops
    }

    /// The operation with this method and path template, e.g. `("POST", "/v1/betaTesters")`.
    #[must_use]
    pub fn operation(&self, method: &str, template: &str) -> Option<&PackOperation> {
        self.ops
            .iter()
            .find(|op| op.method == method && self.template_path(op.template) == template)
    }

    /// Query parameter `i` of the pack.
    ///
    /// # Panics
    /// Never for indices from [`PackOperation::params`] (checked when the pack is read).
    #[must_use]
    pub fn param(&self, i: usize) -> &PackParam {
        &self.params[i]
    }

    /// How many path templates the pack has.
    #[must_use]
    pub fn template_count(&self) -> usize {
        self.templates.len()
    }

    /// The path of template `t`, e.g. `/v1/apps/{id}`.
    #[must_use]
    pub fn template_path(&self, t: usize) -> &str {
        self.templates.get(t).map_or("", |(p, _)| p.as_str())
    }

    /// The operations on template `t`.
    pub fn ops_of(&self, t: usize) -> impl Iterator<Item = &PackOperation> + Clone {
        self.templates
            .get(t)
            .map_or(&[][..], |(_, o)| o.as_slice())
            .iter()
            .filter_map(|&i| self.ops.get(i))
    }

    /// The template that `segments` (raw, without the leading `/`) fit best: the most literal matches.
    /// A linear pass over the templates with the same segment count (a few microseconds).
    pub(crate) fn find_template(&self, segments: &[&str]) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        let first = |i: usize| segments.get(i).copied().unwrap_or("");
        for (t, (n, s0, s1)) in self.keys.iter().enumerate() {
            let fits_start = |lit: &str, seg: &str| lit.starts_with('{') || lit == seg;
            if *n != segments.len() || !fits_start(s1, first(1)) || !fits_start(s0, first(0)) {
                continue;
            }
            let mut literals = 0;
            let fits = self
                .template_path(t)
                .trim_start_matches('/')
                .split('/')
                .zip(segments)
                .all(|(a, b)| {
                    if a.starts_with('{') {
                        true
                    } else {
                        literals += 1;
                        a == *b
                    }
                });
            if fits && best.is_none_or(|(l, _)| literals > l) {
                best = Some((literals, t));
            }
        }
        best.map(|(_, t)| t)
    }
}
