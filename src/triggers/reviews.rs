//! "When a new customer review is posted": one poll, decided from Apple's pages.
//!
//! Apple has no review event and no date filter on `GET /v1/apps/{id}/customerReviews`, so the
//! gateway emulates `since`: it asks for `sort=-createdDate` (newest first) and reads pages until it
//! reaches reviews the flow has already seen. The state lives in an opaque [`Watermark`] that the
//! platform stores and passes back as `since` (the `pollingtrigger` policy's `triggerConfig` takes
//! it from the answer's root `watermark`), so the gateway keeps nothing.
//!
//! Rules (each is tested):
//! - No `since` (first poll): no items, and a watermark at the newest review (or at `now` when the
//!   app has none), so existing reviews never fire. One Apple request.
//! - A review is new when its `createdDate` second is after the watermark's, or equal to it and its
//!   id is not among the ids the watermark remembers for that second: reviews sharing a second fire
//!   once each, even when a poll boundary falls between them.
//! - Reading stops at the first review older than the watermark's second, so a poll with nothing
//!   new costs one request: the page asked for holds at least every remembered review of that
//!   second plus one (up to Apple's 200).
//! - At most one page size of reviews fires per poll: the OLDEST new ones. The next poll continues
//!   from them, so a burst larger than a page fires completely over several polls, oldest batch
//!   first. Within an answer, `value` is newest-first, as the platform expects of polling triggers.
//! - A quiet poll returns the watermark it was given, byte for byte.
//! - A review seen twice within one poll (Apple's pages shift when reviews arrive meanwhile) counts
//!   once.
//! - A backlog beyond [`MAX_PAGES_PER_POLL`] pages cannot be read oldest-first; the poll then fires
//!   the oldest of what it read and says `skipped: true` (older new reviews are lost).

use serde_json::{Map, Value};
use std::collections::HashSet;

use super::time::{format_rfc3339, parse_rfc3339};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::operations::encoding::encode as encode_component;
use crate::shape::links::{next_cursor, origin_of};

/// Apple's largest page (`limit` ≤ 200), and the default page and batch size.
pub const MAX_PAGE_SIZE: u32 = 200;
/// Most Apple pages one poll reads.
pub const MAX_PAGES_PER_POLL: usize = 25;
/// Watermarks longer than this are refused (the platform keeps them in a URL).
const MAX_WATERMARK_CHARS: usize = 16 * 1024;
const WATERMARK_PREFIX: &str = "w1.";

/// The poll state: the newest fired review's second and the ids fired at exactly that second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// Seconds since 1970 (UTC) of the newest review fired (or of the first poll).
    pub seconds: i64,
    /// Ids of the reviews fired whose `createdDate` is exactly `seconds`, sorted.
    pub ids: Vec<String>,
}

impl Watermark {
    /// `w1.` + base64url of `{"t":"<RFC 3339>","ids":[...]}` (opaque to the platform; readable when
    /// debugging).
    #[must_use]
    pub fn encode(&self) -> String {
        let doc = serde_json::json!({ "t": format_rfc3339(self.seconds), "ids": self.ids });
        let mut out = WATERMARK_PREFIX.to_owned();
        crate::b64::encode_url(crate::error::json_text(&doc).as_bytes(), &mut out);
        out
    }

