import { Injectable, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { OnWebhook, onWebhookMetadata } from '../processing/api/on-webhook.decorator.js';
import { WebhookCatalogModule } from '../processing/api/webhook-catalog.module.js';
import type { WebhookEvent, WebhookHandlerContext } from '../processing/api/webhook-handler.interface.js';
import { Subscription } from '../subscriptions/subscription.entity.js';
import { subscriptionFixtures } from '../subscriptions/subscription.fixtures.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { SubscriptionCreatedHandler } from '../subscriptions/handlers/subscription-created.handler.js';
import { SubscriptionEvents } from '../subscriptions/subscription-events.js';
import {
  DeliveryFailedError,
  InvalidFixtureError,
  NotIdempotentError,
  WebhookInboxTestingModule,
  type WebhookInboxTesting,
} from './index.js';

/** Adds the refund to a running total instead of recomputing it: a second delivery counts it twice. */
@Injectable()
@OnWebhook('subscription_event_refund', { name: 'IncrementingRefundTotal', transactional: true })
class IncrementingRefundTotal {
  async handle(event: WebhookEvent<'subscription_event_refund'>, { manager }: WebhookHandlerContext) {
    await manager.query(`UPDATE subscriptions SET refunded_amount = refunded_amount + $1 WHERE subscription_id = $2`, [
      event.data.amount,
      event.data.subscription_id,
    ]);
  }
}

/** Sends a mail per delivery, with no memory of what it sent. */
const mailsSent: string[] = [];
@Injectable()
@OnWebhook('subscription_user_create', { name: 'WelcomeMail' })
class WelcomeMail {
  handle(event: WebhookEvent<'subscription_user_create'>) {
    mailsSent.push(event.data.email);
  }
}

/** Writes, then takes longer than its time limit: its write must not commit. */
@Injectable()
@OnWebhook('subscription_manual_chargeback', { name: 'SlowWriter', transactional: true, timeoutMs: 100 })
class SlowWriter {
  async handle(event: WebhookEvent<'subscription_manual_chargeback'>, { manager, signal }: WebhookHandlerContext) {
    await manager.query(`UPDATE subscriptions SET status = 'slow' WHERE subscription_id = $1`, [
      event.data.subscription_id,
    ]);
    await sleep(1000, undefined, { signal }).catch(() => undefined);
  }
}

/** Writes, then fails on its first two attempts: only the third attempt's write commits. */
const attemptsSeen: number[] = [];
@Injectable()
@OnWebhook('subscription_manual_chargeback', { name: 'FlakyWriter', transactional: true, attempts: 3 })
class FlakyWriter {
  async handle(event: WebhookEvent<'subscription_manual_chargeback'>, { manager, attempt }: WebhookHandlerContext) {
    attemptsSeen.push(attempt);
    await manager.query(
      `UPDATE subscriptions SET charged_back_amount = charged_back_amount + 1 WHERE subscription_id = $1`,
      [event.data.subscription_id],
    );
    if (attempt < 3) throw new Error(`flaky ${attempt}`);
  }
}

@Module({
  imports: [TypeOrmModule.forFeature([Subscription]), WebhookCatalogModule.forFeature(SubscriptionEvents)],
  providers: [IncrementingRefundTotal, WelcomeMail, SlowWriter, FlakyWriter],
})
class KitTestHandlers {}

describe('WebhookInboxTestingModule', () => {
  let inbox: WebhookInboxTesting;
  const ports: number[] = [];
  const connect = net.Socket.prototype.connect;

  beforeAll(async () => {
    // Every TCP connection the kit opens, to show it never reaches for Redis.
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const [first] = args;
      const port = typeof first === 'object' && first !== null ? (first as { port?: unknown }).port : first;
      if (port !== undefined) ports.push(Number(port));
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    };
    inbox = await WebhookInboxTestingModule.create({ imports: [SubscriptionsModule, KitTestHandlers], database: true });
  });
  afterAll(async () => {
    net.Socket.prototype.connect = connect;
    await inbox?.close();
  });
  beforeEach(async () => {
    await inbox.dataSource!.query('TRUNCATE subscriptions, subscription_refunds, subscription_chargebacks');
    await inbox.deliver(
      SubscriptionCreatedHandler,
      inbox.event('subscription_user_create', subscriptionFixtures.created()),
    );
  });
  const subscription = () => inbox.dataSource!.getRepository(Subscription).findOneByOrFail({ subscriptionId: 'sub_1' });

  it('runs handlers on Postgres without ever connecting to Redis', async () => {
    await inbox.deliver(WelcomeMail, inbox.event('subscription_user_create', subscriptionFixtures.created()));
    expect(ports).toContain(5432);
    expect(ports).not.toContain(6379);
  });

  it('deliverTwice catches a handler that counts a repeated event twice', async () => {
    const refund = inbox.event('subscription_event_refund', subscriptionFixtures.refund({ amount: 500 }));
    const twice = inbox.deliverTwice(IncrementingRefundTotal, refund);
    await expect(twice).rejects.toThrow(NotIdempotentError);
    await expect(twice).rejects.toThrow(
      /table subscriptions[\s\S]*"refunded_amount":"500"[\s\S]*"refunded_amount":"1000"/,
    );
  });

  it('deliverTwice compares what `observe` returns, for effects outside the database', async () => {
    const created = inbox.event('subscription_user_create', subscriptionFixtures.created());
    await expect(inbox.deliverTwice(WelcomeMail, created, { observe: () => [...mailsSent] })).rejects.toThrow(
      /WelcomeMail is not idempotent/,
    );
  });

  it('ends a transactional attempt at its time limit, and nothing of it commits', async () => {
    const result = await inbox.deliver(
      SlowWriter,
      inbox.event('subscription_manual_chargeback', subscriptionFixtures.chargeback()),
    );
    expect(result.outcome).toBe('timed_out');
    expect(result.committed).toBe(false);
    expect((await subscription()).status).toBe('active');
  });

  it('retries as the worker would: failed attempts roll back, the attempt number counts up', async () => {
    attemptsSeen.length = 0;
    const chargeback = inbox.event('subscription_manual_chargeback', subscriptionFixtures.chargeback());
    const retried = await inbox.deliverWithRetries(FlakyWriter, chargeback);
    expect(retried.status).toBe('succeeded');
    expect(retried.attempts.map((attempt) => attempt.outcome)).toEqual(['failed', 'failed', 'succeeded']);
    expect(attemptsSeen).toEqual([1, 2, 3]);
    expect((await subscription()).chargedBackAmount).toBe('1');
  });

  it("builds fixtures only from data the type's DTO accepts", () => {
    expect(() => inbox.event('subscription_event_refund', subscriptionFixtures.refund({ amount: -1 }))).toThrow(
      InvalidFixtureError,
    );
  });

  it('refuses to deliver an event to a handler that does not take its type', async () => {
    const refund = inbox.event('subscription_event_refund', subscriptionFixtures.refund());
    await expect(inbox.deliver(WelcomeMail, refund as never)).rejects.toThrow(
      /WelcomeMail does not take subscription_event_refund events/,
    );
  });

  it('deliverTwice needs the first delivery to succeed', async () => {
    const bad = inbox.event('subscription_event_refund', subscriptionFixtures.refund({ currency: 'x' }), {
      unchecked: true,
    });
    await expect(inbox.deliverTwice(IncrementingRefundTotal, bad)).rejects.toThrow(DeliveryFailedError);
  });
});

describe('WebhookInboxTestingModule boot', () => {
  it("applies the registry's boot checks: a handler of a type outside the catalog stops it", async () => {
    @Injectable()
    @onWebhookMetadata('subscription_event_refnd')
    class Misspelled {
      handle() {}
    }
    @Module({ imports: [WebhookCatalogModule.forFeature(SubscriptionEvents)], providers: [Misspelled] })
    class MisspelledModule {}
    await expect(WebhookInboxTestingModule.create({ imports: [MisspelledModule] })).rejects.toThrow(
      /Misspelled: event type\(s\) subscription_event_refnd are not in the catalog/,
    );
  });
});
