//! Triggers through the public API: the review poll against a simulated Apple (bursts, ties,
//! pages, quiet polls), webhook subscription planning and the callback checks.
#![cfg(feature = "gateway")]
#![allow(clippy::unwrap_used)]

use asc_connector::triggers::time::{format_rfc3339, parse_rfc3339};
use asc_connector::triggers::{
    check_callback_url, created_webhook_id, parse_webhook_list, plan_subscribe, plan_unsubscribe,
    read_subscribe_body, review_poll, Family, PollDone, PollStep, ReviewPollRequest, SubscribePlan,
    SubscribeRequest, UnsubscribePlan, Watermark,
};
use asc_connector::ErrorCode;
use serde_json::{json, Value};
use std::collections::HashMap;

const APP: &str = "1234567890";
const T0: i64 = 1_714_000_000;

/// A stand-in for Apple's customer reviews of one app: newest first by createdDate, offset
/// cursors, `links.next` while more remain. Dates are written with a -07:00 offset as Apple does.
#[derive(Default)]
struct FakeApple {
    /// (id, seconds) in arrival order.
    reviews: Vec<(String, i64)>,
    requests: usize,
}

impl FakeApple {
    fn add(&mut self, id: &str, seconds: i64) {
        self.reviews.push((id.to_owned(), seconds));
    }

    fn get(&mut self, path: &str, query: &str) -> String {
        self.requests += 1;
        assert_eq!(path, format!("/v1/apps/{APP}/customerReviews"));
        let params: HashMap<&str, &str> = query
            .split('&')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        assert_eq!(params["sort"], "-createdDate");
        let limit: usize = params["limit"].parse().unwrap();
        let offset: usize = params.get("cursor").map_or(0, |c| c.parse().unwrap());
        let mut sorted: Vec<&(String, i64)> = self.reviews.iter().collect();
        // Newest first; within a second the later arrival first (Apple's tie order is unknown).
        sorted.reverse();
        sorted.sort_by_key(|r| std::cmp::Reverse(r.1));
        let data: Vec<Value> = sorted
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(id, s)| {
                let local = format_rfc3339(s - 7 * 3600).replace('Z', "-07:00");
                json!({"type": "customerReviews", "id": id, "attributes": {
                    "rating": 5, "title": format!("t{id}"), "body": "b", "reviewerNickname": "n",
                    "createdDate": local, "territory": "USA"}})
            })
            .collect();
        let mut links = json!({"self": "https://api.appstoreconnect.apple.com/x"});
        if offset + limit < sorted.len() {
            let base: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("cursor="))
                .collect();
            links["next"] = json!(format!(
                "https://api.appstoreconnect.apple.com{path}?{}&cursor={}",
                base.join("&"),
                offset + limit
            ));
        }
        json!({"data": data, "links": links}).to_string()
    }

    /// Runs one whole poll the way the gateway does; returns the answer.
    fn poll(&mut self, since: Option<&str>, page_size: u32, now: i64) -> PollDone {
        let req = ReviewPollRequest {
            app_id: APP.into(),
            since: since.map(str::to_owned),
            page_size,
            now,
            ..Default::default()
        };
        let mut pages: Vec<String> = Vec::new();
        loop {
            let refs: Vec<&str> = pages.iter().map(String::as_str).collect();
            match review_poll(&req, &refs).unwrap() {
                PollStep::Fetch { path, query } => {
                    let body = self.get(&path, &query);
                    pages.push(body);
                }
                PollStep::Done(done) => return done,
            }
        }
    }
}

