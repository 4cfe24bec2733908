//! Triggers: the pure decisions behind the connector's flow triggers (docs/TRIGGERS.md).
//!
//! - [`reviews`]: "When a new customer review is posted" is a polling trigger. Apple has no review
//!   event and no date filter, so each poll reads Apple's reviews newest-first and decides, from an
//!   opaque watermark the platform keeps for us, which are new, whether another page is needed and
//!   what the next watermark is. The gateway stays stateless.
//! - [`webhooks`]: the instant triggers map to Apple webhooks (one per subscription). This module
//!   names the event families, builds the `POST /v1/webhooks` document, recognises this connector's
//!   webhooks in Apple's list (idempotent subscribe, safe unsubscribe) and builds the at-limit error.
//! - [`callback`]: checks a flow's callback URL before it is handed to Apple.
//! - [`time`]: RFC 3339 timestamps to seconds and back (Apple sends offsets such as `-07:00`).
//!
//! Like the rest of the crate this is pure: the host passes in the clock, the random webhook
//! secret and Apple's answers, and performs every request itself.

pub mod callback;
pub mod reviews;
pub mod time;
pub mod webhooks;

pub use callback::{check_callback_url, MAX_CALLBACK_URL_BYTES};
pub use reviews::{review_poll, PollDone, PollStep, ReviewPollRequest, Watermark};
pub use webhooks::{
    created_webhook_id, limit_error, parse_webhook_list, plan_subscribe, plan_unsubscribe,
    read_subscribe_body, Family, ListedWebhook, SubscribePlan, SubscribeRequest, UnsubscribePlan,
    APPLE_WEBHOOKS_PER_APP, NAME_PREFIX,
};
