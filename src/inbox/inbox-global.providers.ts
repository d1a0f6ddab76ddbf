import { Inject, Injectable, OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { producerRedisOptions } from '../shared/redis-connection.js';
import {
  INBOX_REDIS,
  resolveInboxOptions,
  WEBHOOK_INBOX_MODULE_OPTIONS,
  WEBHOOK_INBOX_OPTIONS,
  type WebhookInboxModuleOptions,
  type WebhookInboxOptions,
} from './webhook-inbox.options.js';

@Injectable()
class InboxRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(INBOX_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** What WebhookInboxModule provides to the whole app: the resolved options and the producer connection. */
export const inboxGlobalProviders: Provider[] = [
  {
    provide: WEBHOOK_INBOX_OPTIONS,
    useFactory: (options: WebhookInboxModuleOptions) => resolveInboxOptions(options),
    inject: [WEBHOOK_INBOX_MODULE_OPTIONS],
  },
  {
    provide: INBOX_REDIS,
    useFactory: (options: WebhookInboxOptions) => new Redis(producerRedisOptions(options.redisUrl)),
    inject: [WEBHOOK_INBOX_OPTIONS],
  },
  InboxRedisCloser,
];

export const inboxGlobalExports = [WEBHOOK_INBOX_OPTIONS, INBOX_REDIS];
