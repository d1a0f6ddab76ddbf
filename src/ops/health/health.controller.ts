import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health.js';

const CHECK_TIMEOUT_MS = 1500;

/** For the orchestrator: liveness (restart me) is not readiness (send me traffic). */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  /** A worker needs Redis to do its job; an api (and `all`, which also takes webhooks) does not. */
  private readonly redisRequired: boolean;

  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    config: ConfigService,
  ) {
    this.redisRequired = config.get<string>('APP_ROLE') === 'worker';
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness: the process answers',
    description: 'Checks nothing outside the process, so a database outage never gets healthy replicas restarted.',
  })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the process can do its job',
    description:
      `503 when a dependency the process needs does not answer within ${CHECK_TIMEOUT_MS} ms. Every role needs ` +
      'Postgres (without it no webhook can be acknowledged). A worker also needs Redis; an api (or all) does not: ' +
      'it acknowledges webhooks while Redis is down, reports Redis as `degraded` and stays ready. The body lists ' +
      'every dependency.',
  })
  ready() {
    return this.health.check([
      () => this.postgres.pingCheck('postgres').withTimeout(CHECK_TIMEOUT_MS),
      () => this.redis.ping('redis', CHECK_TIMEOUT_MS, this.redisRequired),
    ]);
  }
}
