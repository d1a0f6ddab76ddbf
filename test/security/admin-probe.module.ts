import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ADMIN_BEARER } from '../../src/admin/swagger.js';

/**
 * A tiny admin controller for the security tests only, so the OpenAPI-driven check always has
 * at least one admin route to prove (the real admin routes are covered the same way when present).
 */
@ApiTags('security-probe')
@ApiBearerAuth(ADMIN_BEARER)
@Controller('admin/security-probe')
class AdminProbeController {
  @Get()
  get(): { ok: true } {
    return { ok: true };
  }

  @Get(':id')
  one(@Param('id') id: string): { ok: true; id: string } {
    return { ok: true, id };
  }

  @Post()
  post(@Body() body: unknown): { ok: true; body: unknown } {
    return { ok: true, body };
  }
}

@Module({ controllers: [AdminProbeController] })
export class AdminProbeModule {}
