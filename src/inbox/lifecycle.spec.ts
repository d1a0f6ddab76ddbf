import {
  canChangeDelivery,
  canChangeEvent,
  DELIVERY_STATUSES,
  DELIVERY_TRANSITIONS,
  deliveryTransition,
  EVENT_STATUSES,
  EVENT_TRANSITIONS,
  eventTransition,
  IllegalTransitionError,
  statusIn,
  type DeliveryStatus,
  type EventStatus,
} from './lifecycle.js';

const pairs = <S extends string>(statuses: readonly S[]) =>
  statuses.flatMap((from) => statuses.map((to) => [from, to] as const));

// The lifecycles as the README documents them; a change to the tables must change this list too.
const EVENT_ALLOWED = new Set([
  'received→queued',
  'received→ignored',
  'received→processed',
  'received→failed',
  'queued→queued',
  'queued→ignored',
  'queued→processed',
  'queued→failed',
  'processed→queued',
  'failed→queued',
  'ignored→queued',
]);
const DELIVERY_ALLOWED = new Set([
  'pending→running',
  'running→running',
  'running→succeeded',
  'running→retrying',
  'running→dead',
  'retrying→running',
  'retrying→dead',
  'succeeded→pending',
  'dead→pending',
]);

describe('event lifecycle', () => {
  it.each(pairs(EVENT_STATUSES))('%s → %s is allowed exactly when documented', (from: EventStatus, to: EventStatus) => {
    const allowed = EVENT_ALLOWED.has(`${from}→${to}`);
    expect(canChangeEvent(from, to)).toBe(allowed);
    if (allowed) expect(eventTransition([from], to)).toMatchObject({ from: [from], to });
    else expect(() => eventTransition([from], to)).toThrow(IllegalTransitionError);
  });

  it('has an entry for every status and names only known statuses', () => {
    expect(Object.keys(EVENT_TRANSITIONS).sort()).toEqual([...EVENT_STATUSES].sort());
    for (const targets of Object.values(EVENT_TRANSITIONS))
      for (const to of targets) expect(EVENT_STATUSES).toContain(to);
  });

  it('refuses a declaration when any one of its sources is not allowed', () => {
    expect(() => eventTransition(['queued', 'processed'], 'failed')).toThrow(
      'event status cannot change from processed to failed',
    );
  });
});

describe('delivery lifecycle', () => {
  it.each(pairs(DELIVERY_STATUSES))(
    '%s → %s is allowed exactly when documented',
    (from: DeliveryStatus, to: DeliveryStatus) => {
      const allowed = DELIVERY_ALLOWED.has(`${from}→${to}`);
      expect(canChangeDelivery(from, to)).toBe(allowed);
      if (allowed) expect(deliveryTransition([from], to)).toMatchObject({ from: [from], to });
      else expect(() => deliveryTransition([from], to)).toThrow(IllegalTransitionError);
    },
  );

  it('has an entry for every status and names only known statuses', () => {
    expect(Object.keys(DELIVERY_TRANSITIONS).sort()).toEqual([...DELIVERY_STATUSES].sort());
    for (const targets of Object.values(DELIVERY_TRANSITIONS))
      for (const to of targets) expect(DELIVERY_STATUSES).toContain(to);
  });
});

describe('statusIn', () => {
  it('writes the status test as a CASE the planner cannot match to an index', () => {
    expect(statusIn('e.status', ['received', 'queued'])).toBe(
      "CASE WHEN e.status IN ('received', 'queued') THEN true END",
    );
  });

  it('quotes what it is given, so a status can never break out of the literal', () => {
    expect(statusIn('s', ["it's"])).toBe("CASE WHEN s IN ('it''s') THEN true END");
  });

  it('is what a declared transition guards with', () => {
    expect(eventTransition(['received', 'queued'], 'processed').guard('e.status')).toBe(
      statusIn('e.status', ['received', 'queued']),
    );
  });
});
