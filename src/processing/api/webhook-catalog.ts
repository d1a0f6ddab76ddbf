import type { Type } from '@nestjs/common';

/** The source of POST /webhooks; any other source is a name from WEBHOOK_SOURCES. */
export type DefaultSource = 'default';

/** Each event type's DTO class for `data`, or `null` when `data` has no declared shape. */
export type WebhookEventDtos = Record<string, Type<object> | null>;

/**
 * An application's event types, each with the class-validator DTO of its `data`: made by
 * `defineWebhookEvents`, registered at runtime with `WebhookCatalogModule.forFeature(catalog)`, and
 * made known to the compiler once with
 *
 *   declare module '<path to>/processing/api/index.js' {
 *     interface WebhookEventTypes extends CatalogEntries<typeof SubscriptionEvents> {}
 *   }
 */
export class WebhookEventCatalog<TDtos extends WebhookEventDtos = WebhookEventDtos, TSource extends string = string> {
  constructor(
    readonly source: TSource,
    readonly dtos: Readonly<TDtos>,
  ) {}

  get types(): string[] {
    return Object.keys(this.dtos);
  }
}

/**
 * Declares event types once, each with the DTO that validates its `data`:
 *
 *   export const SubscriptionEvents = defineWebhookEvents({
 *     subscription_user_create: SubscriptionCreatedData,
 *     subscription_event_refund: SubscriptionRefundData,
 *   });
 *
 * `{ source: 'stripe' }` declares the catalog of a configured source (POST /webhooks/stripe).
 */
export function defineWebhookEvents<const TDtos extends WebhookEventDtos>(
  dtos: TDtos,
): WebhookEventCatalog<TDtos, DefaultSource>;
export function defineWebhookEvents<const TDtos extends WebhookEventDtos, const TSource extends string>(
  dtos: TDtos,
  options: { source: TSource },
): WebhookEventCatalog<TDtos, TSource>;
export function defineWebhookEvents(dtos: WebhookEventDtos, options?: { source: string }): WebhookEventCatalog {
  return new WebhookEventCatalog(options?.source ?? 'default', Object.freeze({ ...dtos }));
}

/**
 * Every catalogued event type, as `type` → the type of its `data` (`type@source` for a source other
 * than the default). Empty until an application extends it (see WebhookEventCatalog); while it is
 * empty for a source, that source's handlers are untyped.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WebhookEventTypes {}

/** What `interface WebhookEventTypes extends CatalogEntries<typeof MyEvents> {}` adds. */
export type CatalogEntries<TCatalog> =
  TCatalog extends WebhookEventCatalog<infer TDtos, infer TSource>
    ? {
        [K in keyof TDtos & string as TSource extends DefaultSource ? K : `${K}@${TSource}`]: TDtos[K] extends Type<
          infer TData
        >
          ? TData
          : Record<string, unknown>;
      }
    : never;

type CataloguedTypes<TSource extends string> = {
  [K in keyof WebhookEventTypes & string]: TSource extends DefaultSource
    ? K extends `${string}@${string}`
      ? never
      : K
    : K extends `${infer TType}@${TSource}`
      ? TType
      : never;
}[keyof WebhookEventTypes & string];

/** Whether `TSource` has a catalog the compiler knows. */
export type HasWebhookCatalog<TSource extends string = DefaultSource> = [CataloguedTypes<TSource>] extends [never]
  ? false
  : true;

/** The event types a handler of `TSource` may name: the catalogued ones, or any string without a catalog. */
export type WebhookEventType<TSource extends string = DefaultSource> =
  HasWebhookCatalog<TSource> extends true ? CataloguedTypes<TSource> : string;

/** The `data` of a catalogued type; untyped for a type outside the catalog. */
export type WebhookEventData<TType extends string, TSource extends string = DefaultSource> = (
  TSource extends DefaultSource ? TType : `${TType}@${TSource}`
) extends infer TKey
  ? TKey extends keyof WebhookEventTypes
    ? WebhookEventTypes[TKey]
    : Record<string, unknown>
  : never;