fn ids(done: &PollDone) -> Vec<String> {
    done.value
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn fifty_reviews_in_bursts_over_twenty_polls_fire_once_each_in_order() {
    let mut apple = FakeApple::default();
    apple.add("old-1", T0 - 100);
    apple.add("old-2", T0 - 100);
    let page = 4;
    // Poll 0: no since → nothing fires, state set.
    let first = apple.poll(None, page, T0);
    assert!(first.value.is_empty());
    assert_eq!(apple.requests, 1);
    let mut since = first.watermark;

    // Bursts: (poll index, how many, seconds spacing). Ties: several reviews share a second, and
    // one burst continues the second of the previous burst's newest review.
    let bursts: HashMap<usize, Vec<i64>> = HashMap::from([
        (1, vec![T0, T0, T0]),                           // 3 tied
        (2, vec![T0, T0 + 1]),                           // one more at T0 (tie across polls)
        (4, (0..11).map(|i| T0 + 10 + i / 3).collect()), // 11, bigger than a page, ties
        (5, vec![T0 + 13, T0 + 13]),
        (8, vec![T0 + 20; 9]), // 9 in one second, > 2 pages
        (9, vec![T0 + 20, T0 + 21, T0 + 21]),
        (12, (0..14).map(|i| T0 + 30 + i).collect()),
        (13, vec![T0 + 44, T0 + 44]),
        (15, vec![T0 + 50, T0 + 50]),
        (17, vec![T0 + 60, T0 + 60]),
    ]);
    let total: usize = bursts.values().map(Vec::len).sum();
    assert_eq!(total, 50);

    let mut fired: Vec<String> = Vec::new();
    let mut fired_seconds: Vec<i64> = Vec::new();
    let mut n = 0;
    let mut quiet_polls = 0;
    let mut ids_by_second: HashMap<String, i64> = HashMap::new();
    for poll in 1..=20 {
        for s in bursts.get(&poll).into_iter().flatten() {
            n += 1;
            let id = format!("r{n:02}");
            ids_by_second.insert(id.clone(), *s);
            apple.add(&id, *s);
        }
        let before = apple.requests;
        let done = apple.poll(Some(&since), page, T0 + 1000);
        let cost = apple.requests - before;
        let got = ids(&done);
        assert!(
            got.len() <= page as usize,
            "poll {poll} fired {} > page",
            got.len()
        );
        assert!(!done.skipped);
        if got.is_empty() {
            quiet_polls += 1;
            assert_eq!(cost, 1, "quiet poll {poll} cost {cost} requests");
            assert_eq!(
                done.watermark, since,
                "quiet poll {poll} changed the watermark"
            );
        }
        // value is newest first; across polls batches go oldest first.
        let secs: Vec<i64> = got.iter().map(|id| ids_by_second[id]).collect();
        assert!(
            secs.windows(2).all(|w| w[0] >= w[1]),
            "poll {poll} not newest-first"
        );
        for id in got.iter().rev() {
            fired_seconds.push(ids_by_second[id]);
            fired.push(id.clone());
        }
        since = done.watermark;
    }
    // Drain what remains (bursts larger than a page continue on later polls).
    for _ in 0..10 {
        let done = apple.poll(Some(&since), page, T0 + 2000);
        for id in ids(&done).iter().rev() {
            fired_seconds.push(ids_by_second[id]);
            fired.push(id.clone());
        }
        since = done.watermark;
    }
    let mut sorted = fired.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), fired.len(), "a review fired twice: {fired:?}");
    assert_eq!(fired.len(), 50, "fired {} of 50", fired.len());
    assert!(
        fired.iter().all(|id| id.starts_with('r')),
        "an old review fired"
    );
    assert!(
        fired_seconds.windows(2).all(|w| w[0] <= w[1]),
        "reviews fired out of order: {fired_seconds:?}"
    );
    assert!(quiet_polls >= 5, "only {quiet_polls} quiet polls");
}

#[test]
fn first_poll_without_reviews_uses_now_and_later_reviews_fire() {
    let mut apple = FakeApple::default();
    let first = apple.poll(None, 0, T0);
    assert!(first.value.is_empty());
    assert_eq!(Watermark::decode(&first.watermark).unwrap().seconds, T0);
    apple.add("a", T0 + 5);
    let next = apple.poll(Some(&first.watermark), 0, T0 + 10);
    assert_eq!(ids(&next), ["a"]);
    let rec = &next.value[0];
    assert_eq!(rec["type"], "customerReviews");
    assert_eq!(rec["title"], "ta");
    assert_eq!(
        parse_rfc3339(rec["createdDate"].as_str().unwrap()),
        Some(T0 + 5)
    );
}

