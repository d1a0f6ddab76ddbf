import { Injectable, Module } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { OnWebhook, PermanentWebhookError, WebhookEvent, WebhookHandler } from '../../src/processing/api/index.js';
import { TestEventsCatalog } from '../support/test-events.js';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '../support/http-receiver.js';
import { newSecret, signedHeaders } from '../support/signing.js';
import { startTestApp, uniqueId, untilEventStatus, type TestApp } from '../support/test-app.js';
import { sleep, waitFor } from '../support/wait.js';

@Injectable()
@OnWebhook('alerts.refused')
export class AlertProbeRefusingHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    throw new PermanentWebhookError(`refused ${event.externalId} for good`);
  }
}

@Injectable()
@OnWebhook('alerts.other')
export class AlertProbeOtherHandler implements WebhookHandler {
  handle(): void {
    throw new PermanentWebhookError('also refused');
  }
}

/** Fails (for good: one attempt) when the event asks it to. */
@Injectable()
@OnWebhook('alerts.flaky', { attempts: 1 })
export class AlertProbeFlakyHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    if (event.data.fail) throw new Error('failing on request');
  }
}

@Module({
  imports: [TestEventsCatalog],
  providers: [AlertProbeRefusingHandler, AlertProbeOtherHandler, AlertProbeFlakyHandler],
})
class AlertProbeModule {}

const CHECK_INTERVAL_MS = 1000;

