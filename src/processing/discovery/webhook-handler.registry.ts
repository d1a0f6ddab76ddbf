import { Inject, Injectable, Logger, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';
import { EVENT_TYPE_PATTERN } from '../../shared/event-type.js';
import { DEFAULT_SOURCE } from '../../shared/sources/webhook-source.js';
import {
  ALL_EVENT_TYPES,
  BackoffOptions,
  ON_WEBHOOK_METADATA,
  OnWebhookMetadata,
  OnWebhookOptions,
} from '../api/on-webhook.decorator.js';
import type { WebhookHandler } from '../api/webhook-handler.interface.js';
import { WebhookEventCatalog } from '../api/webhook-catalog.js';
import { INBOX_TEST_EVENT_TYPE } from '../builtin/inbox-test-webhook.handler.js';
import { pathReader, type HandlerOrdering } from './order-key.js';

export const HANDLER_DEFAULTS = {
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 1000, maxDelayMs: 3_600_000 } as BackoffOptions,
  timeoutMs: 30_000,
  concurrency: 5,
  /** Events per job when no rate limit applies: fewer Redis round trips per event. */
  batchSize: 100,
} as const;

/** A discovered handler with its options resolved and checked. */
export interface RegisteredHandler {
  name: string;
  /** The source whose events it takes (`default`: POST /webhooks). */
  source: string;
  types: string[];
  instance: WebhookHandler<object>;
  attempts: number;
  backoff: Required<BackoffOptions>;
  /** The DTO of `data` when one applies to all its types (the option, or the catalog's). */
  dto?: Type<object>;
  /** The DTO that validates `data` of an event of `type`. */
  dtoOf(type: string): Type<object> | undefined;
  transactional: boolean;
  timeoutMs: number;
  concurrency: number;
  rateLimit?: { max: number; durationMs: number };
  /** Events carried by one job; 1 when rate limited, so that the limiter counts events. */
  batchSize: number;
  /** Set with `orderBy`: deliveries of a key run one at a time, in inbox order. */
  ordering?: HandlerOrdering;
}

/** A catalog that cannot be right (an unconfigured source, one type with two DTOs). */
export class WebhookCatalogError extends Error {
  constructor(problem: string) {
    super(`webhook event catalog: ${problem}`);
    this.name = 'WebhookCatalogError';
  }
}