#[test]
fn a_quiet_poll_with_nothing_at_all_costs_one_request_and_keeps_the_watermark() {
    let mut apple = FakeApple::default();
    for i in 0..30 {
        apple.add(&format!("x{i}"), T0 - i);
    }
    let w = apple.poll(None, 5, T0).watermark;
    let before = apple.requests;
    let again = apple.poll(Some(&w), 5, T0);
    assert_eq!(apple.requests - before, 1);
    assert_eq!(again.watermark, w);
}

#[test]
fn a_backlog_longer_than_the_page_budget_is_flagged() {
    let mut apple = FakeApple::default();
    let w = apple.poll(None, 1, T0).watermark;
    for i in 0..40 {
        apple.add(&format!("b{i}"), T0 + 1 + i);
    }
    let done = apple.poll(Some(&w), 1, T0);
    assert!(done.skipped);
    assert_eq!(done.value.len(), 1);
}

#[test]
fn bad_requests_and_pages_have_specific_errors() {
    let req =
        |since: Option<&str>, rating: Option<&str>, territory: Option<&str>| ReviewPollRequest {
            app_id: APP.into(),
            since: since.map(str::to_owned),
            rating: rating.map(str::to_owned),
            territory: territory.map(str::to_owned),
            ..Default::default()
        };
    let code = |r: &ReviewPollRequest| review_poll(r, &[]).unwrap_err().code;
    assert_eq!(
        code(&req(Some("garbage"), None, None)),
        ErrorCode::WatermarkInvalid
    );
    assert_eq!(
        code(&req(Some("w1.e30"), None, None)),
        ErrorCode::WatermarkInvalid
    );
    let e = review_poll(&req(Some("nope"), Some("6"), Some("usa")), &[]).unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestInvalid);
    assert_eq!(e.details.len(), 3);
    let mut bad_app = req(None, None, None);
    bad_app.app_id = "com.example.app".into();
    assert_eq!(code(&bad_app), ErrorCode::IdInvalid);
    bad_app.app_id = "1/../2".into();
    assert_eq!(code(&bad_app), ErrorCode::IdInvalid);

    let ok = req(None, Some("1,5"), Some("USA,GBR"));
    match review_poll(&ok, &[]).unwrap() {
        PollStep::Fetch { path, query } => {
            assert_eq!(path, format!("/v1/apps/{APP}/customerReviews"));
            assert_eq!(
                query,
                "filter%5Brating%5D=1%2C5&filter%5Bterritory%5D=USA%2CGBR&limit=200&sort=-createdDate"
            );
        }
        other => panic!("{other:?}"),
    }
    for page in [
        "",
        "{}",
        r#"{"data":[{"id":"1"}]}"#,
        r#"{"data":[{"id":"1","attributes":{"createdDate":"yesterday"}}]}"#,
    ] {
        assert_eq!(
            review_poll(&ok, &[page]).unwrap_err().code,
            ErrorCode::UpstreamBadResponse
        );
    }
}