describe('alerts (a local receiver as ALERT_WEBHOOK_URL)', () => {
  const alertSecret = newSecret();
  const webhookSecret = newSecret();
  let receiver: HttpReceiver;
  let t: TestApp;
  let refuseNextSignatureAlert = true;

  beforeAll(async () => {
    receiver = await startHttpReceiver((request) => {
      // The target fails once: the alert must still arrive, on a retry.
      if (refuseNextSignatureAlert && JSON.parse(request.body.toString()).type === 'signature.failures') {
        refuseNextSignatureAlert = false;
        return 503;
      }
      return 200;
    });
    t = await startTestApp({
      extraImports: [AlertProbeModule],
      env: {
        WEBHOOK_SECRET: webhookSecret,
        ALERT_WEBHOOK_URL: `${receiver.url}/alerts`,
        ALERT_WEBHOOK_SECRET: alertSecret,
        ALERT_CHECK_INTERVAL: `${CHECK_INTERVAL_MS}ms`,
        ALERT_SIGNATURE_FAILURES: '3',
        ALERT_SIGNATURE_WINDOW: '1m',
        ALERT_HANDLER_MIN_ATTEMPTS: '2',
        ALERT_HANDLER_WINDOW: '1m',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Every alert received so far, verified with the reference `standardwebhooks` package (throws if one is not). */
  const verified = () =>
    receiver.requests.map((request: ReceivedRequest) => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      return new Webhook(alertSecret).verify(request.body.toString(), headers) as {
        type: string;
        timestamp: string;
        data: Record<string, unknown>;
      };
    });
  const alertsOf = (type: string, handler?: string) =>
    verified().filter((alert) => alert.type === type && (handler === undefined || alert.data.handler === handler));

  const nonEmpty = <T>(items: T[]) => (items.length > 0 ? items : undefined);

  const send = async (type: string, data: Record<string, unknown> = {}) => {
    const body = JSON.stringify({ id: uniqueId(), type, data });
    const response = await t.post(body, signedHeaders(webhookSecret, body));
    expect(response.status).toBe(200);
    return response.body.id as string;
  };

  it('sends one signed delivery.dead per handler until it recovers', async () => {
    const first = await send('alerts.refused');
    const [dead] = (await waitFor(
      () => nonEmpty(alertsOf('delivery.dead', 'AlertProbeRefusingHandler')),
      30_000,
      'the delivery.dead alert',
    ))!;
    expect(dead.data).toMatchObject({
      conditionKey: 'delivery.dead:AlertProbeRefusingHandler',
      eventId: first,
      eventType: 'alerts.refused',
      source: 'default',
      handler: 'AlertProbeRefusingHandler',
      attempts: 1,
    });
    expect(dead.data.lastError).toMatch(/^refused evt_.* for good$/);
    expect(dead.data.summary).toContain(first);

    // The same condition again, before any recovery (the first dead delivery is still there).
    const second = await send('alerts.refused');
    await untilEventStatus(t.db, second, 'failed');
    // Positive signal: a later, independent dead delivery's alert arrives…
    await send('alerts.other');
    await waitFor(() => alertsOf('delivery.dead', 'AlertProbeOtherHandler').length === 1, 30_000, 'the other alert');
    // …and a few more checks pass: still one alert for the first handler.
    await sleep(3 * CHECK_INTERVAL_MS);
    expect(alertsOf('delivery.dead', 'AlertProbeRefusingHandler')).toHaveLength(1);
  });

  it('re-arms delivery.dead once the handler has no dead delivery left', async () => {
    // As an operator's purge of the failed events would (the admin purge has no per-type filter).
    await t.db.query(`DELETE FROM webhook_events WHERE type = 'alerts.refused'`);
    await waitFor(
      async () =>
        (
          await t.db.query(
            `SELECT firing FROM alert_states WHERE condition_key = 'delivery.dead:AlertProbeRefusingHandler'`,
          )
        ).rows[0]?.firing === false,
      30_000,
      'the condition to re-arm',
    );
    const third = await send('alerts.refused');
    await waitFor(() => alertsOf('delivery.dead', 'AlertProbeRefusingHandler').length === 2, 30_000, 'a second alert');
    expect(alertsOf('delivery.dead', 'AlertProbeRefusingHandler')[1].data.eventId).toBe(third);
  });

  it('announces a failing handler once, then its recovery', async () => {
    for (let i = 0; i < 2; i++) await untilEventStatus(t.db, await send('alerts.flaky', { fail: true }), 'failed');
    const [failing] = (await waitFor(
      () => nonEmpty(alertsOf('handler.failing', 'AlertProbeFlakyHandler')),
      30_000,
      'the handler.failing alert',
    ))!;
    expect(failing.data).toMatchObject({
      attempts: 2,
      failures: 2,
      failureRatio: 1,
      threshold: 0.5,
      windowSeconds: 60,
    });

    // Three successes: 2 failures in 5 attempts is below the ratio.
    for (let i = 0; i < 3; i++) await untilEventStatus(t.db, await send('alerts.flaky'), 'processed');
    const [recovered] = (await waitFor(
      () => nonEmpty(alertsOf('handler.recovered', 'AlertProbeFlakyHandler')),
      30_000,
      'the handler.recovered alert',
    ))!;
    expect(recovered.data).toMatchObject({ attempts: 5, failures: 2 });
    expect(alertsOf('handler.failing', 'AlertProbeFlakyHandler')).toHaveLength(1);
  });

  it('announces signature refusals past the threshold once, retrying a failing target', async () => {
    const body = JSON.stringify({ id: uniqueId(), type: 'alerts.unsigned', data: {} });
    for (let i = 0; i < 4; i++) {
      const response = await t.post(body, { ...signedHeaders(newSecret(), body) });
      expect(response.status).toBe(401);
    }
    const [alert] = (await waitFor(
      () => nonEmpty(alertsOf('signature.failures')),
      30_000,
      'the signature.failures alert',
    ))!;
    expect(alert.data).toMatchObject({ threshold: 3, windowSeconds: 60 });
    expect(alert.data.failures).toBeGreaterThanOrEqual(3);
    expect(refuseNextSignatureAlert).toBe(false);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/webhook_inbox_alerts_sent_total\{condition="signature.failures",outcome="retried"\} 1/);
    expect(metrics).toMatch(/webhook_inbox_alerts_sent_total\{condition="signature.failures",outcome="sent"\} 1/);
    // Still above the threshold at later checks: nothing more.
    await sleep(3 * CHECK_INTERVAL_MS);
    expect(alertsOf('signature.failures')).toHaveLength(1);
  });
});
