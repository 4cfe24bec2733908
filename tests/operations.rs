//! Tests of the operation table and the request planner, through the public API.
#![cfg(feature = "gateway")]
#![allow(clippy::unwrap_used)]

use asc_connector::operations::{
    find_operation, operations, plan_request, table_json, IdCharset, Operation, OperationKind,
    Parameter, ParameterType, Plan, MAX_PARAMETERS, MAX_QUERY_BYTES,
};
use asc_connector::{Error, ErrorCode};
use serde_json::Value;

// ---- helpers --------------------------------------------------------------------------------------

fn list(query: &str) -> Result<Plan, Error> {
    plan_request("GET", "/v1/apps", query)
}

fn get(id: &str, query: &str) -> Result<Plan, Error> {
    plan_request("GET", &format!("/v1/apps/{id}"), query)
}

fn ok(r: Result<Plan, Error>) -> Plan {
    match r {
        Ok(p) => p,
        Err(e) => panic!("expected a plan, got {e} {:?}", e.details),
    }
}

fn err(r: Result<Plan, Error>) -> Error {
    match r {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e,
    }
}

/// The error of an invalid request: REQUEST_INVALID, and its details' codes.
fn invalid(r: Result<Plan, Error>) -> (Error, Vec<ErrorCode>) {
    let e = err(r);
    assert_eq!(e.code, ErrorCode::RequestInvalid, "{e}");
    assert_eq!(e.http_status(), 400);
    assert!(!e.details.is_empty());
    let codes = e.details.iter().map(|d| d.code).collect();
    (e, codes)
}

/// Exactly one detail with this code and parameter; returns its message.
fn one_problem(r: Result<Plan, Error>, code: ErrorCode, parameter: &str) -> String {
    let (e, codes) = invalid(r);
    assert_eq!(codes, vec![code], "{e} {:?}", e.details);
    assert_eq!(e.details[0].parameter.as_deref(), Some(parameter));
    assert!(
        e.message.starts_with("1 problem with the query: "),
        "{}",
        e.message
    );
    e.details[0].message.clone()
}

/// The operation's own path with each `{name}` replaced by its id rule's example.
fn example_path(op: &Operation) -> String {
    let mut path = op.path.to_owned();
    for pp in op.path_parameters {
        path = path.replace(&format!("{{{}}}", pp.name), pp.rule.example);
    }
    path
}

/// The one operation list the table is generated from.
fn operation_list() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/operations/operations.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn list_op() -> &'static asc_connector::operations::Operation {
    find_operation("ListApps").unwrap()
}

fn get_op() -> &'static asc_connector::operations::Operation {
    find_operation("GetApp").unwrap()
}

// ---- the table against Apple's spec ---------------------------------------------------------------