    /// Reads a watermark made by [`Watermark::encode`].
    ///
    /// # Errors
    /// `WATERMARK_INVALID` for anything else.
    pub fn decode(text: &str) -> Result<Watermark> {
        let invalid = || {
            Error::with_details(
                ErrorCode::WatermarkInvalid,
                "since is not a watermark this gateway issued; leave it out to start over (the platform fills it from the previous answer's watermark).",
                vec![Detail {
                    code: ErrorCode::WatermarkInvalid,
                    message: "Not a watermark of this gateway.".to_owned(),
                    parameter: Some("since".to_owned()),
                }],
            )
        };
        if text.len() > MAX_WATERMARK_CHARS {
            return Err(invalid());
        }
        let body = text.strip_prefix(WATERMARK_PREFIX).ok_or_else(invalid)?;
        let bytes = crate::b64::decode_strict(body, true, false).ok_or_else(invalid)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
        let doc: Value = serde_json::from_str(text).map_err(|_| invalid())?;
        let seconds = doc
            .get("t")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339)
            .ok_or_else(invalid)?;
        let mut ids = Vec::new();
        for id in doc
            .get("ids")
            .and_then(Value::as_array)
            .ok_or_else(invalid)?
        {
            ids.push(id.as_str().ok_or_else(invalid)?.to_owned());
        }
        ids.sort();
        ids.dedup();
        Ok(Watermark { seconds, ids })
    }
}

/// One poll's parameters, as the trigger route received them.
#[derive(Debug, Clone, Default)]
pub struct ReviewPollRequest {
    /// The app's Apple id.
    pub app_id: String,
    /// The watermark from the previous answer, if any.
    pub since: Option<String>,
    /// `filter[rating]`: comma-separated stars 1 to 5.
    pub rating: Option<String>,
    /// `filter[territory]`: comma-separated three-letter territory codes.
    pub territory: Option<String>,
    /// Page and batch size (1 to 200; 0 means 200).
    pub page_size: u32,
    /// Seconds since 1970, for the first poll of an app without reviews.
    pub now: i64,
}

/// The finished poll.
#[derive(Debug, Clone, PartialEq)]
pub struct PollDone {
    /// The new reviews to fire, newest first, as flat records (`id`, `type`, Apple's attributes).
    pub value: Vec<Value>,
    /// The next `since`.
    pub watermark: String,
    /// True when the backlog was too long to read and older new reviews were skipped.
    pub skipped: bool,
}

impl PollDone {
    /// The trigger's answer body: `{"value": [...], "watermark": "..."}`.
    #[must_use]
    pub fn body(&self) -> Value {
        serde_json::json!({ "value": self.value, "watermark": self.watermark })
    }
}

/// The next step of a poll.
#[derive(Debug, Clone, PartialEq)]
pub enum PollStep {
    /// Call Apple: `GET {path}?{query}`, then call [`review_poll`] again with that page added.
    Fetch {
        /// `/v1/apps/{id}/customerReviews`.
        path: String,
        /// The encoded query.
        query: String,
    },
    /// No more requests: answer with this.
    Done(PollDone),
}

/// One review as the decision needs it.
struct Item {
    id: String,
    seconds: i64,
    record: Value,
}

fn request_invalid(details: Vec<Detail>) -> Error {
    let message = if details.len() == 1 {
        details[0].message.clone()
    } else {
        format!(
            "The trigger request has {} invalid parameters.",
            details.len()
        )
    };
    Error::with_details(ErrorCode::RequestInvalid, message, details)
}

fn check_list(
    value: &str,
    parameter: &str,
    ok: impl Fn(&str) -> bool,
    accepted: &str,
) -> Option<Detail> {
    if value.split(',').all(|v| !v.is_empty() && ok(v)) {
        return None;
    }
    Some(Detail {
        code: ErrorCode::ParameterEnumInvalid,
        message: format!("{parameter} accepts {accepted}, comma-separated."),
        parameter: Some(parameter.to_owned()),
    })
}

