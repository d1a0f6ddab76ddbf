import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Pool } from 'pg';
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

/** Provides PG_POOL; inject it with `@Inject(PG_POOL) pool: Pool`. */
export const pgPoolProvider: Provider = {
  provide: PG_POOL,
  useFactory: (dataSource: DataSource) => pgPool(dataSource),
  inject: [getDataSourceToken()],
};