fn vendored_spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/apple-apps-4.4.1.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Parameters (path-level then operation-level) of one operation in the vendored spec.
fn spec_parameters(spec: &Value, path: &str, method: &str) -> (String, Vec<Value>) {
    let item = &spec["paths"][path];
    let operation = &item[method.to_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {path} missing from the vendored spec"
    );
    let mut params: Vec<Value> = item["parameters"].as_array().cloned().unwrap_or_default();
    params.extend(
        operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    (
        operation["operationId"].as_str().unwrap().to_owned(),
        params,
    )
}

fn assert_parameter_matches(op: &str, table: &Parameter, spec: &Value) {
    let name = table.name;
    let schema = &spec["schema"];
    assert_eq!(
        schema["type"].as_str(),
        Some(table.ty.as_str()),
        "{op} {name}: type"
    );
    assert_eq!(
        spec["deprecated"].as_bool().unwrap_or(false),
        table.deprecated,
        "{op} {name}: deprecated"
    );
    assert_eq!(
        spec["description"].as_str().unwrap_or(""),
        table.description,
        "{op} {name}: description"
    );
    let spec_enum: Vec<&str> = schema["items"]["enum"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default();
    assert_eq!(
        spec_enum,
        table.value_list().collect::<Vec<_>>(),
        "{op} {name}: enum"
    );
    assert_eq!(
        schema["maximum"].as_i64(),
        table.maximum,
        "{op} {name}: maximum"
    );
    match table.ty {
        // Apple gives no minimum; the table's documented floor is 1.
        ParameterType::Integer => assert_eq!(
            schema["minimum"].as_i64().unwrap_or(1),
            table.minimum.unwrap(),
            "{op} {name}: minimum"
        ),
        _ => assert_eq!(table.minimum, None, "{op} {name}: minimum"),
    }
    if table.ty == ParameterType::Array {
        assert_eq!(spec["style"], "form", "{op} {name}: style");
        assert_eq!(spec["explode"], false, "{op} {name}: explode");
    }
    if let Some(r) = table.replacement {
        assert!(
            table.deprecated,
            "{op} {name}: replacement on a live parameter"
        );
        assert_ne!(r, name);
    }
}

#[test]
fn table_equals_the_vendored_spec_both_ways() {
    let spec = vendored_spec();
    assert_eq!(spec["info"]["version"], "4.4.1");
    let spec_paths = spec["paths"].as_object().unwrap();
    let mut covered = 0;
    for op in operations() {
        let (apple_id, params) = spec_parameters(&spec, op.path, op.method);
        assert_eq!(apple_id, op.apple_operation_id, "{}", op.id);
        let query: Vec<&Value> = params.iter().filter(|p| p["in"] == "query").collect();
        let path: Vec<&Value> = params.iter().filter(|p| p["in"] == "path").collect();
        // Every spec query parameter is in the table, identical.
        for p in &query {
            let name = p["name"].as_str().unwrap();
            let table = op
                .parameter(name)
                .unwrap_or_else(|| panic!("{}: {name} missing", op.id));
            assert_parameter_matches(op.id, table, p);
        }
        // Nothing extra, no duplicates.
        assert_eq!(
            query.len(),
            op.parameters.len(),
            "{}: parameter count",
            op.id
        );
        for t in op.parameters {
            assert_eq!(
                query.iter().filter(|p| p["name"] == t.name).count(),
                1,
                "{}: {} not in the spec exactly once",
                op.id,
                t.name
            );
        }
        // Path parameters: the same names, required.
        let spec_path: Vec<&str> = path.iter().map(|p| p["name"].as_str().unwrap()).collect();
        let table_path: Vec<&str> = op.path_parameters.iter().map(|p| p.name).collect();
        assert_eq!(spec_path, table_path, "{}: path parameters", op.id);
        for p in &path {
            assert_eq!(p["required"], true);
            let pp = op.path_parameter(p["name"].as_str().unwrap()).unwrap();
            assert_eq!(p["description"].as_str().unwrap(), pp.description);
        }
        // The kind is stated by the list, and agrees with Apple's operationId.
        let suffix = match op.kind {
            OperationKind::List => "_getCollection",
            OperationKind::Get => "_getInstance",
            OperationKind::RelatedList => "_getToManyRelated",
            OperationKind::RelatedGet => "_getToOneRelated",
            OperationKind::Create => "_createInstance",
            OperationKind::Update => "_updateInstance",
            OperationKind::Delete => "_deleteInstance",
            OperationKind::AddRelationship => "_createToManyRelationship",
            OperationKind::RemoveRelationship => "_deleteToManyRelationship",
        };
        assert!(op.apple_operation_id.ends_with(suffix), "{}", op.id);
        // A body exactly when Apple's spec requires one; only writes have one, and every write can
        // be checked afterwards.
        let spec_op = &spec_paths[op.path][op.method.to_ascii_lowercase()];
        assert_eq!(
            op.takes_body(),
            spec_op["requestBody"]["required"] == true,
            "{}: body",
            op.id
        );
        assert!(!op.takes_body() || op.kind.is_write(), "{}", op.id);
        assert_eq!(op.kind.is_write(), op.check_with.is_some(), "{}", op.id);
        assert_eq!(op.kind.is_write(), !op.outcome_hint.is_empty(), "{}", op.id);
        covered += 1;
    }
    // And the vendored subset has no operation the table lacks.
    let spec_ops: usize = spec_paths
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
                .count()
        })
        .sum();
    assert_eq!(spec_ops, covered);
}

#[test]
fn table_follows_the_operation_list() {
    let list = operation_list();
    let entries = list["operations"].as_array().unwrap();
    assert_eq!(entries.len(), operations().len());
    for (entry, op) in entries.iter().zip(operations()) {
        assert_eq!(entry["id"], op.id);
        assert_eq!(entry["appleOperationId"], op.apple_operation_id);
        assert_eq!(entry["kind"], op.kind.as_str());
        assert_eq!(entry["method"], op.method);
        assert_eq!(entry["path"], op.path);
        assert_eq!(entry["summary"], op.summary);
        assert_eq!(entry["description"], op.description);
        assert_eq!(
            entry["pathParameters"].as_object().unwrap().len(),
            op.path_parameters.len()
        );
        for pp in op.path_parameters {
            let rule_name = entry["pathParameters"][pp.name]["idRule"].as_str().unwrap();
            let rule = &list["idRules"][rule_name];
            assert_eq!(rule["example"], pp.rule.example, "{}", op.id);
            assert_eq!(rule["help"], pp.rule.help, "{}", op.id);
            assert_eq!(rule["minLength"].as_u64(), Some(pp.rule.min_length as u64));
            assert_eq!(rule["maxLength"].as_u64(), Some(pp.rule.max_length as u64));
        }
    }
}

#[test]
fn every_operation_plans_its_example_path_and_checks_its_ids() {
    for op in operations() {
        let path = example_path(op);
        let plan = ok(plan_request(op.method, &path, ""));
        assert_eq!(plan.operation_id, op.id);
        assert_eq!(plan.upstream_path, path);
        // A cursor is accepted exactly by the pageable kinds.
        let paged = plan_request(op.method, &path, "cursor=abc");
        assert_eq!(paged.is_ok(), op.kind.is_pageable(), "{}", op.id);
        for pp in op.path_parameters {
            let with = |id: &str| path.replace(pp.rule.example, id);
            // Too long, a character outside the rule, and a bundle ID are refused with the rule's help.
            let too_long = "1".repeat(pp.rule.max_length + 1);
            for bad in [too_long.as_str(), "a_b", "com.example.app"] {
                let e = err(plan_request(op.method, &with(bad), ""));
                assert_eq!(e.code, ErrorCode::IdInvalid, "{} {bad}", op.id);
                assert!(e.message.contains(pp.rule.help), "{}", e.message);
                assert_eq!(e.details[0].parameter.as_deref(), Some(pp.name));
            }
            let longest = match pp.rule.charset {
                IdCharset::Digits => "9".repeat(pp.rule.max_length),
                IdCharset::Token => "a-"
                    .repeat(pp.rule.max_length)
                    .split_at(pp.rule.max_length)
                    .0
                    .to_owned(),
            };
            ok(plan_request(op.method, &with(&longest), ""));
            // Digits rules refuse letters; token rules take UUIDs and plain digits.
            match pp.rule.charset {
                IdCharset::Digits => {
                    assert!(plan_request(op.method, &with("12a4"), "").is_err());
                }
                IdCharset::Token => {
                    ok(plan_request(
                        op.method,
                        &with("2395b439-fccd-4645-95bc-97afbe9e379e"),
                        "",
                    ));
                    ok(plan_request(op.method, &with("1234"), ""));
                }
            }
        }
    }
}

