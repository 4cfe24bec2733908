//! Instant triggers as Apple webhooks: the event families, the `POST /v1/webhooks` document, this
//! connector's webhooks among Apple's list, and the at-limit error.
//!
//! A subscription is one Apple webhook on one app whose `url` is the flow's callback: Apple posts
//! events straight to the flow and the gateway keeps no state. The webhook's `name` marks it as
//! this connector's ([`NAME_PREFIX`] + family slug), so that
//! - subscribing twice with the same callback on the same app reuses the webhook (idempotent),
//! - unsubscribing deletes only webhooks this connector created,
//! - the error at Apple's limit of [`APPLE_WEBHOOKS_PER_APP`] lists the ones a maker may remove.

use serde_json::{json, Value};

use super::callback::check_callback_url;
use crate::error::{Detail, Error, ErrorCode, Result};

/// Prefix of the `name` of every webhook this connector creates.
pub const NAME_PREFIX: &str = "asc-connector:";

/// Apple's limit: "you can create up to ten webhooks per app" (App Store Connect Help).
pub const APPLE_WEBHOOKS_PER_APP: usize = 10;

/// Longest optional label a maker may add to the webhook name.
const MAX_LABEL_CHARS: usize = 64;

/// One instant trigger: a set of Apple webhook event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// An App Store version's state changed (including review states).
    AppStoreVersionState,
    /// A build upload's processing state changed.
    BuildUploadState,
    /// A build's external TestFlight state changed.
    ExternalBetaState,
    /// A tester sent screenshot or crash feedback.
    BetaFeedback,
}

impl Family {
    /// Every family, in the order the connector lists its triggers.
    pub const ALL: [Family; 4] = [
        Family::AppStoreVersionState,
        Family::BuildUploadState,
        Family::ExternalBetaState,
        Family::BetaFeedback,
    ];

    /// The route segment and webhook-name part, e.g. `buildUploadState`.
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            Family::AppStoreVersionState => "appStoreVersionState",
            Family::BuildUploadState => "buildUploadState",
            Family::ExternalBetaState => "externalBetaState",
            Family::BetaFeedback => "betaFeedback",
        }
    }

    /// The connector operation (trigger) for this family.
    #[must_use]
    pub const fn operation_id(self) -> &'static str {
        match self {
            Family::AppStoreVersionState => "OnAppStoreVersionStateChanged",
            Family::BuildUploadState => "OnBuildUploadStateChanged",
            Family::ExternalBetaState => "OnExternalBetaStateChanged",
            Family::BetaFeedback => "OnBetaFeedback",
        }
    }

    /// Apple's `WebhookEventType` values this family subscribes to.
    #[must_use]
    pub const fn event_types(self) -> &'static [&'static str] {
        match self {
            Family::AppStoreVersionState => &["APP_STORE_VERSION_APP_VERSION_STATE_UPDATED"],
            Family::BuildUploadState => &["BUILD_UPLOAD_STATE_UPDATED"],
            Family::ExternalBetaState => &["BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED"],
            Family::BetaFeedback => &[
                "BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED",
                "BETA_FEEDBACK_CRASH_SUBMISSION_CREATED",
            ],
        }
    }

    /// The family for a route segment.
    ///
    /// # Errors
    /// `TRIGGER_FAMILY_UNKNOWN` naming the accepted values.
    pub fn from_slug(slug: &str) -> Result<Family> {
        Family::ALL
            .into_iter()
            .find(|f| f.slug() == slug)
            .ok_or_else(|| {
                let accepted: Vec<&str> = Family::ALL.iter().map(|f| f.slug()).collect();
                Error::new(
                    ErrorCode::TriggerFamilyUnknown,
                    format!(
                        "There is no trigger for this event family; accepted: {}.",
                        accepted.join(", ")
                    ),
                )
            })
    }

    /// The `name` of this family's webhooks: `asc-connector:<slug>` or `asc-connector:<slug>:<label>`.
    #[must_use]
    pub fn webhook_name(self, label: Option<&str>) -> String {
        match label {
            Some(l) if !l.is_empty() => format!("{NAME_PREFIX}{}:{l}", self.slug()),
            _ => format!("{NAME_PREFIX}{}", self.slug()),
        }
    }

    /// The family a webhook name marks, when it is one of this connector's.
    #[must_use]
    pub fn of_name(name: &str) -> Option<Family> {
        let rest = name.strip_prefix(NAME_PREFIX)?;
        let slug = rest.split(':').next().unwrap_or("");
        Family::ALL.into_iter().find(|f| f.slug() == slug)
    }
}

/// The subscribe body, checked: `{"callbackUrl": "...", "name": "..."?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeRequest {
    /// The flow's callback (`x-ms-notification-url`), byte-exact.
    pub callback_url: String,
    /// An optional label added to the webhook's name in App Store Connect.
    pub name: Option<String>,
}

fn body_detail(message: impl Into<String>, parameter: &str) -> Detail {
    Detail {
        code: ErrorCode::TriggerBodyInvalid,
        message: message.into(),
        parameter: Some(parameter.to_owned()),
    }
}

