import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { INBOX_REDIS } from '../../inbox/webhook-inbox.options.js';

/** PING on the connection that adds jobs: the one ingestion depends on. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(INBOX_REDIS) private readonly redis: Redis,
    private readonly health: HealthIndicatorService,
  ) {}

  ping(key: string, timeoutMs: number) {
    return this.health
      .check(key)
      .attempt(async () => {
        const answer = await this.redis.ping();
        if (answer !== 'PONG') throw new Error(`unexpected answer to PING: ${answer}`);
      })
      .withTimeout(timeoutMs);
  }
}
