/**
 * What an event type may look like, wherever one is accepted: envelopes, handlers, admin filters.
 * "/" is there for senders whose topics use it (Shopify's `orders/create`).
 */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_.:/-]+$/;
export const MAX_TYPE_LENGTH = 128;
/** The rule, as said in every refusal. */
export const EVENT_TYPE_CHARACTERS = 'only letters, digits, "_", ".", ":", "/" and "-"';
