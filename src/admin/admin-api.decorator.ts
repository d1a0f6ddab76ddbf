import { applyDecorators, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiErrorDto } from '../shared/api-error.dto.js';
import { ADMIN_BEARER, ADMIN_SESSION } from './swagger.js';

/**
 * Every admin controller: documented under `tag` with the bearer scheme and the answers the
 * /admin authentication gives, and strict validation of query and body (unknown fields refused,
 * each problem named in a 400).
 */
export function AdminApi(tag: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(ADMIN_BEARER),
    ApiCookieAuth(ADMIN_SESSION),
    ApiUnauthorizedResponse({
      type: ApiErrorDto,
      description: 'No `Authorization: Bearer <key>` header (or browser session), or not one of ADMIN_API_KEYS.',
    }),
    ApiForbiddenResponse({
      type: ApiErrorDto,
      description: 'A change sent with the browser session from another site (no matching Origin header).',
    }),
    ApiServiceUnavailableResponse({
      type: ApiErrorDto,
      description: 'Admin API disabled: no ADMIN_API_KEYS configured in production (or a dependency is down).',
    }),
    UsePipes(
      new ValidationPipe({
        transform: true,
        whitelist: true,
        forbidNonWhitelisted: true,
        transformOptions: { enableImplicitConversion: false },
      }),
    ),
  );
}

/** For routes that take parameters: a 400 names every invalid one. */
export const ApiInvalidInput = (description = 'A parameter or body field is invalid; `message` lists each problem.') =>
  ApiBadRequestResponse({ type: ApiErrorDto, description });
