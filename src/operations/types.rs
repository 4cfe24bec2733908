//! The shapes of the operation table: operations, their path and query parameters, and id rules.
//!
//! The data itself lives in `table.rs`, generated from Apple's spec by `tools/gen-operations.mjs`;
//! these types are hand-written so the generator only emits plain literals.

/// What an operation does, as the operation list states it (never guessed from a name).
///
/// Reads (`List`, `Get`, `RelatedList`, `RelatedGet`) and writes (`Create`, `Update`, `Delete`,
/// `AddRelationship`, `RemoveRelationship`); a write may change something at Apple, so it is never
/// sent twice (see `host/src/upstream.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// A collection (`/v1/apps`): paged with `cursor`, shaped into `{value, nextLink, total}`.
    List,
    /// One resource by id (`/v1/apps/{id}`).
    Get,
    /// The to-many relationship of one resource (`/v1/apps/{id}/customerReviews`): paged like a list.
    RelatedList,
    /// The to-one relationship of one resource (`/v1/customerReviews/{id}/response`): one record.
    RelatedGet,
    /// Creates a resource (`POST /v1/customerReviewResponses`): a body, answered 201 with the resource.
    Create,
    /// Changes a resource (`PATCH /v1/.../{id}`): a body, answered 200 with the resource.
    Update,
    /// Deletes a resource (`DELETE /v1/betaTesters/{id}`): no body, answered 204.
    Delete,
    /// Adds to a to-many relationship (`POST /v1/betaGroups/{id}/relationships/betaTesters`): a list
    /// of linkages, answered 204.
    AddRelationship,
    /// Removes from a to-many relationship (`DELETE .../relationships/betaTesters`): a list of
    /// linkages, answered 204.
    RemoveRelationship,
}

impl OperationKind {
    /// The operation list's spelling: `"list"`, `"get"`, `"relatedList"` or `"relatedGet"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OperationKind::List => "list",
            OperationKind::Get => "get",
            OperationKind::RelatedList => "relatedList",
            OperationKind::RelatedGet => "relatedGet",
            OperationKind::Create => "create",
            OperationKind::Update => "update",
            OperationKind::Delete => "delete",
            OperationKind::AddRelationship => "addRelationship",
            OperationKind::RemoveRelationship => "removeRelationship",
        }
    }

    /// Whether the operation may change something at Apple (and so is never retried once it may
    /// have reached Apple).
    #[must_use]
    pub const fn is_write(self) -> bool {
        !matches!(
            self,
            OperationKind::List
                | OperationKind::Get
                | OperationKind::RelatedList
                | OperationKind::RelatedGet
        )
    }

    /// Whether the answer is a page of records (accepts `cursor`, has a `nextLink`).
    #[must_use]
    pub const fn is_pageable(self) -> bool {
        matches!(self, OperationKind::List | OperationKind::RelatedList)
    }
}

/// The type of a query parameter, as Apple's spec declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParameterType {
    /// `type: array` of strings, `style: form, explode: false`: comma-separated items.
    Array,
    /// `type: integer`.
    Integer,
    /// `type: boolean`: `true` or `false`.
    Boolean,
}

impl ParameterType {
    /// `"array"`, `"integer"` or `"boolean"` (Apple's spelling).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ParameterType::Array => "array",
            ParameterType::Integer => "integer",
            ParameterType::Boolean => "boolean",
        }
    }
}

/// One query parameter of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parameter {
    /// The name exactly as Apple spells it, e.g. `filter[bundleId]`.
    pub name: &'static str,
    /// Array, integer or boolean.
    pub ty: ParameterType,
    /// For arrays: the allowed item values in Apple's order, comma-separated (see
    /// [`Parameter::value_list`]); empty means free-form strings.
    pub values: &'static str,
    /// For integers: the smallest accepted value (Apple's spec gives none; we use 1).
    pub minimum: Option<i64>,
    /// For integers: Apple's `maximum`.
    pub maximum: Option<i64>,
    /// Apple marks the parameter deprecated (it still works).
    pub deprecated: bool,
    /// The parameter to use instead, when Apple's spec or documentation names one.
    pub replacement: Option<&'static str>,
    /// Apple's description text.
    pub description: &'static str,
}

/// The characters an id may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdCharset {
    /// ASCII digits only (App Store Connect app ids, e.g. `6446998023`).
    Digits,
    /// ASCII letters, digits and `-`: the UUID-like or opaque ids of versions, builds, reviews,
    /// beta groups and testers (e.g. `2395b439-fccd-4645-95bc-97afbe9e379e`).
    Token,
}

