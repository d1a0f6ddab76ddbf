import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { DEFAULT_DATABASE_URL } from './default-database-url.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS, STATEMENT_TIMEOUT_MS } from './timeouts.js';
import { migrations } from '../../migrations/index.js';

/**
 * One definition of the connection, shared by the app (TypeOrmModule) and the migration CLI
 * (`typeorm migration:run -d dist/src/database/data-source.js`). The schema is only ever changed
 * by the reviewed migrations in /migrations: synchronize stays off.
 */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    namingStrategy: new SnakeNamingStrategy(),
    poolSize,
    extra: {
      // Fail fast when Postgres is unreachable: the ingestion path answers 503 instead of hanging.
      connectionTimeoutMillis: 3000,
      // Bound every statement so a stuck database cannot hold a request (or a handler slot) forever:
      // the server cancels it first (statement_timeout), the client gives up a little later.
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      query_timeout: STATEMENT_TIMEOUT_MS + 5000,
      application_name: 'webhook-inbox',
    },
  };
}

// The TypeORM CLI imports this module and uses its default export. The app imports it too (for
// dataSourceOptions), so building this instance must not validate or connect anything.
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL || DEFAULT_DATABASE_URL));