export class WebhookHandlerDefinitionError extends Error {
  constructor(handler: string, problem: string) {
    super(`@OnWebhook handler ${handler}: ${problem}`);
    this.name = 'WebhookHandlerDefinitionError';
  }
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof OnWebhookOptions>([
  'name',
  'source',
  'attempts',
  'backoff',
  'dto',
  'transactional',
  'timeoutMs',
  'concurrency',
  'rateLimit',
  'orderBy',
  'onDead',
  'onMissingKey',
]);
/** What a handler name may look like (it is part of its queue's name); admin routes check names with it too. */
export const HANDLER_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
const isPositiveInt = (value: unknown, max = Number.MAX_SAFE_INTEGER): value is number =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max;

/**
 * Finds every provider decorated with @OnWebhook, the way @nestjs/cqrs finds @EventsHandler and
 * @nestjs/event-emitter finds @OnEvent, and fails the boot on any mistake (a duplicate name, no
 * `handle` method, an unknown option, a request-scoped handler) rather than at the first event.
 * Filled in onModuleInit; the workers only start in onApplicationBootstrap, after it.
 */
@Injectable()
export class WebhookHandlerRegistry implements OnModuleInit {
  private readonly logger = new Logger(WebhookHandlerRegistry.name);
  private readonly byName = new Map<string, RegisteredHandler>();
  /** By source, then by type (ALL_EVENT_TYPES for the wildcard handlers). */
  private readonly bySource = new Map<string, Map<string, RegisteredHandler[]>>();
  private readonly sources: ReadonlySet<string>;
  /** Per source: every catalogued type and its DTO (null: no declared shape). */
  private readonly catalogs = new Map<string, Map<string, Type<object> | null>>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    @Inject(WEBHOOK_INBOX_OPTIONS) options: WebhookInboxOptions,
  ) {
    this.sources = new Set([DEFAULT_SOURCE, ...options.sources.map((source) => source.name)]);
  }

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      if (!wrapper.isAlias && wrapper.instance instanceof WebhookEventCatalog) this.addCatalog(wrapper.instance);
    }
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = this.classOf(wrapper);
      if (!metatype) continue;
      const metadata = this.reflector.get<OnWebhookMetadata | undefined>(ON_WEBHOOK_METADATA, metatype);
      if (!metadata) continue;
      this.register(this.resolve(wrapper, metatype, metadata));
    }
    for (const handler of this.byName.values()) {
      const from = handler.source === DEFAULT_SOURCE ? '' : ` from source ${handler.source}`;
      this.logger.log(`${handler.name} handles ${handler.types.join(', ')}${from}`);
    }
    for (const [source, catalog] of this.catalogs) {
      const unhandled = [...catalog.keys()].filter((type) => this.handlersFor(type, source).length === 0);
      if (unhandled.length === 0) continue;
      const from = source === DEFAULT_SOURCE ? '' : ` of source ${source}`;
      this.logger.warn(
        `catalogued event types${from} without a handler (stored, then marked ignored): ${unhandled.join(', ')}`,
      );
    }
  }

  /** The catalog of `source` (type → DTO, null for no declared shape); undefined when it has none. */
  catalogOf(source: string = DEFAULT_SOURCE): ReadonlyMap<string, Type<object> | null> | undefined {
    return this.catalogs.get(source);
  }

  /** Catalogs of one source from several modules merge; one type with two different DTOs stops the boot. */
  private addCatalog(catalog: WebhookEventCatalog): void {
    const where = catalog.source === DEFAULT_SOURCE ? 'the default source' : `source ${catalog.source}`;
    if (!this.sources.has(catalog.source)) {
      throw new WebhookCatalogError(
        `a catalog is registered for ${JSON.stringify(catalog.source)}, which is not a configured source ` +
          `(configured: ${[...this.sources].join(', ')})`,
      );
    }
    let merged = this.catalogs.get(catalog.source);
    if (!merged) this.catalogs.set(catalog.source, (merged = new Map()));
    for (const type of catalog.types) {
      if (!EVENT_TYPE_PATTERN.test(type)) {
        throw new WebhookCatalogError(`event type ${JSON.stringify(type)} in the catalog of ${where} is not valid`);
      }
      const dto = catalog.dtos[type] ?? null;
      if (dto !== null && typeof dto !== 'function') {
        throw new WebhookCatalogError(`${type} in the catalog of ${where}: the DTO must be a class or null`);
      }
      const existing = merged.get(type);
      if (existing !== undefined && existing !== dto) {
        throw new WebhookCatalogError(
          `${type} is catalogued twice for ${where}, with ${existing?.name ?? 'no DTO'} and ${dto?.name ?? 'no DTO'}`,
        );
      }
      merged.set(type, dto);
    }
  }

  /** Every handler of `source` that subscribes to `type`, in registration order. */
  handlersFor(type: string, source: string = DEFAULT_SOURCE): RegisteredHandler[] {
    const byType = this.bySource.get(source);
    if (!byType) return [];
    const specific = byType.get(type) ?? [];
    const wildcard = byType.get(ALL_EVENT_TYPES);
    return wildcard === undefined ? specific : [...specific, ...wildcard];
  }

  get(name: string): RegisteredHandler | undefined {
    return this.byName.get(name);
  }

  all(): RegisteredHandler[] {
    return [...this.byName.values()];
  }

  private classOf(wrapper: InstanceWrapper): Type<unknown> | undefined {
    if (wrapper.isAlias) return undefined;
    // useValue/useFactory providers have no useful metatype: read the class from the instance.
    const metatype = !wrapper.metatype || wrapper.inject ? wrapper.instance?.constructor : wrapper.metatype;
    return typeof metatype === 'function' ? (metatype as Type<unknown>) : undefined;
  }

  private resolve(wrapper: InstanceWrapper, metatype: Type<unknown>, metadata: OnWebhookMetadata): RegisteredHandler {
    const { options, types } = metadata;
    const name = options.name ?? metatype.name;
    const fail = (problem: string) => new WebhookHandlerDefinitionError(name, problem);

    if (!wrapper.isDependencyTreeStatic()) {
      throw fail(
        'is request-scoped (or depends on a request-scoped provider); handlers run outside any request, make it a singleton',
      );
    }
    const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.has(key));
    if (unknown.length) throw fail(`unknown option(s) ${unknown.join(', ')}; known: ${[...KNOWN_OPTIONS].join(', ')}`);
    if (!HANDLER_NAME_PATTERN.test(name))
      throw fail('name must start with a letter and use only letters, digits, "_", "." or "-"');
    if (types.length === 0) throw fail('subscribes to no event type');
    const source = options.source ?? DEFAULT_SOURCE;
    if (!this.sources.has(source)) {
      throw fail(
        `source ${JSON.stringify(source)} is not configured (configured: ${[...this.sources].join(', ')}); ` +
          'add it to WEBHOOK_SOURCES with its SOURCE_<NAME>_* settings',
      );
    }
    for (const type of types) {
      if (type !== ALL_EVENT_TYPES && (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type))) {
        throw fail(
          `event type ${JSON.stringify(type)} is not valid (letters, digits, "_", ".", ":", "/", "-", or "*")`,
        );
      }
    }
    const catalog = this.catalogs.get(source);
    if (catalog) {
      const outside = types.filter(
        (type) => type !== ALL_EVENT_TYPES && type !== INBOX_TEST_EVENT_TYPE && !catalog.has(type),
      );
      if (outside.length) {
        const where = source === DEFAULT_SOURCE ? 'the default source' : `source ${source}`;
        throw fail(
          `event type(s) ${outside.join(', ')} are not in the catalog of ${where}; ` +
            'add them to its defineWebhookEvents (a misspelled type would never run)',
        );
      }
    }
    const instance = wrapper.instance as WebhookHandler | undefined;
    if (!instance || typeof instance.handle !== 'function') throw fail('has no handle(event, context) method');

    const attempts = options.attempts ?? HANDLER_DEFAULTS.attempts;
    if (!isPositiveInt(attempts, 100)) throw fail('attempts must be an integer from 1 to 100');
    const timeoutMs = options.timeoutMs ?? HANDLER_DEFAULTS.timeoutMs;
    if (!isPositiveInt(timeoutMs, 3_600_000)) throw fail('timeoutMs must be an integer from 1 to 3600000');
    const concurrency = options.concurrency ?? HANDLER_DEFAULTS.concurrency;
    if (!isPositiveInt(concurrency, 1000)) throw fail('concurrency must be an integer from 1 to 1000');
    const backoff = { ...HANDLER_DEFAULTS.backoff, ...options.backoff } as Required<BackoffOptions>;
    if (!['exponential', 'fixed'].includes(backoff.type)) throw fail('backoff.type must be "exponential" or "fixed"');
    if (!Number.isInteger(backoff.delayMs) || backoff.delayMs < 0)
      throw fail('backoff.delayMs must be a non-negative integer');
    if (!Number.isInteger(backoff.maxDelayMs) || backoff.maxDelayMs < backoff.delayMs) {
      throw fail('backoff.maxDelayMs must be an integer not below backoff.delayMs');
    }
    if (options.dto !== undefined && typeof options.dto !== 'function') throw fail('dto must be a class');
    const dtos = this.dtosOf(types, options.dto, catalog, fail);
    const { rateLimit } = options;
    if (rateLimit && !(isPositiveInt(rateLimit.max) && isPositiveInt(rateLimit.durationMs))) {
      throw fail('rateLimit needs positive integers max and durationMs');
    }

    const ordering = this.ordering(options, fail);

    return {
      name,
      source,
      ordering,
      types: [...new Set(types)],
      instance,
      attempts,
      backoff,
      dto: dtos.shared,
      dtoOf: dtos.of,
      transactional: options.transactional ?? false,
      timeoutMs,
      concurrency,
      rateLimit,
      batchSize: rateLimit ? 1 : HANDLER_DEFAULTS.batchSize,
    };
  }

  /**
   * Which DTO validates `data` of each type: the catalog's, or the handler's own `dto` where the
   * type has none. A `dto` that contradicts the catalog stops the boot.
   */
  private dtosOf(
    types: string[],
    own: Type<object> | undefined,
    catalog: Map<string, Type<object> | null> | undefined,
    fail: (problem: string) => WebhookHandlerDefinitionError,
  ): { shared?: Type<object>; of: (type: string) => Type<object> | undefined } {
    if (!catalog) return { shared: own, of: () => own };
    const byType = new Map<string, Type<object> | undefined>();
    for (const type of types) {
      const catalogued = type === ALL_EVENT_TYPES ? null : (catalog.get(type) ?? null);
      if (own && catalogued && catalogued !== own) {
        throw fail(
          `dto ${own.name} disagrees with the catalog, which validates ${type} with ${catalogued.name}; ` +
            'remove the dto option (the catalog applies)',
        );
      }
      byType.set(type, catalogued ?? own);
    }
    const distinct = new Set(byType.values());
    const wildcard = byType.get(ALL_EVENT_TYPES);
    return {
      shared: distinct.size === 1 ? [...distinct][0] : undefined,
      of: (type) => (byType.has(type) ? byType.get(type) : (catalog.get(type) ?? wildcard)),
    };
  }

  private ordering(
    options: OnWebhookOptions,
    fail: (problem: string) => WebhookHandlerDefinitionError,
  ): HandlerOrdering | undefined {
    const { orderBy, onDead, onMissingKey } = options;
    if (orderBy === undefined) {
      if (onDead !== undefined) throw fail('onDead applies only to ordered handlers; add orderBy or remove onDead');
      if (onMissingKey !== undefined) {
        throw fail('onMissingKey applies only to ordered handlers; add orderBy or remove onMissingKey');
      }
      return undefined;
    }
    let keyOf: HandlerOrdering['keyOf'] | undefined;
    let describe: string;
    if (typeof orderBy === 'function') {
      keyOf = orderBy;
      describe = orderBy.name ? `function ${orderBy.name}` : 'function';
    } else if (typeof orderBy === 'string') {
      keyOf = pathReader(orderBy);
      describe = orderBy;
      if (!keyOf) {
        throw fail(
          `orderBy ${JSON.stringify(orderBy)} is not a dotted path into the event (e.g. 'data.subscription_id'); ` +
            'use letters, digits, "_" and "$" between the dots, or pass a function (event) => key',
        );
      }
    } else {
      throw fail(`orderBy must be a dotted path such as 'data.subscription_id' or a function (event) => key`);
    }
    if (onDead !== undefined && onDead !== 'block' && onDead !== 'skip') {
      throw fail(`onDead must be 'block' or 'skip', not ${JSON.stringify(onDead)}`);
    }
    if (onMissingKey !== undefined && onMissingKey !== 'refuse' && onMissingKey !== 'unordered') {
      throw fail(`onMissingKey must be 'refuse' or 'unordered', not ${JSON.stringify(onMissingKey)}`);
    }
    return { describe, keyOf, onDead: onDead ?? 'block', onMissingKey: onMissingKey ?? 'refuse' };
  }

  private register(handler: RegisteredHandler): void {
    const existing = this.byName.get(handler.name);
    if (existing) {
      throw new WebhookHandlerDefinitionError(
        handler.name,
        'is declared twice (two classes with this name, or one class listed in two modules); give one of them `name`',
      );
    }
    this.byName.set(handler.name, handler);
    let byType = this.bySource.get(handler.source);
    if (!byType) this.bySource.set(handler.source, (byType = new Map()));
    const types = handler.types.includes(ALL_EVENT_TYPES) ? [ALL_EVENT_TYPES] : handler.types;
    for (const type of types) byType.set(type, [...(byType.get(type) ?? []), handler]);
  }
}

/** Delay before attempt `attempt + 1`, after `attempt` failed runs. */
export function backoffDelay(backoff: Required<BackoffOptions>, attempt: number): number {
  if (backoff.type === 'fixed') return backoff.delayMs;
  return Math.min(backoff.maxDelayMs, backoff.delayMs * 2 ** Math.max(0, attempt - 1));
}
