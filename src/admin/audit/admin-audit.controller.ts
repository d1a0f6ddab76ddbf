import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApi, ApiInvalidInput } from '../admin-api.decorator.js';
import { DEFAULT_PAGE_SIZE } from '../events/admin-events.service.js';
import { AdminAuditService } from './admin-audit.service.js';
import { AUDIT_CURSOR, AUDIT_CURSOR_MESSAGE, AuditPageDto, ListAuditQueryDto } from './dto/audit.dto.js';

@AdminApi('admin: audit')
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Every mutating admin call, newest first',
    description:
      'Replays, purges, subscription changes, test webhooks, quarantine deletes and queue dashboard actions: who ' +
      "(the admin key's name), how (bearer or browser session), from where, what, with which parameters, the status " +
      "answered and how many rows it touched. Keyset pagination: pass the answer's `nextCursor` as `cursor`.",
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiInvalidInput()
  async list(@Query() query: ListAuditQueryDto): Promise<AuditPageDto> {
    if (query.cursor !== undefined && !AUDIT_CURSOR.test(query.cursor))
      throw new BadRequestException([AUDIT_CURSOR_MESSAGE]);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.audit.page({
      limit: limit + 1,
      before: query.cursor,
      action: query.action,
      actor: query.actor,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => ({ ...row, at: row.at.toISOString() })),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