#[test]
fn watermark_round_trips() {
    let w = Watermark {
        seconds: T0,
        ids: vec!["a".into(), "b".into()],
    };
    let text = w.encode();
    assert!(text.starts_with("w1."));
    assert!(text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'));
    assert_eq!(Watermark::decode(&text).unwrap(), w);
}

// ---- Webhooks ----

fn listed(items: &[(&str, &str, &str)]) -> String {
    let data: Vec<Value> = items
        .iter()
        .map(|(id, name, url)| {
            json!({"type": "webhooks", "id": id, "attributes": {"name": name, "url": url,
                "enabled": true, "eventTypes": ["BUILD_UPLOAD_STATE_UPDATED"]}})
        })
        .collect();
    json!({"data": data, "links": {"self": "x"}}).to_string()
}

const CB: &str = "https://prod-1.westus.logic.azure.com/workflows/abc/triggers/t/run?sig=SECRETSIG";
const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn sub(url: &str) -> SubscribeRequest {
    SubscribeRequest {
        callback_url: url.into(),
        name: None,
    }
}

#[test]
fn subscribe_creates_the_apple_document() {
    let plan = plan_subscribe(APP, Family::BetaFeedback, &sub(CB), &listed(&[]), SECRET).unwrap();
    let SubscribePlan::Create { document } = plan else {
        panic!("{plan:?}")
    };
    assert_eq!(
        document,
        json!({"data": {"type": "webhooks", "attributes": {
            "name": "asc-connector:betaFeedback", "url": CB, "secret": SECRET,
            "eventTypes": ["BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED", "BETA_FEEDBACK_CRASH_SUBMISSION_CREATED"],
            "enabled": true},
            "relationships": {"app": {"data": {"type": "apps", "id": APP}}}}})
    );
    let named = SubscribeRequest {
        callback_url: CB.into(),
        name: Some("Release flow".into()),
    };
    let SubscribePlan::Create { document } =
        plan_subscribe(APP, Family::BuildUploadState, &named, &listed(&[]), SECRET).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        document["data"]["attributes"]["name"],
        "asc-connector:buildUploadState:Release flow"
    );
    assert_eq!(
        plan_subscribe(
            APP,
            Family::BuildUploadState,
            &sub(CB),
            &listed(&[]),
            "short"
        )
        .unwrap_err()
        .code,
        ErrorCode::OptionsInvalid
    );
}

#[test]
fn subscribing_twice_reuses_only_our_webhook_for_the_same_family_and_callback() {
    let list = listed(&[
        ("w-foreign", "my own hook", CB),
        ("w-other-family", "asc-connector:betaFeedback", CB),
        ("w-ours", "asc-connector:buildUploadState", CB),
    ]);
    assert_eq!(
        plan_subscribe(APP, Family::BuildUploadState, &sub(CB), &list, SECRET).unwrap(),
        SubscribePlan::Reuse {
            webhook_id: "w-ours".into()
        }
    );
    // Another callback (another flow) gets its own webhook.
    let other = format!("{CB}2");
    assert!(matches!(
        plan_subscribe(APP, Family::BuildUploadState, &sub(&other), &list, SECRET).unwrap(),
        SubscribePlan::Create { .. }
    ));
    // A foreign webhook with our callback is never reused.
    let only_foreign = listed(&[("w-foreign", "asc-connector-lookalike", CB)]);
    assert!(matches!(
        plan_subscribe(
            APP,
            Family::BuildUploadState,
            &sub(CB),
            &only_foreign,
            SECRET
        )
        .unwrap(),
        SubscribePlan::Create { .. }
    ));
}

#[test]
fn the_eleventh_webhook_gets_the_limit_error_listing_ours_without_signatures() {
    let mut items = Vec::new();
    let urls: Vec<String> = (0..10)
        .map(|i| format!("https://h{i}.example.com/cb?sig=SECRET{i}"))
        .collect();
    for (i, url) in urls.iter().enumerate() {
        let id = format!("w{i}");
        let name = if i % 2 == 0 {
            "asc-connector:betaFeedback".to_owned()
        } else {
            format!("team hook {i}")
        };
        items.push((id, name, url.clone()));
    }
    let refs: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let err =
        plan_subscribe(APP, Family::BetaFeedback, &sub(CB), &listed(&refs), SECRET).unwrap_err();
    assert_eq!(err.code, ErrorCode::WebhookLimitReached);
    assert_eq!(err.http_status(), 409);
    assert_eq!(err.details.len(), 5);
    for (i, d) in err.details.iter().enumerate() {
        assert_eq!(d.parameter.as_deref(), Some(format!("w{}", i * 2).as_str()));
        assert!(d
            .message
            .contains(&format!("https://h{}.example.com/cb", i * 2)));
    }
    let text = err.to_document().to_string();
    assert!(!text.contains("SECRET"), "{text}");
    assert!(err.message.contains(APP) && err.message.contains("10"));
}