#[test]
fn table_counts_and_lookups() {
    let l = list_op();
    let g = get_op();
    assert_eq!(
        (l.method, l.path, l.kind),
        ("GET", "/v1/apps", OperationKind::List)
    );
    assert_eq!(
        (g.method, g.path, g.kind),
        ("GET", "/v1/apps/{id}", OperationKind::Get)
    );
    assert_eq!(l.parameters.len(), 57);
    assert_eq!(g.parameters.len(), 44);
    assert!(find_operation("listapps").is_none());
    assert_eq!(g.path_parameters[0].rule.pattern(), "^[0-9]{1,20}$");
    // GetApp takes exactly ListApps' fields, include and limit[...] parameters.
    for p in g.parameters {
        assert!(l.parameter(p.name).is_some(), "{}", p.name);
        assert!(
            p.name.starts_with("fields[") || p.name == "include" || p.name.starts_with("limit[")
        );
    }
}

#[test]
fn table_json_mirrors_the_table() {
    let json = table_json();
    let ops = json.as_array().unwrap();
    assert_eq!(ops.len(), operations().len());
    for (j, op) in ops.iter().zip(operations()) {
        assert_eq!(j["id"], op.id);
        assert_eq!(j["appleOperationId"], op.apple_operation_id);
        assert_eq!(j["method"], op.method);
        assert_eq!(j["path"], op.path);
        assert_eq!(j["kind"], op.kind.as_str());
        assert_eq!(j["summary"], op.summary);
        assert_eq!(j["description"], op.description);
        let params = j["parameters"].as_array().unwrap();
        assert_eq!(params.len(), op.parameters.len());
        for (jp, p) in params.iter().zip(op.parameters) {
            assert_eq!(jp["name"], p.name);
            assert_eq!(jp["type"], p.ty.as_str());
            assert_eq!(jp["deprecated"], p.deprecated);
            assert_eq!(jp["description"], p.description);
            assert_eq!(jp["maximum"].as_i64(), p.maximum);
            assert_eq!(jp["minimum"].as_i64(), p.minimum);
            let values: Vec<&str> = jp["enum"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(values, p.value_list().collect::<Vec<_>>());
        }
    }
    assert_eq!(ops[0]["pageable"], true);
    assert_eq!(ops[1]["pageable"], false);
    assert_eq!(ops[0]["pathParameters"].as_array().unwrap().len(), 0);
    let id = &ops[1]["pathParameters"][0];
    assert_eq!(id["name"], "id");
    assert_eq!(id["required"], true);
    assert_eq!(id["pattern"], "^[0-9]{1,20}$");
    let limit = ops[0]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (limit["minimum"].as_i64(), limit["maximum"].as_i64()),
        (Some(1), Some(200))
    );
}

// ---- routing --------------------------------------------------------------------------------------

#[test]
fn routes_and_upstream_paths() {
    let p = ok(list(""));
    assert_eq!(p.operation_id, "ListApps");
    assert_eq!(p.upstream_path, "/v1/apps");
    assert_eq!(
        (p.upstream_query.as_str(), p.paging_query.as_str()),
        ("", "")
    );
    assert_eq!(p.cursor, None);
    assert!(p.deprecations.is_empty());
    let p = ok(get("6446998023", ""));
    assert_eq!(p.operation_id, "GetApp");
    assert_eq!(p.upstream_path, "/v1/apps/6446998023");
    // A percent-encoded id is decoded, checked and re-encoded.
    assert_eq!(ok(get("%36%34", "")).upstream_path, "/v1/apps/64");
}

#[test]
fn unknown_routes() {
    for path in [
        "/v1/app",
        "/v1/apps/1/builds",
        "/v2/apps",
        "/",
        "/v1",
        "/healthz",
    ] {
        let e = err(plan_request("GET", path, ""));
        assert_eq!(e.code, ErrorCode::RouteNotFound, "{path}");
        assert_eq!(e.http_status(), 404);
        assert!(e.message.contains("GET /v1/apps/{id}"), "{}", e.message);
    }
    let e = err(plan_request("GET", "/v1/apps/", ""));
    assert_eq!(e.code, ErrorCode::RouteNotFound);
    assert!(
        e.message.contains("trailing slash: /v1/apps"),
        "{}",
        e.message
    );
    let e = err(plan_request("GET", "/v1/apps/123/", ""));
    assert!(
        e.message.contains("trailing slash: /v1/apps/123"),
        "{}",
        e.message
    );
    for path in ["//v1/apps", "/v1//apps", "/v1/apps//1"] {
        let e = err(plan_request("GET", path, ""));
        assert_eq!(e.code, ErrorCode::RouteNotFound, "{path}");
        assert!(e.message.contains("empty segment"), "{}", e.message);
    }
    let e = err(plan_request("GET", "/V1/Apps", ""));
    assert_eq!(e.code, ErrorCode::RouteNotFound);
    assert!(
        e.message.contains("case-sensitive: did you mean /v1/apps?"),
        "{}",
        e.message
    );
}

