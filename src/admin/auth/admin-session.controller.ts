import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
  Res,
  UnauthorizedException,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSeeOtherResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorDto } from '../../shared/api-error.dto.js';
import { ADMIN_OPTIONS, type AdminOptions } from '../admin.options.js';
import { matchAdminKey } from './admin-keys.js';
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_PATH, issueAdminSession } from './admin-session.js';
import { AdminLoginDto, AdminSessionDto } from './dto/admin-session.dto.js';
import { loginPage, safeNext } from './login-page.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * Browser login for operators: the queue dashboard and Swagger UI's calls cannot add an
 * Authorization header, so a browser gets a short-lived HttpOnly, SameSite=Strict cookie instead.
 * These routes are the only ones under /admin the edge hook lets through without a key.
 */
@ApiTags('admin: session')
@Controller('admin')
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))
export class AdminSessionController {
  constructor(@Inject(ADMIN_OPTIONS) private readonly options: AdminOptions) {}

  @Get('login')
  @ApiOperation({ summary: 'The login form for browsers' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'An HTML form posting the key to POST /admin/session.' })
  login(
    @Query('next') next: string | undefined,
    @Query('failed') failed: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): string {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return loginPage({
      next: safeNext(next),
      failed: failed !== undefined,
      sessionMinutes: this.options.sessionMinutes,
    });
  }

  @Post('session')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log a browser in: sets the session cookie',
    description:
      `Sets \`${ADMIN_SESSION_COOKIE}\` (HttpOnly, SameSite=Strict, Path=${ADMIN_SESSION_PATH}, Secure under HTTPS) for ` +
      'ADMIN_SESSION_MINUTES. A form post is redirected (303) to `next`; a JSON post gets the session. With the ' +
      'cookie, the queue dashboard and Swagger UI work without an Authorization header; changes made with it must ' +
      'carry an Origin header naming this site.',
  })
  @ApiOkResponse({ type: AdminSessionDto, description: 'Logged in (JSON).' })
  @ApiSeeOtherResponse({ description: 'Form post: to `next` when logged in, else back to the form.' })
  @ApiUnauthorizedResponse({ type: ApiErrorDto, description: 'Not one of ADMIN_API_KEYS (JSON).' })
  @ApiForbiddenResponse({ type: ApiErrorDto, description: 'Posted from another site (Origin).' })
  create(
    @Body() body: AdminLoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): AdminSessionDto | undefined {
    const isForm = (request.headers['content-type'] ?? '').startsWith(FORM);
    const origin = `${request.protocol}://${request.host}`;
    const crossSite =
      request.headers.origin !== undefined && request.headers.origin.toLowerCase() !== origin.toLowerCase();
    const key = crossSite ? undefined : matchAdminKey(this.options.access, body.key);
    if (!key) {
      if (isForm) {
        void reply.redirect(`/admin/login?failed=1&next=${encodeURIComponent(safeNext(body.next))}`, 303);
        return undefined;
      }
      if (crossSite) throw new ForbiddenException(`A login must come from this site (Origin: ${origin})`);
      throw new UnauthorizedException('The key is not one of ADMIN_API_KEYS');
    }
    const expiresAt = new Date(Date.now() + this.options.sessionMinutes * 60_000);
    reply.header(
      'set-cookie',
      stringifySetCookie({
        name: ADMIN_SESSION_COOKIE,
        value: issueAdminSession(key, expiresAt),
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: ADMIN_SESSION_PATH,
        maxAge: this.options.sessionMinutes * 60,
      }),
    );
    reply.header('cache-control', 'no-store');
    if (isForm) {
      void reply.redirect(safeNext(body.next), 303);
      return undefined;
    }
    return { name: key.name, expiresAt: expiresAt.toISOString() };
  }

  @Delete('session')
  @HttpCode(204)
  @ApiOperation({ summary: 'Log a browser out: clears the session cookie' })
  @ApiNoContentResponse({ description: 'The cookie is cleared.' })
  logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    reply.header(
      'set-cookie',
      stringifySetCookie({
        name: ADMIN_SESSION_COOKIE,
        value: '',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: ADMIN_SESSION_PATH,
        maxAge: 0,
      }),
    );
  }
}
