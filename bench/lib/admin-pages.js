// Page latency of the admin event list at the table's full size: through GET /admin/events when the
// service has it, otherwise the same keyset query sent directly (and reported as such).
import { performance } from 'node:perf_hooks';

const PAGES_PER_LIST = 20;
const PAGE_SIZE = 50;

/** Keyset pagination over (received_at, id), as the ix_webhook_events_*_received indexes serve it. */
const LISTS = [
  { name: 'all, newest first', where: 'TRUE', params: [] },
  { name: 'type = invoice.paid', where: 'type = $3', params: ['invoice.paid'], query: 'type=invoice.paid' },
  { name: 'status = failed', where: 'status = $3', params: ['failed'], query: 'status=failed' },
];

export async function measureAdminPages({ url, adminKey, db }) {
  const probe = await fetch(`${url}/admin/events?limit=${PAGE_SIZE}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  await probe.arrayBuffer();
  if (probe.status === 200) return { via: 'GET /admin/events', lists: await viaHttp(url, adminKey) };
  return { via: `SQL keyset query (GET /admin/events answered ${probe.status})`, lists: await viaSql(db) };
}

async function viaHttp(url, adminKey) {
  const results = [];
  for (const list of LISTS) {
    const timings = [];
    let cursor;
    for (let page = 0; page < PAGES_PER_LIST; page++) {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (list.query) for (const [key, value] of new URLSearchParams(list.query)) query.set(key, value);
      if (cursor) query.set('cursor', cursor);
      const startedAt = performance.now();
      const response = await fetch(`${url}/admin/events?${query}`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const body = await response.json();
      timings.push(performance.now() - startedAt);
      if (response.status !== 200)
        throw new Error(`GET /admin/events?${query} answered ${response.status}: ${JSON.stringify(body)}`);
      cursor = body.nextCursor ?? body.next_cursor ?? body.cursor?.next ?? body.page?.nextCursor;
      if (!cursor) break;
    }
    results.push({ list: list.name, ...stats(timings) });
  }
  return results;
}

async function viaSql(db) {
  const results = [];
  for (const list of LISTS) {
    const timings = [];
    let cursor = ['infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];
    for (let page = 0; page < PAGES_PER_LIST; page++) {
      const startedAt = performance.now();
      const { rows } = await db.query(
        `SELECT id, source, external_id, type, status, received_at, processed_at FROM webhook_events
         WHERE ${list.where} AND (received_at, id) < ($1::timestamptz, $2::uuid)
         ORDER BY received_at DESC, id DESC LIMIT ${PAGE_SIZE}`,
        [...cursor, ...list.params],
      );
      timings.push(performance.now() - startedAt);
      if (rows.length < PAGE_SIZE) break;
      const last = rows[rows.length - 1];
      cursor = [last.received_at, last.id];
    }
    results.push({ list: list.name, ...stats(timings) });
  }
  return results;
}

function stats(timings) {
  const sorted = [...timings].sort((a, b) => a - b);
  const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 100) / 100;
  return { pages: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}