#[test]
fn path_tricks_are_rejected() {
    for path in [
        "/v1/apps/..",
        "/v1/apps/.",
        "/v1/../v1/apps",
        "/v1/apps/%2e%2e",
        "/v1/apps/%2E",
        "/v1/apps/1%2F2",
        "/v1/apps/1%5c2",
        "/v1%2Fapps",
        "/v1/apps\\1",
        "/v1/apps/1%00",
        "/v1/apps/1\n",
        "/v1/apps?limit=1",
        "/v1/apps#x",
        "/v1/apps/%zz",
        "/v1/apps/%C0%AF",
        "v1/apps",
        "",
        "https://evil.example/v1/apps",
    ] {
        let e = err(plan_request("GET", path, ""));
        assert_eq!(e.code, ErrorCode::RequestTargetInvalid, "{path:?}: {e}");
    }
    let e = err(plan_request(
        "GET",
        &format!("/v1/apps/{}", "1".repeat(5000)),
        "",
    ));
    assert_eq!(e.code, ErrorCode::RequestTooLarge);
}

#[test]
fn wrong_method() {
    for (method, path) in [
        ("POST", "/v1/apps"),
        ("PATCH", "/v1/apps/123"),
        ("DELETE", "/v1/apps/123"),
        ("get", "/v1/apps"),
        ("HEAD", "/v1/apps"),
    ] {
        let e = err(plan_request(method, path, ""));
        assert_eq!(e.code, ErrorCode::MethodNotAllowed, "{method} {path}");
        assert_eq!(e.http_status(), 405);
        assert!(e.message.contains("allowed: GET"), "{}", e.message);
    }
}

#[test]
fn app_id_rules() {
    let e = err(get("com.example.app", ""));
    assert_eq!(e.code, ErrorCode::IdInvalid);
    assert!(
        e.message.contains("looks like a bundle ID"),
        "{}",
        e.message
    );
    assert!(e
        .message
        .contains("numeric Apple ID shown in App Store Connect"));
    assert!(e.message.contains("filter[bundleId]"));
    assert_eq!(e.details[0].parameter.as_deref(), Some("id"));
    let e = err(get("12a4", ""));
    assert_eq!(e.code, ErrorCode::IdInvalid);
    assert!(e.message.contains("contains 'a'"), "{}", e.message);
    let e = err(get(&"1".repeat(21), ""));
    assert_eq!(e.code, ErrorCode::IdInvalid);
    assert!(e.message.contains("has 21 characters"), "{}", e.message);
    assert!(e.message.contains("1 to 20"), "{}", e.message);
    ok(get(&"9".repeat(20), ""));
    ok(get("1", ""));
    // Spaces, signs and unicode digits are not ASCII digits.
    for id in ["%201", "-1", "+1", "%D9%A1"] {
        assert_eq!(err(get(id, "")).code, ErrorCode::IdInvalid, "{id}");
    }
    // The id is checked before the query, and the method before the id.
    assert_eq!(err(get("abc", "zzz=1")).code, ErrorCode::IdInvalid);
    assert_eq!(
        err(plan_request("POST", "/v1/apps/abc", "")).code,
        ErrorCode::MethodNotAllowed
    );
}

// ---- parameter kinds ------------------------------------------------------------------------------

#[test]
fn free_string_arrays() {
    let p = ok(list("filter[bundleId]=com.a,com.b"));
    assert_eq!(p.upstream_query, "filter[bundleId]=com.a,com.b");
    let p = ok(list("filter%5Bname%5D=My+App%21"));
    assert_eq!(p.upstream_query, "filter[name]=My%20App%21");
    let p = ok(list("filter[sku]=%C3%A9t%C3%A9,caf%c3%a9"));
    assert_eq!(p.upstream_query, "filter[sku]=%C3%A9t%C3%A9,caf%C3%A9");
    // A literal comma inside an item cannot be expressed: %2C splits like ','.
    assert_eq!(
        ok(list("filter[id]=1%2C2")).upstream_query,
        "filter[id]=1,2"
    );
    // Raw non-ASCII text is accepted and encoded.
    assert_eq!(
        ok(list("filter[name]=Ünï")).upstream_query,
        "filter[name]=%C3%9Cn%C3%AF"
    );
    let m = one_problem(
        list("filter[name]=a%01b"),
        ErrorCode::ParameterTypeInvalid,
        "filter[name]",
    );
    assert!(m.contains("control character"), "{m}");
}