#[test]
fn unsubscribe_deletes_only_ours_and_treats_missing_as_done() {
    let list = listed(&[
        ("mine", "asc-connector:externalBetaState", CB),
        ("theirs", "CI", CB),
    ]);
    assert_eq!(plan_unsubscribe("mine", &list), Ok(UnsubscribePlan::Delete));
    assert_eq!(
        plan_unsubscribe("gone", &list),
        Ok(UnsubscribePlan::AlreadyGone)
    );
    assert_eq!(
        plan_unsubscribe("theirs", &list).unwrap_err().code,
        ErrorCode::WebhookNotOurs
    );
    assert_eq!(
        plan_unsubscribe("x", "not json").unwrap_err().code,
        ErrorCode::UpstreamBadResponse
    );
    assert_eq!(
        parse_webhook_list(&list).unwrap()[0].family,
        Some(Family::ExternalBetaState)
    );
}

#[test]
fn created_webhook_id_reads_apples_answer() {
    assert_eq!(
        created_webhook_id(r#"{"data":{"type":"webhooks","id":"abc"}}"#),
        Ok("abc".into())
    );
    for bad in [
        "",
        "{}",
        r#"{"data":{"type":"apps","id":"1"}}"#,
        r#"{"data":{"type":"webhooks","id":""}}"#,
    ] {
        assert_eq!(
            created_webhook_id(bad).unwrap_err().code,
            ErrorCode::UpstreamBadResponse
        );
    }
}

#[test]
fn subscribe_body_reports_every_problem() {
    let ok = read_subscribe_body(
        &json!({"callbackUrl": CB, "name": " Nightly "}).to_string(),
        false,
    )
    .unwrap();
    assert_eq!(
        ok,
        SubscribeRequest {
            callback_url: CB.into(),
            name: Some("Nightly".into())
        }
    );
    let only_cb = read_subscribe_body(&json!({"callbackUrl": CB}).to_string(), false).unwrap();
    assert_eq!(only_cb.name, None);

    let code = |body: &str| read_subscribe_body(body, false).unwrap_err().code;
    assert_eq!(code("nope"), ErrorCode::TriggerBodyInvalid);
    assert_eq!(code("[]"), ErrorCode::TriggerBodyInvalid);
    assert_eq!(code("{}"), ErrorCode::TriggerBodyInvalid);
    assert_eq!(
        code(r#"{"callbackUrl":"http://example.com/x"}"#),
        ErrorCode::CallbackUrlNotHttps
    );
    let e = read_subscribe_body(
        r#"{"callbackUrl":"http://example.com/x","extra":1,"name":5}"#,
        false,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::TriggerBodyInvalid);
    let codes: Vec<ErrorCode> = e.details.iter().map(|d| d.code).collect();
    assert_eq!(codes.len(), 3);
    assert!(codes.contains(&ErrorCode::CallbackUrlNotHttps));
    assert!(read_subscribe_body(r#"{"callbackUrl":"http://127.0.0.1:9/cb"}"#, true).is_ok());
    assert_eq!(
        check_callback_url("http://127.0.0.1:9/cb", false)
            .unwrap_err()
            .code,
        ErrorCode::CallbackUrlNotHttps
    );
}

#[test]
fn a_quiet_poll_after_a_tie_larger_than_a_page_still_costs_one_request() {
    let mut apple = FakeApple::default();
    let mut w = apple.poll(None, 4, T0).watermark;
    for i in 0..9 {
        apple.add(&format!("t{i}"), T0 + 10);
    }
    let mut fired = 0;
    for _ in 0..3 {
        let done = apple.poll(Some(&w), 4, T0);
        fired += done.value.len();
        w = done.watermark;
    }
    assert_eq!(fired, 9);
    assert_eq!(Watermark::decode(&w).unwrap().ids.len(), 9);
    let before = apple.requests;
    let quiet = apple.poll(Some(&w), 4, T0);
    assert!(quiet.value.is_empty());
    assert_eq!(apple.requests - before, 1);
    // A late review in the same second still fires once.
    apple.add("late", T0 + 10);
    let late = apple.poll(Some(&w), 4, T0);
    assert_eq!(ids(&late), ["late"]);
}
