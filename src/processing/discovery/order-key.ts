import type { OrderingEvent } from '../api/on-webhook.decorator.js';

/** How a handler orders its deliveries, resolved from its options at boot. */
export interface HandlerOrdering {
  /** `orderBy` as written (the path, or `function`), for messages. */
  describe: string;
  keyOf: (event: OrderingEvent) => unknown;
  onDead: 'block' | 'skip';
  onMissingKey: 'refuse' | 'unordered';
}

/** Longest key kept; a longer one is refused rather than cut (two keys must never merge). */
export const MAX_ORDER_KEY_LENGTH = 500;
const PATH_PATTERN = /^[A-Za-z_$][\w$]*(\.([A-Za-z_$][\w$]*|\d+))*$/;

/** The function reading a dotted path (`data.subscription_id`), or undefined when the path is malformed. */
export function pathReader(path: string): ((event: OrderingEvent) => unknown) | undefined {
  if (!PATH_PATTERN.test(path)) return undefined;
  const steps = path.split('.');
  return (event) => {
    let value: unknown = event;
    for (const step of steps) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return undefined;
      value = (value as Record<string, unknown>)[step];
    }
    return value;
  };
}

/** The key of one event, null to run it outside any key, or why it is refused. */
export type OrderKeyResult = { key: string | null } | { refusal: string };

export function orderKeyOf(ordering: HandlerOrdering, event: OrderingEvent): OrderKeyResult {
  let value: unknown;
  try {
    value = ordering.keyOf(event);
  } catch (error) {
    return { refusal: `ordering key: orderBy (${ordering.describe}) threw: ${(error as Error)?.message ?? error}` };
  }
  if (value === undefined || value === null || value === '') {
    if (ordering.onMissingKey === 'unordered') return { key: null };
    return {
      refusal:
        `ordering key missing: orderBy (${ordering.describe}) gave ${value === '' ? 'an empty string' : String(value)} ` +
        `for this event; the handler refuses events without a key (onMissingKey: 'unordered' runs them outside any key)`,
    };
  }
  if (typeof value === 'number' && Number.isFinite(value)) return { key: String(value) };
  if (typeof value === 'bigint') return { key: value.toString() };
  if (typeof value !== 'string') {
    return {
      refusal: `ordering key invalid: orderBy (${ordering.describe}) gave a ${typeof value}, not a string or number`,
    };
  }
  if (value.length > MAX_ORDER_KEY_LENGTH) {
    return {
      refusal: `ordering key invalid: orderBy (${ordering.describe}) gave ${value.length} characters, more than ${MAX_ORDER_KEY_LENGTH}`,
    };
  }
  return { key: value };
}

/**
 * The event as an orderBy function sees it, from the stored row: `data` where the handler will
 * find it (`dataOf`: the source's data location; the envelope's `data` by default).
 */
export function orderingEvent(
  row: {
    id: string;
    external_id: string;
    source: string;
    type: string;
    payload: Record<string, unknown> | null;
  },
  dataOf: (source: string, payload: Record<string, unknown>) => Record<string, unknown> = (_source, payload) =>
    (payload.data ?? {}) as Record<string, unknown>,
): OrderingEvent {
  const payload = row.payload ?? {};
  return {
    id: row.id,
    externalId: row.external_id,
    source: row.source,
    type: row.type,
    data: dataOf(row.source, payload),
    createdAt: typeof payload.created_at === 'string' ? payload.created_at : undefined,
    payload,
  };
}
