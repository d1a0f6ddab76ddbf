import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health.js';

const CHECK_TIMEOUT_MS = 1500;

/** For the orchestrator: liveness (restart me) is not readiness (send me traffic). */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

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
    summary: 'Readiness: Postgres and Redis answer',
    description: `503 when either does not answer within ${CHECK_TIMEOUT_MS} ms. Without Postgres no webhook can be acknowledged.`,
  })
  ready() {
    return this.health.check([
      () => this.postgres.pingCheck('postgres').withTimeout(CHECK_TIMEOUT_MS),
      () => this.redis.ping('redis', CHECK_TIMEOUT_MS),
    ]);
  }
}
