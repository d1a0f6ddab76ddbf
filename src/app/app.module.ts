import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database.module.js';
import { WebhookInboxModule } from './webhook-inbox.module.js';
import { LoggingModule } from '../ops/logging/logging.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { AdminModule } from '../admin/admin.module.js';
import { HealthModule } from '../ops/health/health.module.js';
import { MetricsModule } from '../ops/metrics/metrics.module.js';

type Imports = NonNullable<ModuleMetadata['imports']>;

/** The service: configuration, infrastructure, the inbox, and the feature modules that handle events. */
@Module({})
export class AppModule {
  /** `extraImports`: more feature modules (tests and the benchmark add their own handlers this way). */
  static register(config: AppConfig, extraImports: Imports = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule,
        WebhookInboxModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (cfg: AppConfig) => ({
            redisUrl: cfg.REDIS_URL,
            queuePrefix: cfg.QUEUE_PREFIX,
            runWorkers: cfg.runsWorkers,
            shutdownGraceMs: cfg.SHUTDOWN_GRACE_MS,
            signing: { secrets: cfg.WEBHOOK_SECRET?.split(/\s+/) ?? [], toleranceSeconds: cfg.WEBHOOK_TOLERANCE_SECONDS },
          }),
        }),
        SubscriptionsModule,
        // Operations: health probes, Prometheus metrics, the admin API and queue dashboard.
        HealthModule,
        MetricsModule,
        AdminModule,
        ...extraImports,
      ],
    };
  }
}
