import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Audited } from '../audit/audited.decorator.js';
import { EventPurgeService } from './event-purge.service.js';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { AdminApi, ApiInvalidInput } from '../admin-api.decorator.js';
import { ApiErrorDto } from '../../shared/api-error.dto.js';
import {
  BulkReplayAcceptedDto,
  EventReplayResultDto,
  ReplayByFilterDto,
  ReplaySelectionDto,
} from '../replay/dto/replay.dto.js';
import { EventReplayService } from '../replay/event-replay.service.js';
import { AdminEventsService } from './admin-events.service.js';
import { EventDetailDto } from './dto/event-detail.dto.js';
import { EventPageDto } from './dto/event-summary.dto.js';
import { ListEventsQueryDto } from './dto/list-events-query.dto.js';
import { PurgeEventsQueryDto, PurgeResultDto } from './dto/purge-events-query.dto.js';

const EVENT_ID = { name: 'id', format: 'uuid', description: "The inbox's id of the event (see GET /admin/events)." };

@AdminApi('admin: events')
@Controller('admin/events')
export class AdminEventsController {
  constructor(
    private readonly events: AdminEventsService,
    private readonly replays: EventReplayService,
    private readonly purges: EventPurgeService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List events, newest first',
    description:
      "Filter by type, status, source and a received_at range. Keyset pagination: pass the answer's `nextCursor` " +
      'as `cursor` for the next page (stable while new events arrive; as fast on the millionth row as on the first).',
  })
  @ApiOkResponse({ type: EventPageDto })
  @ApiInvalidInput()
  list(@Query() query: ListEventsQueryDto): Promise<EventPageDto> {
    return this.events.list(query);
  }

  @Post('replay')
  @HttpCode(202)
  @Audited('events.replay-by-filter', (result: BulkReplayAcceptedDto) => (result.dryRun ? 0 : result.matched))
  @ApiOperation({
    summary: 'Replay every event matching a filter, in the background',
    description:
      'For example `{"type": "subscription_event_refund", "status": "failed", "from": "2026-11-29T00:00:00Z", ' +
      '"to": "2026-11-30T00:00:00Z"}`. Answers at once with the number of matching events; their deliveries are ' +
      're-opened in batches of 500 and queued (progress in the log under `replayId`). Running it twice is harmless: ' +
      'deliveries already pending or running are left alone. `dryRun: true` only counts. More than 10,000 matching ' +
      'events need `confirm` set to their count (409 otherwise, with the count). Recorded in the audit.',
  })
  @ApiAcceptedResponse({ type: BulkReplayAcceptedDto })
  @ApiConflictResponse({
    type: ApiErrorDto,
    description: 'More than 10,000 events match and `confirm` is not their count.',
  })
  @ApiInvalidInput()
  replayByFilter(@Body() filter: ReplayByFilterDto): Promise<BulkReplayAcceptedDto> {
    return this.replays.replayByFilter(filter);
  }

  @Delete()
  @Audited('events.purge', (result: PurgeResultDto) => result.deleted)
  @ApiOperation({
    summary: 'Purge finished events received before a date',
    description:
      'Processed and ignored events by default; failed ones only with `includeFailed=true` (retention keeps them ' +
      'until replayed or purged here); events still in flight never. `before` must be at least PURGE_MIN_AGE ' +
      '(default 24 h) in the past. `dryRun=true` counts without deleting. Deletes in batches of 1000 (each its ' +
      "own short transaction), with the events' deliveries and attempts. Recorded in the audit.",
  })
  @ApiOkResponse({ type: PurgeResultDto })
  @ApiInvalidInput(
    'A parameter is invalid, `before` is later than now minus PURGE_MIN_AGE, or failed events were asked for without includeFailed.',
  )
  purge(@Query() query: PurgeEventsQueryDto): Promise<PurgeResultDto> {
    return this.purges.purge(query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One event: envelope, kept headers, status, every delivery with every attempt',
    description: 'Attempts carry start and end times, duration, the error message and the first lines of its stack.',
  })
  @ApiParam(EVENT_ID)
  @ApiOkResponse({ type: EventDetailDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'No event with this id.' })
  @ApiInvalidInput('The id is not a uuid.')
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<EventDetailDto> {
    return this.events.get(id);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @Audited('events.replay', (result: EventReplayResultDto) => result.replayed.length)
  @ApiOperation({
    summary: "Replay one event's deliveries",
    description:
      'Default: the failed (dead) deliveries. `?all=true`: every finished delivery, plus new ones for handlers added ' +
      'since. `?handler=Name`: that handler only. Deliveries go back to `pending` with their attempt count kept and a ' +
      'fresh budget of attempts; the event goes back to `queued`. Deliveries still pending, running or retrying are ' +
      'skipped, so replaying twice in a row is harmless. Recorded in the audit.',
  })
  @ApiParam(EVENT_ID)
  @ApiOkResponse({ type: EventReplayResultDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'No event with this id.' })
  @ApiInvalidInput('The id is not a uuid, or the handler is unknown.')
  replay(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() selection: ReplaySelectionDto,
  ): Promise<EventReplayResultDto> {
    return this.replays.replayEvent(id, selection);
  }
}
