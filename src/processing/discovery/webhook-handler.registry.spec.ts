import { jest } from '@jest/globals';
import { DynamicModule, Injectable, Logger, Module, Scope, Type } from '@nestjs/common';
import { IsString } from 'class-validator';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
// The registry's own checks, including mistakes that the typed @OnWebhook refuses at compile time
// once a catalog is declared: the untyped form sets the same metadata.
import { onWebhookMetadata as OnWebhook } from '../api/on-webhook.decorator.js';
import { defineWebhookEvents } from '../api/webhook-catalog.js';
import { WebhookCatalogModule } from '../api/webhook-catalog.module.js';
import type { WebhookHandler } from '../api/webhook-handler.interface.js';
import { resolveInboxOptions, WEBHOOK_INBOX_OPTIONS } from '../../inbox/webhook-inbox.options.js';
import { resolveWebhookSource } from '../../shared/sources/webhook-source.js';
import { backoffDelay, HANDLER_DEFAULTS, WebhookHandlerRegistry } from './webhook-handler.registry.js';

/** Sources configured besides the default one, as WEBHOOK_SOURCES would give them. */
const SOURCES = [resolveWebhookSource({ name: 'stripe', verifier: 'stripe', secrets: ['whsec_test'] })];

async function registryWith(...providers: Type<unknown>[]): Promise<WebhookHandlerRegistry> {
  return registryWithCatalogs([], ...providers);
}

async function registryWithCatalogs(
  catalogs: DynamicModule[],
  ...providers: Type<unknown>[]
): Promise<WebhookHandlerRegistry> {
  @Module({ providers })
  class HandlersUnderTest {}
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule, HandlersUnderTest, ...catalogs],
    providers: [
      WebhookHandlerRegistry,
      {
        provide: WEBHOOK_INBOX_OPTIONS,
        useValue: resolveInboxOptions({ redisUrl: 'redis://unused', sources: SOURCES }),
      },
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef.get(WebhookHandlerRegistry);
}

@Injectable()
@OnWebhook('payment.created')
class PaymentCreated implements WebhookHandler {
  handle() {}
}
@Injectable()
@OnWebhook(['payment.created', 'payment.status_changed'], { attempts: 2, concurrency: 3 })
class PaymentAudit implements WebhookHandler {
  handle() {}
}
@Injectable()
@OnWebhook('*', { name: 'archive' })
class Archive implements WebhookHandler {
  handle() {}
}
@Injectable()
class NotAHandler {
  handle() {}
}