#[test]
fn empty_values_and_items() {
    let m = one_problem(
        list("filter[name]="),
        ErrorCode::ParameterEmpty,
        "filter[name]",
    );
    assert!(m.contains("is empty"), "{m}");
    let m = one_problem(list("limit"), ErrorCode::ParameterEmpty, "limit");
    assert!(m.contains("has no value"), "{m}");
    for q in [
        "include=builds,,appInfos",
        "include=builds,",
        "include=,builds",
    ] {
        let m = one_problem(list(q), ErrorCode::ParameterEmpty, "include");
        assert!(m.contains("empty item"), "{q}: {m}");
    }
    let (e, codes) = invalid(list("filter[name]=,"));
    assert_eq!(
        codes,
        vec![ErrorCode::ParameterEmpty, ErrorCode::ParameterEmpty],
        "{e}"
    );
    // Empty pieces between '&' are ignored.
    assert_eq!(ok(list("&&limit=5&")).upstream_query, "limit=5");
}

#[test]
fn the_query_goes_upstream_sorted_by_name() {
    let sorted = "fields[apps]=name&filter[name]=a&filter[sku]=s&include=builds&limit=5&sort=name";
    let pieces: Vec<&str> = sorted.split('&').collect();
    // Every rotation and the reverse of the sorted order plan to the same query.
    for k in 0..pieces.len() {
        let mut q = pieces.clone();
        q.rotate_left(k);
        assert_eq!(ok(list(&q.join("&"))).upstream_query, sorted);
        q.reverse();
        assert_eq!(ok(list(&q.join("&"))).paging_query, sorted);
    }
}

#[test]
fn every_enum_value_is_accepted() {
    for op in operations() {
        for p in op.parameters.iter().filter(|p| !p.values.is_empty()) {
            let path = example_path(op);
            let path = path.as_str();
            if p.name == "sort" {
                for v in p.value_list() {
                    let plan = ok(plan_request("GET", path, &format!("sort={v}")));
                    assert_eq!(plan.upstream_query, format!("sort={v}"));
                }
            } else {
                let all = p.values;
                let plan = ok(plan_request("GET", path, &format!("{}={all}", p.name)));
                assert_eq!(
                    plan.upstream_query,
                    format!("{}={all}", p.name),
                    "{}",
                    op.id
                );
            }
        }
    }
    // The samples the brief names, with their sizes from Apple's spec.
    let l = list_op();
    let values = |name: &str| l.parameter(name).unwrap().value_list().collect::<Vec<_>>();
    assert_eq!(values("include").len(), 25);
    assert_eq!(values("fields[apps]").len(), 55);
    assert_eq!(
        values("sort"),
        ["name", "-name", "bundleId", "-bundleId", "sku", "-sku"]
    );
    assert_eq!(
        values("filter[appStoreVersions.platform]"),
        ["IOS", "MAC_OS", "TV_OS", "VISION_OS"]
    );
}

#[test]
fn bad_enum_values() {
    let m = one_problem(
        list("filter[appStoreVersions.platform]=ios"),
        ErrorCode::ParameterEnumInvalid,
        "filter[appStoreVersions.platform]",
    );
    assert!(m.contains("did you mean 'IOS'?"), "{m}");
    assert!(m.contains("accepted: IOS, MAC_OS, TV_OS, VISION_OS"), "{m}");
    let m = one_problem(
        list("include=build"),
        ErrorCode::ParameterEnumInvalid,
        "include",
    );
    assert!(m.contains("did you mean 'builds'?"), "{m}");
    let m = one_problem(
        list("include=builds,%20appInfos"),
        ErrorCode::ParameterEnumInvalid,
        "include",
    );
    assert!(m.contains("remove the spaces"), "{m}");
    let m = one_problem(list("sort=-Name"), ErrorCode::ParameterEnumInvalid, "sort");
    assert!(m.contains("did you mean '-name'?"), "{m}");
    let m = one_problem(
        list("fields[apps]=colour"),
        ErrorCode::ParameterEnumInvalid,
        "fields[apps]",
    );
    assert!(!m.contains("did you mean"), "{m}");
    assert!(m.contains("bundleId"), "{m}");
    // Two bad items in one list are two problems.
    let (_, codes) = invalid(list("include=x,builds,y"));
    assert_eq!(codes, vec![ErrorCode::ParameterEnumInvalid; 2]);
}

#[test]
fn integers() {
    assert_eq!(ok(list("limit=1")).upstream_query, "limit=1");
    assert_eq!(ok(list("limit=200")).upstream_query, "limit=200");
    assert_eq!(ok(list("limit=007")).upstream_query, "limit=7");
    assert_eq!(
        ok(get("1", "limit[appClips]=50")).upstream_query,
        "limit[appClips]=50"
    );
    for v in ["0", "201", "-1", "99999999999999999999999", "-0"] {
        let m = one_problem(
            list(&format!("limit={v}")),
            ErrorCode::ParameterOutOfRange,
            "limit",
        );
        assert!(m.contains("from 1 to 200"), "{v}: {m}");
    }
    let m = one_problem(
        list("limit[builds]=51"),
        ErrorCode::ParameterOutOfRange,
        "limit[builds]",
    );
    assert!(m.contains("from 1 to 50"), "{m}");
    for v in ["abc", "1.5", "%2B5", "+5", "5%20", "1e2", "0x10", "-", "٣"] {
        let m = one_problem(
            list(&format!("limit={v}")),
            ErrorCode::ParameterTypeInvalid,
            "limit",
        );
        assert!(m.contains("whole number from 1 to 200"), "{v}: {m}");
    }
}