/// Reads and checks the subscribe body (every problem at once).
///
/// # Errors
/// `TRIGGER_BODY_INVALID` with a detail per problem (callback problems keep their own codes as
/// details); a body whose only problems are the callback's gets the callback's error.
pub fn read_subscribe_body(body: &str, allow_loopback_http: bool) -> Result<SubscribeRequest> {
    let accepted =
        "send a JSON object {\"callbackUrl\": \"https://...\", \"name\": \"optional label\"}";
    let value: Value = serde_json::from_str(body).map_err(|_| {
        Error::new(
            ErrorCode::TriggerBodyInvalid,
            format!("The subscribe body is not JSON; {accepted}."),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(Error::new(
            ErrorCode::TriggerBodyInvalid,
            format!("The subscribe body is not a JSON object; {accepted}."),
        ));
    };
    let mut details = Vec::new();
    for key in map.keys() {
        if key != "callbackUrl" && key != "name" {
            details.push(body_detail(
                format!("Unknown property {key:?}; accepted: callbackUrl, name."),
                key,
            ));
        }
    }
    let mut callback_errors = Vec::new();
    let callback_url = match map.get("callbackUrl") {
        Some(Value::String(url)) => {
            if let Err(e) = check_callback_url(url, allow_loopback_http) {
                callback_errors = e.details;
            }
            url.clone()
        }
        Some(_) => {
            details.push(body_detail("callbackUrl must be a string.", "callbackUrl"));
            String::new()
        }
        None => {
            details.push(body_detail(
                "callbackUrl is missing (the platform fills it from x-ms-notification-url).",
                "callbackUrl",
            ));
            String::new()
        }
    };
    let name = match map.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > MAX_LABEL_CHARS {
                details.push(body_detail(
                    format!("name may have at most {MAX_LABEL_CHARS} characters."),
                    "name",
                ));
            } else if s.chars().any(char::is_control) {
                details.push(body_detail(
                    "name must not contain control characters.",
                    "name",
                ));
            }
            (!s.is_empty()).then(|| s.to_owned())
        }
        Some(_) => {
            details.push(body_detail("name must be a string.", "name"));
            None
        }
    };
    if details.is_empty() && !callback_errors.is_empty() {
        // Re-run for the callback's own error (its code and message).
        check_callback_url(&callback_url, allow_loopback_http)?;
    }
    details.extend(callback_errors);
    if !details.is_empty() {
        let n = details.len();
        let message = if n == 1 {
            details[0].message.clone()
        } else {
            format!("The subscribe body has {n} problems; {accepted}.")
        };
        return Err(Error::with_details(
            ErrorCode::TriggerBodyInvalid,
            message,
            details,
        ));
    }
    Ok(SubscribeRequest { callback_url, name })
}

/// One webhook from Apple's list, with what this connector knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedWebhook {
    /// Apple's webhook id.
    pub id: String,
    /// The webhook's name.
    pub name: String,
    /// Where Apple posts its events.
    pub url: String,
    /// The family, when the name marks it as this connector's.
    pub family: Option<Family>,
}

impl ListedWebhook {
    /// Whether this connector created it.
    #[must_use]
    pub fn is_ours(&self) -> bool {
        self.family.is_some()
    }
}

fn bad_response(what: &str) -> Error {
    Error::new(
        ErrorCode::UpstreamBadResponse,
        format!("App Store Connect's {what} is not the expected JSON:API document."),
    )
}

/// Reads Apple's `GET /v1/apps/{id}/webhooks` answer (`WebhooksResponse`).
///
/// # Errors
/// `UPSTREAM_BAD_RESPONSE` when it is not a JSON:API list of webhooks.
pub fn parse_webhook_list(body: &str) -> Result<Vec<ListedWebhook>> {
    let doc: Value = serde_json::from_str(body).map_err(|_| bad_response("webhook list"))?;
    let data = doc
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_response("webhook list"))?;
    let mut out = Vec::with_capacity(data.len());
    for item in data {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_response("webhook list"))?;
        let attr = |k: &str| {
            item.pointer(&format!("/attributes/{k}"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let name = attr("name");
        out.push(ListedWebhook {
            id: id.to_owned(),
            family: Family::of_name(&name),
            name,
            url: attr("url"),
        });
    }
    Ok(out)
}

/// What subscribing needs Apple to do.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscribePlan {
    /// This connector already has a webhook for this family and callback on the app: use it.
    Reuse {
        /// Apple's webhook id.
        webhook_id: String,
    },
    /// Create one: `POST /v1/webhooks` with this document.
    Create {
        /// The `WebhookCreateRequest`.
        document: Value,
    },
}

