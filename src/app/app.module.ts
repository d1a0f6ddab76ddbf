import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AdminModule } from '../admin/admin.module.js';
import { AlertsModule } from '../ops/alerts/alerts.module.js';
import { HealthModule } from '../ops/health/health.module.js';
import { LoggingModule } from '../ops/logging/logging.module.js';
import { MetricsModule } from '../ops/metrics/metrics.module.js';
import { RetentionModule } from '../ops/retention/retention.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { alertOptions } from './config/alert-settings.js';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/app-config.module.js';
import { DatabaseModule } from './database.module.js';
import { WebhookInboxModule } from './webhook-inbox.module.js';

type Imports = NonNullable<ModuleMetadata['imports']>;

/** The service: configuration, infrastructure, the inbox, and the feature modules that handle events. */
@Module({})
export class AppModule {
  /** `extraImports`: more feature modules (tests and the benchmark add their own handlers this way). */
  static register(config: AppConfig, extraImports: Imports = []): DynamicModule {
    const alerts = alertOptions(config);
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        // The inbox publishes its lifecycle events here; metrics (and any app listener) subscribe.
        EventEmitterModule.forRoot(),
        LoggingModule,
        DatabaseModule,
        WebhookInboxModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (cfg: AppConfig) => ({
            redisUrl: cfg.REDIS_URL,
            queuePrefix: cfg.QUEUE_PREFIX,
            runWorkers: cfg.runsWorkers,
            shutdownGraceMs: cfg.SHUTDOWN_GRACE_MS,
            retentionDays: cfg.RETENTION_DAYS,
            ingestion: {
              ackTimeoutMs: cfg.ACK_TIMEOUT_MS,
              jsonMaxDepth: cfg.WEBHOOK_JSON_MAX_DEPTH,
              jsonMaxKeys: cfg.WEBHOOK_JSON_MAX_KEYS,
              jsonMaxArrayItems: cfg.WEBHOOK_JSON_MAX_ARRAY_ITEMS,
            },
            publicUrl: cfg.PUBLIC_URL,
            sources: cfg.webhookSources,
            signing: {
              secrets: cfg.WEBHOOK_SECRET?.split(/\s+/) ?? [],
              toleranceSeconds: cfg.WEBHOOK_TOLERANCE_SECONDS,
              failureLimit: cfg.SIGNATURE_FAILURE_LIMIT,
              failureWindowSeconds: cfg.SIGNATURE_FAILURE_WINDOW_SECONDS,
            },
          }),
        }),
        SubscriptionsModule,
        // Operations: health probes, Prometheus metrics, retention, the admin API and queue dashboard.
        HealthModule,
        MetricsModule,
        RetentionModule,
        // Only when ALERT_WEBHOOK_URL is set: otherwise nothing listens, counts or polls for alerts.
        ...(alerts ? [AlertsModule.forRoot(alerts)] : []),
        AdminModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (cfg: AppConfig) => ({
            apiKeys: cfg.ADMIN_API_KEYS,
            production: cfg.isProduction,
            sessionMinutes: cfg.ADMIN_SESSION_MINUTES,
            purgeMinAgeMs: cfg.purgeMinAgeMs,
            testWebhookTypes: cfg.testWebhookTypes,
          }),
        }),
        ...extraImports,
      ],
    };
  }
}
