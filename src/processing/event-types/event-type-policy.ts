import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../../database/pg-pool.js';

/** How long a replica trusts its copy of the subscription list: a change reaches every replica within this. */
export const SUBSCRIPTION_CACHE_TTL_MS = 2000;

/** `all`: every type that has a handler is processed. `list`: only the listed types. */
export type SubscriptionMode = 'all' | 'list';

export interface SubscriptionSnapshot {
  /** 0 when no list was ever set. */
  version: number;
  mode: SubscriptionMode;
  types: ReadonlySet<string>;
}

const NEVER_SET: SubscriptionSnapshot = { version: 0, mode: 'all', types: new Set() };

const CURRENT_VERSION = `
  SELECT version, mode, types FROM event_type_subscription_versions ORDER BY version DESC LIMIT 1`;

/**
 * Decides whether events of a type are processed at all. The core processes every type that has
 * a handler; the admin's subscription list (PUT /admin/subscriptions, table
 * event_type_subscription_versions) narrows it down. A type outside the list is stored as
 * `ignored` by the dispatch processor.
 *
 * The dispatch path asks for every event, so the list is cached for SUBSCRIPTION_CACHE_TTL_MS and
 * reloaded by one query at a time; a change made on another replica is seen within that TTL.
 */
@Injectable()
export class EventTypePolicy {
  private readonly logger = new Logger(EventTypePolicy.name);
  private snapshot?: SubscriptionSnapshot;
  private loadedAt = 0;
  private loading?: Promise<SubscriptionSnapshot>;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async processes(type: string): Promise<boolean> {
    const current = await this.current();
    return current.mode === 'all' || current.types.has(type);
  }

  /** The list as this replica currently applies it (at most SUBSCRIPTION_CACHE_TTL_MS old). */
  async current(): Promise<SubscriptionSnapshot> {
    if (this.snapshot && Date.now() - this.loadedAt < SUBSCRIPTION_CACHE_TTL_MS) return this.snapshot;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** After a change made through this replica: apply it at once rather than after the TTL. */
  invalidate(): void {
    this.loadedAt = 0;
  }

  private async load(): Promise<SubscriptionSnapshot> {
    try {
      const { rows } = await this.pool.query<{ version: string; mode: SubscriptionMode; types: string[] }>(
        CURRENT_VERSION,
      );
      const row = rows[0];
      this.snapshot = row ? { version: Number(row.version), mode: row.mode, types: new Set(row.types) } : NEVER_SET;
      this.loadedAt = Date.now();
      return this.snapshot;
    } catch (error) {
      // Keep applying the last list we know rather than guessing; with none, fail the job (it is retried).
      if (!this.snapshot) throw error;
      this.logger.warn(
        `could not reload the subscription list, still applying version ${this.snapshot.version}: ${(error as Error).message}`,
      );
      return this.snapshot;
    }
  }
}