#[test]
fn booleans() {
    let p = ok(list("exists[gameCenterEnabledVersions]=false"));
    assert_eq!(p.upstream_query, "exists[gameCenterEnabledVersions]=false");
    ok(list("exists[gameCenterEnabledVersions]=true"));
    let m = one_problem(
        list("exists[gameCenterEnabledVersions]=TRUE"),
        ErrorCode::ParameterTypeInvalid,
        "exists[gameCenterEnabledVersions]",
    );
    assert!(
        m.contains("true or false") && m.contains("did you mean true?"),
        "{m}"
    );
    let m = one_problem(
        list("exists[gameCenterEnabledVersions]=0"),
        ErrorCode::ParameterTypeInvalid,
        "exists[gameCenterEnabledVersions]",
    );
    assert!(m.contains("did you mean false?"), "{m}");
    one_problem(
        list("exists[gameCenterEnabledVersions]=maybe"),
        ErrorCode::ParameterTypeInvalid,
        "exists[gameCenterEnabledVersions]",
    );
}

#[test]
fn repeated_parameters_and_items() {
    let m = one_problem(
        list("limit=1&limit=2"),
        ErrorCode::ParameterRepeated,
        "limit",
    );
    assert!(m.contains("more than once"), "{m}");
    // Reported once however often it repeats; `include[]` (PHP style) is another, unknown name.
    let (e, codes) = invalid(list(
        "include=builds&include%5B%5D=x&include=appInfos&include=builds",
    ));
    assert_eq!(
        codes,
        vec![ErrorCode::ParameterUnknown, ErrorCode::ParameterRepeated],
        "{e}"
    );
    assert!(e.details[0].message.contains("did you mean include?"));
    let (e, codes) = invalid(list("filter[name]=a&filter%5Bname%5D=b"));
    assert_eq!(codes, vec![ErrorCode::ParameterRepeated], "{e}");
    let m = one_problem(
        list("include=builds,builds"),
        ErrorCode::ParameterRepeated,
        "include",
    );
    assert!(m.contains("'builds' more than once"), "{m}");
    let m = one_problem(
        list("sort=name,-name"),
        ErrorCode::ParameterRepeated,
        "sort",
    );
    assert!(m.contains("sort key"), "{m}");
    ok(list("sort=name,-bundleId,sku"));
}

#[test]
fn unknown_parameters_get_suggestions() {
    let m = one_problem(
        list("filter[bundleid]=x"),
        ErrorCode::ParameterUnknown,
        "filter[bundleid]",
    );
    assert!(m.contains("did you mean filter[bundleId]?"), "{m}");
    let m = one_problem(list("limt=5"), ErrorCode::ParameterUnknown, "limt");
    assert!(m.contains("did you mean limit?"), "{m}");
    let m = one_problem(list("cusor=abc"), ErrorCode::ParameterUnknown, "cusor");
    assert!(m.contains("did you mean cursor?"), "{m}");
    let m = one_problem(
        get("1", "fields[app]=name"),
        ErrorCode::ParameterUnknown,
        "fields[app]",
    );
    assert!(m.contains("did you mean fields[apps]?"), "{m}");
    // No near name: list the family, or summarise what the operation accepts.
    let m = one_problem(
        list("filter[colour]=red"),
        ErrorCode::ParameterUnknown,
        "filter[colour]",
    );
    assert!(!m.contains("did you mean"), "{m}");
    assert!(m.contains("filter[name], filter[bundleId]"), "{m}");
    let m = one_problem(list("zzzzzz=1"), ErrorCode::ParameterUnknown, "zzzzzz");
    assert!(
        m.contains("fields[...] (25)") && m.contains("cursor"),
        "{m}"
    );
    let m = one_problem(list("=5"), ErrorCode::ParameterUnknown, "");
    assert!(m.contains("no name"), "{m}");
    // A huge unknown name is not echoed in full.
    let long = "x".repeat(3000);
    let (e, _) = invalid(list(&format!("{long}=1")));
    assert!(e.message.len() < 500 && e.details[0].message.len() < 1000);
}

#[test]
fn parameters_of_the_other_operation() {
    for q in [
        "filter[name]=x",
        "sort=name",
        "limit=5",
        "exists[gameCenterEnabledVersions]=true",
    ] {
        let name = q.split('=').next().unwrap();
        let m = one_problem(get("1", q), ErrorCode::ParameterNotAllowed, name);
        assert!(
            m.contains("not accepted by GetApp") && m.contains("ListApps"),
            "{m}"
        );
    }
    let m = one_problem(
        get("1", "cursor=abc"),
        ErrorCode::ParameterNotAllowed,
        "cursor",
    );
    assert!(m.contains("GetApp returns one resource"), "{m}");
}

#[test]
fn all_problems_are_reported_together() {
    let (e, codes) = invalid(list(
        "limit=500&filter[bundleid]=x&include=nope&limit[builds]=abc&exists[gameCenterEnabledVersions]=maybe&sort=name&sort=sku&filter[name]=",
    ));
    assert_eq!(
        codes,
        vec![
            ErrorCode::ParameterOutOfRange,
            ErrorCode::ParameterUnknown,
            ErrorCode::ParameterEnumInvalid,
            ErrorCode::ParameterTypeInvalid,
            ErrorCode::ParameterTypeInvalid,
            ErrorCode::ParameterRepeated,
            ErrorCode::ParameterEmpty,
        ]
    );
    let params: Vec<&str> = e
        .details
        .iter()
        .map(|d| d.parameter.as_deref().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "limit",
            "filter[bundleid]",
            "include",
            "limit[builds]",
            "exists[gameCenterEnabledVersions]",
            "sort",
            "filter[name]"
        ]
    );
    assert!(
        e.message
            .starts_with("7 problems with the query: limit must be from 1 to 200;"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("did you mean filter[bundleId]?"),
        "{}",
        e.message
    );
    assert!(e.message.contains("and 4 more"), "{}", e.message);
    let doc = e.to_document();
    assert_eq!(doc["error"]["code"], "REQUEST_INVALID");
    assert_eq!(doc["error"]["details"].as_array().unwrap().len(), 7);
    assert_eq!(doc["error"]["details"][1]["code"], "PARAMETER_UNKNOWN");
}

