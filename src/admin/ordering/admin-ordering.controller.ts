import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiErrorDto } from '../../shared/api-error.dto.js';
import { AdminApi, ApiInvalidInput } from '../admin-api.decorator.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminOrderingService } from './admin-ordering.service.js';
import { BlockedKeysDto, BlockedQueryDto, RetryResultDto, SkipResultDto } from './dto/ordering.dto.js';

const HANDLER = { name: 'handler', description: 'The ordered handler, e.g. `SubscriptionTimelineHandler`.' };
const KEY = { name: 'key', description: 'The ordering key (URL-encoded), e.g. `sub_1`.' };

@AdminApi('admin: ordering')
@Controller('admin/ordering')
export class AdminOrderingController {
  constructor(private readonly ordering: AdminOrderingService) {}

  @Get('blocked')
  @ApiOperation({
    summary: 'Keys of ordered handlers held by a failing head',
    description:
      'For every handler with `orderBy`: each key whose head (its earliest delivery not succeeded or skipped) is ' +
      'retrying or dead, with the head, its error and how many deliveries wait behind it. A dead head of an ' +
      "`onDead: 'block'` handler holds its key until it is skipped or retried here.",
  })
  @ApiOkResponse({ type: BlockedKeysDto })
  @ApiInvalidInput()
  blocked(@Query() query: BlockedQueryDto): Promise<BlockedKeysDto> {
    return this.ordering.blocked(query.handler);
  }

  @Post(':handler/:key/skip')
  @HttpCode(200)
  @Audited('ordering.skip', () => 1)
  @ApiOperation({
    summary: "Skip a key's failing head: the next delivery of the key runs",
    description:
      'The head (retrying or dead) becomes dead and skipped, its event is finished (failed), and the next delivery ' +
      'of the key is queued. The skip is recorded on the delivery (`skipped_at`); a replay of its event puts it back ' +
      'in the key. Recorded in the audit.',
  })
  @ApiParam(HANDLER)
  @ApiParam(KEY)
  @ApiOkResponse({ type: SkipResultDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Nothing holds this key.' })
  @ApiConflictResponse({
    type: ApiErrorDto,
    description: 'The head is not failing (pending or running), or it changed meanwhile.',
  })
  skip(@Param('handler') handler: string, @Param('key') key: string): Promise<SkipResultDto> {
    return this.ordering.skip(handler, key);
  }

  @Post(':handler/:key/retry')
  @HttpCode(200)
  @Audited('ordering.retry', () => 1)
  @ApiOperation({
    summary: "Run a key's dead head again, before the deliveries waiting behind it",
    description:
      'The dead head goes back to pending with a fresh set of attempts (a replay of its event for this handler) ' +
      'and is queued; the key stays held until it succeeds or is skipped. Recorded in the audit.',
  })
  @ApiParam(HANDLER)
  @ApiParam(KEY)
  @ApiOkResponse({ type: RetryResultDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Nothing holds this key, or the handler is not registered.' })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The head is not dead (it runs or retries on its own).' })
  retry(@Param('handler') handler: string, @Param('key') key: string): Promise<RetryResultDto> {
    return this.ordering.retry(handler, key);
  }
}
