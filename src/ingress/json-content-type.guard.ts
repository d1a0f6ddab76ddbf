import { CanActivate, ExecutionContext, Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Webhooks are JSON. Fastify already answers 415 for types it has no parser for; this also
 * refuses the ones Nest parses by default (form posts) before any signature work is done.
 */
@Injectable()
export class JsonContentTypeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const contentType = context.switchToHttp().getRequest<FastifyRequest>().headers['content-type'] ?? '';
    if (!JSON_MEDIA_TYPE.test(contentType)) {
      throw new UnsupportedMediaTypeException(
        `Content-Type must be application/json (got ${JSON.stringify(contentType.slice(0, 100))})`,
      );
    }
    return true;
  }
}
