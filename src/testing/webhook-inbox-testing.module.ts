import { Logger, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source.js';
import type { AttemptOutcome } from '../inbox/entities/delivery-attempt.entity.js';
import { resolveInboxOptions, WEBHOOK_INBOX_OPTIONS } from '../inbox/webhook-inbox.options.js';
import { ALL_EVENT_TYPES } from '../processing/api/on-webhook.decorator.js';
import type { WebhookEventData, WebhookEventType } from '../processing/api/webhook-catalog.js';
import type { StoredWebhookEvent, WebhookEvent } from '../processing/api/webhook-handler.interface.js';
import { flattenValidationErrors, invokeHandler } from '../processing/delivery/handler-invocation.js';
import { WebhookHandlerRegistry, type RegisteredHandler } from '../processing/discovery/webhook-handler.registry.js';
import { resolveWebhookSource, type WebhookSourceSettings } from '../shared/sources/webhook-source.js';
import { describeDifference, resetTables, snapshotTables } from './table-snapshot.js';
import { TestDatabase } from './test-database.js';
import { DeliveryFailedError, InvalidFixtureError, NotIdempotentError, OrderSensitiveError } from './testing-errors.js';

export interface WebhookInboxTestingOptions {
  /** The handlers' feature module(s). */
  imports: NonNullable<ModuleMetadata['imports']>;
  /**
   * A database of the test's own for handlers that use one: created on TEST_POSTGRES_URL (default
   * the local server), migrated with the service's migrations, its entities those of the imported
   * modules (TypeOrmModule.forFeature), dropped by close(). Leave it out when the imports bring
   * their own TypeOrmModule.forRoot, or when no handler touches a database.
   */
  database?: boolean;
  providers?: Provider[];
  /** Configured sources the handlers name in `source` (as WEBHOOK_SOURCES describes them). */
  sources?: WebhookSourceSettings[];
  /** Nest's testing builder, for overrideProvider(...) and the like. */
  configure?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

export interface FixtureOptions {
  /** The inbox's id; default a fresh uuid. */
  id?: string;
  /** The provider's id; default a fresh `evt_…`. */
  externalId?: string;
  createdAt?: string;
  receivedAt?: Date;
  /** Skip the DTO's validation, to test how a handler's delivery treats bad data. */
  unchecked?: boolean;
}

export interface DeliveryResult {
  handler: string;
  /** What the attempt's row in webhook_delivery_attempts would say. */
  outcome: AttemptOutcome;
  error?: Error;
  attempt: number;
  /** A transactional handler's writes committed. */
  committed: boolean;
}

export interface RetriedDelivery {
  /** `dead`: its attempts were used up, or it failed permanently (as the worker would leave it). */
  status: 'succeeded' | 'dead';
  attempts: DeliveryResult[];
}

/** What a kit check compares: by default every row of the application's entity tables. */
export interface ObserveOptions {
  /** Another observation (a fake's calls, a mock's state); required for a handler with no database. */
  observe?: () => unknown;
}

export interface OutOfOrderOptions extends ObserveOptions {
  /** Brings the state back to the start before each order; default: empties the entity tables. */
  reset?: () => unknown;
  /** The orders to compare, as indexes into `events`; default as given, reversed, and (3+ events) rotated by one. */
  orders?: number[][];
}

type HandlerRef = Type<object> | string;
const NEVER = new AbortController().signal;

/**
 * Runs @OnWebhook handlers in a unit test without Redis or a worker, through the same code the
 * worker uses around handle(): the catalog's DTO validation, the context, the handler's time limit
 * and, for a transactional handler, the fenced transaction (on the test's own Postgres). Boots the
 * handlers' module with the registry, so the boot checks apply too.
 *
 *   const inbox = await WebhookInboxTestingModule.create({ imports: [DatabaseForTests, PaymentsModule] });
 *   const event = inbox.event('payment_created', { payment_id: 'p_1', amount: 100 });
 *   expect((await inbox.deliver(RecordPayment, event)).outcome).toBe('succeeded');
 *   await inbox.deliverTwice(RecordPayment, event); // throws NotIdempotentError if the state changes
 */
export class WebhookInboxTestingModule {
  static async create(options: WebhookInboxTestingOptions): Promise<WebhookInboxTesting> {
    const sources = (options.sources ?? []).map(resolveWebhookSource);
    const database = options.database ? await TestDatabase.create() : undefined;
    const databaseModule = database
      ? [TypeOrmModule.forRoot({ ...dataSourceOptions(database.url, 4), migrationsRun: true, autoLoadEntities: true })]
      : [];
    let builder = Test.createTestingModule({
      imports: [DiscoveryModule, ...databaseModule, ...options.imports],
      providers: [
        WebhookHandlerRegistry,
        {
          provide: WEBHOOK_INBOX_OPTIONS,
          // The registry reads the configured sources only; nothing here connects to Redis.
          useValue: resolveInboxOptions({ redisUrl: 'redis://testing-module.invalid', sources }),
        },
        ...(options.providers ?? []),
      ],
    });
    if (options.configure) builder = options.configure(builder);
    try {
      const moduleRef = await builder.compile();
      await moduleRef.init();
      return new WebhookInboxTesting(moduleRef, database);
    } catch (error) {
      await database?.drop();
      throw error;
    }
  }
}

export class WebhookInboxTesting {
  private readonly logger = new Logger('WebhookInboxTesting');
  readonly registry: WebhookHandlerRegistry;
  /** The application's DataSource, when one of the imports provides it. */
  readonly dataSource?: DataSource;

  constructor(
    readonly moduleRef: TestingModule,
    private readonly database?: TestDatabase,
  ) {
    this.registry = moduleRef.get(WebhookHandlerRegistry);
    this.dataSource = optional(() => moduleRef.get(DataSource, { strict: false }));
  }

  get<T>(token: Type<T> | string | symbol): T {
    return this.moduleRef.get(token, { strict: false });
  }

  /** An event of a catalogued type, its `data` checked against the type's DTO as the inbox would. */
  event<TType extends WebhookEventType>(
    type: TType,
    data: WebhookEventData<TType>,
    options: FixtureOptions = {},
  ): WebhookEvent<TType> {
    return this.build('default', type, data, options) as WebhookEvent<TType>;
  }

  /** The same, for a configured source (`@OnWebhook(type, { source })`). */
  sourceEvent<TSource extends string, TType extends WebhookEventType<TSource>>(
    source: TSource,
    type: TType,
    data: WebhookEventData<TType, TSource>,
    options: FixtureOptions = {},
  ): WebhookEvent<TType, TSource> {
    return this.build(source, type, data, options) as WebhookEvent<TType, TSource>;
  }

  /** One attempt, as a worker would run it (`attempt` 1 unless given). */
  async deliver(handler: HandlerRef, event: StoredWebhookEvent<object>, options: { attempt?: number } = {}) {
    const registered = this.handler(handler, event);
    const attempt = options.attempt ?? 1;
    const result = await invokeHandler(
      this.dataSource,
      {
        handler: registered,
        event: event as StoredWebhookEvent,
        deliveryId: randomUUID(),
        attempt,
        maxAttempts: registered.attempts,
        shutdown: NEVER,
      },
      this.logger,
    );
    return {
      handler: registered.name,
      outcome: result.outcome,
      error: result.error,
      attempt,
      committed: result.committed,
    } satisfies DeliveryResult;
  }

  /** Attempts until one succeeds or the handler's `attempts` are used up (no backoff waits). */
  async deliverWithRetries(handler: HandlerRef, event: StoredWebhookEvent<object>): Promise<RetriedDelivery> {
    const maxAttempts = this.handler(handler, event).attempts;
    const attempts: DeliveryResult[] = [];
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const result = await this.deliver(handler, event, { attempt });
      attempts.push(result);
      if (result.outcome === 'succeeded') return { status: 'succeeded', attempts };
      if (result.outcome === 'invalid') break;
    }
    return { status: 'dead', attempts };
  }

  /**
   * Delivers `event` twice, as a replay (or a non-transactional handler's retry after a crash)
   * would, and throws NotIdempotentError when the second delivery fails or changes the state the
   * first one left.
   */
  async deliverTwice(handler: HandlerRef, event: StoredWebhookEvent<object>, options: ObserveOptions = {}) {
    const observe = this.observer(options);
    const first = await this.deliver(handler, event);
    if (first.outcome !== 'succeeded')
      throw new DeliveryFailedError(first.handler, event.type, first.outcome, first.error);
    const once = await observe();
    const second = await this.deliver(handler, event, { attempt: 2 });
    if (second.outcome !== 'succeeded') {
      throw new NotIdempotentError(
        second.handler,
        `the second delivery ended ${second.outcome}: ${second.error?.message}`,
      );
    }
    const difference = describeDifference(once, await observe(), ['after one delivery', 'after two']);
    if (difference) throw new NotIdempotentError(second.handler, difference);
  }

  /**
   * Delivers `events` in several orders, from the same starting state each time, and throws
   * OrderSensitiveError when the orders end in different states. Each event goes to each of
   * `handlers` that takes its type, as the inbox fans it out; a failed attempt is tried again after
   * the others, as the worker's backoff would. A handler that needs its events in order says so
   * with `orderBy`; this shows that the ones without it do not.
   */
  async deliverOutOfOrder(
    handlers: HandlerRef | HandlerRef[],
    events: StoredWebhookEvent<object>[],
    options: OutOfOrderOptions = {},
  ): Promise<void> {
    const refs = Array.isArray(handlers) ? handlers : [handlers];
    const observe = this.observer(options);
    const reset = options.reset ?? (() => resetTables(this.requireDataSource('reset')));
    const orders = options.orders ?? defaultOrders(events.length);
    const names = refs.map((ref) => (typeof ref === 'string' ? ref : ref.name)).join(', ');
    let baseline: { label: string; dead: string[]; state: unknown } | undefined;
    for (const order of orders) {
      const label = `order ${order.map((i) => i + 1).join(',')}`;
      await reset();
      const dead = await this.deliverInOrder(
        refs,
        order.map((i) => events[i]),
      );
      const state = await observe();
      if (!baseline) {
        baseline = { label, dead, state };
        continue;
      }
      const differences = [
        isDeepStrictEqual(baseline.dead, dead)
          ? undefined
          : `left dead: ${baseline.label} [${baseline.dead.join(', ')}], ${label} [${dead.join(', ')}]`,
        describeDifference(baseline.state, state, [baseline.label, label]),
      ].filter((difference) => difference !== undefined);
      if (differences.length > 0) {
        throw new OrderSensitiveError(names, `${baseline.label} vs ${label}`, differences.join('\n'));
      }
    }
  }

  async close(): Promise<void> {
    try {
      await this.moduleRef.close();
    } finally {
      await this.database?.drop();
    }
  }

  /** Delivers in `events` order; a failed attempt goes to the back of the line. Returns what was left dead. */
  private async deliverInOrder(refs: HandlerRef[], events: StoredWebhookEvent<object>[]): Promise<string[]> {
    const line: { ref: HandlerRef; handler: RegisteredHandler; event: StoredWebhookEvent<object>; attempt: number }[] =
      [];
    for (const event of events) {
      const taking = refs.flatMap((ref) => {
        const handler = this.find(ref);
        return takes(handler, event) ? [{ ref, handler, event, attempt: 1 }] : [];
      });
      if (taking.length === 0) throw new Error(`none of the handlers takes ${event.type} (event ${event.externalId})`);
      line.push(...taking);
    }
    const dead: string[] = [];
    while (line.length > 0) {
      const next = line.shift()!;
      const result = await this.deliver(next.ref, next.event, { attempt: next.attempt });
      if (result.outcome === 'succeeded') continue;
      if (result.outcome === 'invalid' || next.attempt >= next.handler.attempts) {
        dead.push(`${next.handler.name}/${next.event.externalId}`);
      } else line.push({ ...next, attempt: next.attempt + 1 });
    }
    return dead.sort();
  }

  private build(source: string, type: string, data: unknown, options: FixtureOptions): StoredWebhookEvent<object> {
    const externalId = options.externalId ?? `evt_${randomUUID().replaceAll('-', '')}`;
    const createdAt = options.createdAt ?? new Date().toISOString();
    if (!options.unchecked) {
      const dto = this.registry.catalogOf(source)?.get(type);
      if (dto) {
        const instance = plainToInstance(dto, data);
        const errors = flattenValidationErrors(validateSync(instance, { forbidUnknownValues: false }));
        if (errors.length > 0) throw new InvalidFixtureError(type, errors);
      }
    }
    return {
      id: options.id ?? randomUUID(),
      externalId,
      source,
      type,
      data: data as object,
      createdAt,
      receivedAt: options.receivedAt ?? new Date(),
      payload: { id: externalId, type, created_at: createdAt, data },
    };
  }

  private find(ref: HandlerRef): RegisteredHandler {
    const registered =
      typeof ref === 'string'
        ? this.registry.get(ref)
        : this.registry.all().find((handler) => handler.instance === optional(() => this.get(ref)));
    if (!registered) {
      throw new Error(
        `${typeof ref === 'string' ? ref : ref.name} is not an @OnWebhook handler of the imported modules`,
      );
    }
    return registered;
  }

  private handler(ref: HandlerRef, event: StoredWebhookEvent<object>): RegisteredHandler {
    const registered = this.find(ref);
    if (!takes(registered, event)) {
      throw new Error(
        `${registered.name} does not take ${event.type} events from source ${event.source}: the inbox would never deliver this one to it`,
      );
    }
    return registered;
  }

  private observer(options: ObserveOptions): () => Promise<unknown> {
    if (options.observe) return async () => options.observe!();
    return () => snapshotTables(this.requireDataSource('observe'));
  }

  private requireDataSource(what: 'observe' | 'reset'): DataSource {
    if (!this.dataSource) {
      throw new Error(`no TypeORM DataSource among the imports: pass \`${what}\` to say what to compare`);
    }
    return this.dataSource;
  }
}

const takes = (handler: RegisteredHandler, event: StoredWebhookEvent<object>) =>
  handler.source === event.source && (handler.types.includes(event.type) || handler.types.includes(ALL_EVENT_TYPES));

function defaultOrders(n: number): number[][] {
  const given = [...Array(n).keys()];
  const orders = [given, [...given].reverse()];
  if (n >= 3) orders.push([...given.slice(1), given[0]]);
  return orders;
}

function optional<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
