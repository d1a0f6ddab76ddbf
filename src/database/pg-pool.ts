import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import pg, { type Pool, type PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/** Injection token of the pg Pool behind the app's TypeORM DataSource. */
export const PG_POOL = Symbol('PG_POOL');

/**
 * The one accessor of the pg Pool behind TypeORM's DataSource: the stores send plain
 * parameterised SQL through it (no entity hydration, no query runner per call). TypeORM exposes
 * the pool only as the driver's `master`; if that ever moves, this is the one line to change.
 */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

const ignoreClientError = () => undefined;

/**
 * Every client of the pool keeps an 'error' listener of its own. pg-pool listens only while a
 * client is idle or inside one of its `pool.query` calls, and a client can emit 'error' between
 * the two (seen when Postgres dies while `pool.query` hands a released client to the next waiting
 * query): with no listener, that crashes the process. The error itself still reaches the query
 * that was running, and a dead client is still removed by the pool.
 */
export function guardClientErrors(pool: Pool): Pool {
  const guard = (client: PoolClient) => {
    if (!client.listeners('error').includes(ignoreClientError)) client.on('error', ignoreClientError);
  };
  pool.on('connect', guard);
  // Clients the pool opened before this (TypeORM's connection check) get it too.
  for (const client of (pool as unknown as { _clients?: PoolClient[] })._clients ?? []) guard(client);
  return pool;
}

/** Provides PG_POOL; inject it with `@Inject(PG_POOL) pool: Pool`. */
export const pgPoolProvider: Provider = {
  provide: PG_POOL,
  useFactory: (dataSource: DataSource) => guardClientErrors(pgPool(dataSource)),
  inject: [getDataSourceToken()],
};

/** Injection token of the pool that only acknowledgements use. */
export const INGRESS_PG_POOL = Symbol('INGRESS_PG_POOL');
/** Connections reserved for acknowledgements: batches in flight, the duplicate look-up, one spare. */
export const INGRESS_POOL_SIZE = 3;

/**
 * A pool of its own for the acknowledgement path (the group-commit INSERT and its duplicate
 * look-up), with the same connection settings as the app's: handlers hold the app's connections
 * for whole attempts, and an acknowledgement must never wait for one of them.
 */
export const ingressPgPoolProvider: Provider = {
  provide: INGRESS_PG_POOL,
  useFactory: (app: Pool) => {
    const options = app.options;
    // The password and TLS key are non-enumerable on pg's options: copy them by name.
    const pool = new pg.Pool({
      ...options,
      password: options.password,
      ssl: options.ssl,
      max: INGRESS_POOL_SIZE,
      application_name: 'webhook-inbox-ingress',
    });
    // An idle connection that dies with the server must not crash the process.
    pool.on('error', () => undefined);
    return guardClientErrors(pool);
  },
  inject: [PG_POOL],
};

/** Closes the acknowledgement pool when the app stops (TypeORM closes its own). */
@Injectable()
export class IngressPgPoolCloser implements OnApplicationShutdown {
  constructor(@Inject(INGRESS_PG_POOL) private readonly pool: Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
