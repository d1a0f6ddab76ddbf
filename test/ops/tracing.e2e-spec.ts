import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver.js';
import { startService, type ServiceProcess } from '../support/infra/service-process.js';
import { newSecret, signedHeaders } from '../support/signing.js';
import { uniqueId } from '../support/test-app.js';
import { waitFor } from '../support/wait.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

/** The spans of every OTLP/HTTP JSON export the collector received. */
function spansIn(collector: HttpReceiver): ExportedSpan[] {
  return collector.requests
    .filter((request) => request.path === '/v1/traces')
    .flatMap((request) => JSON.parse(request.body.toString()).resourceSpans as any[])
    .flatMap((resource) => resource.scopeSpans as any[])
    .flatMap((scope) => scope.spans as any[])
    .map((span) => ({
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId || undefined,
      name: span.name,
      kind: span.kind,
      attributes: Object.fromEntries(
        (span.attributes ?? []).map(({ key, value }: { key: string; value: AnyValue }) => [
          key,
          value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue,
        ]),
      ),
      links: (span.links ?? []).map((link: any) => ({ traceId: link.traceId, spanId: link.spanId })),
    }));
}

/** Waits up to 30 s for `find` to return something. */
const found = async <T>(find: () => T | undefined, what: string): Promise<T> => (await waitFor(find, 30_000, what))!;

describe('traces (the built service exporting OTLP/HTTP JSON to a local collector)', () => {
  const secret = newSecret();
  let collector: HttpReceiver;
  let service: ServiceProcess;
  let url: string;

  beforeAll(async () => {
    collector = await startHttpReceiver();
    ({ service, url } = await startService({
      LOG_LEVEL: 'info',
      WEBHOOK_SECRET: secret,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'webhook-inbox-test',
      // Export every 200 ms instead of every 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    }));
  }, 60_000);
  afterAll(async () => {
    await service?.terminate();
    await collector?.close();
  });

  it('puts the ingest span, the dispatch and the handler attempt in one trace, with the event id', async () => {
    const body = JSON.stringify({ id: uniqueId(), type: 'webhook_inbox.test', data: { hello: 'trace' } });
    const response = await fetch(`${url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedHeaders(secret, body) },
      body,
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };

    const ingest = await found(
      () =>
        spansIn(collector).find(
          (span) => span.name === 'POST /webhooks' && span.attributes['webhook_inbox.event.id'] === id,
        ),
      'the ingest span',
    );
    expect(ingest.kind).toBe(2); // SERVER
    expect(ingest.attributes).toMatchObject({
      'webhook_inbox.event.type': 'webhook_inbox.test',
      'webhook_inbox.event.source': 'default',
      'webhook_inbox.event.duplicate': false,
      'http.route': '/webhooks',
    });
    const inTrace = () => spansIn(collector).filter((span) => span.traceId === ingest.traceId);

    // The event's INSERT ran inside the ingest span (pg instrumented, ESM included).
    await waitFor(
      () => inTrace().some((span) => span.parentSpanId === ingest.spanId && /INSERT|pg/i.test(span.name)),
      30_000,
      'the INSERT span',
    );

    const dispatch = await found(
      () => inTrace().find((span) => span.name === 'webhook.dispatch'),
      'the dispatch span in the same trace',
    );
    expect(dispatch.parentSpanId).toBe(ingest.spanId);
    expect(dispatch.links).toEqual([{ traceId: ingest.traceId, spanId: ingest.spanId }]);
    // The Redis commands dispatch sends (the handler's job) are traced too.
    await waitFor(
      () =>
        inTrace().some(
          (span) => span.parentSpanId === dispatch.spanId && span.attributes['db.system.name'] === 'redis',
        ),
      30_000,
      'a Redis span under the dispatch',
    );

    const attempt = await found(
      () => inTrace().find((span) => span.name === 'webhook.handle InboxTestWebhookHandler'),
      'the handler attempt span in the same trace',
    );
    expect(attempt.parentSpanId).toBe(ingest.spanId);
    expect(attempt.attributes).toMatchObject({
      'webhook_inbox.event.id': id,
      'webhook_inbox.handler': 'InboxTestWebhookHandler',
      'webhook_inbox.delivery.attempt': 1,
      'webhook_inbox.delivery.outcome': 'succeeded',
    });
    // The delivery's bookkeeping happens in that span too (its start is claimed before it, by the job).
    expect(inTrace().filter((span) => span.name.startsWith('pg.')).length).toBeGreaterThan(2);
  }, 90_000);

  it("puts the trace id on the log lines written inside an event's spans", async () => {
    // The example's DTO refuses empty data: the attempt logs a warning, inside its span.
    const body = JSON.stringify({ id: uniqueId(), type: 'subscription_user_create', data: {} });
    const response = await fetch(`${url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedHeaders(secret, body) },
      body,
    });
    const { id } = (await response.json()) as { id: string };
    const line = await found(
      () =>
        service
          .output()
          .split('\n')
          .filter((text) => text.startsWith('{'))
          .map((text) => JSON.parse(text) as Record<string, unknown>)
          .find((entry) => entry.eventId === id && /^not run/.test(String(entry.msg))),
      "the attempt's log line",
    );
    expect(line.msg).toMatch(/not run, delivery dead: data is invalid/);
    expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const attempt = await found(
      () => spansIn(collector).find((span) => span.spanId === line.span_id),
      'the span the line names',
    );
    expect(attempt).toMatchObject({
      traceId: line.trace_id,
      name: expect.stringMatching(/^webhook\.handle /),
      attributes: expect.objectContaining({
        'webhook_inbox.event.id': id,
        'webhook_inbox.delivery.outcome': 'invalid',
      }),
    });
  }, 60_000);
});
