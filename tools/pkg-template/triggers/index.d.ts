// Types of the triggers module (`asc-connector-wasm/triggers`): the pure decisions behind the
// gateway's flow triggers (webhook subscriptions, review polling; docs/TRIGGERS.md). Only the
// gateway needs them, so they are kept out of the main module. Every entry point exports the same
// bindings, ready to use (already initialised).
export {
  triggerFamilies,
  readSubscribeBody,
  planSubscribe,
  createdWebhookId,
  planUnsubscribe,
  reviewPoll,
} from './asc_connector.js';
export type {
  TriggerFamily,
  SubscribePlan,
  ReviewPollRequest,
  ReviewPollStep,
  Problem,
  AscConnectorError,
} from './asc_connector.js';