// ---- cursor ---------------------------------------------------------------------------------------

#[test]
fn cursor_passes_through() {
    let c = "AoJ4g7mg6o4DKzEwNzQ2ODIxOTc2.ANrJC88";
    let p = ok(list(&format!("cursor={c}&limit=2")));
    assert_eq!(p.cursor.as_deref(), Some(c));
    assert_eq!(p.paging_query, "limit=2");
    assert_eq!(p.upstream_query, format!("limit=2&cursor={c}"));
    let p = ok(list(&format!("cursor={c}")));
    assert_eq!(
        (p.paging_query.as_str(), p.upstream_query.as_str()),
        ("", format!("cursor={c}").as_str())
    );
    // '+' is literal in a cursor (not a space); '/' and '=' are allowed and encoded upstream.
    let p = ok(list("cursor=ab+c%2Fd%3D%3D"));
    assert_eq!(p.cursor.as_deref(), Some("ab+c/d=="));
    assert_eq!(p.upstream_query, "cursor=ab%2Bc%2Fd%3D%3D");
    let again = ok(list(&p.upstream_query));
    assert_eq!(again.cursor, p.cursor);
    assert_eq!(again.upstream_query, p.upstream_query);
}

#[test]
fn cursor_safety() {
    one_problem(list("cursor="), ErrorCode::ParameterEmpty, "cursor");
    one_problem(list("cursor"), ErrorCode::ParameterEmpty, "cursor");
    for bad in ["a%20b", "a%0Ab", "a%26b", "%C3%A9", "a%22b"] {
        let m = one_problem(
            list(&format!("cursor={bad}")),
            ErrorCode::ParameterTypeInvalid,
            "cursor",
        );
        assert!(m.contains("opaque token"), "{m}");
    }
    let m = one_problem(
        list(&format!("cursor={}", "A".repeat(3000))),
        ErrorCode::ParameterOutOfRange,
        "cursor",
    );
    assert!(m.contains("at most 2048"), "{m}");
    one_problem(
        list("cursor=a&cursor=b"),
        ErrorCode::ParameterRepeated,
        "cursor",
    );
}

// ---- deprecations ---------------------------------------------------------------------------------

#[test]
fn deprecated_parameters_work_and_are_reported() {
    let p = ok(list(
        "filter[appStoreVersions.appStoreState]=READY_FOR_SALE&limit=3",
    ));
    assert_eq!(
        p.upstream_query,
        "filter[appStoreVersions.appStoreState]=READY_FOR_SALE&limit=3"
    );
    assert_eq!(p.deprecations.len(), 1);
    let d = &p.deprecations[0];
    assert_eq!(d.code, ErrorCode::ParameterDeprecated);
    assert_eq!(
        d.parameter.as_deref(),
        Some("filter[appStoreVersions.appStoreState]")
    );
    assert!(
        d.message
            .contains("use filter[appStoreVersions.appVersionState] instead"),
        "{}",
        d.message
    );
    let p = ok(get(
        "1",
        "limit[gameCenterEnabledVersions]=5&fields[gameCenterEnabledVersions]=platform",
    ));
    assert_eq!(p.deprecations.len(), 2);
    assert!(p
        .deprecations
        .iter()
        .all(|d| d.message.contains("deprecated") && !d.message.contains("instead")));
    let p = ok(get("1", "limit[inAppPurchases]=5"));
    assert!(p.deprecations[0]
        .message
        .contains("limit[inAppPurchasesV2]"));
    // Every parameter Apple deprecates is reported; no other is.
    for op in operations() {
        for param in op.parameters {
            let value = match param.ty {
                ParameterType::Integer => "1",
                ParameterType::Boolean => "true",
                ParameterType::Array => param.value_list().next().unwrap_or("x"),
            };
            let path = example_path(op);
            let path = path.as_str();
            let plan = ok(plan_request(
                "GET",
                path,
                &format!("{}={value}", param.name),
            ));
            assert_eq!(
                plan.deprecations.len(),
                usize::from(param.deprecated),
                "{}",
                param.name
            );
        }
    }
    assert_eq!(
        list_op().parameters.iter().filter(|p| p.deprecated).count(),
        5
    );
}

// ---- canonical query ------------------------------------------------------------------------------

