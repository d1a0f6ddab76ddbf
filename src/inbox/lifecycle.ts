/**
 * The event and delivery lifecycles, written down once. Every status change the store makes is
 * declared with `eventTransition` / `deliveryTransition`, which refuse (at module load, so at
 * boot and in every test run) a change these tables do not allow.
 */

export const EVENT_STATUSES = ['received', 'queued', 'processed', 'failed', 'ignored'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const DELIVERY_STATUSES = ['pending', 'running', 'succeeded', 'retrying', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * received → queued → processed | failed, or ignored when no handler takes the type.
 * An event is finished (processed or failed) from `received` too: the `queued` mark is a hint
 * committed asynchronously and may be lost. Only a replay moves a finished or ignored event back
 * to `queued`; `queued → queued` is the relay sending again a dispatch that Redis lost.
 */
export const EVENT_TRANSITIONS: Readonly<Record<EventStatus, readonly EventStatus[]>> = {
  received: ['queued', 'ignored', 'processed', 'failed'],
  queued: ['queued', 'ignored', 'processed', 'failed'],
  processed: ['queued'],
  failed: ['queued'],
  ignored: ['queued'],
};

/**
 * pending → running → succeeded | retrying (→ running …) | dead. `running → running` is a claim
 * taken over: the same job run again after a crash, or a lease that passed. `retrying → dead` is an
 * operator skipping the failing head of an ordered key. Only a replay (or an operator's retry of an
 * ordered key) moves a finished delivery back to `pending`.
 */
export const DELIVERY_TRANSITIONS: Readonly<Record<DeliveryStatus, readonly DeliveryStatus[]>> = {
  pending: ['running'],
  running: ['running', 'succeeded', 'retrying', 'dead'],
  retrying: ['running', 'dead'],
  succeeded: ['pending'],
  dead: ['pending'],
};

/** The rule for finishing an event, in one place: every delivery ended; failed if any is dead. */
export const UNFINISHED_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'running', 'retrying'];
export const FINISHED_EVENT_STATUSES: readonly EventStatus[] = ['processed', 'failed', 'ignored'];
/** What retention deletes on its own; `failed` waits for a replay or an operator's purge. */
export const EXPIRING_EVENT_STATUSES: readonly EventStatus[] = ['processed', 'ignored'];

export class IllegalTransitionError extends Error {
  constructor(kind: string, from: string, to: string) {
    super(`${kind} status cannot change from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export interface Transition<S extends string> {
  from: readonly S[];
  to: S;
  /** A SQL condition that is true when `column` holds one of `from` (see `statusIn`). */
  guard(column: string): string;
}

function transition<S extends string>(
  kind: string,
  table: Readonly<Record<S, readonly S[]>>,
  from: readonly S[],
  to: S,
): Transition<S> {
  for (const status of from) {
    if (!table[status]?.includes(to)) throw new IllegalTransitionError(kind, status, to);
  }
  return { from, to, guard: (column) => statusIn(column, from) };
}

export const eventTransition = (from: readonly EventStatus[], to: EventStatus) =>
  transition('event', EVENT_TRANSITIONS, from, to);

export const deliveryTransition = (from: readonly DeliveryStatus[], to: DeliveryStatus) =>
  transition('delivery', DELIVERY_TRANSITIONS, from, to);

export const canChangeEvent = (from: EventStatus, to: EventStatus) => EVENT_TRANSITIONS[from].includes(to);
export const canChangeDelivery = (from: DeliveryStatus, to: DeliveryStatus) => DELIVERY_TRANSITIONS[from].includes(to);

/**
 * `column IN (...)` written as a CASE, which no index matches. The statements that use it are
 * driven by a list of ids (one primary-key probe each); as a plain IN the planner may prefer the
 * status index whenever its statistics say few rows wait, and then reads the whole backlog of
 * waiting rows on every call, so each call costs more the larger the backlog is.
 */
export function statusIn(column: string, statuses: readonly string[]): string {
  const list = statuses.map((status) => `'${status.replace(/'/g, "''")}'`).join(', ');
  return `CASE WHEN ${column} IN (${list}) THEN true END`;
}
