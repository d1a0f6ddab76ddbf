import type { Envelope } from '../support/provider-events.js';
import { signedHeaders } from '../support/signing.js';
import { sleep } from '../support/wait.js';

export interface SendRecord {
  /** ms since the run started, when the request was sent. */
  at: number;
  ms: number;
  /** HTTP status, or 0 for a network error / client timeout. */
  status: number;
  /** Which api (index into the list) it went to. */
  api: number;
}

const REQUEST_TIMEOUT_MS = 10_000;
/** A real provider waits minutes between retries; the suite keeps them short. */
const MAX_RETRY_WAIT_MS = 1000;
/** Gives up on an event after this long (it then counts as never acknowledged: not a loss). */
const GIVE_UP_AFTER_MS = 120_000;

/**
 * Plays the payment provider: signs every request (Standard Webhooks), spreads them over the
 * apis like a load balancer would, and retries each event (same webhook-id, fresh signature)
 * until it gets a 2xx. Remembers what was acknowledged: from then on, only we have the event.
 */
export class Provider {
  /** external id → inbox id, for every event that got a 2xx. */
  readonly acked = new Map<string, string>();
  /** external ids answered 2xx with two different inbox ids (must stay empty). */
  readonly conflicting: string[] = [];
  readonly sends: SendRecord[] = [];
  readonly gaveUp: string[] = [];
  private next = 0;

  constructor(
    private readonly apis: string[],
    private readonly secret: string,
    private readonly startedAt: number,
  ) {}

  /** Sends `plan` in order, `concurrency` at a time, spread evenly over `durationMs`. */
  async run(plan: Envelope[], durationMs: number, concurrency: number): Promise<void> {
    const spacing = durationMs / plan.length;
    let index = 0;
    const lane = async () => {
      while (index < plan.length) {
        const mine = index++;
        const due = this.startedAt + mine * spacing;
        if (due > Date.now()) await sleep(due - Date.now());
        await this.deliver(plan[mine]);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }

  /** One event, retried until acknowledged (or given up on). */
  async deliver(envelope: Envelope): Promise<void> {
    const body = JSON.stringify(envelope);
    const firstTry = Date.now();
    for (let attempt = 0; ; attempt++) {
      const api = (this.next++ + attempt) % this.apis.length;
      const { status, retryAfterMs, inboxId } = await this.send(api, envelope.id, body);
      if (status >= 200 && status < 300) {
        const known = this.acked.get(envelope.id);
        if (known && known !== inboxId) this.conflicting.push(envelope.id);
        this.acked.set(envelope.id, inboxId!);
        return;
      }
      if (Date.now() - firstTry > GIVE_UP_AFTER_MS) {
        this.gaveUp.push(envelope.id);
        return;
      }
      await sleep(Math.min(retryAfterMs ?? 250, MAX_RETRY_WAIT_MS));
    }
  }

  private async send(
    api: number,
    id: string,
    body: string,
  ): Promise<{ status: number; retryAfterMs?: number; inboxId?: string }> {
    const started = Date.now();
    const record = (status: number) =>
      this.sends.push({ at: started - this.startedAt, ms: Date.now() - started, status, api });
    try {
      const response = await fetch(`${this.apis[api]}/webhooks`, {
        method: 'POST',
        // Every try signed afresh (a new timestamp), under the event's one webhook-id.
        headers: { 'content-type': 'application/json', ...signedHeaders(this.secret, body, { id }) },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      record(response.status);
      const retryAfter = Number(response.headers.get('retry-after'));
      let inboxId: string | undefined;
      if (response.ok) inboxId = (JSON.parse(text) as { id: string }).id;
      return { status: response.status, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined, inboxId };
    } catch {
      record(0);
      return { status: 0 };
    }
  }
}
