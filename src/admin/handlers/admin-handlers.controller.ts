import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApi } from '../admin-api.decorator.js';
import { AdminHandlersService } from './admin-handlers.service.js';
import { EventTypeDto, HandlerDto } from './dto/handlers.dto.js';

@AdminApi('admin: handlers and types')
@Controller('admin')
export class AdminHandlersController {
  constructor(private readonly handlers: AdminHandlersService) {}

  @Get('handlers')
  @ApiOperation({
    summary: 'Every discovered @OnWebhook handler: its types, options and live counts',
    description: 'Deliveries by status from Postgres, jobs by state from its BullMQ queue.',
  })
  @ApiOkResponse({ type: [HandlerDto] })
  list(): Promise<HandlerDto[]> {
    return this.handlers.handlers();
  }

  @Get('event-types')
  @ApiOperation({
    summary: 'Every event type seen, subscribed or handled',
    description:
      'Counts by status, when it was last seen, whether it is processed, its handlers and the JSON schema of their DTOs.',
  })
  @ApiOkResponse({ type: [EventTypeDto] })
  eventTypes(): Promise<EventTypeDto[]> {
    return this.handlers.eventTypes();
  }
}