#[test]
fn canonical_order_and_encoding() {
    let p = ok(list(
        "sort=-name&limit=10&include=builds,appInfos&filter[name]=a+b&fields[apps]=name,bundleId&exists[gameCenterEnabledVersions]=true&limit[builds]=5",
    ));
    assert_eq!(
        p.upstream_query,
        "exists[gameCenterEnabledVersions]=true&fields[apps]=name,bundleId&filter[name]=a%20b&include=builds,appInfos&limit=10&limit[builds]=5&sort=-name"
    );
    assert_eq!(p.paging_query, p.upstream_query);
    // Same request, other order and other (valid) encodings: same canonical query.
    let q = ok(list(
        "limit%5Bbuilds%5D=5&filter%5bname%5d=a%20b&limit=010&sort=%2Dname&fields[apps]=name,bundleId&include=builds%2cappInfos&exists[gameCenterEnabledVersions]=true",
    ));
    assert_eq!(q.upstream_query, p.upstream_query);
}

#[test]
fn planning_the_canonical_query_again_is_identity() {
    for (path, query) in [
        ("/v1/apps", ""),
        (
            "/v1/apps",
            "filter[name]=a+b,c%2Fd,%5B%5D,~x_y.z-&limit=5&cursor=abc+def",
        ),
        (
            "/v1/apps",
            "filter[bundleId]=%E2%9C%93,%F0%9F%98%80&sort=sku,-name",
        ),
        (
            "/v1/apps/%31%32",
            "include=builds&limit[builds]=3&fields[builds]=version",
        ),
    ] {
        let first = ok(plan_request("GET", path, query));
        let second = ok(plan_request(
            "GET",
            &first.upstream_path,
            &first.upstream_query,
        ));
        assert_eq!(first, second, "{path}?{query}");
        let third = ok(plan_request(
            "GET",
            &first.upstream_path,
            &first.paging_query,
        ));
        assert_eq!(third.paging_query, first.paging_query);
        assert_eq!(third.cursor, None);
    }
}

// ---- garbage --------------------------------------------------------------------------------------

#[test]
fn malformed_queries() {
    for q in [
        "limit=%zz",
        "limit=%",
        "limit=5%",
        "limit=%4",
        "filter[name]=%C0%AF",
        "filter[name]=%FF",
        "%ZZ=1",
        "filter[name]=%ED%A0%80",
        "cursor=%E0%80%80",
    ] {
        let e = err(list(q));
        assert_eq!(e.code, ErrorCode::QueryMalformed, "{q}");
        assert_eq!(e.http_status(), 400);
        assert!(e.message.contains("cannot be decoded"), "{}", e.message);
    }
}

#[test]
fn size_limits() {
    let many: Vec<String> = (0..=MAX_PARAMETERS).map(|i| format!("p{i}=1")).collect();
    assert_eq!(err(list(&many.join("&"))).code, ErrorCode::RequestTooLarge);
    let (_, codes) = invalid(list(&many[..MAX_PARAMETERS].join("&")));
    assert_eq!(codes.len(), MAX_PARAMETERS);
    let huge = format!("filter[name]={}", "a".repeat(MAX_QUERY_BYTES));
    assert_eq!(err(list(&huge)).code, ErrorCode::RequestTooLarge);
    let big = format!("filter[name]={}", "a".repeat(5000));
    assert_eq!(err(list(&big)).code, ErrorCode::RequestTooLarge);
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_text(rng: &mut Rng, pieces: &[&str], max: usize) -> String {
    let n = rng.below(max + 1);
    (0..n).map(|_| pieces[rng.below(pieces.len())]).collect()
}

#[test]
fn random_input_never_panics_and_successes_are_canonical() {
    let pieces = [
        "&",
        "=",
        "%",
        "%2",
        "%5B",
        "%5D",
        "%2C",
        "%C3",
        "%A9",
        "%FF",
        "%C0%AF",
        "+",
        ",",
        "[",
        "]",
        "-",
        "limit",
        "limit[builds]",
        "include",
        "sort",
        "fields[apps]",
        "filter[name]",
        "cursor",
        "exists[",
        "gameCenterEnabledVersions]",
        "name",
        "builds",
        "IOS",
        "true",
        "1",
        "0",
        "200",
        "a",
        "é",
        "😀",
        "\u{0}",
        " ",
        "/",
        ".",
        "..",
        "\\",
        "?",
        "#",
    ];
    let paths = [
        "/v1/apps",
        "/v1/apps/1",
        "/v1/apps/",
        "/v1/apps/%31",
        "/v1/apps/x",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut planned = 0;
    for _ in 0..20_000 {
        let path = if rng.below(4) == 0 {
            random_text(
                &mut rng,
                &["/", "v1", "apps", "%2F", "..", "1", "%", "."],
                6,
            )
        } else {
            paths[rng.below(paths.len())].to_owned()
        };
        let query = random_text(&mut rng, &pieces, 12);
        match plan_request("GET", &path, &query) {
            Ok(plan) => {
                planned += 1;
                let again = plan_request("GET", &plan.upstream_path, &plan.upstream_query).unwrap();
                assert_eq!(again, plan, "{path}?{query}");
                assert!(plan.upstream_query.is_ascii());
            }
            Err(e) => {
                assert!(!e.message.is_empty());
                assert!(e.message.len() < 20_000);
            }
        }
    }
    assert!(planned > 100, "only {planned} random requests planned");
    // Random bytes, lossily made into text, in every position.
    for _ in 0..2_000 {
        let bytes: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let _ = plan_request(&text, &text, &text);
        let _ = plan_request("GET", "/v1/apps", &text);
        let _ = plan_request("GET", &format!("/v1/apps/{text}"), "");
    }
}
