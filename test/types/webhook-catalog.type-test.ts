/**
 * Compile-time checks of the event catalog, run by `npm run typecheck` (tsc). Each
 * `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused; every
 * other line must compile. Never executed. The catalog is the example feature's
 * (src/subscriptions/subscription-events.ts), declared to the compiler there.
 */
import { Injectable } from '@nestjs/common';
import {
  OnWebhook,
  type WebhookEvent,
  type WebhookHandler,
  type WebhookHandlerContext,
} from '../../src/processing/api/index.js';
import { SubscriptionCreatedData } from '../../src/subscriptions/dto/subscription-created.data.js';
import { SubscriptionRefundData } from '../../src/subscriptions/dto/subscription-refund.data.js';
import type { WebhookInboxTesting } from '../../src/testing/index.js';

// A catalogued type: compiles, and `data` is the type's DTO.
@Injectable()
@OnWebhook('subscription_event_refund')
export class RefundHandler implements WebhookHandler<'subscription_event_refund'> {
  handle(event: WebhookEvent<'subscription_event_refund'>): void {
    const amount: number = event.data.amount;
    const refundId: string = event.data.refund_id;
    void [amount, refundId];
  }
}

// A misspelled type does not compile.
@Injectable()
// @ts-expect-error -- 'subscription_event_refnd' is not in the catalog
@OnWebhook('subscription_event_refnd')
export class MisspelledHandler {
  handle(event: WebhookEvent<'subscription_event_refund'>): void {
    void event;
  }
}

// Neither does a misspelled type in a list.
@Injectable()
// @ts-expect-error -- one of the types is not in the catalog
@OnWebhook(['subscription_user_create', 'subscription_event_refnd'])
export class MisspelledInListHandler {
  handle(event: WebhookEvent<'subscription_user_create'>): void {
    void event;
  }
}

// A handler whose DTO disagrees with the catalog's for its type does not compile ...
@Injectable()
// @ts-expect-error -- refunds carry SubscriptionRefundData, not SubscriptionCreatedData
@OnWebhook('subscription_event_refund')
export class WrongDtoHandler {
  handle(event: WebhookEvent<SubscriptionCreatedData>): void {
    void event;
  }
}

// ... nor one that takes the event of another catalogued type ...
@Injectable()
// @ts-expect-error -- the handler says it takes subscription_user_create events
@OnWebhook('subscription_event_refund')
export class OtherTypeHandler {
  handle(event: WebhookEvent<'subscription_user_create'>): void {
    void event;
  }
}

// ... while one that names the catalog's DTO itself does.
@Injectable()
@OnWebhook('subscription_event_refund')
export class SameDtoHandler {
  handle(event: WebhookEvent<SubscriptionRefundData>): void {
    void event;
  }
}

// A wrong field access does not compile.
export function wrongField(event: WebhookEvent<'subscription_event_refund'>): unknown {
  // @ts-expect-error -- the refund DTO has `amount`, not `amont`
  return event.data.amont;
}

// Several types: `data` is a union, narrowed by `event.type`.
@Injectable()
@OnWebhook(['subscription_user_create', 'subscription_event_refund'])
export class BothHandler implements WebhookHandler<'subscription_user_create' | 'subscription_event_refund'> {
  handle(event: WebhookEvent<'subscription_user_create' | 'subscription_event_refund'>, _: WebhookHandlerContext) {
    // @ts-expect-error -- only refunds have refund_id; not narrowed yet
    void event.data.refund_id;
    if (event.type === 'subscription_event_refund') {
      const refundId: string = event.data.refund_id;
      void refundId;
    } else {
      const email: string = event.data.email;
      void email;
    }
  }
}

// A handler of several types must take all of them.
@Injectable()
// @ts-expect-error -- it takes refunds only, but subscribes to creations too
@OnWebhook(['subscription_user_create', 'subscription_event_refund'])
export class NarrowHandler {
  handle(event: WebhookEvent<'subscription_event_refund'>): void {
    void event;
  }
}

// '*' takes every event, untyped.
@Injectable()
@OnWebhook('*')
export class EverythingHandler {
  handle(event: WebhookEvent): void {
    void event.data;
  }
}

// The testing module's fixtures follow the catalog too.
export function fixtures(inbox: WebhookInboxTesting): void {
  inbox.event('subscription_manual_chargeback', {
    subscription_id: 's',
    user_id: 'u',
    chargeback_id: 'c',
    payment_id: 'p',
    amount: 1,
    currency: 'EUR',
    reason: 'fraud',
    reason_code: '10.4',
    disputed_at: '2026-12-01T00:00:00Z',
  });
  // @ts-expect-error -- 'subscription_chargeback' is not a catalogued type
  inbox.event('subscription_chargeback', {});
  // @ts-expect-error -- amount must be a number
  inbox.event('subscription_event_refund', { ...({} as SubscriptionRefundData), amount: '12' });
}
