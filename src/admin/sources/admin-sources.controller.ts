import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApi } from '../admin-api.decorator.js';
import { SourceDto } from './admin-sources.dto.js';
import { AdminSourcesService } from './admin-sources.service.js';

@AdminApi('admin: sources')
@Controller('admin/sources')
export class AdminSourcesController {
  constructor(private readonly sources: AdminSourcesService) {}

  @Get()
  @ApiOperation({
    summary: 'Every webhook source: its verifier, where it reads type, identity and data, its events and handlers',
    description: 'The default source (POST /webhooks) first, then WEBHOOK_SOURCES. Secrets are counted, never shown.',
  })
  @ApiOkResponse({ type: [SourceDto] })
  list(): Promise<SourceDto[]> {
    return this.sources.list();
  }
}