/// Validates the request; returns the path, the query (without cursor) and the decoded watermark.
fn prepare(req: &ReviewPollRequest) -> Result<(String, String, Option<Watermark>)> {
    // The app id follows the operation table's rule for apps (one implementation).
    let app_path = format!("/v1/apps/{}", req.app_id);
    if req.app_id.is_empty() || req.app_id.contains(['/', '?', '#', '%']) {
        return Err(Error::new(
            ErrorCode::IdInvalid,
            "the app id in the path is not valid: App IDs are the numeric Apple ID shown in App Store Connect.",
        ));
    }
    crate::operations::plan_request("GET", &app_path, "")?;
    let mut details = Vec::new();
    let rating = req.rating.as_deref().filter(|r| !r.is_empty());
    let territory = req.territory.as_deref().filter(|t| !t.is_empty());
    if let Some(r) = rating {
        details.extend(check_list(
            r,
            "rating",
            |v| matches!(v, "1" | "2" | "3" | "4" | "5"),
            "star ratings 1 to 5",
        ));
    }
    if let Some(t) = territory {
        details.extend(check_list(
            t,
            "territory",
            |v| v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()),
            "three-letter territory codes such as USA or GBR",
        ));
    }
    if req.page_size > MAX_PAGE_SIZE {
        details.push(Detail {
            code: ErrorCode::ParameterOutOfRange,
            message: format!("pageSize is 1 to {MAX_PAGE_SIZE}."),
            parameter: Some("pageSize".to_owned()),
        });
    }
    let mut since_error = None;
    let since = match req.since.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match Watermark::decode(s) {
            Ok(w) => Some(w),
            Err(e) => {
                details.extend(e.details.iter().cloned());
                since_error = Some(e);
                None
            }
        },
    };
    if !details.is_empty() {
        return Err(match since_error {
            Some(e) if details.len() == 1 => e,
            _ => request_invalid(details),
        });
    }
    let page_size = if req.page_size == 0 {
        MAX_PAGE_SIZE
    } else {
        req.page_size
    };
    let mut query = Vec::new();
    if let Some(r) = rating {
        query.push(format!("filter%5Brating%5D={}", encode_component(r)));
    }
    if let Some(t) = territory {
        query.push(format!("filter%5Bterritory%5D={}", encode_component(t)));
    }
    // Page 1 must be able to hold every review of the watermark's second plus one older review,
    // so that a quiet poll is decided by one request even when many reviews share that second.
    let remembered = since.as_ref().map_or(0, |w| w.ids.len());
    let limit = page_size
        .max(u32::try_from(remembered + 1).unwrap_or(MAX_PAGE_SIZE))
        .min(MAX_PAGE_SIZE);
    query.push(format!("limit={limit}"));
    query.push("sort=-createdDate".to_owned());
    Ok((
        format!("/v1/apps/{}/customerReviews", req.app_id),
        query.join("&"),
        since,
    ))
}

fn bad_page() -> Error {
    Error::new(
        ErrorCode::UpstreamBadResponse,
        "App Store Connect's customer reviews page is not the expected JSON:API document (each review needs an id and a createdDate).",
    )
}

/// Reads one page: its reviews and the cursor of the next page.
fn read_page(body: &str) -> Result<(Vec<Item>, Option<String>)> {
    let doc: Value = serde_json::from_str(body).map_err(|_| bad_page())?;
    let data = doc
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(bad_page)?;
    let mut items = Vec::with_capacity(data.len());
    for res in data {
        let id = res.get("id").and_then(Value::as_str).ok_or_else(bad_page)?;
        let attributes = res.get("attributes").and_then(Value::as_object);
        let seconds = attributes
            .and_then(|a| a.get("createdDate"))
            .and_then(Value::as_str)
            .and_then(parse_rfc3339)
            .ok_or_else(bad_page)?;
        let mut record = Map::new();
        record.insert("id".into(), id.into());
        record.insert(
            "type".into(),
            res.get("type").cloned().unwrap_or(Value::Null),
        );
        for (k, v) in attributes.into_iter().flatten() {
            if k != "id" && k != "type" {
                record.insert(k.clone(), v.clone());
            }
        }
        items.push(Item {
            id: id.to_owned(),
            seconds,
            record: Value::Object(record),
        });
    }
    let next = doc
        .pointer("/links/next")
        .and_then(Value::as_str)
        .and_then(|n| next_cursor(n, &origin_of(n)?));
    Ok((items, next))
}

