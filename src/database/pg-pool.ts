import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The pg Pool behind TypeORM's DataSource. The hot paths (ingestion, the workers' bookkeeping)
 * send plain parameterised SQL through it: no entity hydration, no query-runner per call.
 */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}
