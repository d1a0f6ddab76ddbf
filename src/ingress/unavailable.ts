import { ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** Seconds a sender should wait before retrying when the database is unreachable. */
export const RETRY_AFTER_SECONDS = '5';

/**
 * The answer when what the sender sent could not be stored (the database down or hung): a 503
 * with Retry-After, never a 2xx or a 4xx, so that the sender sends it again.
 */
export function unavailable(reply: FastifyReply, message: string, cause: unknown): ServiceUnavailableException {
  reply.header('Retry-After', RETRY_AFTER_SECONDS);
  return new ServiceUnavailableException(message, { cause });
}