/// Decides one poll step from the pages read so far (`pages` are Apple's answer bodies, in the
/// order they were fetched; empty at the start).
///
/// # Errors
/// `ID_INVALID`, `REQUEST_INVALID` (rating, territory, page size), `WATERMARK_INVALID`, and
/// `UPSTREAM_BAD_RESPONSE` for a page that is not a reviews document.
pub fn review_poll(req: &ReviewPollRequest, pages: &[&str]) -> Result<PollStep> {
    let (path, query, since) = prepare(req)?;
    let batch = if req.page_size == 0 {
        MAX_PAGE_SIZE as usize
    } else {
        req.page_size as usize
    };
    let Some(first) = pages.first() else {
        return Ok(PollStep::Fetch { path, query });
    };
    let Some(since) = since else {
        // First poll: remember the newest review (and its second's ties) without firing anything.
        let (items, _) = read_page(first)?;
        let watermark = match items.iter().map(|i| i.seconds).max() {
            None => Watermark {
                seconds: req.now,
                ids: Vec::new(),
            },
            Some(top) => {
                let mut ids: Vec<String> = items
                    .iter()
                    .filter(|i| i.seconds == top)
                    .map(|i| i.id.clone())
                    .collect();
                ids.sort();
                ids.dedup();
                Watermark { seconds: top, ids }
            }
        };
        return Ok(PollStep::Done(PollDone {
            value: Vec::new(),
            watermark: watermark.encode(),
            skipped: false,
        }));
    };

    // Only the last page can decide that another one is needed (an earlier page that reached the
    // watermark would have ended the poll), so each step parses one page until the last one.
    if pages.len() > 1 && pages.len() < MAX_PAGES_PER_POLL {
        let (items, cursor) = read_page(pages[pages.len() - 1])?;
        if let (false, Some(cursor)) = (items.iter().any(|i| i.seconds < since.seconds), cursor) {
            return Ok(PollStep::Fetch {
                path,
                query: format!("{query}&cursor={}", encode_component(&cursor)),
            });
        }
    }
    let mut fresh: Vec<Item> = Vec::new();
    let mut seen_now: HashSet<String> = HashSet::new();
    let mut reached = false;
    let mut next = None;
    for body in pages {
        let (items, cursor) = read_page(body)?;
        next = cursor;
        for item in items {
            if item.seconds < since.seconds {
                reached = true;
                break;
            }
            if !seen_now.insert(item.id.clone()) {
                continue;
            }
            if item.seconds > since.seconds || since.ids.binary_search(&item.id).is_err() {
                fresh.push(item);
            }
        }
        if reached {
            break;
        }
    }
    let mut skipped = false;
    if !reached {
        if let Some(cursor) = next {
            if pages.len() < MAX_PAGES_PER_POLL {
                return Ok(PollStep::Fetch {
                    path,
                    query: format!("{query}&cursor={}", encode_component(&cursor)),
                });
            }
            skipped = true;
        }
    }
    if fresh.is_empty() {
        return Ok(PollStep::Done(PollDone {
            value: Vec::new(),
            watermark: req.since.clone().unwrap_or_default(),
            skipped,
        }));
    }
    // Newest first (stable, so Apple's order within a second is kept), then the oldest batch.
    fresh.sort_by_key(|i| std::cmp::Reverse(i.seconds));
    let start = fresh.len().saturating_sub(batch);
    let fired = fresh.split_off(start);
    let top = fired[0].seconds;
    let mut ids: Vec<String> = fired
        .iter()
        .filter(|i| i.seconds == top)
        .map(|i| i.id.clone())
        .collect();
    if top == since.seconds {
        ids.extend(since.ids.iter().cloned());
    }
    ids.sort();
    ids.dedup();
    Ok(PollStep::Done(PollDone {
        value: fired.into_iter().map(|i| i.record).collect(),
        watermark: Watermark { seconds: top, ids }.encode(),
        skipped,
    }))
}
