import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator.js';
import { Caller, type AdminCaller } from '../auth/admin-identity.js';
import { adminActor } from '../admin-actor.js';
import { AdminApi, ApiInvalidInput } from '../admin-api.decorator.js';
import { ApiErrorDto } from '../../shared/api-error.dto.js';
import {
  PutSubscriptionsDto,
  PutSubscriptionsResultDto,
  SubscriptionChangeDto,
  SubscriptionHistoryQueryDto,
  SubscriptionListDto,
} from './dto/subscriptions.dto.js';
import { EventTypeSubscriptionsService } from './event-type-subscriptions.service.js';

@AdminApi('admin: subscriptions')
@Controller('admin/subscriptions')
export class AdminSubscriptionsController {
  constructor(private readonly subscriptions: EventTypeSubscriptionsService) {}

  @Get()
  @ApiOperation({
    summary: 'Which event types are processed',
    description:
      'Mirrors the event types the provider sends us. Events of a type outside the list are still stored and ' +
      'acknowledged, then marked `ignored` (replay them with ?all=true after subscribing).',
  })
  @ApiOkResponse({ type: SubscriptionListDto })
  current(): Promise<SubscriptionListDto> {
    return this.subscriptions.current();
  }

  @Put()
  @Audited('subscriptions.replace', (result: PutSubscriptionsResultDto) => (result.changed ? 1 : 0))
  @ApiOperation({
    summary: 'Replace the list of processed event types',
    description:
      'Saved as a new version in Postgres (who, when, why, what was added and removed); every replica applies it ' +
      'within `effectiveWithinSeconds`. Saving the same list again changes nothing. `{"mode": "all"}` goes back to ' +
      'processing every type that has a handler.',
  })
  @ApiOkResponse({ type: PutSubscriptionsResultDto })
  @ApiConflictResponse({ type: ApiErrorDto, description: '`expectedVersion` given and the list has changed since.' })
  @ApiInvalidInput()
  replace(@Body() body: PutSubscriptionsDto, @Caller() caller: AdminCaller): Promise<PutSubscriptionsResultDto> {
    return this.subscriptions.replace(body, adminActor(caller, body.actor));
  }

  @Get('history')
  @ApiOperation({ summary: 'Audit trail: every change of the list, newest first' })
  @ApiOkResponse({ type: [SubscriptionChangeDto] })
  @ApiInvalidInput()
  history(@Query() query: SubscriptionHistoryQueryDto): Promise<SubscriptionChangeDto[]> {
    return this.subscriptions.history(query);
  }
}
