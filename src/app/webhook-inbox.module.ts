import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Injectable, Module, ModuleMetadata, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { HandlersModule } from '../processing/processing.module.js';
import { WebhooksModule } from '../ingress/ingress.module.js';
import { INBOX_BULL_CONFIG } from '../inbox/inbox-bull.config.js';
import { producerRedisOptions } from '../shared/redis-connection.js';
import { INBOX_REDIS, WEBHOOK_INBOX_OPTIONS, WebhookInboxOptions } from '../inbox/webhook-inbox.options.js';

export interface WebhookInboxAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: any[]) => WebhookInboxOptions | Promise<WebhookInboxOptions>;
  inject?: any[];
}

@Injectable()
class InboxRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(INBOX_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Holds the options and the producer connection; global so the inbox's feature modules can inject them. */
@Module({})
class WebhookInboxCoreModule {}

/**
 * The webhook inbox as one configurable module, like BullModule or TypeOrmModule:
 *
 *   TypeOrmModule.forRoot({ ...dataSourceOptions(url), autoLoadEntities: true }),
 *   WebhookInboxModule.forRoot({ redisUrl: 'redis://127.0.0.1:6379', runWorkers: true }),
 *
 * It uses the app's default TypeORM DataSource (run the migrations in /migrations on it) and its
 * own BullMQ configuration key. Handlers are any providers decorated with @OnWebhook, in any module.
 */
@Module({})
export class WebhookInboxModule {
  static forRoot(options: WebhookInboxOptions): DynamicModule {
    return this.forRootAsync({ useFactory: () => options });
  }

  static forRootAsync(async: WebhookInboxAsyncOptions): DynamicModule {
    const core: DynamicModule = {
      module: WebhookInboxCoreModule,
      global: true,
      imports: async.imports ?? [],
      providers: [
        {
          provide: WEBHOOK_INBOX_OPTIONS,
          useFactory: async (...args: unknown[]) => withDefaults(await async.useFactory(...args)),
          inject: async.inject ?? [],
        },
        {
          provide: INBOX_REDIS,
          useFactory: (options: WebhookInboxOptions) => new Redis(producerRedisOptions(options.redisUrl)),
          inject: [WEBHOOK_INBOX_OPTIONS],
        },
        InboxRedisCloser,
      ],
      exports: [WEBHOOK_INBOX_OPTIONS, INBOX_REDIS],
    };
    return {
      module: WebhookInboxModule,
      imports: [
        core,
        BullModule.forRootAsync(INBOX_BULL_CONFIG, {
          useFactory: (redis: Redis, options: WebhookInboxOptions) => ({ connection: redis, prefix: options.queuePrefix }),
          inject: [INBOX_REDIS, WEBHOOK_INBOX_OPTIONS],
        }),
        HandlersModule,
        WebhooksModule,
      ],
      exports: [HandlersModule, WebhooksModule],
    };
  }
}

function withDefaults(options: WebhookInboxOptions): WebhookInboxOptions {
  return {
    queuePrefix: 'webhook-inbox',
    runWorkers: true,
    shutdownGraceMs: 10_000,
    ...options,
  };
}
