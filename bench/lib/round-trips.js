// The service's round trips between two `stats()` snapshots (bench/servers/call-counter.js counts
// them inside the service process), per 1000 requests or events, and Postgres statements per event
// split between the acknowledgement and processing.

/** The statements the acknowledgement sends: the group-commit INSERT and its duplicate look-up. */
export const ACK_STATEMENTS = ['webhook-inbox:write-events', 'webhook-inbox:find-events'];

const isAck = (key) => ACK_STATEMENTS.some((name) => key === name || key.startsWith(`${name} (`));
const round1 = (value) => Math.round(value * 10) / 10;
const round2 = (value) => Math.round(value * 100) / 100;

function deltas(before, after, kind) {
  return Object.entries(after[kind]).map(([key, { calls, totalMs }]) => {
    const earlier = before[kind][key] ?? { calls: 0, totalMs: 0 };
    return { key, calls: calls - earlier.calls, totalMs: totalMs - earlier.totalMs };
  });
}

/** Postgres statements and Redis commands per 1000 requests between two snapshots, busiest first. */
export function roundTripsPer1000(before, after, requests) {
  const per = (kind) =>
    deltas(before, after, kind)
      .map(({ key, calls, totalMs }) => ({
        key,
        per1000: round1((calls / requests) * 1000),
        meanMs: calls ? round2(totalMs / calls) : 0,
        ...(kind === 'postgres' ? { side: isAck(key) ? 'ack' : 'processing' } : {}),
      }))
      .filter((entry) => entry.per1000 > 0)
      .sort((a, b) => b.per1000 - a.per1000);
  const postgres = per('postgres');
  const redis = per('redis');
  const total = (list) => round1(list.reduce((sum, entry) => sum + entry.per1000, 0));
  return { postgresTotal: total(postgres), redisTotal: total(redis), postgres, redis };
}

/**
 * Postgres statements per event: the acknowledgement's (ACK_STATEMENTS) and everything else
 * (processing: dispatch, deliveries, handlers' transactions, the relay's polls), and Redis
 * commands per event (all of them processing: the acknowledgement does not touch Redis).
 */
export function statementsPerEvent(before, after, events) {
  let ack = 0;
  let processing = 0;
  for (const { key, calls } of deltas(before, after, 'postgres')) {
    if (isAck(key)) ack += calls;
    else processing += calls;
  }
  const redis = deltas(before, after, 'redis').reduce((sum, entry) => sum + entry.calls, 0);
  const per = (value) => (events > 0 ? Math.round((value / events) * 1000) / 1000 : null);
  return {
    events,
    ack: per(ack),
    processing: per(processing),
    total: per(ack + processing),
    redisCommands: per(redis),
    counted: { ack, processing, redis },
  };
}
