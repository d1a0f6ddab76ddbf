import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { INBOX_REDIS } from '../../inbox/webhook-inbox.options.js';
import { withTimeout } from '../../shared/time-limits.js';

/**
 * PING on the connection that adds jobs. Where Redis is not needed to do the process's job (an
 * api acknowledges webhooks while Redis is down: the relay queues them once it is back), a failed
 * PING reports `degraded`: listed in the body, but the process stays ready.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(INBOX_REDIS) private readonly redis: Redis,
    private readonly health: HealthIndicatorService,
  ) {}

  async ping(key: string, timeoutMs: number, required: boolean): Promise<HealthIndicatorResult> {
    const session = this.health.check(key);
    try {
      const answer = await withTimeout(this.redis.ping(), timeoutMs, 'PING');
      if (answer !== 'PONG') throw new Error(`unexpected answer to PING: ${answer}`);
      return session.up({ required });
    } catch (error) {
      const message = (error as Error).message;
      if (required) return session.down({ required, message });
      return session.degraded({
        required,
        message: `${message}; webhooks are still acknowledged, and queued by the relay once Redis is back`,
      });
    }
  }
}
