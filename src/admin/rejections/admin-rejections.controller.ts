import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiErrorDto } from '../../shared/api-error.dto.js';
import { AdminApi, ApiInvalidInput } from '../admin-api.decorator.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRejectionsService } from './admin-rejections.service.js';
import { ListRejectionsQueryDto, RejectionDetailDto, RejectionPageDto } from './dto/rejection.dto.js';

const REJECTION_ID = {
  name: 'id',
  format: 'uuid',
  description: "The quarantine's id of the request (see GET /admin/rejections).",
};

@AdminApi('admin: quarantine')
@Controller('admin/rejections')
export class AdminRejectionsController {
  constructor(private readonly rejections: AdminRejectionsService) {}

  @Get()
  @ApiOperation({
    summary: 'List quarantined requests, newest first',
    description:
      'Correctly signed requests whose content was refused with a 400 (not JSON, past a JSON limit, an invalid ' +
      'envelope, a value Postgres cannot store): the provider will not send them again, so they are kept here ' +
      "until deleted or RETENTION_DAYS pass. Bodies are left out of the list. Keyset pagination: pass the answer's " +
      '`nextCursor` as `cursor` for the next page.',
  })
  @ApiOkResponse({ type: RejectionPageDto })
  @ApiInvalidInput()
  list(@Query() query: ListRejectionsQueryDto): Promise<RejectionPageDto> {
    return this.rejections.list(query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One quarantined request: the body exactly as received, kept headers, reason',
    description:
      'The body is given in base64 (byte for byte) and, when it is valid UTF-8, as text too. Fix the cause with ' +
      'the provider, or send the corrected event yourself; then delete the row.',
  })
  @ApiParam(REJECTION_ID)
  @ApiOkResponse({ type: RejectionDetailDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'No quarantined request with this id.' })
  @ApiInvalidInput('The id is not a uuid.')
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<RejectionDetailDto> {
    return this.rejections.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Audited('rejections.delete', () => 1)
  @ApiOperation({ summary: 'Delete a quarantined request once it has been dealt with' })
  @ApiParam(REJECTION_ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'No quarantined request with this id.' })
  @ApiInvalidInput('The id is not a uuid.')
  delete(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.rejections.delete(id);
  }
}
