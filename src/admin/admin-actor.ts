import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Who made an admin change, for the audit trail: the name the operator gave (if any), which admin
 * key was used (a fingerprint: the first 12 hex digits of its SHA-256, never the key) and from where.
 */
export function adminActor(request: FastifyRequest, name?: string): string {
  const authorization = request.headers.authorization;
  const key = typeof authorization === 'string' ? authorization.replace(/^Bearer\s+/i, '').trim() : '';
  const fingerprint = key ? `key:${createHash('sha256').update(key).digest('hex').slice(0, 12)}` : 'no key';
  return `${name ? `${name} ` : ''}(${fingerprint}, ${request.ip})`;
}