describe('WebhookHandlerRegistry', () => {
  it('finds decorated providers, resolves defaults and routes types (with "*" to everything)', async () => {
    const registry = await registryWith(PaymentCreated, PaymentAudit, Archive, NotAHandler);
    expect(
      registry
        .all()
        .map((h) => h.name)
        .sort(),
    ).toEqual(['PaymentAudit', 'PaymentCreated', 'archive']);
    expect(registry.handlersFor('payment.created').map((h) => h.name)).toEqual([
      'PaymentCreated',
      'PaymentAudit',
      'archive',
    ]);
    expect(registry.handlersFor('payment.status_changed').map((h) => h.name)).toEqual(['PaymentAudit', 'archive']);
    expect(registry.handlersFor('anything.else').map((h) => h.name)).toEqual(['archive']);
    expect(registry.get('PaymentCreated')).toMatchObject({
      attempts: HANDLER_DEFAULTS.attempts,
      timeoutMs: HANDLER_DEFAULTS.timeoutMs,
      transactional: false,
      batchSize: HANDLER_DEFAULTS.batchSize,
    });
    expect(registry.get('PaymentAudit')).toMatchObject({ attempts: 2, concurrency: 3 });
  });

  it("routes a source's events to that source's handlers only", async () => {
    @Injectable()
    @OnWebhook('invoice.paid', { source: 'stripe' })
    class StripeInvoicePaid {
      handle() {}
    }
    @Injectable()
    @OnWebhook('invoice.paid')
    class DefaultInvoicePaid {
      handle() {}
    }
    const registry = await registryWith(StripeInvoicePaid, DefaultInvoicePaid, Archive);
    expect(registry.handlersFor('invoice.paid', 'stripe').map((h) => h.name)).toEqual(['StripeInvoicePaid']);
    expect(registry.handlersFor('invoice.paid').map((h) => h.name)).toEqual(['DefaultInvoicePaid', 'archive']);
    expect(registry.handlersFor('anything', 'stripe')).toEqual([]);
    expect(registry.get('StripeInvoicePaid')?.source).toBe('stripe');
    expect(registry.get('archive')?.source).toBe('default');
  });

  it('resolves ordering from a path or a function, with block and refuse as defaults', async () => {
    @Injectable()
    @OnWebhook(['a', 'b'], { orderBy: 'data.subscription_id' })
    class ByPath {
      handle() {}
    }
    @Injectable()
    @OnWebhook('a', { orderBy: (event) => event.data.user_id, onDead: 'skip', onMissingKey: 'unordered' })
    class ByFunction {
      handle() {}
    }
    const registry = await registryWith(ByPath, ByFunction, PaymentCreated);
    const byPath = registry.get('ByPath')!.ordering!;
    expect(byPath).toMatchObject({ describe: 'data.subscription_id', onDead: 'block', onMissingKey: 'refuse' });
    const event = { id: 'e', externalId: 'x', source: 'default', type: 'a', payload: {} };
    expect(byPath.keyOf({ ...event, data: { subscription_id: 'sub_1' } })).toBe('sub_1');
    expect(registry.get('ByFunction')!.ordering).toMatchObject({ onDead: 'skip', onMissingKey: 'unordered' });
    expect(registry.get('ByFunction')!.ordering!.keyOf({ ...event, data: { user_id: 'u_9' } })).toBe('u_9');
    expect(registry.get('PaymentCreated')!.ordering).toBeUndefined();
  });

  it('gives a rate-limited handler one event per job, so the limiter counts events', async () => {
    @Injectable()
    @OnWebhook('x', { rateLimit: { max: 10, durationMs: 1000 } })
    class Limited {
      handle() {}
    }
    expect((await registryWith(Limited)).get('Limited')?.batchSize).toBe(1);
  });

  describe('fails the boot on mistakes', () => {
    const cases: [string, () => Type<unknown>[], RegExp][] = [
      [
        'two handlers with one name',
        () => {
          @Injectable()
          @OnWebhook('a', { name: 'same' })
          class A {
            handle() {}
          }
          @Injectable()
          @OnWebhook('b', { name: 'same' })
          class B {
            handle() {}
          }
          return [A, B];
        },
        /same: is declared twice/,
      ],
      [
        'no handle method',
        () => {
          @Injectable()
          @OnWebhook('a')
          class NoHandle {}
          return [NoHandle];
        },
        /NoHandle: has no handle/,
      ],
      [
        'an unknown option',
        () => {
          @Injectable()
          @OnWebhook('a', { retries: 3 } as never)
          class Typo {
            handle() {}
          }
          return [Typo];
        },
        /Typo: unknown option\(s\) retries/,
      ],
      [
        'a request-scoped handler',
        () => {
          @Injectable({ scope: Scope.REQUEST })
          @OnWebhook('a')
          class PerRequest {
            handle() {}
          }
          return [PerRequest];
        },
        /PerRequest: is request-scoped/,
      ],
      [
        'an invalid event type',
        () => {
          @Injectable()
          @OnWebhook('has space')
          class BadType {
            handle() {}
          }
          return [BadType];
        },
        /BadType: event type "has space" is not valid/,
      ],
      [
        'no event type',
        () => {
          @Injectable()
          @OnWebhook([])
          class NoType {
            handle() {}
          }
          return [NoType];
        },
        /NoType: subscribes to no event type/,
      ],
      [
        'zero attempts',
        () => {
          @Injectable()
          @OnWebhook('a', { attempts: 0 })
          class NoAttempts {
            handle() {}
          }
          return [NoAttempts];
        },
        /NoAttempts: attempts must be/,
      ],
      [
        'a bad backoff',
        () => {
          @Injectable()
          @OnWebhook('a', { backoff: { type: 'linear' as never, delayMs: 1 } })
          class BadBackoff {
            handle() {}
          }
          return [BadBackoff];
        },
        /BadBackoff: backoff.type/,
      ],
      [
        'a name unusable in a queue name',
        () => {
          @Injectable()
          @OnWebhook('a', { name: 'has:colon' })
          class Colon {
            handle() {}
          }
          return [Colon];
        },
        /has:colon: name must start/,
      ],
      [
        'a source that is not configured',
        () => {
          @Injectable()
          @OnWebhook('push', { source: 'github' })
          class GithubPush {
            handle() {}
          }
          return [GithubPush];
        },
        /GithubPush: source "github" is not configured \(configured: default, stripe\); add it to WEBHOOK_SOURCES/,
      ],
      [
        'an orderBy that is not a dotted path',
        () => {
          @Injectable()
          @OnWebhook('a', { orderBy: 'data[subscription_id]' })
          class BadPath {
            handle() {}
          }
          return [BadPath];
        },
        /BadPath: orderBy "data\[subscription_id\]" is not a dotted path/,
      ],
      [
        'an orderBy that is neither a path nor a function',
        () => {
          @Injectable()
          @OnWebhook('a', { orderBy: 42 as never })
          class NumberKey {
            handle() {}
          }
          return [NumberKey];
        },
        /NumberKey: orderBy must be a dotted path/,
      ],
      [
        'an unknown onDead policy',
        () => {
          @Injectable()
          @OnWebhook('a', { orderBy: 'data.id', onDead: 'retry' as never })
          class BadOnDead {
            handle() {}
          }
          return [BadOnDead];
        },
        /BadOnDead: onDead must be 'block' or 'skip', not "retry"/,
      ],
      [
        'onDead without orderBy',
        () => {
          @Injectable()
          @OnWebhook('a', { onDead: 'skip' })
          class Unordered {
            handle() {}
          }
          return [Unordered];
        },
        /Unordered: onDead applies only to ordered handlers/,
      ],
      [
        'an unknown onMissingKey policy',
        () => {
          @Injectable()
          @OnWebhook('a', { orderBy: 'data.id', onMissingKey: 'ignore' as never })
          class BadMissing {
            handle() {}
          }
          return [BadMissing];
        },
        /BadMissing: onMissingKey must be 'refuse' or 'unordered'/,
      ],
    ];
    it.each(cases)('%s', async (_what, providers, message) => {
      await expect(registryWith(...providers())).rejects.toThrow(message);
    });
  });
});