impl IdCharset {
    /// Whether `c` is allowed.
    #[must_use]
    pub const fn allows(self, c: char) -> bool {
        match self {
            IdCharset::Digits => c.is_ascii_digit(),
            IdCharset::Token => c.is_ascii_alphanumeric() || c == '-',
        }
    }

    /// A regular-expression character class for documentation and the JSON table.
    #[must_use]
    pub const fn class(self) -> &'static str {
        match self {
            IdCharset::Digits => "[0-9]",
            IdCharset::Token => "[A-Za-z0-9-]",
        }
    }
}

/// What a resource id in the path must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRule {
    /// What the id names, in words (`beta group`), for messages.
    pub noun: &'static str,
    /// Allowed characters.
    pub charset: IdCharset,
    /// Fewest characters.
    pub min_length: usize,
    /// Most characters.
    pub max_length: usize,
    /// A valid example from Apple's documentation.
    pub example: &'static str,
    /// Where a person finds the right value; appended to every id error.
    pub help: &'static str,
}

impl IdRule {
    /// The rule as a regular expression, e.g. `^[0-9]{1,20}$`.
    #[must_use]
    pub fn pattern(&self) -> String {
        format!(
            "^{}{{{},{}}}$",
            self.charset.class(),
            self.min_length,
            self.max_length
        )
    }
}

/// One `{name}` segment of an operation's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathParameter {
    /// The name inside the braces, e.g. `id`.
    pub name: &'static str,
    /// Apple's description text.
    pub description: &'static str,
    /// What the value must look like.
    pub rule: IdRule,
}

/// One id in a write's request body: the flat field that carries it (a relationship name such as
/// `review` or `betaGroups`) and the rule each id must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyId {
    /// The relationship's name in Apple's document and the field's name in the flat body.
    pub field: &'static str,
    /// What each id must look like.
    pub rule: IdRule,
}

/// One operation the gateway forwards to Apple.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// Our operation id (the connector's), e.g. `ListApps`.
    pub id: &'static str,
    /// Apple's operationId, e.g. `apps_getCollection`.
    pub apple_operation_id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/v1/apps/{id}`.
    pub path: &'static str,
    /// A short title (Apple's documentation page title).
    pub summary: &'static str,
    /// What the operation does (Apple's documentation text).
    pub description: &'static str,
    /// List, get, related list or related get.
    pub kind: OperationKind,
    /// The `{...}` segments of `path`, in order.
    pub path_parameters: &'static [PathParameter],
    /// Every query parameter Apple's spec defines for the operation, in Apple's order.
    pub parameters: &'static [Parameter],
    /// The root node of Apple's request-body schema in `table::BODY_SCHEMAS`, when the operation takes
    /// a body (only writes do; a `DELETE` of one resource takes none).
    pub body: Option<usize>,
    /// The ids a write's body carries, with their rules.
    pub body_ids: &'static [BodyId],
    /// For a write: the read that shows whether it was applied.
    pub check_with: Option<&'static str>,
    /// For a write: how to check whether it was applied (a sentence for error messages); empty for reads.
    pub outcome_hint: &'static str,
}

impl Parameter {
    /// The allowed item values one by one (none for free-form strings).
    pub fn value_list(&self) -> impl Iterator<Item = &'static str> + Clone {
        self.values.split(',').filter(|v| !v.is_empty())
    }

    /// Whether `value` is one of the allowed values (`false` for free-form strings).
    #[must_use]
    pub fn allows_value(&self, value: &str) -> bool {
        self.value_list().any(|v| v == value)
    }
}

impl Operation {
    /// The query parameter with exactly this name.
    #[must_use]
    pub fn parameter(&self, name: &str) -> Option<&'static Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Whether the operation takes a request body (Apple's spec marks one required).
    #[must_use]
    pub const fn takes_body(&self) -> bool {
        self.body.is_some()
    }

    /// The id rule of a body field, if it carries ids.
    #[must_use]
    pub fn body_id(&self, field: &str) -> Option<&'static BodyId> {
        self.body_ids.iter().find(|b| b.field == field)
    }

    /// The path parameter with this name.
    #[must_use]
    pub fn path_parameter(&self, name: &str) -> Option<&'static PathParameter> {
        self.path_parameters.iter().find(|p| p.name == name)
    }
}
