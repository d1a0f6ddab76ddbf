/** What an event type may look like, wherever one is accepted: envelopes, handlers, admin filters. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_.:-]+$/;
export const MAX_TYPE_LENGTH = 128;
