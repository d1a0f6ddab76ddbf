import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { guardClientErrors, PG_POOL } from '../../database/pg-pool.js';
import { WEBHOOK_INBOX_OPTIONS, type WebhookInboxOptions } from '../../inbox/webhook-inbox.options.js';

/** How often a worker process asks Postgres whether it is there. */
export const PROBE_INTERVAL_MS = 1000;
/** A probe unanswered after this counts as "down" (a hung server, a dropped network). */
export const PROBE_TIMEOUT_MS = 2000;

export type AvailabilityListener = (available: boolean) => void;

/**
 * Whether Postgres answers, as seen by this process: a `SELECT 1` every second on a connection of
 * its own (a busy pool must not look like an outage), plus immediate reports from jobs that failed
 * because Postgres did not answer. The workers pause while it is down, so that jobs wait in Redis
 * instead of failing and using up their attempts; they resume on the first probe that succeeds.
 * Only processes that run workers probe.
 */
@Injectable()
export class PostgresAvailability implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PostgresAvailability.name);
  private readonly probePool: pg.Pool;
  private readonly listeners = new Set<AvailabilityListener>();
  private up = true;
  private timer?: NodeJS.Timeout;
  private probing?: Promise<boolean>;

  constructor(
    @Inject(PG_POOL) appPool: pg.Pool,
    @Inject(WEBHOOK_INBOX_OPTIONS) private readonly options: WebhookInboxOptions,
  ) {
    const app = appPool.options;
    // The password and TLS key are non-enumerable on pg's options: copy them by name.
    this.probePool = new pg.Pool({
      ...app,
      password: app.password,
      ssl: app.ssl,
      max: 1,
      connectionTimeoutMillis: PROBE_TIMEOUT_MS,
      query_timeout: PROBE_TIMEOUT_MS,
      application_name: 'webhook-inbox-probe',
    });
    // An idle probe connection that dies with the server must not crash the process.
    this.probePool.on('error', () => undefined);
    guardClientErrors(this.probePool);
  }

  get available(): boolean {
    return this.up;
  }

  /** Called with the new state on every change; returns the unsubscribe function. */
  onChange(listener: AvailabilityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onApplicationBootstrap(): void {
    if (!this.options.runWorkers) return;
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.listeners.clear();
    await this.probing;
    await this.probePool.end().catch(() => undefined);
  }

  /** A job found Postgres unreachable: act now rather than at the next probe. */
  reportUnavailable(error: unknown): void {
    this.set(false, error);
  }

  /** Checks now (one probe at a time) and returns whether Postgres answered. */
  probe(): Promise<boolean> {
    this.probing ??= this.check().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async check(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      });
      await Promise.race([this.probePool.query('SELECT 1'), timeout]);
      this.set(true);
      return true;
    } catch (error) {
      this.set(false, error);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private set(available: boolean, error?: unknown): void {
    if (available === this.up) return;
    this.up = available;
    if (available) this.logger.log('Postgres answers again');
    else this.logger.warn(`Postgres is unreachable (${(error as Error)?.message ?? error}): pausing the workers`);
    for (const listener of this.listeners) listener(available);
  }
}
