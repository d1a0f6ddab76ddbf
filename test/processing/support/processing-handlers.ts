import { Injectable, Module } from '@nestjs/common';
import {
  OnWebhook,
  type WebhookEvent,
  type WebhookHandler,
  type WebhookHandlerContext,
} from '../../../src/processing/api/index.js';
import { TestEventsCatalog } from '../../support/test-events.js';

/** A promise a test opens by hand, per event id (the provider's). */
class Gate {
  private opened!: () => void;
  private enteredNow!: () => void;
  readonly open = new Promise<void>((resolve) => (this.opened = resolve));
  readonly entered = new Promise<void>((resolve) => (this.enteredNow = resolve));
  runs = 0;

  enter(): Promise<void> {
    this.runs++;
    this.enteredNow();
    return this.open;
  }

  release(): void {
    this.opened();
  }
}

const gates = new Map<string, Gate>();
/** The gate of the event with this provider id (created on first use). */
export function gate(externalId: string): Gate {
  let found = gates.get(externalId);
  if (!found) gates.set(externalId, (found = new Gate()));
  return found;
}

/** One delivery at a time; each run waits at its event's gate. */
@Injectable()
@OnWebhook('test.gated', { concurrency: 1, attempts: 3, backoff: { type: 'fixed', delayMs: 60_000 } })
export class GatedHandler implements WebhookHandler {
  async handle(event: WebhookEvent): Promise<void> {
    await gate(event.externalId).enter();
  }
}

/** Like GatedHandler, four deliveries at a time. */
@Injectable()
@OnWebhook('test.gated_parallel', { concurrency: 4, attempts: 3 })
export class ParallelGatedHandler implements WebhookHandler {
  async handle(event: WebhookEvent): Promise<void> {
    await gate(event.externalId).enter();
  }
}

/**
 * Transactional, with a 100 ms timeout: its first run spends 300 ms in Postgres, then writes one
 * row. Later runs write at once. Exactly once means one row, whatever the first run did late.
 */
@Injectable()
@OnWebhook('test.slow_tx', {
  transactional: true,
  timeoutMs: 100,
  attempts: 3,
  backoff: { type: 'fixed', delayMs: 10 },
})
export class SlowTransactionalHandler implements WebhookHandler {
  async handle(event: WebhookEvent, { manager, attempt }: WebhookHandlerContext): Promise<void> {
    if (attempt === 1) await manager.query('SELECT pg_sleep(0.3)');
    await manager.query('INSERT INTO processing_effects (event_id, attempt) VALUES ($1, $2)', [event.id, attempt]);
  }
}

/** Transactional: takes a connection for its transaction, then waits at its event's gate. */
@Injectable()
@OnWebhook('test.held_tx', { transactional: true, concurrency: 8, timeoutMs: 60_000 })
export class HeldTransactionHandler implements WebhookHandler {
  async handle(event: WebhookEvent, { manager }: WebhookHandlerContext): Promise<void> {
    await manager.query('SELECT 1');
    await gate(event.externalId).enter();
  }
}

/** Always fails; its retries are a minute apart. */
@Injectable()
@OnWebhook('test.failing', { attempts: 3, backoff: { type: 'fixed', delayMs: 60_000 } })
export class FailingHandler implements WebhookHandler {
  handle(): void {
    throw new Error('this handler always fails');
  }
}

/** Transactional, 20 s limit: records the server-side limits its transaction runs under. */
@Injectable()
@OnWebhook('test.tx_limits', { transactional: true, timeoutMs: 20_000 })
export class TransactionLimitsHandler implements WebhookHandler {
  static readonly seen = new Map<string, { statement: string; idle: string }>();

  async handle(event: WebhookEvent, { manager }: WebhookHandlerContext): Promise<void> {
    const [{ statement_timeout: statement }] = await manager.query('SHOW statement_timeout');
    const [{ idle_in_transaction_session_timeout: idle }] = await manager.query(
      'SHOW idle_in_transaction_session_timeout',
    );
    TransactionLimitsHandler.seen.set(event.externalId, { statement, idle });
  }
}

@Module({
  imports: [TestEventsCatalog],
  providers: [
    GatedHandler,
    ParallelGatedHandler,
    SlowTransactionalHandler,
    HeldTransactionHandler,
    FailingHandler,
    TransactionLimitsHandler,
  ],
})
export class ProcessingTestHandlersModule {}
