import { Injectable, Module } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler } from '../../../src/processing/api/index.js';
import { countRun } from '../../support/run-counter.js';
import { TestEventsCatalog } from '../../support/test-events.js';

export { runsOf } from '../../support/run-counter.js';

interface Gate {
  entered: Promise<void>;
  enter: () => void;
  release: () => void;
  released: Promise<void>;
}
const gates = new Map<string, Gate>();
/** The gate of one event: GateHandler waits at it on its first run until the test releases it. */
export function gate(externalId: string): Gate {
  let gate = gates.get(externalId);
  if (!gate) {
    let enter!: () => void;
    let release!: () => void;
    const entered = new Promise<void>((resolve) => (enter = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    gate = { entered, enter, released, release };
    gates.set(externalId, gate);
  }
  return gate;
}

/** Counts every run; its first run of an event waits until the test opens that event's gate. */
@Injectable()
@OnWebhook('test.gate')
export class GateHandler implements WebhookHandler {
  async handle(event: WebhookEvent): Promise<void> {
    if (countRun('GateHandler', event) > 1) return;
    const g = gate(event.externalId);
    g.enter();
    await g.released;
  }
}

/** Hangs for good on its first run of an event (ignoring the abort signal), succeeds after. */
@Injectable()
@OnWebhook('test.hang', { timeoutMs: 300, attempts: 3, backoff: { type: 'fixed', delayMs: 50 }, concurrency: 1 })
export class HangingHandler implements WebhookHandler<{ hang?: boolean }> {
  async handle(event: WebhookEvent<{ hang?: boolean }>): Promise<void> {
    const n = countRun('HangingHandler', event);
    if (event.data.hang && n === 1) await new Promise(() => undefined);
  }
}

/** Fails every run of an event whose data says `poison`; one event at a time. */
@Injectable()
@OnWebhook('test.poison', { attempts: 3, backoff: { type: 'fixed', delayMs: 1000 }, concurrency: 1 })
export class PoisonSensitiveHandler implements WebhookHandler<{ poison?: boolean }> {
  handle(event: WebhookEvent<{ poison?: boolean }>): void {
    countRun('PoisonSensitiveHandler', event);
    if (event.data.poison) throw new Error('poison event');
  }
}

/** Just counts. */
@Injectable()
@OnWebhook('test.count')
export class CountingHandler implements WebhookHandler {
  handle(event: WebhookEvent): void {
    countRun('CountingHandler', event);
  }
}

@Module({
  imports: [TestEventsCatalog],
  providers: [GateHandler, HangingHandler, PoisonSensitiveHandler, CountingHandler],
})
export class ReliabilityHandlersModule {}
