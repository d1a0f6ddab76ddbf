import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter } from 'prom-client';
import { signWebhook } from '../../shared/signature/standard-webhooks.verifier.js';
import { InboxMetrics } from '../metrics/inbox-metrics.js';
import { slackBody, standardBody, summaryOf, type Alert } from './alert-message.js';
import { ALERT_OPTIONS, type AlertOptions } from './alert-options.js';

const DEFAULT_DELIVERY = { attempts: 6, firstRetryMs: 1000, timeoutMs: 5000 };
/** On shutdown, messages still being sent get this long before they are given up. */
const SHUTDOWN_WAIT_MS = 2000;

/**
 * Sends alerts to ALERT_WEBHOOK_URL in the background: a caller never waits for the target, and a
 * failing target is retried with doubling delays, each try counted in
 * webhook_inbox_alerts_sent_total{condition,outcome}. One message keeps its webhook-id across
 * retries, so a receiver can drop a copy whose answer we missed.
 */
@Injectable()
export class AlertNotifier implements OnApplicationShutdown {
  private readonly logger = new Logger('Alerts');
  /** The whsec_ secret alerts are signed with (Standard Webhooks format only). */
  private readonly secret?: string;
  private readonly delivery: { attempts: number; firstRetryMs: number; timeoutMs: number };
  private readonly sending = new Set<Promise<void>>();
  private readonly stopped = new AbortController();
  private readonly outcomes: Counter<'condition' | 'outcome'>;

  constructor(
    @Inject(ALERT_OPTIONS) private readonly options: AlertOptions,
    metrics: InboxMetrics,
  ) {
    if (options.format === 'standard') this.secret = options.secret;
    this.delivery = options.delivery ?? DEFAULT_DELIVERY;
    this.outcomes = new Counter({
      name: 'webhook_inbox_alerts_sent_total',
      help:
        'Alert messages by condition and outcome: sent (the target answered 2xx), retried (a try failed, ' +
        'another follows), dropped (every try failed, or the process stopped).',
      labelNames: ['condition', 'outcome'] as const,
      registers: [metrics.registry],
    });
  }

  send(alert: Alert): void {
    const sending = this.deliver(alert).finally(() => this.sending.delete(sending));
    this.sending.add(sending);
  }

  async onApplicationShutdown(): Promise<void> {
    const all = Promise.all(this.sending);
    await Promise.race([all, sleep(SHUTDOWN_WAIT_MS, undefined, { ref: false })]);
    this.stopped.abort();
    await all;
  }

  private async deliver(alert: Alert): Promise<void> {
    const id = `msg_alert_${randomUUID()}`;
    const body = this.options.format === 'slack' ? slackBody(alert) : standardBody(alert);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.post(id, body);
        this.outcomes.inc({ condition: alert.type, outcome: 'sent' });
        this.logger.log({ msg: `alert sent: ${alert.type}: ${summaryOf(alert)}`, alert: alert.key });
        return;
      } catch (error) {
        const last = attempt >= this.delivery.attempts || this.stopped.signal.aborted;
        this.outcomes.inc({ condition: alert.type, outcome: last ? 'dropped' : 'retried' });
        const why = `alert ${alert.type} (${alert.key}), try ${attempt}/${this.delivery.attempts}: ${(error as Error).message}`;
        if (last) {
          this.logger.error(`${why}; given up: ${summaryOf(alert)}`);
          return;
        }
        this.logger.warn(`${why}; retrying`);
        const delay = this.delivery.firstRetryMs * 2 ** (attempt - 1);
        await sleep(delay, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      }
    }
  }

  private async post(id: string, body: string): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'webhook-inbox-alerts',
    };
    if (this.secret) {
      // Signed at each try: the receiver checks the timestamp's freshness.
      const seconds = Math.floor(Date.now() / 1000);
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(seconds);
      headers['webhook-signature'] = signWebhook(this.secret, id, seconds, body);
    }
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.any([AbortSignal.timeout(this.delivery.timeoutMs), this.stopped.signal]),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the target answered ${response.status}`);
  }
}
