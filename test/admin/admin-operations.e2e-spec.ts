import { ADMIN_ENV, adminClient } from '../support/admin-client.js';
import { AdminTestHandlersModule, failing } from '../support/admin-test-handlers.js';
import type { TestApp } from '../support/test-app.js';
import { eventStatus, startTestApp, uniqueId, waitFor } from '../support/test-app.js';

/** The value of one sample in Prometheus text, e.g. sample(text, 'x_total', {type: 'a'}). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('admin: handlers, event types, stats, metrics, docs and the queue dashboard', () => {
  let t: TestApp;
  let admin: ReturnType<typeof adminClient>;
  let processed: string;
  let failed: string;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [AdminTestHandlersModule], env: ADMIN_ENV });
    admin = adminClient(t);
    // Some traffic for the counts: one processed, one duplicate, one refused, one failed.
    const orderId = uniqueId();
    processed = (await t.post({ id: orderId, type: 'admin.order_placed', data: { order_id: 'o-1', quantity: 2 } })).body
      .id;
    await t.post({ id: orderId, type: 'admin.order_placed', data: { order_id: 'o-1', quantity: 2 } });
    expect((await t.post({ type: 'admin.order_placed' })).status).toBe(400);
    const failingId = uniqueId();
    failing.add(failingId);
    failed = (await t.post({ id: failingId, type: 'admin.switchable', data: {} })).body.id;
    await waitFor(
      async () =>
        (await eventStatus(t.db, processed)) === 'processed' && (await eventStatus(t.db, failed)) === 'failed',
      15_000,
      'traffic',
    );
  });
  afterAll(async () => t?.close());

  it('lists every discovered handler with its options, delivery counts and queue counts', async () => {
    await t.db.query(
      `INSERT INTO webhook_deliveries (event_id, handler, status, attempts, max_attempts) VALUES ($1, 'RetiredHandler', 'dead', 3, 3)`,
      [failed],
    );
    const { status, body } = await admin.get('/admin/handlers');
    expect(status).toBe(200);
    const byName = Object.fromEntries(body.map((h: { name: string }) => [h.name, h]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        'SwitchableHandler',
        'SteadyHandler',
        'OrderPlacedHandler',
        'SubscriptionRefundHandler',
        'RetiredHandler',
      ]),
    );
    expect(byName.OrderPlacedHandler).toMatchObject({
      types: ['admin.order_placed'],
      registered: true,
      options: {
        attempts: 5,
        timeoutMs: 5000,
        concurrency: 2,
        transactional: false,
        dto: 'OrderPlacedData',
        rateLimit: null,
        batchSize: 100,
      },
      queue: {
        queue: 'webhook-handler-OrderPlacedHandler',
        waiting: expect.any(Number),
        active: expect.any(Number),
        delayed: expect.any(Number),
        failed: expect.any(Number),
      },
    });
    expect(byName.OrderPlacedHandler.deliveries.succeeded).toBeGreaterThanOrEqual(1);
    expect(byName.SwitchableHandler.options.backoff).toEqual({ type: 'fixed', delayMs: 20, maxDelayMs: 3_600_000 });
    expect(byName.SwitchableHandler.deliveries.dead).toBeGreaterThanOrEqual(1);
    expect(byName.SubscriptionRefundHandler.options).toMatchObject({
      transactional: true,
      dto: 'SubscriptionRefundData',
    });
    expect(byName.RetiredHandler).toEqual({
      name: 'RetiredHandler',
      types: [],
      registered: false,
      options: null,
      deliveries: { pending: 0, running: 0, succeeded: 0, retrying: 0, dead: 1 },
      queue: null,
    });
  });

  it('lists every event type seen, catalogued or handled, with counts, last seen, handlers and the JSON schema of its DTO', async () => {
    const { status, body } = await admin.get('/admin/event-types');
    expect(status).toBe(200);
    const order = body.find((t: { type: string }) => t.type === 'admin.order_placed');
    const orderSchema = {
      type: 'object',
      properties: { order_id: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
      required: ['order_id', 'quantity'],
    };
    expect(order).toMatchObject({
      subscribed: true,
      processed: true,
      catalogued: true,
      dto: 'OrderPlacedData',
      dataSchema: orderSchema,
    });
    expect(order.byStatus.processed).toBeGreaterThanOrEqual(1);
    expect(order.total).toBeGreaterThanOrEqual(1);
    expect(Date.now() - Date.parse(order.lastSeenAt)).toBeLessThan(60_000);
    expect(order.handlers).toEqual([
      {
        name: 'OrderPlacedHandler',
        dto: 'OrderPlacedData',
        dataSchema: {
          type: 'object',
          properties: { order_id: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
          required: ['order_id', 'quantity'],
        },
      },
    ]);
    const refund = body.find((t: { type: string }) => t.type === 'subscription_event_refund');
    expect(refund).toMatchObject({ catalogued: true, dto: 'SubscriptionRefundData' });
    expect(refund.dataSchema.properties.currency).toEqual({ type: 'string', pattern: '^[A-Z]{3}$' });
    // The catalog's DTO applies to every handler of the type, the several-type timeline handler too.
    expect(refund.handlers.map((h: { name: string; dto: string }) => [h.name, h.dto])).toEqual([
      ['SubscriptionRefundHandler', 'SubscriptionRefundData'],
      ['SubscriptionTimelineHandler', 'SubscriptionRefundData'],
    ]);
    // Handled but never seen.
    expect(body.find((t: { type: string }) => t.type === 'admin.never_sent')).toMatchObject({
      total: 0,
      lastSeenAt: null,
      catalogued: true,
      dto: null,
      dataSchema: null,
      subscribed: true,
      processed: true,
      handlers: [{ name: 'NeverSentHandler', dto: null, dataSchema: null }],
    });
    const switchable = body.find((t: { type: string }) => t.type === 'admin.switchable');
    expect(switchable.handlers.map((h: { name: string }) => h.name)).toEqual(['SwitchableHandler', 'SteadyHandler']);
    expect(switchable.handlers[0].dataSchema).toBeNull();
  });

  it('reports counts by status and type for the last hour and day, queue depth, lag and backlog', async () => {
    const { status, body } = await admin.get('/admin/stats');
    expect(status).toBe(200);
    for (const window of [body.lastHour, body.lastDay]) {
      const order = window.byType.find((t: { type: string }) => t.type === 'admin.order_placed');
      expect(order.byStatus.processed).toBeGreaterThanOrEqual(1);
      expect(window.byStatus.failed).toBeGreaterThanOrEqual(1);
      expect(window.total).toBe(Object.values(window.byStatus as Record<string, number>).reduce((a, b) => a + b, 0));
      const bySource = window.bySource as { source: string; total: number }[];
      expect(bySource.reduce((sum, source) => sum + source.total, 0)).toBe(window.total);
      expect(bySource.map((source) => source.source)).toContain('default');
    }
    expect(body.lagLastHour.processed).toBeGreaterThanOrEqual(1);
    expect(body.lagLastHour.p50Ms).toEqual(expect.any(Number));
    expect(body.lagLastHour.p95Ms).toBeGreaterThanOrEqual(body.lagLastHour.p50Ms);
    // Other suites' leftovers may sit in the run's database, so only the shape is certain here.
    const { unfinished, oldestReceivedAt, oldestAgeSeconds } = body.backlog;
    expect(unfinished).toEqual(expect.any(Number));
    if (unfinished === 0) expect([oldestReceivedAt, oldestAgeSeconds]).toEqual([null, null]);
    else expect(oldestAgeSeconds).toBeCloseTo((Date.parse(body.generatedAt) - Date.parse(oldestReceivedAt)) / 1000, 0);
    const queues = body.queues.map((q: { queue: string }) => q.queue);
    expect(queues).toEqual(expect.arrayContaining(['webhook-dispatch', 'webhook-handler-SwitchableHandler']));
    expect(body.queues[0]).toEqual({
      queue: 'webhook-dispatch',
      waiting: expect.any(Number),
      active: expect.any(Number),
      delayed: expect.any(Number),
      failed: expect.any(Number),
    });
  });

  it('exposes Prometheus metrics: events by type and outcome, ack latency, handler duration, dead deliveries, queue depth', async () => {
    const response = await fetch(`${t.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(
      sample(text, 'webhook_inbox_events_received_total', { type: 'admin.order_placed', outcome: 'accepted' }),
    ).toBe(1);
    expect(
      sample(text, 'webhook_inbox_events_received_total', { type: 'admin.order_placed', outcome: 'duplicate' }),
    ).toBe(1);
    expect(sample(text, 'webhook_inbox_events_received_total', { type: '(unreadable)', outcome: 'rejected' })).toBe(1);
    expect(sample(text, 'webhook_inbox_ack_duration_seconds_count', { outcome: 'accepted' })).toBeGreaterThanOrEqual(2);
    expect(
      sample(text, 'webhook_inbox_ack_duration_seconds_bucket', { outcome: 'accepted', le: '+Inf' }),
    ).toBeGreaterThanOrEqual(2);
    // At least: this replica's relay may also pick up work other suites left in the run's database.
    expect(
      sample(text, 'webhook_inbox_handler_duration_seconds_count', {
        handler: 'OrderPlacedHandler',
        outcome: 'succeeded',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'webhook_inbox_handler_duration_seconds_count', { handler: 'SwitchableHandler', outcome: 'failed' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sample(text, 'webhook_inbox_handler_duration_seconds_count', { handler: 'SteadyHandler', outcome: 'succeeded' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'webhook_inbox_handler_duration_seconds_count', {
        handler: 'OrderPlacedHandler',
        outcome: 'failed',
      }),
    ).toBeUndefined();
    expect(
      sample(text, 'webhook_inbox_deliveries_dead_total', { handler: 'SwitchableHandler' }),
    ).toBeGreaterThanOrEqual(1);
    // Read from the shared state at scrape time.
    expect(sample(text, 'webhook_inbox_deliveries_dead', { handler: 'SwitchableHandler' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'webhook_inbox_queue_jobs', { queue: 'webhook-dispatch', state: 'waiting' })).toEqual(
      expect.any(Number),
    );
    expect(
      sample(text, 'webhook_inbox_queue_jobs', { queue: 'webhook-handler-OrderPlacedHandler', state: 'failed' }),
    ).toBe(0);
    expect(sample(text, 'webhook_inbox_events_unfinished')).toEqual(expect.any(Number));
    expect(sample(text, 'webhook_inbox_events_oldest_unfinished_age_seconds')).toEqual(expect.any(Number));
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'webhook_inbox_source_up', { source: 'redis' })).toBe(1);
    expect(sample(text, 'webhook_inbox_source_up', { source: 'postgres' })).toBe(1);
  });

  it('documents every admin route, its DTOs, error answers and the auth scheme in /docs-json', async () => {
    const response = await fetch(`${t.url}/docs-json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as any;
    expect(doc.components.securitySchemes['admin-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    const expected = [
      ['get', '/admin/events', '200'],
      ['delete', '/admin/events', '200'],
      ['post', '/admin/events/replay', '202'],
      ['get', '/admin/events/{id}', '200'],
      ['post', '/admin/events/{id}/replay', '200'],
      ['get', '/admin/handlers', '200'],
      ['get', '/admin/event-types', '200'],
      ['get', '/admin/subscriptions', '200'],
      ['put', '/admin/subscriptions', '200'],
      ['get', '/admin/subscriptions/history', '200'],
      ['get', '/admin/stats', '200'],
      ['post', '/admin/test-webhook', '200'],
      ['get', '/admin/rejections', '200'],
      ['get', '/admin/rejections/{id}', '200'],
      ['get', '/admin/ordering/blocked', '200'],
      ['post', '/admin/ordering/{handler}/{key}/skip', '200'],
      ['post', '/admin/ordering/{handler}/{key}/retry', '200'],
      ['get', '/admin/audit', '200'],
      ['get', '/admin/sources', '200'],
    ] as const;
    // The browser login: open by design (the key is what they take), so no security requirement.
    const login = [
      ['get', '/admin/login'],
      ['post', '/admin/session'],
      ['delete', '/admin/session'],
    ] as const;
    // Answered without a body.
    const noContent = [['delete', '/admin/rejections/{id}', '204']] as const;
    const adminOperations = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .filter(([path]) => path.startsWith('/admin'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    expect(adminOperations.sort()).toEqual(
      [...expected, ...noContent, ...login].map(([method, path]) => `${method} ${path}`).sort(),
    );
    for (const [method, path] of login) expect(doc.paths[path][method].security).toBeUndefined();
    expect(doc.components.securitySchemes['admin-session']).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'webhook_inbox_admin',
    });
    for (const [method, path, ok] of noContent) {
      const operation = doc.paths[path][method];
      expect(operation.security).toEqual([{ 'admin-key': [] }, { 'admin-session': [] }]);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([ok, '400', '401', '403', '404', '503']));
      expect(operation.summary).toEqual(expect.any(String));
    }
    for (const [method, path, ok] of expected) {
      const operation = doc.paths[path][method];
      const where = `${method} ${path}`;
      expect({ where, security: operation.security }).toEqual({
        where,
        security: [{ 'admin-key': [] }, { 'admin-session': [] }],
      });
      expect({ where, responses: Object.keys(operation.responses).sort() }).toEqual({
        where,
        responses: expect.arrayContaining([ok, '401', '403', '503']),
      });
      expect({ where, schema: Boolean(operation.responses[ok].content?.['application/json']?.schema) }).toEqual({
        where,
        schema: true,
      });
      expect(operation.summary).toEqual(expect.any(String));
    }
    const schemas = doc.components.schemas;
    expect(schemas.EventDetailDto.properties.deliveries.items.$ref).toBe('#/components/schemas/DeliveryDto');
    expect(schemas.DeliveryDto.properties.attemptLog.items.$ref).toBe('#/components/schemas/AttemptDto');
    expect(schemas.AttemptDto.properties.errorStack).toBeDefined();
    expect(
      schemas.RejectionDetailDto.properties.body.allOf?.[0]?.$ref ?? schemas.RejectionDetailDto.properties.body.$ref,
    ).toBe('#/components/schemas/RejectionBodyDto');
    expect(doc.paths['/admin/rejections'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'cursor',
      'limit',
    ]);
    expect(doc.paths['/admin/events'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'cursor',
      'from',
      'limit',
      'source',
      'status',
      'to',
      'type',
    ]);
    // The ingestion endpoint, with its signature headers and envelope; health and metrics.
    const ingest = doc.paths['/webhooks'].post;
    expect(ingest.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']),
    );
    expect(ingest.requestBody.content['application/json'].schema.required).toEqual(['type', 'data']);
    expect(Object.keys(ingest.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '413', '415', '503']));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready', '/metrics']));
  });

  it('serves Bull Board at /admin/queues behind the admin key, with every handler queue', async () => {
    const anonymous = await fetch(`${t.url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ statusCode: 401 });
    expect(
      (await fetch(`${t.url}/admin/queues/api/queues`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);

    const page = await admin.get('/admin/queues');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>webhook-inbox queues</title>');
    const { status, body } = await admin.get(
      '/admin/queues/api/queues?activeQueue=webhook-dispatch&status=latest&page=1',
    );
    expect(status).toBe(200);
    expect(body.queues.map((q: { name: string }) => q.name)).toEqual(
      expect.arrayContaining([
        'webhook-dispatch',
        'webhook-handler-SwitchableHandler',
        'webhook-handler-SteadyHandler',
        'webhook-handler-OrderPlacedHandler',
        'webhook-handler-SubscriptionCreatedHandler',
      ]),
    );
  });
});
