import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApi } from '../admin-api.decorator.js';
import { AdminStatsService } from './admin-stats.service.js';
import { StatsDto } from './dto/stats.dto.js';

@AdminApi('admin: stats')
@Controller('admin/stats')
export class AdminStatsController {
  constructor(private readonly stats: AdminStatsService) {}

  @Get()
  @ApiOperation({
    summary: 'Volume, outcomes, queue depth and lag',
    description:
      'Events by status and type over the last hour and day; jobs waiting, active, delayed and failed per queue; ' +
      'received → processed lag (p50, p95); and the backlog of unfinished events with the age of the oldest.',
  })
  @ApiOkResponse({ type: StatsDto })
  get(): Promise<StatsDto> {
    return this.stats.stats();
  }
}