/// Decides how to subscribe, from Apple's current list of the app's webhooks.
///
/// `secret` is the fresh random secret the host generated (Apple signs deliveries with it).
///
/// # Errors
/// `WEBHOOK_LIMIT_REACHED` listing this connector's webhooks when the app has Apple's maximum;
/// `UPSTREAM_BAD_RESPONSE` for an unreadable list; `OPTIONS_INVALID` for an empty secret.
pub fn plan_subscribe(
    app_id: &str,
    family: Family,
    request: &SubscribeRequest,
    list_body: &str,
    secret: &str,
) -> Result<SubscribePlan> {
    if secret.len() < 16 {
        return Err(Error::new(
            ErrorCode::OptionsInvalid,
            "the webhook secret must have at least 16 characters",
        ));
    }
    let listed = parse_webhook_list(list_body)?;
    if let Some(existing) = listed
        .iter()
        .find(|w| w.family == Some(family) && w.url == request.callback_url)
    {
        return Ok(SubscribePlan::Reuse {
            webhook_id: existing.id.clone(),
        });
    }
    if listed.len() >= APPLE_WEBHOOKS_PER_APP {
        return Err(limit_error(app_id, &listed));
    }
    let document = json!({
        "data": {
            "type": "webhooks",
            "attributes": {
                "name": family.webhook_name(request.name.as_deref()),
                "url": request.callback_url,
                "secret": secret,
                "eventTypes": family.event_types(),
                "enabled": true,
            },
            "relationships": {
                "app": { "data": { "type": "apps", "id": app_id } }
            }
        }
    });
    Ok(SubscribePlan::Create { document })
}

/// A callback URL without its query: enough to tell flows apart, without the signature.
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or("")
}

/// The error at Apple's per-app limit: one detail per webhook this connector created on the app
/// (`parameter` = Apple's webhook id, message = its family and callback URL without the query).
#[must_use]
pub fn limit_error(app_id: &str, listed: &[ListedWebhook]) -> Error {
    let ours: Vec<&ListedWebhook> = listed.iter().filter(|w| w.is_ours()).collect();
    let details = ours
        .iter()
        .map(|w| Detail {
            code: ErrorCode::WebhookLimitReached,
            message: format!(
                "Webhook {} ({}) posts to {}",
                w.id,
                w.family.map_or("", Family::slug),
                without_query(&w.url)
            ),
            parameter: Some(w.id.clone()),
        })
        .collect();
    Error::with_details(
        ErrorCode::WebhookLimitReached,
        format!(
            "App {app_id} already has {} webhooks, Apple's maximum is {APPLE_WEBHOOKS_PER_APP}; {} of them were created by this connector (listed in details). Remove stale ones with the Delete webhook action or in App Store Connect (Users and Access, Integrations, Webhooks), then turn the flow off and on.",
            listed.len(),
            ours.len()
        ),
        details,
    )
}

/// Reads Apple's id of the webhook it just created (`WebhookResponse`).
///
/// # Errors
/// `UPSTREAM_BAD_RESPONSE` when the answer has no `data.id` of type `webhooks`.
pub fn created_webhook_id(body: &str) -> Result<String> {
    let doc: Value = serde_json::from_str(body).map_err(|_| bad_response("created webhook"))?;
    match (
        doc.pointer("/data/type").and_then(Value::as_str),
        doc.pointer("/data/id").and_then(Value::as_str),
    ) {
        (Some("webhooks"), Some(id)) if !id.is_empty() => Ok(id.to_owned()),
        _ => Err(bad_response("created webhook")),
    }
}

/// What unsubscribing needs Apple to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribePlan {
    /// `DELETE /v1/webhooks/{id}`.
    Delete,
    /// The webhook is no longer on the app: nothing to do (counts as done).
    AlreadyGone,
}

/// Decides whether a webhook may be deleted, from Apple's list of the app's webhooks: only a
/// webhook of this connector, on this app.
///
/// # Errors
/// `WEBHOOK_NOT_OURS` when the webhook is on the app but was not created by this connector.
pub fn plan_unsubscribe(webhook_id: &str, list_body: &str) -> Result<UnsubscribePlan> {
    let listed = parse_webhook_list(list_body)?;
    match listed.iter().find(|w| w.id == webhook_id) {
        None => Ok(UnsubscribePlan::AlreadyGone),
        Some(w) if w.is_ours() => Ok(UnsubscribePlan::Delete),
        Some(_) => Err(Error::new(
            ErrorCode::WebhookNotOurs,
            "This webhook was not created by this connector, so it is not deleted here; remove it in App Store Connect if it is no longer needed.",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn families_round_trip_and_cover_the_issue_table() {
        for f in Family::ALL {
            assert_eq!(Family::from_slug(f.slug()), Ok(f));
            assert_eq!(Family::of_name(&f.webhook_name(None)), Some(f));
            assert_eq!(Family::of_name(&f.webhook_name(Some("x:y"))), Some(f));
            assert!(f.operation_id().starts_with("On"));
        }
        let e = Family::from_slug("reviews").unwrap_err();
        assert_eq!(e.code, ErrorCode::TriggerFamilyUnknown);
        assert!(e.message.contains("betaFeedback"));
        assert_eq!(Family::of_name("my hook"), None);
        assert_eq!(Family::of_name("asc-connector:other"), None);
    }
}
