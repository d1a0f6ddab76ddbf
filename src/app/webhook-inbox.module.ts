import { DynamicModule, Module } from '@nestjs/common';
import { inboxGlobalExports, inboxGlobalProviders } from '../inbox/inbox-global.providers.js';
import { InboxModule } from '../inbox/inbox.module.js';
import {
  ConfigurableWebhookInboxModule,
  WEBHOOK_INBOX_ASYNC_OPTIONS_TYPE,
  WEBHOOK_INBOX_OPTIONS_TYPE,
} from '../inbox/webhook-inbox.options.js';
import { IngressModule } from '../ingress/ingress.module.js';
import { ProcessingModule } from '../processing/processing.module.js';

/**
 * The webhook inbox as one configurable module, like BullModule or TypeOrmModule:
 *
 *   TypeOrmModule.forRoot({ ...dataSourceOptions(url), autoLoadEntities: true }),
 *   EventEmitterModule.forRoot(),
 *   WebhookInboxModule.forRoot({ redisUrl: 'redis://127.0.0.1:6379', runWorkers: true }),
 *
 * or `forRootAsync({ useFactory | useClass | useExisting, inject, imports })` (Nest's
 * ConfigurableModuleBuilder). It uses the app's default TypeORM DataSource (run the migrations in
 * /migrations on it), the app's EventEmitter2 (it publishes InboxEvents there) and its own BullMQ
 * configuration key. Handlers are any providers decorated with @OnWebhook, in any module. Global,
 * so that the options reach every module of the inbox and the app's own.
 */
@Module({})
export class WebhookInboxModule extends ConfigurableWebhookInboxModule {
  static override forRoot(options: typeof WEBHOOK_INBOX_OPTIONS_TYPE): DynamicModule {
    return WebhookInboxModule.complete(super.forRoot(options));
  }

  static override forRootAsync(options: typeof WEBHOOK_INBOX_ASYNC_OPTIONS_TYPE): DynamicModule {
    return WebhookInboxModule.complete(super.forRootAsync(options));
  }

  private static complete(definition: DynamicModule): DynamicModule {
    return {
      ...definition,
      global: true,
      imports: [...(definition.imports ?? []), InboxModule, ProcessingModule, IngressModule],
      providers: [...(definition.providers ?? []), ...inboxGlobalProviders],
      exports: [...inboxGlobalExports, InboxModule, ProcessingModule, IngressModule],
    };
  }
}
