import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '../database/data-source.js';
import { ensureDatabaseExists, runMigrationsLocked } from '../database/database-setup.js';
import { AppConfig } from './config/app-config.js';

/**
 * The app's TypeORM DataSource. Before anything else uses it, it creates the database if it is
 * missing and, unless MIGRATIONS=skip, applies pending migrations under an advisory lock (safe
 * with several replicas starting together). Nothing runs against an old schema.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
        autoLoadEntities: true,
        // Read by dataSourceFactory below, which runs them itself under the lock.
        migrationsRun: config.MIGRATIONS === 'boot',
        // Nest's retry loop would hide an unreachable database for minutes; main.ts checks first.
        retryAttempts: 0,
      }),
      dataSourceFactory: async (options) => {
        const { migrationsRun, ...rest } = options as DataSourceOptions & { url: string };
        await ensureDatabaseExists(rest.url);
        const dataSource = await new DataSource({ ...rest, migrationsRun: false }).initialize();
        if (migrationsRun) {
          const applied = await runMigrationsLocked(dataSource);
          if (applied.length > 0) new Logger('Migrations').log(`applied ${applied.join(', ')}`);
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