class PaymentData {
  @IsString() payment_id: string;
}
class RefundData {
  @IsString() refund_id: string;
}
const PaymentEvents = defineWebhookEvents({ 'payment.created': PaymentData, 'payment.refunded': RefundData });

describe('WebhookHandlerRegistry with a catalog', () => {
  it("validates each type with the catalog's DTO, and names catalogued types without a handler", async () => {
    @Injectable()
    @OnWebhook(['payment.created', 'payment.refunded'])
    class Both {
      handle() {}
    }
    @Injectable()
    @OnWebhook('*')
    class Everything {
      handle() {}
    }
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const catalog = defineWebhookEvents({ ...PaymentEvents.dtos, 'payment.failed': null });
      const registry = await registryWithCatalogs([WebhookCatalogModule.forFeature(catalog)], Both);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('without a handler'));
      expect(warn.mock.calls.flat().join('\n')).toContain('payment.failed');
      expect(registry.catalogOf()?.get('payment.created')).toBe(PaymentData);
      warn.mockClear();
      const full = await registryWithCatalogs([WebhookCatalogModule.forFeature(PaymentEvents)], Both, Everything);
      expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('without a handler'));
      const both = full.get('Both')!;
      expect(both.dtoOf('payment.created')).toBe(PaymentData);
      expect(both.dtoOf('payment.refunded')).toBe(RefundData);
      expect(both.dto).toBeUndefined();
      // A wildcard handler validates catalogued types with their DTO and leaves the others alone.
      expect(full.get('Everything')!.dtoOf('payment.refunded')).toBe(RefundData);
      expect(full.get('Everything')!.dtoOf('order.placed')).toBeUndefined();
    } finally {
      warn.mockRestore();
    }
  });

  it('merges the catalogs of one source from several modules', async () => {
    @Injectable()
    @OnWebhook(['payment.created', 'order.placed'])
    class Mixed {
      handle() {}
    }
    const orders = defineWebhookEvents({ 'order.placed': null });
    const registry = await registryWithCatalogs(
      [WebhookCatalogModule.forFeature(PaymentEvents), WebhookCatalogModule.forFeature(orders)],
      Mixed,
    );
    expect([...registry.catalogOf()!.keys()].sort()).toEqual(['order.placed', 'payment.created', 'payment.refunded']);
    expect(registry.get('Mixed')!.dtoOf('order.placed')).toBeUndefined();
  });

  it('leaves a source without a catalog untyped', async () => {
    @Injectable()
    @OnWebhook('invoice.paid', { source: 'stripe' })
    class StripeAnything {
      handle() {}
    }
    const registry = await registryWithCatalogs([WebhookCatalogModule.forFeature(PaymentEvents)], StripeAnything);
    expect(registry.get('StripeAnything')!.source).toBe('stripe');
    expect(registry.catalogOf('stripe')).toBeUndefined();
  });

  describe('fails the boot on mistakes', () => {
    @Injectable()
    @OnWebhook('payment.craeted')
    class Misspelled {
      handle() {}
    }
    @Injectable()
    @OnWebhook('payment.created', { dto: RefundData })
    class WrongDto {
      handle() {}
    }
    @Injectable()
    @OnWebhook('invoice.paid', { source: 'stripe' })
    class StripeTypo {
      handle() {}
    }
    const cases: [string, DynamicModule[], Type<unknown>[], RegExp][] = [
      [
        'a handler of a type outside the catalog',
        [WebhookCatalogModule.forFeature(PaymentEvents)],
        [Misspelled],
        /Misspelled: event type\(s\) payment.craeted are not in the catalog of the default source/,
      ],
      [
        'a dto that disagrees with the catalog',
        [WebhookCatalogModule.forFeature(PaymentEvents)],
        [WrongDto],
        /WrongDto: dto RefundData disagrees with the catalog, which validates payment.created with PaymentData/,
      ],
      [
        "a handler of a type outside its source's catalog",
        [WebhookCatalogModule.forFeature(defineWebhookEvents({ 'invoice.created': null }, { source: 'stripe' }))],
        [StripeTypo],
        /StripeTypo: event type\(s\) invoice.paid are not in the catalog of source stripe/,
      ],
      [
        'a catalog of a source that is not configured',
        [WebhookCatalogModule.forFeature(defineWebhookEvents({ push: null }, { source: 'gitlab' }))],
        [],
        /catalog is registered for "gitlab", which is not a configured source/,
      ],
      [
        'one type catalogued with two DTOs',
        [
          WebhookCatalogModule.forFeature(PaymentEvents),
          WebhookCatalogModule.forFeature(defineWebhookEvents({ 'payment.created': RefundData })),
        ],
        [],
        /payment.created is catalogued twice for the default source, with PaymentData and RefundData/,
      ],
    ];
    it.each(cases)('%s', async (_what, catalogs, providers, message) => {
      await expect(registryWithCatalogs(catalogs, ...providers)).rejects.toThrow(message);
    });
  });
});

describe('backoffDelay', () => {
  it('doubles from the base delay up to the cap, or stays fixed', () => {
    const exponential = { type: 'exponential', delayMs: 1000, maxDelayMs: 5000 } as const;
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(exponential, attempt))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(backoffDelay({ type: 'fixed', delayMs: 250, maxDelayMs: 250 }, 7)).toBe(250);
  });
});
